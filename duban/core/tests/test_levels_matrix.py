"""The authorization matrix across levels: for the endpoints of 分解下达 and of each level's supervision, every
role of the city, a district (its 督查室 and staff), its two townships and a sibling district against a parent
(the district's part), its children (the townships' parts, siblings of each other) and the sibling district's
part. Each request runs in a savepoint that is rolled back, as in test_auth_matrix.py.

Reading the statuses as there: out of scope is 404, in scope without the right 403, let in and refused on the
merits 409 (the stale version 999; a parent with open sub-tasks), 302 a page's "done, go back"."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from duban.core.audit import EventType
from duban.core.models import AuditEvent
from duban.tasks.tests.levels_world import make_levels

ROLES = ("anonymous", "supervisor", "leader", "district_sup", "district_staff", "town_a_staff", "town_b_staff",
         "district2_staff")
TARGETS = ("city", "part", "town_a", "town_b", "part2")  # part: parent of town_a and town_b; part2: its sibling


def expect(**by) -> dict[str, int]:
    return {role: by.get(role, 404) for role in ROLES}


# Who may read each task: the city and leaders everything; a district its part and the parts it issued; a
# township its own part; the sibling district its own. Anyone who sees a part may open the tasks above it
# read-only (the city task for everyone below it, the district's part for its townships), never a sibling's.
READ = {
    "city": expect(anonymous=302, supervisor=200, leader=200, district_sup=200, district_staff=200, town_a_staff=200,
                   town_b_staff=200, district2_staff=200),
    "part": expect(anonymous=302, supervisor=200, leader=200, district_sup=200, district_staff=200, town_a_staff=200,
                   town_b_staff=200),
    "town_a": expect(anonymous=302, supervisor=200, leader=200, district_sup=200, district_staff=200,
                     town_a_staff=200),
    "town_b": expect(anonymous=302, supervisor=200, leader=200, district_sup=200, district_staff=200,
                     town_b_staff=200),
    "part2": expect(anonymous=302, supervisor=200, leader=200, district2_staff=200),
}


# Those who read a task only as the ancestor of their own part: the task's API (a full read) stays 404 for them.
ABOVE_ONLY = {
    "city": dict.fromkeys(("district_sup", "district_staff", "town_a_staff", "town_b_staff", "district2_staff"), 404),
    "part": dict.fromkeys(("town_a_staff", "town_b_staff"), 404),
}


def _split(read: dict, allowed: tuple[str, ...], ok: int, anonymous: int) -> dict:
    """Splitting: 404 where the task cannot be read, ``ok`` (let in, then the stale version refused) for
    ``allowed``, 403 for the other readers."""
    return {role: anonymous if role == "anonymous" else 404 if read[role] == 404 else ok if role in allowed else 403
            for role in ROLES}


# The office splits what it issued (the city task, the districts' parts); a district's 督查室 its own part and
# what it issued (the townships' parts); the city does not split what a district issued.
SPLITTERS = {"city": ("supervisor",), "part": ("supervisor", "district_sup"), "town_a": ("district_sup",),
             "town_b": ("district_sup",), "part2": ("supervisor",)}


@pytest.fixture
def levels(org, django_capture_on_commit_callbacks):
    lv = make_levels(org)
    city, part, part2, town_a, town_b = lv.world()
    tasks = {"city": city, "part": part, "part2": part2, "town_a": town_a, "town_b": town_b}
    # close requests waiting: on a township's part (its sub-task, the district's to sign off) and on the
    # district's part, whose townships are still open (the office's, and only with a reason)
    town_report = lv.ask_to_close(lv.town_a_staff, town_a)
    part_report = lv.ask_to_close(lv.district_staff, part)
    clients = {"anonymous": Client()}
    users = {"supervisor": org.supervisor, "leader": org.leader, "district_sup": lv.district_sup,
             "district_staff": lv.district_staff, "town_a_staff": lv.town_a_staff, "town_b_staff": lv.town_b_staff,
             "district2_staff": lv.district2_staff}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    return lv, tasks, {"town_a": town_report, "part": part_report}, clients


def _observe(clients, call, roles=ROLES) -> dict[str, int]:
    seen = {}
    for role in roles:
        block = transaction.atomic()
        block._from_testcase = True
        with block:
            seen[role] = call(clients[role])
            transaction.set_rollback(True)
    return seen


def _rows(levels):
    lv, tasks, reports, clients = levels
    town = lv.town_a.pk
    for name in TARGETS:
        pk = tasks[name].pk
        yield f"GET page {name}", lambda c, pk=pk: c.get(f"/tasks/{pk}/").status_code, READ[name]
        # the API reads a task in full: the tasks above one's own part are the page's only (read in part)
        yield (f"GET api {name}", lambda c, pk=pk: c.get(f"/api/v1/tasks/{pk}").status_code,
               {**READ[name], "anonymous": 401, **ABOVE_ONLY.get(name, {})})
        yield (f"POST page decompose {name}",
               lambda c, pk=pk: c.post(f"/tasks/{pk}/decompose/", {"version": "999", "lead_0": town}).status_code,
               _split(READ[name], SPLITTERS[name], 302, 302))
        yield (f"POST api decompose {name}",
               lambda c, pk=pk: c.post(f"/api/v1/tasks/{pk}/decompose",
                                       {"version": 999, "parts": [{"lead_unit_id": town}]},
                                       content_type="application/json").status_code,
               _split(READ[name], SPLITTERS[name], 409, 401))
    # the tasks above one's own part are read-only: every write on them is 403 for those who may only read them
    for name in ("city", "part"):
        pk = tasks[name].pk
        for label, route, api in (("accept", "accept", False), ("withdraw", "withdraw", False),
                                  ("report", "report", False), ("accept", "accept", True),
                                  ("report", "reports", True), ("withdraw", "withdraw", True)):
            url = f"/api/v1/tasks/{pk}/{route}" if api else f"/tasks/{pk}/{route}/"
            data = {"text": "越级报送", "progress_percent": 10, "reason": "越级撤销"}
            readers = list(ABOVE_ONLY[name])
            yield (f"POST {'api' if api else 'page'} {label} {name} (read above)",
                   lambda c, url=url, data=data, api=api: (
                       c.post(url, data, content_type="application/json") if api else c.post(url, data)).status_code,
                   {role: 403 for role in readers}, readers)
    town_report, part_report = reports["town_a"].pk, reports["part"].pk
    # a township's close request: signed off by the district's 督查室 that issued it, read-only above
    yield ("POST api accept town_a close",
           lambda c: c.post(f"/api/v1/reports/{town_report}/accept", {}, content_type="application/json").status_code,
           {**_split(READ["town_a"], ("district_sup",), 200, 401)})
    yield ("POST page accept town_a close",
           lambda c: c.post(f"/followup/reports/{town_report}/accept/").status_code,
           {**_split(READ["town_a"], ("district_sup",), 302, 302)})
    # the district's part has open sub-tasks: the office is let in and refused without a reason (409); its
    # reports are not read from below (those reading the part only as their parent get 404)
    part_read = {**READ["part"], **ABOVE_ONLY["part"]}
    yield ("POST api accept part close",
           lambda c: c.post(f"/api/v1/reports/{part_report}/accept", {}, content_type="application/json").status_code,
           {**_split(part_read, ("supervisor",), 409, 401)})
    yield ("POST api accept part close overridden",
           lambda c: c.post(f"/api/v1/reports/{part_report}/accept", {"override_reason": "乡镇已线下报结"},
                            content_type="application/json").status_code,
           {**_split(part_read, ("supervisor",), 200, 401)})


@pytest.mark.slow
def test_each_level_gets_the_expected_status(levels):
    wrong = []
    for label, call, expected, *only in _rows(levels):
        roles = only[0] if only else ROLES
        seen = _observe(levels[3], call, roles)
        bad = {role: (seen[role], expected[role]) for role in roles if seen[role] != expected[role]}
        if bad:
            wrong.append(f"{label}: {bad}")
    assert not wrong, "role → (got, expected):\n" + "\n".join(wrong)
    # every request above was rolled back: no sub-task was added and nothing was signed off
    assert not AuditEvent.objects.filter(event_type__in=(EventType.TASK_CLOSED_OVER_OPEN_SUBTASKS,)).exists()
