"""The demo that `make demo` loads: enough to show every page, and loading it twice changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from duban.core.audit import audit_verify
from duban.core.models import AuditEvent, Notification, Role, Unit
from duban.demo.loader import load_demo
from duban.followup.lights import task_light
from duban.tasks.models import ProgressReport, Task, TaskStatus

pytestmark = pytest.mark.django_db


def test_demo_has_units_one_user_per_role_and_work_under_way():
    today = dt.date(2026, 11, 25)
    summary = load_demo(today=today)
    assert Unit.objects.count() >= 20
    roles = set(get_user_model().objects.filter(profile__isnull=False).values_list("profile__role", flat=True))
    assert roles == set(Role.values)
    tasks = Task.objects.filter(meeting_id=summary.meeting_id)
    assert tasks.count() >= 30
    assert not tasks.filter(status=TaskStatus.DRAFT).exists()
    assert not tasks.filter(lead_unit__isnull=True).exists() and not tasks.filter(deadline__isnull=True).exists()
    assert tasks.filter(status=TaskStatus.CLOSED).exists()
    assert ProgressReport.objects.filter(request_close=False).exists()
    lights = {task_light(t, today).code for t in tasks.exclude(status=TaskStatus.CLOSED) if task_light(t, today)}
    assert {"red", "green"} <= lights
    assert audit_verify() == []

    counts = (Task.objects.count(), AuditEvent.objects.count(), Notification.objects.count())
    again = load_demo(today=today)
    assert (again.meeting_id, again.units, again.users) == (summary.meeting_id, summary.units, summary.users)
    # nothing made, nothing changed, nobody told: the tasks of every source, the audit trail and the notices
    assert (Task.objects.count(), AuditEvent.objects.count(), Notification.objects.count()) == counts


def test_demo_has_a_directive_split_to_the_districts_and_further():
    from duban.tasks import permissions as perms

    today = dt.date(2026, 11, 25)
    load_demo(today=today)
    User = get_user_model()
    district_office = User.objects.get(username="linchuan.office")
    township = User.objects.get(username="shangdundu.staff")
    assert district_office.profile.role == Role.UNIT_SUPERVISOR
    city = Task.objects.get(lead_unit__name="各辖市区人民政府", parent__isnull=True, tree_path__gt="")
    districts = Task.objects.filter(parent=city)
    assert districts.count() == 4 and not districts.exclude(issuing_unit__isnull=True).exists()
    linchuan = districts.get(lead_unit__name="临川区人民政府")
    towns = Task.objects.filter(parent=linchuan)
    assert towns.count() == 2 and set(towns.values_list("issuing_unit__name", flat=True)) == {"临川区人民政府"}
    assert all(t.tree_path == f"/{city.pk}/{linchuan.pk}/{t.pk}/" for t in towns)
    # the township sees its own part only; the district's 督查室 supervises the townships' parts
    mine = towns.get(lead_unit=township.profile.unit)
    assert set(perms.tasks_visible_to(township).filter(tree_path__startswith=city.tree_path)
               .values_list("pk", flat=True)) == {mine.pk}
    assert all(perms.supervises_task(district_office, t) for t in towns)
    assert mine.status == TaskStatus.IN_PROGRESS


def test_the_demo_queues_no_message_it_has_nowhere_to_send():
    """A demo has no mail server and no group robots: the follow-up loop, run over what loading it notified, records
    no delivery (no 消息发送失败 in the tasks' 办理记录); its people read their notices on the 通知 page."""
    from duban.core.audit import EventType
    from duban.followup.delivery import deliveries_send
    from duban.followup.models import Delivery
    from duban.followup.queueing import deliveries_enqueue

    load_demo(today=dt.date(2026, 11, 25))
    assert Notification.objects.exists()  # 交办 told the units: in-app notices are there
    deliveries_enqueue()
    deliveries_send()
    assert not Delivery.objects.exists()
    assert not AuditEvent.objects.filter(event_type__in=[EventType.DELIVERY_FAILED, EventType.DELIVERY_GAVE_UP]).exists()


# --- 督办来源: every kind of source has work in the demo, shown to those it concerns --------------------------------

TODAY = dt.date(2026, 11, 25)


def _signed_in(client, username: str):
    """A demo user after the first sign-in, where each must set their own password (the pages answer nothing else
    before that)."""
    from duban.core.actions import user_change_password
    from duban.demo.loader import DEMO_PASSWORD

    user = get_user_model().objects.get(username=username)
    user_change_password(actor=user, old_password=DEMO_PASSWORD, new_password="Jz-demo-2026!k")
    client.force_login(user)
    return client


def _records():
    """Every source record of the demo as (kind, detail URL, text that names it, its task)."""
    from duban.sources.models import Hazard, InspectionCase, Instruction, LivelihoodProject

    rows = []
    for instruction in Instruction.objects.prefetch_related("links__task"):
        for link in instruction.links.all():
            rows.append(("instructions", f"/sources/instructions/{instruction.pk}/", instruction.doc_number,
                         link.task))
    rows += [("cases", f"/sources/cases/{c.pk}/", c.case_number, c.task)
             for c in InspectionCase.objects.select_related("task")]
    rows += [("livelihood", f"/sources/livelihood/{p.pk}/", p.task.title, p.task)
             for p in LivelihoodProject.objects.select_related("task")]
    rows += [("hazards", f"/sources/hazards/{h.pk}/", h.place, h.task) for h in Hazard.objects.select_related("task")]
    return rows


def test_demo_has_work_from_every_source_worked_as_the_workflow_does():
    from duban.core.models import AuditEvent
    from duban.sources.models import Hazard, HazardStatus, InspectionCase, Instruction, LivelihoodProject

    load_demo(today=TODAY)
    instructions = Instruction.objects.all()
    assert instructions.count() >= 2
    # an instruction became a supervised task: assigned to a unit, which signed for it
    assert Task.objects.filter(instruction_link__instruction__in=instructions, lead_unit__isnull=False,
                               status__in=[TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS]).exists()
    cases = InspectionCase.objects.select_related("task")
    assert cases.count() >= 2
    assert {TaskStatus.CLOSED, TaskStatus.IN_PROGRESS} <= {c.task.status for c in cases}
    # a case closes only with its rectification and disclosure decision recorded
    assert all(c.ready_to_close for c in cases if c.task.status == TaskStatus.CLOSED)
    projects = LivelihoodProject.objects.prefetch_related("actuals")
    assert projects.count() >= 3 and all(p.actuals.exists() for p in projects)
    hazards = Hazard.objects.select_related("task")
    assert hazards.count() >= 3
    assert len({h.status for h in hazards}) >= 3
    assert HazardStatus.FOUND in {h.status for h in hazards} and HazardStatus.CLOSED in {h.status for h in hazards}
    # struck off the ledger closes its task; any other stage keeps it open
    assert all((h.status == HazardStatus.CLOSED) == (h.task.status == TaskStatus.CLOSED) for h in hazards)
    # each with its site photo, and the rectified ones with the photo after, as pictures the page shows
    for hazard in hazards:
        photos = sorted(a.original_name for a in hazard.attachments.all())
        after = hazard.status != HazardStatus.FOUND
        assert photos == (["整改后照片.png", "现场照片.png"] if after else ["现场照片.png"]), (hazard.place, photos)
        assert all(a.content_type == "image/png" for a in hazard.attachments.all())
    tasks = [task for _, _, _, task in _records()]
    assert all(t.status != TaskStatus.DRAFT and t.lead_unit_id for t in tasks)
    lights = {task_light(t, TODAY).code for t in tasks}
    assert {"red", "green"} <= lights
    # made by the office, worked by the units, pressed by the leader: the trail names each of them
    actors = set(AuditEvent.objects.filter(task__in=[t.pk for t in tasks]).values_list("actor__username", flat=True))
    assert {"office", "leader", "safety.staff", "env.staff", "health.staff", "linchuan.staff"} <= actors
    assert audit_verify() == []


def test_source_pages_show_the_demo_items_to_the_office(client):
    load_demo(today=TODAY)
    records = _records()
    _signed_in(client, "office")
    index = client.get("/sources/")
    assert index.status_code == 200
    body = index.content.decode()
    assert "暂无" not in body
    for kind in ("instructions", "cases", "livelihood", "hazards"):
        mine = [r for r in records if r[0] == kind]
        assert mine, kind
        listing = client.get(f"/sources/{kind}/")
        assert listing.status_code == 200
        assert all(name in listing.content.decode() for _, _, name, _ in mine), kind
        _, url, name, task = mine[0]
        detail = client.get(url)
        assert detail.status_code == 200 and name in detail.content.decode(), url
        assert f"/tasks/{task.pk}/" in detail.content.decode(), url  # the record leads to its supervised task


def _concerns(user, task) -> bool:
    """The scope rule of every task: a unit sees what its unit or a unit under it leads or cooperates on."""
    unit = user.profile.unit
    units = [task.lead_unit, *task.coop_units.all()]
    return any(u.path.startswith(unit.path) for u in units)


def test_source_items_show_to_the_unit_they_concern_and_not_to_others(client):
    load_demo(today=TODAY)
    staff = list(get_user_model().objects.filter(username__in=[
        "safety.staff", "health.staff", "env.staff", "linchuan.staff"]).select_related("profile__unit"))
    seen_by_own, hidden_from_others = set(), set()
    for user in staff:
        _signed_in(client, user.username)
        lists = {kind: client.get(f"/sources/{kind}/").content.decode()
                 for kind in ("instructions", "cases", "livelihood", "hazards")}
        for kind, url, name, task in _records():
            if _concerns(user, task):
                seen_by_own.add(kind)
                assert name in lists[kind], (user.username, name)
                assert client.get(url).status_code == 200, (user.username, url)
            else:
                hidden_from_others.add(kind)
                assert name not in lists[kind], (user.username, name)
                assert client.get(url).status_code == 404, (user.username, url)
    # each kind has an item of a unit with a demo user, so both halves of the rule are shown for every kind
    assert seen_by_own == hidden_from_others == {"instructions", "cases", "livelihood", "hazards"}
