"""URL routes of this app, included under / by duban.urls."""

from django.urls import path

from duban.followup import views

app_name = "followup"

urlpatterns = [
    path("followup/tasks/<int:task_id>/extension/", views.extension_request, name="extension_request"),
    path("followup/tasks/<int:task_id>/urge/", views.task_urge, name="urge"),
    path("followup/tasks/<int:task_id>/notice/", views.notice_issue, name="notice_issue"),
    path("followup/extensions/", views.extensions_pending, name="extensions_pending"),
    path("followup/extensions/<int:request_id>/approve/", views.extension_approve, name="extension_approve"),
    path("followup/extensions/<int:request_id>/reject/", views.extension_reject, name="extension_reject"),
    path("followup/tasks/<int:task_id>/close-request/", views.close_request, name="close_request"),
    path("followup/reports/<int:report_id>/accept/", views.close_accept, name="close_accept"),
    path("followup/reports/<int:report_id>/return/", views.close_return, name="close_return"),
    path("followup/notices/<int:notice_id>/", views.notice_download, name="notice_download"),
    path("followup/evidence/<int:evidence_id>/", views.evidence_download, name="evidence_download"),
    path("followup/tasks/<int:task_id>/comments/", views.task_comment, name="task_comment"),
    path("followup/comments/<int:comment_id>/confirm-deadline/", views.deadline_confirm, name="deadline_confirm"),
    path("followup/comments/<int:comment_id>/decline-deadline/", views.deadline_decline, name="deadline_decline"),
    path("followup/tasks/<int:task_id>/watch/", views.task_watch, name="task_watch"),
    path("followup/watchlist/", views.watch_list, name="watchlist"),
    path("followup/me/contact/", views.contact_edit, name="my_contact"),
    path("followup/users/<int:user_id>/contact/", views.contact_edit, name="user_contact"),
    path("followup/tasks/<int:task_id>/deliveries/", views.task_deliveries, name="task_deliveries"),
    path("followup/deliveries/", views.delivery_list, name="deliveries"),
    path("followup/undelivered/", views.reminder_undelivered_list, name="undelivered"),
    path("followup/deliveries/<int:delivery_id>/retry/", views.delivery_retry, name="delivery_retry"),
]
