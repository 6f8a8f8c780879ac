"""URL routes of this app, included under / by duban.urls."""

from django.urls import path

from duban.meetings import views

app_name = "meetings"

urlpatterns = [
    path("meetings/", views.meeting_list, name="list"),
    path("meetings/import/", views.meeting_import, name="import"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="detail"),
    path("meetings/<int:meeting_id>/confirm/", views.meeting_confirm, name="confirm"),
    path("meetings/<int:meeting_id>/merge/", views.meeting_merge, name="merge"),
    path("meetings/<int:meeting_id>/bulk-edit/", views.meeting_bulk_edit, name="bulk_edit"),
]
