"""Every URL of duban: each app's ``urls.py`` for pages, ``duban.api`` for the JSON API under /api/v1."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from duban.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("duban.workbench.urls")),
    path("", include("duban.core.urls")),
    path("", include("duban.core.manage_urls")),
    path("", include("duban.core.oidc_urls")),
    path("", include("duban.meetings.urls")),
    path("", include("duban.tasks.urls")),
    path("", include("duban.followup.urls")),
    path("", include("duban.reports.urls")),
    path("", include("duban.sources.urls")),
]

if settings.DUBAN_ADMIN:  # Django's admin is a second door around the actions and their audit: off by default
    urlpatterns.insert(1, path("admin/", admin.site.urls))

handler400 = "duban.core.error_pages.bad_request"
handler403 = "duban.core.error_pages.permission_denied"
handler404 = "duban.core.error_pages.page_not_found"
handler500 = "duban.core.error_pages.server_error"
