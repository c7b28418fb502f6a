from django.urls import include, path

urlpatterns = [
    path("logged/", include("segments.urls_logged")),
    path("criteria/", include("segments.urls_criteria")),
    path("", include("segments.urls_log")),
    path("", include("segments.urls_worksheet")),
]
