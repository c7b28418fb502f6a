from django.urls import path

from .views import entries, statistics

urlpatterns = [
    path("", entries.LogEntryListView.as_view(), name="interaction_list"),
    path("<int:pk>/", entries.entry_detail, name="interaction_detail"),
    path("actions/", entries.entry_actions, name="interaction_actions"),
    path("export.csv", entries.export_csv, name="interaction_export"),
    path("delete-canceled/", entries.delete_canceled, name="interaction_delete_canceled"),
    path("statistics/", statistics.interaction_statistics, name="interaction_statistics"),
]
