"""A unit that only groups others (仅用于分组: 县直部门, 乡镇) is set on the unit form and is never offered as a lead
or cooperating unit."""

from __future__ import annotations

import pytest

from duban.conftest import login
from duban.core import actions
from duban.core.audit import EventType
from duban.core.models import AuditEvent, Unit
from duban.tasks import actions as task_actions

pytestmark = pytest.mark.django_db


def _options(page: str, name: str) -> str:
    select = page[page.index(f'name="{name}"'):]
    return select[:select.index("</select>")]


def test_a_grouping_unit_set_on_the_form_is_left_out_of_the_lead_and_coop_pickers(client, org):
    login(client, org.sysadmin)
    client.post("/manage/units/new/", {"name": "县直部门", "short_name": "", "parent": "", "is_group": "1"})
    group = Unit.objects.get(name="县直部门")
    assert group.is_group
    township = actions.unit_create(actor=org.sysadmin, name="乡镇")
    page = client.get(f"/manage/units/{township.pk}/").content.decode()
    assert 'id="ue-group"' in page
    client.post(f"/manage/units/{township.pk}/", {"version": township.version, "is_group": ["0", "1"]})
    township.refresh_from_db()
    assert township.is_group
    event = AuditEvent.objects.filter(event_type=EventType.UNIT_UPDATED, target_unit=township).get()
    assert event.extra["new"] == {"is_group": True}

    task = task_actions.task_create(actor=org.supervisor, title="做好供暖保障", text="做好供暖保障。")
    login(client, org.supervisor)
    page = client.get(f"/tasks/{task.pk}/edit/").content.decode()
    for field in ("lead_unit", "coop_units"):
        options = _options(page, field)
        assert "市卫健委" in options and "县直部门" not in options and ">乡镇<" not in options

    # unticked on the form: a unit again
    login(client, org.sysadmin)
    township.refresh_from_db()
    client.post(f"/manage/units/{township.pk}/", {"version": township.version, "is_group": ["0"]})
    township.refresh_from_db()
    assert not township.is_group
