"""Pages of reporting under /reports/, included under / by duban.urls."""

from django.urls import path, re_path

from duban.reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.dashboard, name="dashboard"),
    re_path(r"^reports/csv/(?P<chart>lights|by_area|by_unit|weeks|overdue)\.csv$", views.chart_csv, name="chart_csv"),
    path("reports/ranking/", views.ranking, name="ranking"),
    path("reports/score-rules/", views.score_rules, name="score_rules"),
    path("reports/score-rules/adjust/", views.score_adjust, name="score_adjust"),
    re_path(r"^reports/ranking\.(?P<fmt>xlsx|csv)$", views.ranking_export, name="ranking_export"),
    re_path(r"^reports/briefing/(?P<meeting_id>\d+)\.(?P<fmt>docx|pdf)$", views.briefing, name="briefing"),
    re_path(r"^reports/circular\.(?P<fmt>docx|pdf)$", views.circular, name="circular"),
    path("reports/ledger/export.xlsx", views.ledger_export, name="ledger_export"),
    path("reports/ledger/import/", views.ledger_import, name="ledger_import"),
    path("reports/document-settings/", views.document_settings, name="document_settings"),
    path("reports/calendar/", views.calendar, name="calendar"),
    re_path(r"^reports/ical/(?P<token>[A-Za-z0-9_-]{1,64})\.ics$", views.ical_feed, name="ical"),
]
