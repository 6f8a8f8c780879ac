"""The demo that `make demo` loads: enough to show every page, and loading it twice changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from duban.core.audit import audit_verify
from duban.core.models import Role, Unit
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

    again = load_demo(today=today)
    assert (again.meeting_id, again.units, again.users) == (summary.meeting_id, summary.units, summary.users)
    assert Task.objects.count() == tasks.count()


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
    from duban.core.models import AuditEvent, Notification
    from duban.followup.delivery import deliveries_send
    from duban.followup.models import Delivery
    from duban.followup.queueing import deliveries_enqueue

    load_demo(today=dt.date(2026, 11, 25))
    assert Notification.objects.exists()  # 交办 told the units: in-app notices are there
    deliveries_enqueue()
    deliveries_send()
    assert not Delivery.objects.exists()
    assert not AuditEvent.objects.filter(event_type__in=[EventType.DELIVERY_FAILED, EventType.DELIVERY_GAVE_UP]).exists()
