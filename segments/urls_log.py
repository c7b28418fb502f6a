from django.urls import path

from .views import logged

urlpatterns = [
    path("<int:pk>/log/", logged.segment_log, name="segment_log"),
]
