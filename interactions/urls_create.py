from django.urls import path

from .views import create

urlpatterns = [
    path("new/", create.interaction_create_view, name="interaction_create"),
    path("new/preview/", create.interaction_preview_view, name="interaction_preview"),
    path("<int:pk>/document/", create.interaction_document_view, name="interaction_document"),
]
