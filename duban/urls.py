"""Every URL of duban: each app's ``urls.py`` for pages, ``duban.api`` for the JSON API under /api/v1."""

from django.contrib import admin
from django.urls import include, path

from duban.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("duban.workbench.urls")),
    path("", include("duban.core.urls")),
    path("", include("duban.meetings.urls")),
    path("", include("duban.tasks.urls")),
    path("", include("duban.followup.urls")),
    path("", include("duban.reports.urls")),
    path("", include("duban.sources.urls")),
]
