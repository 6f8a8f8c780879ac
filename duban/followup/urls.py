"""URL routes of this app, included under / by duban.urls."""

from django.urls import path

from duban.followup import views

app_name = "followup"

urlpatterns = [
    path("followup/tasks/<int:task_id>/extension/", views.extension_request, name="extension_request"),
    path("followup/tasks/<int:task_id>/urge/", views.task_urge, name="urge"),
    path("followup/tasks/<int:task_id>/notice/", views.notice_issue, name="notice_issue"),
    path("followup/extensions/<int:request_id>/approve/", views.extension_approve, name="extension_approve"),
    path("followup/extensions/<int:request_id>/reject/", views.extension_reject, name="extension_reject"),
    path("followup/tasks/<int:task_id>/close-request/", views.close_request, name="close_request"),
    path("followup/reports/<int:report_id>/accept/", views.close_accept, name="close_accept"),
    path("followup/reports/<int:report_id>/return/", views.close_return, name="close_return"),
    path("followup/notices/<int:notice_id>/", views.notice_download, name="notice_download"),
    path("followup/evidence/<int:evidence_id>/", views.evidence_download, name="evidence_download"),
    path("followup/deliveries/", views.delivery_list, name="deliveries"),
    path("followup/deliveries/<int:delivery_id>/retry/", views.delivery_retry, name="delivery_retry"),
]
