from django.urls import path

from .views import logged, logged_letters

urlpatterns = [
    path("", logged.LoggedSegmentListView.as_view(), name="logged_segment_list"),
    path("delete-canceled/", logged.logged_segments_delete_canceled, name="logged_segments_delete_canceled"),
    path("<int:pk>/", logged.logged_segment_detail, name="logged_segment_detail"),
    path("<int:pk>/progress/", logged.logged_segment_progress, name="logged_segment_progress"),
    path("<int:pk>/cancel/", logged.logged_segment_cancel, name="logged_segment_cancel"),
    path("<int:pk>/follow-up/", logged.logged_segment_follow_up, name="logged_segment_follow_up"),
    path("<int:pk>/retry/", logged.logged_segment_retry, name="logged_segment_retry"),
    path("<int:pk>/letters.zip", logged_letters.logged_segment_letters, name="logged_segment_letters"),
    path("<int:pk>/letters.docx", logged_letters.logged_segment_letters_docx, name="logged_segment_letters_docx"),
    path(
        "<int:pk>/letters/prepare/",
        logged_letters.logged_segment_letters_prepare,
        name="logged_segment_letters_prepare",
    ),
    path("<int:pk>/letters/jobs/", logged_letters.logged_segment_letter_jobs, name="logged_segment_letter_jobs"),
    path(
        "<int:pk>/letters/jobs/<int:job_id>/download/",
        logged_letters.logged_segment_letter_job_download,
        name="logged_segment_letter_job_download",
    ),
]
