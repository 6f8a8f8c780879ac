"""The office dashboard (/) and the light badge are built as HTML strings in Python, outside the template
engine's auto-escaping: every name typed by a person and every light's text must come out escaped."""

import datetime as dt

from duban.conftest import login
from duban.core.actions import unit_create
from duban.core.models import Area
from duban.followup.lights import Light
from duban.followup.templatetags.followup_tags import _badge

HOSTILE = '<img src=x onerror="alert(1)">'


def test_the_office_dashboard_escapes_unit_and_area_names(org, client):
    unit = unit_create(actor=org.system, name=f"市{HOSTILE}局")
    area = Area.objects.create(name=f"领域{HOSTILE}", sort_order=9)
    org.task_in("assigned", lead_unit_id=unit.pk, area_id=area.pk, coop_unit_ids=[])
    login(client, org.supervisor)
    html = client.get("/").content.decode()
    assert HOSTILE not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_the_light_badge_escapes_its_text():
    light = Light("red", '红<b>灯', f'已超期{HOSTILE}', due_key="deadline:2025-01-01", due_date=dt.date(2025, 1, 1))
    badge = str(_badge(light))
    assert HOSTILE not in badge and "<b>" not in badge
    assert 'title="已超期&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"' in badge
    assert ">红灯</span>" in badge  # the label is the palette's, never the light object's text
    assert 'data-light="red"' in badge
