from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from .views import audit, health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="contact_list"), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", health.healthz, name="healthz"),
    path("contacts/", include("crm.urls_contacts")),
    path("documents/", include("crm.urls_documents")),
    path("interactions/", include("interactions.urls")),
    path("segments/", include("segments.urls")),
    path("audit/", audit.AuditEventListView.as_view(), name="audit_list"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
