from django.urls import include, path

urlpatterns = [
    path("", include("interactions.urls_entries")),
    path("", include("interactions.urls_create")),
]
