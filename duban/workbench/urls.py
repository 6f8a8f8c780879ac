"""URL routes of this app, included under / by duban.urls. The home page keeps the global name ``dashboard``
(the sign-in redirect and the brand link point at it)."""

from django.urls import path

from duban.workbench import views

urlpatterns = [
    path("", views.home, name="dashboard"),
    path("workbench/count/", views.nav_count, name="workbench_count"),
]
