"""The interactions app's pages, under /interactions/: the log entries, creating one interaction, statistics."""

from django.urls import path

from .views import contact_actions, create, entries, postponed, statistics

app_name = "interactions"

urlpatterns = [
    path("", entries.LogEntryListView.as_view(), name="interaction_list"),
    path("<int:pk>/", entries.entry_detail, name="interaction_detail"),
    path("actions/", entries.entry_actions, name="interaction_actions"),
    path("export.csv", entries.export_csv, name="interaction_export"),
    path("delete-canceled/", entries.delete_canceled, name="interaction_delete_canceled"),
    path("statistics/", statistics.interaction_statistics, name="interaction_statistics"),
    path("new/", create.interaction_create_view, name="interaction_create"),
    path("postponed/", postponed.PostponedEntryListView.as_view(), name="postponed_list"),
    path("postponed/<int:pk>/delete/", postponed.postponed_delete, name="postponed_delete"),
    path("new/preview/", create.interaction_preview_view, name="interaction_preview"),
    path("<int:pk>/document/", create.interaction_document_view, name="interaction_document"),
    path("<int:pk>/document/preview/", create.interaction_document_preview_view, name="interaction_document_preview"),
    path("contacts/<int:pk>/call/", contact_actions.contact_call, name="contact_call"),
    path("contacts/<int:pk>/email/", contact_actions.contact_email, name="contact_email"),
    path("contacts/<int:pk>/cover-sheet/", contact_actions.contact_cover_sheet, name="contact_cover_sheet"),
]
