from django.urls import include, path

urlpatterns = [
    path("logged/", include("segments.urls_logged")),
    path("", include("segments.urls_log")),
    path("", include("segments.urls_worksheet")),
]
