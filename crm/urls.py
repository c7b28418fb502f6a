"""The crm app's pages: contacts, sales documents and the audit trail."""

from django.urls import path

from .views import audit, contacts, documents

app_name = "crm"

urlpatterns = [
    path("contacts/", contacts.ContactListView.as_view(), name="contact_list"),
    path("contacts/new/", contacts.contact_create, name="contact_create"),
    path("contacts/lookup/", contacts.contact_lookup, name="contact_lookup"),
    path("contacts/search/", contacts.contact_search, name="contact_search"),
    path("contacts/<int:pk>/", contacts.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", contacts.contact_delete, name="contact_delete"),
    path("documents/", documents.SalesDocumentListView.as_view(), name="document_list"),
    path("documents/new/", documents.document_create, name="document_create"),
    path("documents/<int:pk>/", documents.document_detail, name="document_detail"),
    path("documents/<int:pk>/edit/", documents.document_edit, name="document_edit"),
    path("documents/<int:pk>/pdf/", documents.document_pdf, name="document_pdf"),
    path("documents/<int:pk>/print/", documents.document_print, name="document_print"),
    path("documents/<int:pk>/email/", documents.document_email, name="document_email"),
    path("audit/", audit.AuditEventListView.as_view(), name="audit_list"),
]
