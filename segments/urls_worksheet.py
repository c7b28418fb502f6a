from django.urls import path

from .views import letters, worksheet

urlpatterns = [
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
    path("<int:pk>/delete/", worksheet.segment_delete, name="segment_delete"),
    path("<int:pk>/lines/add/", worksheet.segment_line_add, name="segment_line_add"),
    path("<int:pk>/lines/<int:line_id>/", worksheet.segment_line_edit, name="segment_line_edit"),
    path("<int:pk>/lines/<int:line_id>/remove/", worksheet.segment_line_remove, name="segment_line_remove"),
    path("<int:pk>/lines/<int:line_id>/letter/", worksheet.segment_line_letter, name="segment_line_letter"),
    path(
        "<int:pk>/lines/<int:line_id>/letter.docx",
        letters.segment_line_letter_download,
        name="segment_line_letter_download",
    ),
    path("<int:pk>/letters.zip", letters.segment_letters_zip, name="segment_letters_zip"),
    path("<int:pk>/letters.docx", letters.segment_letters_docx, name="segment_letters_docx"),
    path("<int:pk>/letters/prepare/", letters.segment_letters_prepare, name="segment_letters_prepare"),
    path("<int:pk>/letters/jobs/", letters.segment_letter_jobs, name="segment_letter_jobs"),
    path(
        "<int:pk>/letters/jobs/<int:job_id>/download/",
        letters.segment_letter_job_download,
        name="segment_letter_job_download",
    ),
]
