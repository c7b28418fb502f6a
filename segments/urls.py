"""The segments app's pages, under /segments/: worksheets, logging, logged segments, saved criteria."""

from django.urls import path

from .views import cover_sheets, criteria, letters, logged, logged_letters, worksheet

app_name = "segments"

urlpatterns = [
    path("logged/", logged.LoggedSegmentListView.as_view(), name="logged_segment_list"),
    path("logged/delete-canceled/", logged.logged_segments_delete_canceled, name="logged_segments_delete_canceled"),
    path("logged/<int:pk>/", logged.logged_segment_detail, name="logged_segment_detail"),
    path("logged/<int:pk>/progress/", logged.logged_segment_progress, name="logged_segment_progress"),
    path("logged/<int:pk>/cancel/", logged.logged_segment_cancel, name="logged_segment_cancel"),
    path("logged/<int:pk>/follow-up/", logged.logged_segment_follow_up, name="logged_segment_follow_up"),
    path("logged/<int:pk>/retry/", logged.logged_segment_retry, name="logged_segment_retry"),
    path("logged/resend-entries/", logged.entries_resend_updated, name="entries_resend_updated"),
    path("logged/<int:pk>/resend/", logged.logged_segment_resend_updated, name="logged_segment_resend_updated"),
    path("logged/<int:pk>/letters.zip", logged_letters.logged_segment_letters, name="logged_segment_letters"),
    path(
        "logged/<int:pk>/letters.docx", logged_letters.logged_segment_letters_docx, name="logged_segment_letters_docx"
    ),
    path(
        "logged/<int:pk>/letters/prepare/",
        logged_letters.logged_segment_letters_prepare,
        name="logged_segment_letters_prepare",
    ),
    path("logged/<int:pk>/letters/jobs/", logged_letters.logged_segment_letter_jobs, name="logged_segment_letter_jobs"),
    path(
        "logged/<int:pk>/letters/jobs/<int:job_id>/download/",
        logged_letters.logged_segment_letter_job_download,
        name="logged_segment_letter_job_download",
    ),
    path("criteria/", criteria.SavedCriteriaListView.as_view(), name="saved_criteria_list"),
    path("criteria/<int:pk>/", criteria.saved_criteria_detail, name="saved_criteria_detail"),
    path("criteria/<int:pk>/delete/", criteria.saved_criteria_delete, name="saved_criteria_delete"),
    path("<int:pk>/log/", logged.segment_log, name="segment_log"),
    path("", worksheet.SegmentListView.as_view(), name="segment_list"),
    path("new/", worksheet.segment_create, name="segment_create"),
    path("<int:pk>/", worksheet.segment_page, name="segment_detail"),
    path("<int:pk>/header/", worksheet.segment_header, name="segment_header"),
    path("<int:pk>/steps/", worksheet.segment_step, name="segment_step"),
    path("<int:pk>/preview-step/", worksheet.segment_preview, name="segment_preview_step"),
    path("<int:pk>/go-back/", worksheet.segment_go_back, name="segment_go_back"),
    path("<int:pk>/reset-steps/", worksheet.segment_reset_steps, name="segment_reset_steps"),
    path("<int:pk>/save-criteria/", worksheet.segment_save_criteria, name="segment_save_criteria"),
    path("<int:pk>/reuse-criteria/", worksheet.segment_reuse_criteria, name="segment_reuse_criteria"),
    path("<int:pk>/reuse-logged/", worksheet.segment_reuse_logged, name="segment_reuse_logged"),
    path("<int:pk>/mailing-group/", worksheet.segment_apply_mailing_group, name="segment_apply_mailing_group"),
    path("<int:pk>/contacts.csv", worksheet.segment_export_contacts, name="segment_export_contacts"),
    path("<int:pk>/delete/", worksheet.segment_delete, name="segment_delete"),
    path("<int:pk>/lines/add/", worksheet.segment_line_add, name="segment_line_add"),
    path("<int:pk>/lines/unsendable/", worksheet.segment_unsendable_lines, name="segment_unsendable_lines"),
    path("<int:pk>/lines/<int:line_id>/", worksheet.segment_line_edit, name="segment_line_edit"),
    path("<int:pk>/lines/<int:line_id>/remove/", worksheet.segment_line_remove, name="segment_line_remove"),
    path("<int:pk>/lines/<int:line_id>/letter/", worksheet.segment_line_letter, name="segment_line_letter"),
    path(
        "<int:pk>/lines/<int:line_id>/letter.docx",
        letters.segment_line_letter_download,
        name="segment_line_letter_download",
    ),
    path(
        "<int:pk>/lines/<int:line_id>/letter.pdf",
        letters.segment_line_letter_preview,
        name="segment_line_letter_preview",
    ),
    path("<int:pk>/letters.zip", letters.segment_letters_zip, name="segment_letters_zip"),
    path("<int:pk>/letters.docx", letters.segment_letters_docx, name="segment_letters_docx"),
    path("<int:pk>/letters/prepare/", letters.segment_letters_prepare, name="segment_letters_prepare"),
    path("<int:pk>/cover-sheets/", cover_sheets.segment_cover_sheets, name="segment_cover_sheets"),
    path("<int:pk>/letters/jobs/", letters.segment_letter_jobs, name="segment_letter_jobs"),
    path(
        "<int:pk>/letters/jobs/<int:job_id>/download/",
        letters.segment_letter_job_download,
        name="segment_letter_job_download",
    ),
]
