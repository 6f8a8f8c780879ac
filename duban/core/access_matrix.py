"""Who gets what from every URL: one row per page route and API operation, one expected status (or a small set)
per role. ``duban/core/tests/test_auth_matrix.py`` walks it with real objects and fails when a route has no row.

The world the rows assume (built by the test through the real actions): a confirmed meeting whose task
(``task_id``) is led by 市应急管理局 (lead_admin, lead_staff) with 市卫健委 cooperating (coop_staff) and accepted, a
submitted progress report on it (``report_id``), a pending extension request (``request_id``), a leader instruction,
inspection case, livelihood project and hazard (with a photo ``attachment_id``), all assigned to the same units;
市教育局 (other_staff) has nothing to do with any of them. Ids named ``notice_id``, ``evidence_id``,
``delivery_id`` and ``phrase_id`` point at nothing, so there the rule is "404 for everyone signed in".

Reading the statuses: pages send the anonymous to the login page (302); a row outside a person's scope is 404 (not
403: an id reveals nothing); a person in scope without the right is 403; 409/422 mean the person was let in and
the action refused on its merits (state, input). 302 after a POST is the page's "done, go back" redirect.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("anonymous", "sysadmin", "supervisor", "leader", "lead_admin", "lead_staff", "coop_staff", "other_staff")
GROUPS = {
    "signed_in": ROLES[1:],
    "office": ("sysadmin", "supervisor", "leader"),
    "sup": ("sysadmin", "supervisor"),
    "lead": ("lead_admin", "lead_staff"),
    "units": ("lead_admin", "lead_staff", "coop_staff", "other_staff"),
    "in_task": ("lead_admin", "lead_staff", "coop_staff"),
}


def E(default=None, **by) -> dict[str, frozenset[int]]:
    """Expected statuses: ``default`` for all roles, then groups and roles in the order given.
    ``E(302, signed_in=200, other_staff=404)``."""
    out = {role: default for role in ROLES}
    for key, value in by.items():
        for role in GROUPS.get(key, (key,)):
            out[role] = value
    return {role: frozenset(v if isinstance(v, (set, frozenset, tuple)) else {v}) for role, v in out.items()}


@dataclass(frozen=True)
class Row:
    method: str
    route: str
    expect: dict = field(hash=False)
    api: bool = False
    data: dict | None = field(default=None, hash=False)
    params: dict = field(default_factory=dict, hash=False)
    multipart: bool = False
    skip: str = ""


def page(method, route, expect, **kw) -> Row:
    return Row(method, route, expect, **kw)


def api(method, route, expect, **kw) -> Row:
    return Row(method, "/api/v1" + route, expect, api=True, **kw)


def page_key(method, route):
    return (method, route)


def api_key(method, route):
    return (method, route)


ROWS: list[Row] = [
    page("GET", "", E(302, signed_in=200)),
    page("GET", r"^reports/briefing/(?P<meeting_id>\d+)\.(?P<fmt>docx|pdf)$", E(302, signed_in=403, sup=200, leader=200), params={"fmt": "docx"}),
    page("GET", r"^reports/csv/(?P<chart>lights|by_area|by_unit|weeks|overdue)\.csv$", E(302, signed_in=200)),
    page("GET", r"^reports/ical/(?P<token>[A-Za-z0-9_-]{1,64})\.ics$", E(200)),
    page("GET", r"^reports/ranking\.(?P<fmt>xlsx|csv)$", E(302, signed_in=200), params={"fmt": "xlsx"}),
    page("GET", "accounts/login/", E(200, signed_in=302)),
    page("POST", "accounts/login/", E(200, signed_in=302)),
    page("GET", "accounts/logout/", E(405)),
    page("POST", "accounts/logout/", E(302)),
    page("GET", "accounts/me/", E(302, signed_in=200)),
    page("POST", "accounts/me/", E(302, signed_in=200)),
    page("GET", "accounts/password/", E(302, signed_in=200)),
    page("POST", "accounts/password/", E(302, signed_in=200)),
    page("GET", "admin/", E(302)),
    page("GET", "followup/deliveries/", E(302, signed_in=403, sysadmin=200)),
    page("GET", "followup/deliveries/<int:delivery_id>/retry/", E(302, signed_in=405)),
    page("POST", "followup/deliveries/<int:delivery_id>/retry/", E(302, signed_in=404)),
    page("GET", "followup/evidence/<int:evidence_id>/", E(302, signed_in=404)),
    page("GET", "followup/extensions/<int:request_id>/approve/", E(302, signed_in=405)),
    page("POST", "followup/extensions/<int:request_id>/approve/", E(302, signed_in=403, sup=302, other_staff=404)),
    page("GET", "followup/extensions/<int:request_id>/reject/", E(302, signed_in=405)),
    page("POST", "followup/extensions/<int:request_id>/reject/", E(302, signed_in=403, sup=302, other_staff=404), data={"reason": "理由不充分"}),
    page("GET", "followup/notices/<int:notice_id>/", E(302, signed_in=404)),
    page("GET", "followup/reports/<int:report_id>/accept/", E(302, signed_in=405)),
    page("POST", "followup/reports/<int:report_id>/accept/", E(302, signed_in=403, sup=302, other_staff=404)),
    page("GET", "followup/reports/<int:report_id>/return/", E(302, signed_in=405)),
    page("POST", "followup/reports/<int:report_id>/return/", E(302, signed_in=403, sup=302, other_staff=404), data={"reason": "请补充"}),
    page("GET", "followup/tasks/<int:task_id>/close-request/", E(302, signed_in=405)),
    page("POST", "followup/tasks/<int:task_id>/close-request/", E(302, signed_in=403, lead=302, other_staff=404), data={"text": "已完成", "evidence_text": "见附件"}),
    page("GET", "followup/tasks/<int:task_id>/notice/", E(302, signed_in=405)),
    page("POST", "followup/tasks/<int:task_id>/notice/", E(302, signed_in=403, sup=302, other_staff=404)),
    page("GET", "followup/tasks/<int:task_id>/urge/", E(302, signed_in=405)),
    page("POST", "followup/tasks/<int:task_id>/urge/", E(302, signed_in=403, sup=302, other_staff=404), data={"message": "矩阵催办"}),
    page("GET", "followup/tasks/<int:task_id>/extension/", E(302, signed_in=405)),
    page("POST", "followup/tasks/<int:task_id>/extension/", E(302, signed_in=403, lead=302, other_staff=404), data={"new_deadline": "2030-01-01", "reason": "工程量大"}),
    page("GET", "meetings/", E(302, signed_in=200)),
    page("GET", "meetings/<int:meeting_id>/", E(302, signed_in=200, other_staff=404)),
    page("GET", "meetings/<int:meeting_id>/confirm/", E(302, signed_in=405)),
    page("POST", "meetings/<int:meeting_id>/confirm/", E(302, signed_in=403, sup=302, other_staff=404)),
    page("GET", "meetings/<int:meeting_id>/merge/", E(302, signed_in=405)),
    # Merging one task with itself is refused as invalid input (a redirect with a message) before the role check.
    page("POST", "meetings/<int:meeting_id>/merge/", E(302, signed_in=302, other_staff=404), data={"task_ids": ["$task_id", "$task_id"]}),
    page("GET", "meetings/<int:meeting_id>/bulk-edit/", E(302, signed_in=405)),
    page("POST", "meetings/<int:meeting_id>/bulk-edit/", E(302, signed_in=403, sup=302, other_staff=404), data={"task_ids": ["$task_id"], "deadline": "2030-01-01"}),
    page("GET", "meetings/import/", E(302, signed_in=403, sup=200)),
    page("POST", "meetings/import/", E(302, signed_in=403, sup=200)),
    page("GET", "help/", E(302, signed_in=200)),
    page("GET", "help/<slug:page>.md", E(302, signed_in=200), params={"page": "office"}),
    page("GET", "help/img/<str:name>", E(302, signed_in=200), params={"name": "office-workbench.png"}),
    page("GET", "notifications/", E(302, signed_in=200)),
    page("GET", "workbench/count/", E(302, signed_in=200)),
    page("GET", "notifications/read/", E(302, signed_in=405)),
    page("POST", "notifications/read/", E(302)),
    page("GET", "phrases/", E(302, signed_in=200)),
    page("GET", "phrases/<int:phrase_id>/", E(302, signed_in=404)),
    page("GET", "reports/", E(302, signed_in=200)),
    page("GET", "reports/calendar/", E(302, signed_in=200)),
    page("POST", "reports/calendar/", E(302, signed_in=200)),
    page("GET", "reports/ledger/export.xlsx", E(302, signed_in=200)),
    page("GET", "reports/ledger/import/", E(302, signed_in=403, sup=200)),
    page("POST", "reports/ledger/import/", E(302, signed_in=403, sup=200)),
    page("GET", "reports/ranking/", E(302, signed_in=200)),
    page("GET", "search/", E(302, signed_in=200)),
    page("GET", "sources/", E(302, signed_in=200)),
    page("GET", "sources/attachments/<int:attachment_id>/", E(302, signed_in=200, other_staff=404)),
    page("GET", "sources/cases/", E(302, signed_in=200)),
    page("GET", "sources/cases/<int:case_id>/", E(302, signed_in=200, other_staff=404)),
    page("GET", "sources/cases/<int:case_id>/rectification/", E(302, signed_in=405)),
    page("POST", "sources/cases/<int:case_id>/rectification/", E(302, signed_in=403, sup=302, other_staff=404), data={"version": "$case_version", "rectification": "已整改", "disclose": "1"}),
    page("GET", "sources/cases/new/", E(302, signed_in=403, sup=200)),
    page("POST", "sources/cases/new/", E(302, signed_in=403, sup=200)),
    page("GET", "sources/hazards/", E(302, signed_in=200)),
    page("GET", "sources/hazards/<int:hazard_id>/", E(302, signed_in=200, other_staff=404)),
    page("GET", "sources/hazards/<int:hazard_id>/<str:step>/", E(302, signed_in=405)),
    page("POST", "sources/hazards/<int:hazard_id>/<str:step>/", E(302, signed_in=403, sup=302, other_staff=404), data={"version": "$hazard_version", "text": "已更换软管"}),
    page("GET", "sources/hazards/<int:hazard_id>/attachments/", E(302, signed_in=405)),
    page("POST", "sources/hazards/<int:hazard_id>/attachments/", E(302, signed_in=302, leader=403, other_staff=404), data={"file": "$png_file"}),
    page("GET", "sources/hazards/new/", E(302, signed_in=403, sup=200)),
    page("POST", "sources/hazards/new/", E(302, signed_in=403, sup=200)),
    page("GET", "sources/instructions/", E(302, signed_in=200)),
    page("GET", "sources/instructions/<int:instruction_id>/", E(302, signed_in=200, other_staff=404)),
    page("GET", "sources/instructions/<int:instruction_id>/tasks/", E(302, signed_in=405)),
    page("POST", "sources/instructions/<int:instruction_id>/tasks/", E(302, signed_in=403, sup=302, other_staff=404), data={"title": "新增任务", "text": "内容", "lead_unit_id": "$unit_id", "deadline": "2030-01-01"}),
    page("GET", "sources/instructions/new/", E(302, signed_in=403, sup=200)),
    page("POST", "sources/instructions/new/", E(302, signed_in=403, sup=200)),
    page("GET", "sources/livelihood/", E(302, signed_in=200)),
    page("GET", "sources/livelihood/<int:project_id>/", E(302, signed_in=200, other_staff=404)),
    page("GET", "sources/livelihood/<int:project_id>/actuals/", E(302, signed_in=405)),
    page("POST", "sources/livelihood/<int:project_id>/actuals/", E(302, signed_in=302, leader=403, coop_staff=403, other_staff=404), data={"month": "2026-01", "value": "10"}),
    page("GET", "sources/livelihood/new/", E(302, signed_in=403, sup=200)),
    page("POST", "sources/livelihood/new/", E(302, signed_in=403, sup=200)),
    page("GET", "tasks/", E(302, signed_in=200)),
    page("GET", "tasks/<int:task_id>/", E(302, signed_in=200, other_staff=404)),
    page("GET", "tasks/<int:task_id>/accept/", E(302, signed_in=405)),
    page("POST", "tasks/<int:task_id>/accept/", E(302, signed_in=403, lead=302, other_staff=404)),
    page("GET", "tasks/<int:task_id>/assign/", E(302, signed_in=405)),
    page("POST", "tasks/<int:task_id>/assign/", E(302, signed_in=403, sup=302, other_staff=404)),
    page("GET", "tasks/<int:task_id>/deadline/", E(302, signed_in=405)),
    page("POST", "tasks/<int:task_id>/deadline/", E(302, signed_in=403, sup=302, other_staff=404), data={"version": "999", "deadline": "2030-01-01", "reason": "矩阵"}),
    page("GET", "tasks/<int:task_id>/decline/", E(302, signed_in=405)),
    page("POST", "tasks/<int:task_id>/decline/", E(302, signed_in=403, lead=302, other_staff=404), data={"reason": "不属于本单位职责"}),
    page("GET", "tasks/<int:task_id>/edit/", E(302, signed_in=403, sup=200, other_staff=404)),
    page("POST", "tasks/<int:task_id>/edit/", E(302, signed_in=403, sup=200, other_staff=404)),
    page("GET", "tasks/<int:task_id>/reassign/", E(302, signed_in=405)),
    page("POST", "tasks/<int:task_id>/reassign/", E(302, signed_in=403, sup=302, other_staff=404), data={"version": "999", "lead_unit": "1", "reason": "矩阵"}),
    page("GET", "tasks/<int:task_id>/report/", E(302, signed_in=405)),
    page("POST", "tasks/<int:task_id>/report/", E(302, signed_in=403, lead=302, coop_staff=302, other_staff=404), data={"text": "矩阵报送", "progress_percent": 40}),
    page("GET", "tasks/<int:task_id>/row/", E(302, signed_in=200, other_staff=404)),
    # The split page shows the task (which they may read) to people who cannot split; the POST refuses them.
    page("GET", "tasks/<int:task_id>/split/", E(302, signed_in=200, other_staff=404)),
    page("POST", "tasks/<int:task_id>/split/", E(302, signed_in=403, sup=200, other_staff=404), data={"at": 4}),
    page("GET", "tasks/<int:task_id>/withdraw/", E(302, signed_in=405)),
    page("POST", "tasks/<int:task_id>/withdraw/", E(302, signed_in=403, sup=302, other_staff=404), data={"reason": "重复"}),
    page("GET", "tasks/reports/<int:report_id>/accept/", E(302, signed_in=405)),
    page("POST", "tasks/reports/<int:report_id>/accept/", E(302, signed_in=403, sup=302, other_staff=404)),
    page("GET", "tasks/reports/<int:report_id>/return/", E(302, signed_in=405)),
    page("POST", "tasks/reports/<int:report_id>/return/", E(302, signed_in=403, sup=302, other_staff=404), data={"reason": "请补充"}),
    page("GET", "tasks/reports/pending/", E(302, signed_in=200)),
    api("GET", "/areas", E(401, signed_in=200)),
    api("GET", "/cases", E(401, signed_in=200)),
    api("POST", "/cases", E(401, signed_in=403, sup=201), data={"case_number": "DC-2026-099", "complaint": "噪声扰民", "lead_unit_id": "$unit_id"}),
    api("GET", "/cases/{case_id}", E(401, signed_in=200, other_staff=404)),
    api("POST", "/cases/{case_id}/rectification", E(401, signed_in=403, sup=200, other_staff=404), data={"version": "$case_version", "rectification": "已整改", "disclose": True}),
    api("GET", "/deliveries", E(401, signed_in=403, sysadmin=200)),
    api("POST", "/deliveries/{delivery_id}/retry", E(401, signed_in=404)),
    api("POST", "/extensions/{request_id}/approve", E(401, signed_in=403, sup=200, other_staff=404), data={"comment": "同意"}),
    api("POST", "/extensions/{request_id}/reject", E(401, signed_in=403, sup=200, other_staff=404), data={"reason": "理由不充分"}),
    api("GET", "/hazards", E(401, signed_in=200)),
    api("POST", "/hazards", E(401, signed_in=403, sup=201), data={"place": "解放路1号", "category": "gas", "severity": "ordinary", "description": "管道锈蚀", "deadline": "2030-01-01", "responsible_person": "王五", "lead_unit_id": "$unit_id"}),
    api("GET", "/hazards/{hazard_id}", E(401, signed_in=200, other_staff=404)),
    api("GET", "/hazards/{hazard_id}/attachments", E(401, signed_in=200, other_staff=404)),
    api("POST", "/hazards/{hazard_id}/attachments", E(401, signed_in=201, leader=403, other_staff=404), data={"file": "$png_file"}, multipart=True),
    api("POST", "/hazards/{hazard_id}/close", E(401, signed_in=403, sup=409, other_staff=404), data={"version": "$hazard_version"}),
    api("POST", "/hazards/{hazard_id}/rectify", E(401, signed_in=200, leader=403, coop_staff=403, other_staff=404), data={"version": "$hazard_version", "rectification": "已更换软管"}),
    api("POST", "/hazards/{hazard_id}/review", E(401, signed_in=403, sup=409, other_staff=404), data={"version": "$hazard_version", "passed": True}),
    api("GET", "/instructions", E(401, signed_in=200)),
    api("POST", "/instructions", E(401, signed_in=403, sup=201), data={"text": "请抓好防汛。", "leader": "李市长", "date": "2026-05-01", "tasks": [{"title": "防汛", "lead_unit_id": "$unit_id", "deadline": "2030-01-01"}]}),
    api("GET", "/instructions/{instruction_id}", E(401, signed_in=200, other_staff=404)),
    api("POST", "/instructions/{instruction_id}/tasks", E(401, signed_in=403, sup=201, other_staff=404), data={"task": {"title": "新增任务", "lead_unit_id": "$unit_id", "deadline": "2030-01-01"}}),
    api("GET", "/lights", E(401, signed_in=200)),
    api("GET", "/livelihood", E(401, signed_in=200)),
    api("POST", "/livelihood", E(401, signed_in=403, sup=201), data={"title": "新增停车位", "indicator": "车位", "target": "50", "measure_unit": "个", "lead_unit_id": "$unit_id", "period_start": "2026-01-01", "period_end": "2026-12-31"}),
    api("GET", "/livelihood/{project_id}", E(401, signed_in=200, other_staff=404)),
    api("POST", "/livelihood/{project_id}/actuals", E(401, signed_in=201, leader=403, coop_staff=403, other_staff=404), data={"month": "2026-01-01", "value": "10"}),
    api("GET", "/me", E(401, signed_in=200)),
    api("GET", "/meetings", E(401, signed_in=200)),
    api("POST", "/meetings", E(401, signed_in=403, sup=201), data={"text": "市委常委会召开会议\n会议强调，要做好防汛工作，市应急管理局牵头。\n", "year": 2026}),
    api("POST", "/meetings/upload", E(401, signed_in=403, sup=201), data={"file": "$communique_file"}, multipart=True),
    api("GET", "/meetings/{meeting_id}", E(401, signed_in=200, other_staff=404)),
    api("POST", "/meetings/{meeting_id}/confirm", E(401, signed_in=403, sup=200, other_staff=404)),
    api("GET", "/notifications", E(401, signed_in=200)),
    api("POST", "/notifications/read", E(401, signed_in=200)),
    api("GET", "/phrases", E(401, signed_in=200)),
    api("GET", "/phrases/{phrase_id}", E(401, signed_in=404)),
    api("GET", "/reports", E(401, signed_in=200)),
    api("POST", "/reports/{report_id}/accept", E(401, signed_in=403, sup=200, other_staff=404)),
    api("POST", "/reports/{report_id}/return", E(401, signed_in=403, sup=200, other_staff=404), data={"reason": "请补充"}),
    api("GET", "/search", E(401, signed_in=200), data={"q": "燃气"}),
    api("GET", "/stats/dashboard", E(401, signed_in=200)),
    api("GET", "/stats/ranking", E(401, signed_in=200)),
    api("GET", "/supervision-notices/{notice_id}", E(401, signed_in=404)),
    api("GET", "/tasks", E(401, signed_in=200)),
    api("GET", "/tasks/{task_id}", E(401, signed_in=200, other_staff=404)),
    api("PATCH", "/tasks/{task_id}", E(401, signed_in=403, sup=200, other_staff=404), data={"version": "$task_version", "title": "矩阵改名"}),
    api("POST", "/tasks/{task_id}/accept", E(401, signed_in=403, lead=409, other_staff=404)),
    api("POST", "/tasks/{task_id}/assign", E(401, signed_in=403, sup=409, other_staff=404)),
    api("POST", "/tasks/{task_id}/close-request", E(401, signed_in=403, lead=201, other_staff=404), data={"text": "已完成", "evidence_text": "见附件"}, multipart=True),
    api("POST", "/tasks/{task_id}/decline", E(401, signed_in=403, lead=409, other_staff=404), data={"reason": "不属于本单位职责"}),
    api("GET", "/tasks/{task_id}/extensions", E(401, signed_in=200, other_staff=404)),
    api("POST", "/tasks/{task_id}/extensions", E(401, signed_in=403, lead=409, other_staff=404), data={"new_deadline": "2030-01-01", "reason": "工程量大"}),
    api("GET", "/tasks/{task_id}/light", E(401, signed_in=200, other_staff=404)),
    api("GET", "/tasks/{task_id}/reminders", E(401, signed_in=200, other_staff=404)),
    api("GET", "/tasks/{task_id}/reports", E(401, signed_in=200, other_staff=404)),
    api("POST", "/tasks/{task_id}/reassign", E(401, signed_in=403, sup=409, other_staff=404), data={"version": 999, "lead_unit_id": 1, "reason": "矩阵"}),
    api("POST", "/tasks/{task_id}/deadline", E(401, signed_in=403, sup=409, other_staff=404), data={"version": 999, "deadline": "2030-01-01", "reason": "矩阵"}),
    api("POST", "/tasks/{task_id}/urge", E(401, signed_in=403, sup=201, other_staff=404), data={"message": "矩阵催办"}),
    api("POST", "/tasks/{task_id}/supervision-notices", E(401, signed_in=403, sup=201, other_staff=404)),
    api("POST", "/tasks/{task_id}/reports", E(401, signed_in=403, lead=201, coop_staff=201, other_staff=404), data={"text": "矩阵报送", "progress_percent": 40}),
    api("POST", "/tasks/{task_id}/withdraw", E(401, signed_in=403, sup=200, other_staff=404), data={"reason": "重复"}),
    api("POST", "/tokens", E(401, signed_in=201)),
    api("GET", "/units", E(401, signed_in=200)),
    api("GET", "/units/{unit_id}", E(401, signed_in=200)),
]
