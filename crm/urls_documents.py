from django.urls import path

from .views import documents

urlpatterns = [
    path("", documents.SalesDocumentListView.as_view(), name="document_list"),
    path("new/", documents.document_create, name="document_create"),
    path("<int:pk>/", documents.document_detail, name="document_detail"),
    path("<int:pk>/edit/", documents.document_edit, name="document_edit"),
    path("<int:pk>/pdf/", documents.document_pdf, name="document_pdf"),
    path("<int:pk>/print/", documents.document_print, name="document_print"),
    path("<int:pk>/email/", documents.document_email, name="document_email"),
]
