from django.urls import path

from .views import criteria

urlpatterns = [
    path("", criteria.SavedCriteriaListView.as_view(), name="saved_criteria_list"),
    path("<int:pk>/", criteria.saved_criteria_detail, name="saved_criteria_detail"),
    path("<int:pk>/delete/", criteria.saved_criteria_delete, name="saved_criteria_delete"),
]
