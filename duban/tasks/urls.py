"""URL routes of this app, included under / by duban.urls."""

from django.urls import path

from duban.tasks import views

app_name = "tasks"

urlpatterns = [
    path("tasks/", views.task_list, name="list"),
    path("tasks/reports/pending/", views.reports_pending, name="reports_pending"),
    path("tasks/reports/<int:report_id>/accept/", views.report_accept, name="report_accept"),
    path("tasks/reports/<int:report_id>/return/", views.report_return, name="report_return"),
    path("tasks/report-files/<int:file_id>/", views.report_file_download, name="report_file"),
    path("tasks/close-evidence-rules/", views.close_evidence_rules, name="close_evidence_rules"),
    path("tasks/deadline-note/", views.deadline_note, name="deadline_note"),
    path("tasks/<int:task_id>/", views.task_detail, name="detail"),
    path("tasks/<int:task_id>/accept/", views.task_accept, name="accept"),
    path("tasks/<int:task_id>/decline/", views.task_decline, name="decline"),
    path("tasks/<int:task_id>/assign/", views.task_assign, name="assign"),
    path("tasks/<int:task_id>/reassign/", views.task_reassign, name="reassign"),
    path("tasks/<int:task_id>/deadline/", views.task_deadline_adjust, name="deadline_adjust"),
    path("tasks/<int:task_id>/report/", views.report_submit, name="report"),
    path("tasks/<int:task_id>/row/", views.task_row, name="row"),
    path("tasks/<int:task_id>/edit/", views.task_edit, name="edit"),
    path("tasks/<int:task_id>/split/", views.task_split, name="split"),
    path("tasks/<int:task_id>/decompose/", views.task_decompose, name="decompose"),
    path("tasks/<int:task_id>/withdraw/", views.task_withdraw, name="withdraw"),
]
