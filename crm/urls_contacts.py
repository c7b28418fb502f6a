from django.urls import path

from .views import contacts

urlpatterns = [
    path("", contacts.ContactListView.as_view(), name="contact_list"),
    path("new/", contacts.contact_create, name="contact_create"),
    path("<int:pk>/", contacts.contact_detail, name="contact_detail"),
    path("<int:pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path("<int:pk>/delete/", contacts.contact_delete, name="contact_delete"),
]
