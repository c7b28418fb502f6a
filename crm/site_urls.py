"""The site's URLconf (settings.ROOT_URLCONF): sign-in, the health check, the admin, and each app's own urls.py.

Every app's URLs are namespaced by its `app_name` (`crm:contact_list`, `interactions:interaction_list`,
`segments:segment_detail`); the paths themselves are part of the product's contract and do not change.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from .views import health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="crm:contact_list"), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", health.healthz, name="healthz"),
    path("", include("crm.urls")),
    path("interactions/", include("interactions.urls")),
    path("segments/", include("segments.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
