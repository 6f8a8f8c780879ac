"""URL routes of this app, included under / by duban.urls."""

from django.urls import path

from duban.meetings import views

app_name = "meetings"

urlpatterns = [
    path("meetings/", views.meeting_list, name="list"),
    path("meetings/import/", views.meeting_import, name="import"),
    path("meetings/scans/<int:job_id>/", views.scan_detail, name="scan"),
    path("meetings/scans/<int:job_id>/progress/", views.scan_progress, name="scan_progress"),
    path("meetings/scans/<int:job_id>/cancel/", views.scan_cancel, name="scan_cancel"),
    path("meetings/scans/<int:job_id>/pages/<int:page>.png", views.scan_page_image, name="scan_page"),
    path("meetings/responsibility/", views.responsibility_list, name="responsibility"),
    path("meetings/responsibility/export.toml", views.responsibility_export, name="responsibility_export"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="detail"),
    path("meetings/<int:meeting_id>/confirm/", views.meeting_confirm, name="confirm"),
    path("meetings/<int:meeting_id>/merge/", views.meeting_merge, name="merge"),
    path("meetings/<int:meeting_id>/withdraw/", views.meeting_withdraw, name="withdraw"),
    path("meetings/<int:meeting_id>/date/", views.meeting_date_set, name="date"),
    path("meetings/<int:meeting_id>/facts/", views.meeting_facts_set, name="facts"),
    path("meetings/<int:meeting_id>/bulk-edit/", views.meeting_bulk_edit, name="bulk_edit"),
    path("meetings/<int:meeting_id>/add-task/", views.meeting_task_add, name="task_add"),
]
