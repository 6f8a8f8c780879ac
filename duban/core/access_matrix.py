"""Who gets what from every URL: one row per page route and API operation, one expected status (or a small set)
per role. ``duban/core/tests/test_auth_matrix.py`` walks it with real objects and fails when a route has no row.

The world the rows assume (built by the test through the real actions): a confirmed meeting whose task
(``task_id``) is led by 市应急管理局 (lead_admin, lead_staff) with 市卫健委 cooperating (coop_staff) and accepted, a
submitted progress report on it (``report_id``) and one with a photo (``file_id``), a leader's 批示 proposing an earlier
deadline (``comment_id``), lead_staff's own account (``user_id``), a pending extension request (``request_id``), a leader instruction,
inspection case, livelihood project and hazard (with a photo ``attachment_id``), all assigned to the same units;
市教育局 (other_staff) has nothing to do with any of them. A 督办通知单 (``notice_id``), the evidence of a
completion request (``evidence_id``) and an e-mail delivery (``delivery_id``) exist on other tasks of the same
units; ``phrase_id`` points at nothing, so there the rule is "404 for everyone signed in".

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
    page("POST", r"^reports/briefing/(?P<meeting_id>\d+)\.(?P<fmt>docx|pdf)$", E(302, signed_in=403, sup=200, leader=200), params={"fmt": "docx"}),
    page("GET", r"^reports/circular\.(?P<fmt>docx|pdf)$", E(302, signed_in=403, sup=200, leader=200), params={"fmt": "docx"}),
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
    page("GET", "followup/comments/<int:comment_id>/confirm-deadline/", E(302, signed_in=405)),
    page("POST", "followup/comments/<int:comment_id>/confirm-deadline/", E(302, signed_in=403, sup=302, other_staff=404)),
    page("GET", "followup/comments/<int:comment_id>/decline-deadline/", E(302, signed_in=405)),
    page("POST", "followup/comments/<int:comment_id>/decline-deadline/", E(302, signed_in=403, sup=302, other_staff=404), data={"reason": "时限过紧"}),
    page("GET", "followup/me/contact/", E(302, signed_in=200)),
    page("POST", "followup/me/contact/", E(302, signed_in=302), data={"mobile": "13800000000"}),
    # user_id is 市卫健委's coop_staff: their own contact page, the sysadmin's, nobody else's.
    page("GET", "followup/users/<int:user_id>/contact/", E(302, signed_in=404, sysadmin=200, coop_staff=200)),
    page("POST", "followup/users/<int:user_id>/contact/", E(302, signed_in=404, sysadmin=302, coop_staff=302), data={"wecom_userid": "lisi"}),
    page("GET", "followup/deliveries/", E(302, signed_in=403, sysadmin=200)),
    page("GET", "followup/undelivered/", E(302, signed_in=403, sup=200)),
    page("GET", "followup/deliveries/<int:delivery_id>/retry/", E(302, signed_in=405)),
    page("POST", "followup/deliveries/<int:delivery_id>/retry/", E(302, signed_in=404, sysadmin=302)),
    page("GET", "followup/evidence/<int:evidence_id>/", E(302, signed_in=200, other_staff=404)),
    # the requests waiting for the viewer's decision: the office's and a district 督查室's; an empty list for others
    page("GET", "followup/extensions/", E(302, signed_in=200)),
    page("GET", "followup/extensions/<int:request_id>/approve/", E(302, signed_in=405)),
    page("POST", "followup/extensions/<int:request_id>/approve/", E(302, signed_in=403, sup=302, other_staff=404)),
    page("GET", "followup/extensions/<int:request_id>/reject/", E(302, signed_in=405)),
    page("POST", "followup/extensions/<int:request_id>/reject/", E(302, signed_in=403, sup=302, other_staff=404), data={"reason": "理由不充分"}),
    page("GET", "followup/notices/<int:notice_id>/", E(302, signed_in=200, other_staff=404)),
    page("GET", "followup/reports/<int:report_id>/accept/", E(302, signed_in=405)),
    page("POST", "followup/reports/<int:report_id>/accept/", E(302, signed_in=403, sup=302, other_staff=404)),
    page("GET", "followup/reports/<int:report_id>/return/", E(302, signed_in=405)),
    page("POST", "followup/reports/<int:report_id>/return/", E(302, signed_in=403, sup=302, other_staff=404), data={"reason": "请补充"}),
    page("GET", "followup/tasks/<int:task_id>/close-request/", E(302, signed_in=405)),
    page("POST", "followup/tasks/<int:task_id>/close-request/", E(302, signed_in=403, lead=302, other_staff=404), data={"text": "已完成", "evidence_text": "见附件"}),
    page("GET", "followup/tasks/<int:task_id>/comments/", E(302, signed_in=405)),
    page("POST", "followup/tasks/<int:task_id>/comments/", E(302, signed_in=403, leader=302, other_staff=404), data={"text": "请加快进度"}),
    page("GET", "followup/tasks/<int:task_id>/watch/", E(302, signed_in=405)),
    page("POST", "followup/tasks/<int:task_id>/watch/", E(302, signed_in=403, leader=302, other_staff=404), data={"watching": "1"}),
    page("GET", "followup/watchlist/", E(302, signed_in=200)),
    page("GET", "followup/tasks/<int:task_id>/deliveries/", E(302, signed_in=404, sup=200)),
    page("GET", "followup/tasks/<int:task_id>/notice/", E(302, signed_in=405)),
    page("POST", "followup/tasks/<int:task_id>/notice/", E(302, signed_in=403, sup=302, other_staff=404)),
    page("GET", "followup/tasks/<int:task_id>/urge/", E(302, signed_in=405)),
    page("POST", "followup/tasks/<int:task_id>/urge/", E(302, signed_in=403, sup=302, other_staff=404), data={"message": "矩阵催办"}),
    page("GET", "followup/tasks/<int:task_id>/extension/", E(302, signed_in=405)),
    page("POST", "followup/tasks/<int:task_id>/extension/", E(302, signed_in=403, lead=302, other_staff=404), data={"new_deadline": "2030-01-01", "reason": "工程量大"}),
    # Administration: the person is 市卫健委's (a unit admin of 市应急管理局 meets "not found"); the unit is 市应急管理局.
    page("GET", "manage/people/", E(302, signed_in=403, sysadmin=200, lead_admin=200)),
    page("GET", "manage/people/new/", E(302, signed_in=405)),
    page("POST", "manage/people/new/", E(302, signed_in=403, sysadmin=302, lead_admin=302), data={"username": "matrix_page", "password": "Matrix-pass-2026!", "role": "unit_staff", "unit": "$unit_id", "display_name": "矩阵"}),
    page("GET", "manage/people/import/", E(302, signed_in=403, sysadmin=200, lead_admin=200)),
    page("POST", "manage/people/import/", E(302, signed_in=403, sysadmin=200, lead_admin=200), data={"do": "preview"}),
    page("GET", "manage/people/<int:user_id>/", E(302, signed_in=403, sysadmin=200, lead_admin=404)),
    page("POST", "manage/people/<int:user_id>/", E(302, signed_in=403, sysadmin=302, lead_admin=404), data={"version": "$person_version", "display_name": "改名"}),
    page("GET", "manage/people/<int:user_id>/deactivate/", E(302, signed_in=405)),
    page("POST", "manage/people/<int:user_id>/deactivate/", E(302, signed_in=403, sysadmin=302, lead_admin=404), data={"reason": "调离"}),
    page("GET", "manage/people/<int:user_id>/move/", E(302, signed_in=405)),
    page("POST", "manage/people/<int:user_id>/move/", E(302, signed_in=403, sysadmin=302, lead_admin=404), data={"version": "$person_version", "unit": "$other_unit_id"}),
    page("GET", "manage/people/<int:user_id>/password-reset/", E(302, signed_in=403, sysadmin=200, lead_admin=404)),
    page("POST", "manage/people/<int:user_id>/password-reset/", E(302, signed_in=403, sysadmin=302, lead_admin=404)),
    page("GET", "manage/people/<int:user_id>/reactivate/", E(302, signed_in=405)),
    page("POST", "manage/people/<int:user_id>/reactivate/", E(302, signed_in=403, sysadmin=302, lead_admin=404)),
    page("GET", "manage/people/<int:user_id>/unlock/", E(302, signed_in=405)),
    page("POST", "manage/people/<int:user_id>/unlock/", E(302, signed_in=403, sysadmin=302, lead_admin=404)),
    page("GET", "manage/units/", E(302, signed_in=403, sysadmin=200)),
    page("GET", "manage/units/new/", E(302, signed_in=405)),
    page("POST", "manage/units/new/", E(302, signed_in=403, sysadmin=302), data={"name": "矩阵页面单位", "parent": "$unit_id"}),
    page("GET", "manage/units/import/", E(302, signed_in=403, sysadmin=200)),
    page("POST", "manage/units/import/", E(302, signed_in=403, sysadmin=200), data={"do": "preview"}),
    page("GET", "manage/units/<int:unit_id>/", E(302, signed_in=403, sysadmin=200)),
    page("POST", "manage/units/<int:unit_id>/", E(302, signed_in=403, sysadmin=302), data={"version": "$unit_version", "contact_phone": "0519-1"}),
    page("GET", "manage/units/<int:unit_id>/deactivate/", E(302, signed_in=405)),
    page("POST", "manage/units/<int:unit_id>/deactivate/", E(302, signed_in=403, sysadmin=302), data={"version": "$unit_version"}),
    page("GET", "manage/units/<int:unit_id>/merge/", E(302, signed_in=405)),
    page("POST", "manage/units/<int:unit_id>/merge/", E(302, signed_in=403, sysadmin=302), data={"version": "$unit_version", "into": "$other_unit_id"}),
    page("GET", "manage/units/<int:unit_id>/rename/", E(302, signed_in=405)),
    page("POST", "manage/units/<int:unit_id>/rename/", E(302, signed_in=403, sysadmin=302), data={"version": "$unit_version", "name": "市应急管理局（新）"}),
    page("GET", "manage/areas/", E(302, signed_in=403, sysadmin=200)),
    page("GET", "manage/areas/new/", E(302, signed_in=405)),
    page("POST", "manage/areas/new/", E(302, signed_in=403, sysadmin=302), data={"name": "矩阵页面领域"}),
    page("GET", "manage/areas/<int:area_id>/rename/", E(302, signed_in=405)),
    page("POST", "manage/areas/<int:area_id>/rename/", E(302, signed_in=403, sysadmin=302), data={"name": "民生工程"}),
    page("GET", "manage/areas/<int:area_id>/active/", E(302, signed_in=405)),
    page("POST", "manage/areas/<int:area_id>/active/", E(302, signed_in=403, sysadmin=302), data={"active": "1"}),
    page("GET", "meetings/", E(302, signed_in=200)),
    page("GET", "meetings/<int:meeting_id>/", E(302, signed_in=200, other_staff=404)),
    page("GET", "meetings/<int:meeting_id>/confirm/", E(302, signed_in=405)),
    page("POST", "meetings/<int:meeting_id>/confirm/", E(302, signed_in=403, sup=302, other_staff=404)),
    page("GET", "meetings/<int:meeting_id>/merge/", E(302, signed_in=405)),
    # Merging one task with itself is refused as invalid input (a redirect with a message) before the role check.
    page("POST", "meetings/<int:meeting_id>/merge/", E(302, signed_in=302, other_staff=404), data={"task_ids": ["$task_id", "$task_id"]}),
    page("GET", "meetings/<int:meeting_id>/withdraw/", E(302, signed_in=405)),
    # The meeting is confirmed: the office is let in and the withdrawal refused on its merits (a redirect).
    page("POST", "meetings/<int:meeting_id>/withdraw/", E(302, signed_in=403, sup=302, other_staff=404), data={"reason": "重复导入"}),
    page("GET", "meetings/<int:meeting_id>/date/", E(302, signed_in=405)),
    # The world's meeting is confirmed: the office is let in and refused on the merits (back to the page).
    page("POST", "meetings/<int:meeting_id>/date/", E(302, signed_in=403, sup=302, other_staff=404),
         data={"date": "2026-01-05", "version": "1"}),
    page("GET", "meetings/<int:meeting_id>/add-task/", E(302, signed_in=405)),
    # The world's meeting is confirmed: the office is let in and refused on the merits (back to the page).
    page("POST", "meetings/<int:meeting_id>/add-task/", E(302, signed_in=403, sup=302, other_staff=404),
         data={"text": "会议还要求做好冬季供暖保障。"}),
    page("GET", "meetings/<int:meeting_id>/facts/", E(302, signed_in=405)),
    page("POST", "meetings/<int:meeting_id>/facts/", E(302, signed_in=403, sup=302, other_staff=404),
         data={"version": "1", "title": "2026年1月5日市委常委会第1次会议"}),
    page("GET", "meetings/<int:meeting_id>/bulk-edit/", E(302, signed_in=405)),
    page("POST", "meetings/<int:meeting_id>/bulk-edit/", E(302, signed_in=403, sup=302, other_staff=404), data={"task_ids": ["$task_id"], "deadline": "2030-01-01"}),
    page("GET", "meetings/import/", E(302, signed_in=403, sup=200)),
    # Scans are the office's: anyone else gets 404, as for an id that does not exist. The job is still queued,
    # so cancelling succeeds and importing its text is refused on its merits.
    page("GET", "meetings/scans/<int:job_id>/", E(302, signed_in=404, sup=200)),
    page("POST", "meetings/scans/<int:job_id>/", E(302, signed_in=404, sup=200), data={"text": "会议要求，要做好防汛工作。"}),
    page("GET", "meetings/scans/<int:job_id>/progress/", E(302, signed_in=404, sup=200)),
    page("GET", "meetings/scans/<int:job_id>/cancel/", E(302, signed_in=405)),
    page("POST", "meetings/scans/<int:job_id>/cancel/", E(302, signed_in=404, sup=302)),
    page("GET", "meetings/scans/<int:job_id>/pages/<int:page>.png", E(302, signed_in=404, sup=200)),
    page("GET", "meetings/responsibility/", E(302, signed_in=200)),
    page("POST", "meetings/responsibility/", E(302, signed_in=403, sup=200), data={"name": "市林业局", "keywords": "候鸟", "sample": "会议强调，要保护候鸟。", "do": "preview"}),
    page("GET", "meetings/responsibility/export.toml", E(302, signed_in=403, office=200)),
    page("POST", "meetings/import/", E(302, signed_in=403, sup=200)),
    page("GET", "help/", E(302, signed_in=200)),
    page("GET", "help/<slug:page>.md", E(302, signed_in=200), params={"page": "office"}),
    page("GET", "help/img/<str:name>", E(302, signed_in=200), params={"name": "office-workbench.png"}),
    page("GET", "notifications/", E(302, signed_in=200)),
    page("GET", "workbench/count/", E(302, signed_in=200)),
    page("GET", "notifications/read/", E(302, signed_in=405)),
    page("POST", "notifications/read/", E(302)),
    # OpenID Connect is off in this world (no DUBAN_OIDC_CLIENT_ID): its routes answer 404 to everyone.
    page("GET", "oidc/authenticate/", E(404)),
    page("GET", "oidc/callback/", E(404)),
    page("GET", "phrases/", E(302, signed_in=200)),
    page("GET", "phrases/<int:phrase_id>/", E(302, signed_in=404)),
    page("GET", "reports/", E(302, signed_in=200)),
    page("GET", "reports/calendar/", E(302, signed_in=200)),
    page("POST", "reports/calendar/", E(302, signed_in=200)),
    page("GET", "reports/ledger/export.xlsx", E(302, signed_in=200)),
    page("GET", "reports/ledger/import/", E(302, signed_in=403, sup=200)),
    page("POST", "reports/ledger/import/", E(302, signed_in=403, sup=200)),
    page("GET", "reports/ranking/", E(302, signed_in=200)),
    page("GET", "reports/document-settings/", E(302, signed_in=403, sysadmin=200)),
    page("POST", "reports/document-settings/", E(302, signed_in=403, sysadmin=302), data={"issuer": "县政府督查室", "number_code": "督查", "addressee": "各有关单位"}),
    page("GET", "reports/score-rules/", E(302, signed_in=200)),
    page("POST", "reports/score-rules/", E(302, signed_in=403, sup=302), data={"on_time": "100", "per_overdue_workday": "2", "per_return": "5", "floor": "0", "per_early_workday": "0", "max_early_bonus": "0", "effective_from": "2099-01-01"}),
    page("GET", "reports/score-rules/adjust/", E(302, signed_in=405)),
    page("POST", "reports/score-rules/adjust/", E(302, signed_in=403, sup=302), data={"unit_id": "$unit_id", "points": "2", "reason": "表扬", "on": "2026-06-01"}),
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
    page("POST", "sources/hazards/<int:hazard_id>/attachments/", E(302, signed_in=302, leader=403, other_staff=404), data={"files": "$png_file"}),
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
    page("GET", "sources/livelihood/<int:project_id>/target/", E(302, signed_in=405)),
    page("POST", "sources/livelihood/<int:project_id>/target/", E(302, signed_in=403, sup=302, other_staff=404), data={"seen_target": "100", "target": "80", "reason": "经批准调整"}),
    page("GET", "sources/livelihood/new/", E(302, signed_in=403, sup=200)),
    page("POST", "sources/livelihood/new/", E(302, signed_in=403, sup=200)),
    page("GET", "tasks/", E(302, signed_in=200)),
    # whether a date is a working day (the official calendar: nothing of anyone's)
    page("GET", "tasks/deadline-note/", E(302, signed_in=200)),
    page("GET", "tasks/<int:task_id>/", E(302, signed_in=200, other_staff=404)),
    page("GET", "tasks/<int:task_id>/accept/", E(302, signed_in=405)),
    page("POST", "tasks/<int:task_id>/accept/", E(302, signed_in=403, lead=302, other_staff=404)),
    page("GET", "tasks/<int:task_id>/assign/", E(302, signed_in=405)),
    page("POST", "tasks/<int:task_id>/assign/", E(302, signed_in=403, sup=302, other_staff=404)),
    # 分解下达: the office (and a lead unit's own 督查室, walked in test_levels_matrix.py); version 999 is stale
    page("GET", "tasks/<int:task_id>/decompose/", E(302, signed_in=405)),
    page("POST", "tasks/<int:task_id>/decompose/", E(302, signed_in=403, sup=302, other_staff=404), data={"version": "999", "lead_0": "$unit_id"}),
    page("GET", "tasks/<int:task_id>/deadline/", E(302, signed_in=405)),
    page("POST", "tasks/<int:task_id>/deadline/", E(302, signed_in=403, sup=302, other_staff=404), data={"version": "999", "deadline": "2030-01-01", "reason": "矩阵"}),
    page("GET", "tasks/<int:task_id>/decline/", E(302, signed_in=405)),
    page("POST", "tasks/<int:task_id>/decline/", E(302, signed_in=403, lead=302, other_staff=404), data={"reason": "不属于本单位职责"}),
    page("GET", "tasks/<int:task_id>/edit/", E(302, signed_in=403, sup=200, other_staff=404)),
    page("POST", "tasks/<int:task_id>/edit/", E(302, signed_in=403, sup=200, other_staff=404)),
    page("GET", "tasks/<int:task_id>/reassign/", E(302, signed_in=405)),
    page("POST", "tasks/<int:task_id>/reassign/", E(302, signed_in=403, sup=302, other_staff=404), data={"version": "999", "lead_unit": "$unit_id", "reason": "矩阵"}),
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
    page("GET", "tasks/report-files/<int:file_id>/", E(302, signed_in=200, other_staff=404)),
    page("GET", "tasks/close-evidence-rules/", E(302, signed_in=403, sup=200)),
    page("POST", "tasks/close-evidence-rules/", E(302, signed_in=403, sup=302), data={"required": ["hazard"]}),
    api("GET", "/areas", E(401, signed_in=200)),
    api("GET", "/cases", E(401, signed_in=200)),
    api("POST", "/cases", E(401, signed_in=403, sup=201), data={"case_number": "DC-2026-099", "complaint": "噪声扰民", "lead_unit_id": "$unit_id"}),
    api("GET", "/cases/{case_id}", E(401, signed_in=200, other_staff=404)),
    api("POST", "/cases/{case_id}/rectification", E(401, signed_in=403, sup=200, other_staff=404), data={"version": "$case_version", "rectification": "已整改", "disclose": True}),
    api("GET", "/deliveries", E(401, signed_in=403, sysadmin=200)),
    api("GET", "/reminders/undelivered", E(401, signed_in=403, sup=200)),
    api("POST", "/deliveries/{delivery_id}/retry", E(401, signed_in=404, sysadmin=200)),
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
    api("POST", "/livelihood", E(401, signed_in=403, sup=201), data={"title": "新增停车位", "indicator": "车位", "target": "50", "measure_unit": "个", "lead_unit_id": "$unit_id", "period_start": "2026-01-01", "period_end": "2030-12-31"}),
    api("GET", "/livelihood/{project_id}", E(401, signed_in=200, other_staff=404)),
    api("POST", "/livelihood/{project_id}/actuals", E(401, signed_in=201, leader=403, coop_staff=403, other_staff=404), data={"month": "2026-01-01", "value": "10"}),
    api("GET", "/me", E(401, signed_in=200)),
    api("GET", "/meetings", E(401, signed_in=200)),
    api("POST", "/meetings", E(401, signed_in=403, sup=201), data={"text": "市委常委会召开会议\n会议强调，要做好防汛工作，市应急管理局牵头。\n", "year": 2026}),
    api("POST", "/meetings/upload", E(401, signed_in=403, sup=201), data={"file": "$communique_file"}, multipart=True),
    api("GET", "/meetings/{meeting_id}", E(401, signed_in=200, other_staff=404)),
    api("POST", "/meetings/{meeting_id}/confirm", E(401, signed_in=403, sup=200, other_staff=404)),
    api("GET", "/meetings/scans/{job_id}", E(401, signed_in=404, sup=200)),
    api("POST", "/meetings/scans/{job_id}/import", E(401, signed_in=404, sup=409), data={"text": "会议要求，要做好防汛工作。"}),
    api("POST", "/meetings/scans/{job_id}/cancel", E(401, signed_in=404, sup=200)),
    api("POST", "/meetings/{meeting_id}/withdraw", E(401, signed_in=403, sup=409, other_staff=404), data={"reason": "重复导入"}),
    api("GET", "/notifications", E(401, signed_in=200)),
    api("POST", "/notifications/read", E(401, signed_in=200)),
    api("GET", "/people", E(401, signed_in=403, sysadmin=200, lead_admin=200)),
    api("POST", "/people", E(401, signed_in=403, sysadmin=201, lead_admin=201), data={"username": "matrix_person", "password": "Matrix-pass-2026!", "role": "unit_staff", "unit_id": "$unit_id", "display_name": "矩阵"}),
    # The person is 市卫健委's: the unit admin of 市应急管理局 meets "not found", as for a missing id.
    api("GET", "/people/{user_id}", E(401, signed_in=403, sysadmin=200, lead_admin=404)),
    api("PATCH", "/people/{user_id}", E(401, signed_in=403, sysadmin=200, lead_admin=404), data={"version": "$person_version", "display_name": "改名"}),
    api("POST", "/people/{user_id}/deactivate", E(401, signed_in=403, sysadmin=200, lead_admin=404), data={"reason": "调离"}),
    api("POST", "/people/{user_id}/move", E(401, signed_in=403, sysadmin=200, lead_admin=404), data={"version": "$person_version", "unit_id": "$other_unit_id"}),
    api("POST", "/people/{user_id}/password-reset", E(401, signed_in=403, sysadmin=200, lead_admin=404)),
    api("POST", "/people/{user_id}/reactivate", E(401, signed_in=403, sysadmin=200, lead_admin=404)),
    api("POST", "/people/{user_id}/unlock", E(401, signed_in=403, sysadmin=200, lead_admin=404)),
    api("GET", "/phrases", E(401, signed_in=200)),
    api("GET", "/phrases/{phrase_id}", E(401, signed_in=404)),
    api("GET", "/reports", E(401, signed_in=200)),
    api("POST", "/reports/{report_id}/accept", E(401, signed_in=403, sup=200, other_staff=404)),
    api("POST", "/reports/{report_id}/return", E(401, signed_in=403, sup=200, other_staff=404), data={"reason": "请补充"}),
    api("GET", "/search", E(401, signed_in=200), data={"q": "燃气"}),
    api("GET", "/stats/dashboard", E(401, signed_in=200)),
    api("GET", "/stats/ranking", E(401, signed_in=200)),
    api("GET", "/supervision-notices/{notice_id}", E(401, signed_in=200, other_staff=404)),
    api("GET", "/tasks", E(401, signed_in=200)),
    api("GET", "/tasks/{task_id}", E(401, signed_in=200, other_staff=404)),
    api("PATCH", "/tasks/{task_id}", E(401, signed_in=403, sup=200, other_staff=404), data={"version": "$task_version", "title": "矩阵改名"}),
    api("POST", "/tasks/{task_id}/accept", E(401, signed_in=403, lead=409, other_staff=404)),
    api("POST", "/tasks/{task_id}/assign", E(401, signed_in=403, sup=409, other_staff=404)),
    api("GET", "/tasks/{task_id}/comments", E(401, signed_in=200, other_staff=404)),
    api("POST", "/tasks/{task_id}/comments", E(401, signed_in=403, leader=201, other_staff=404), data={"text": "请加快进度"}),
    api("POST", "/comments/{comment_id}/confirm-deadline", E(401, signed_in=403, sup=200, other_staff=404), data={}),
    api("POST", "/comments/{comment_id}/decline-deadline", E(401, signed_in=403, sup=200, other_staff=404), data={"reason": "时限过紧"}),
    api("POST", "/tasks/{task_id}/watch", E(401, signed_in=403, leader=200, other_staff=404), data={"watching": True}),
    api("GET", "/watchlist", E(401, signed_in=200)),
    api("GET", "/users/{user_id}/contact", E(401, signed_in=404, sysadmin=200, coop_staff=200)),
    api("PUT", "/users/{user_id}/contact", E(401, signed_in=404, sysadmin=200, coop_staff=200), data={"mobile": "13800000000"}),
    api("POST", "/tasks/{task_id}/close-request", E(401, signed_in=403, lead=201, other_staff=404), data={"text": "已完成", "evidence_text": "见附件"}, multipart=True),
    api("POST", "/tasks/{task_id}/decline", E(401, signed_in=403, lead=409, other_staff=404), data={"reason": "不属于本单位职责"}),
    api("GET", "/tasks/{task_id}/extensions", E(401, signed_in=200, other_staff=404)),
    api("POST", "/tasks/{task_id}/extensions", E(401, signed_in=403, lead=409, other_staff=404), data={"new_deadline": "2030-01-01", "reason": "工程量大"}),
    api("GET", "/tasks/{task_id}/light", E(401, signed_in=200, other_staff=404)),
    api("GET", "/tasks/{task_id}/reminders", E(401, signed_in=200, other_staff=404)),
    api("GET", "/tasks/{task_id}/reports", E(401, signed_in=200, other_staff=404)),
    api("POST", "/tasks/{task_id}/reassign", E(401, signed_in=403, sup=409, other_staff=404), data={"version": 999, "lead_unit_id": "$unit_id", "reason": "矩阵"}),
    api("POST", "/tasks/{task_id}/decompose", E(401, signed_in=403, sup=409, other_staff=404), data={"version": 999, "parts": [{"lead_unit_id": "$unit_id"}]}),
    api("POST", "/tasks/{task_id}/deadline", E(401, signed_in=403, sup=409, other_staff=404), data={"version": 999, "deadline": "2030-01-01", "reason": "矩阵"}),
    api("POST", "/tasks/{task_id}/urge", E(401, signed_in=403, sup=201, other_staff=404), data={"message": "矩阵催办"}),
    api("POST", "/tasks/{task_id}/supervision-notices", E(401, signed_in=403, sup=201, other_staff=404)),
    api("POST", "/tasks/{task_id}/reports", E(401, signed_in=403, lead=201, coop_staff=201, other_staff=404), data={"text": "矩阵报送", "progress_percent": 40}),
    api("POST", "/tasks/{task_id}/withdraw", E(401, signed_in=403, sup=200, other_staff=404), data={"reason": "重复"}),
    api("POST", "/tokens", E(401, signed_in=201)),
    api("GET", "/tokens", E(401, signed_in=200)),
    api("POST", "/tokens/{token_id}/revoke", E(401, signed_in=404), params={"token_id": 999999}),
    api("GET", "/units", E(401, signed_in=200)),
    api("POST", "/units", E(401, signed_in=403, sysadmin=201), data={"name": "矩阵新单位", "parent_id": "$unit_id"}),
    api("GET", "/units/{unit_id}", E(401, signed_in=200)),
    api("PATCH", "/units/{unit_id}", E(401, signed_in=403, sysadmin=200), data={"version": "$unit_version", "contact_phone": "0519-88888888"}),
    # 市应急管理局 still leads open tasks: retiring it is refused on its merits (merge it instead).
    api("POST", "/units/{unit_id}/deactivate", E(401, signed_in=403, sysadmin=409), data={"version": "$unit_version"}),
    api("POST", "/units/{unit_id}/merge", E(401, signed_in=403, sysadmin=200), data={"version": "$unit_version", "into_id": "$other_unit_id"}),
    api("POST", "/units/{unit_id}/rename", E(401, signed_in=403, sysadmin=200), data={"version": "$unit_version", "name": "市应急管理局（新）"}),
]
