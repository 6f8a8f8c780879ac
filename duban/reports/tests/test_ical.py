"""The iCalendar feed: all-day events for the deadlines the token's owner may see, folded and escaped."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from duban.reports.actions import calendar_token_rotate

pytestmark = pytest.mark.django_db


def test_feed_lists_visible_deadlines_as_all_day_events(client, org):
    long_title = "加强安全生产，排查整治燃气；管道\\隐患" + "并落实责任" * 12
    mine = org.task_in("assigned", title=long_title[:200], deadline=dt.date(2024, 10, 31))
    org.task_in("assigned", title="教育局事项", lead_unit_id=org.other.pk, coop_unit_ids=[])
    org.task_in("closed", title="已办结不列")
    org.task_in("assigned", title="无时限", deadline=None)
    token = calendar_token_rotate(actor=org.lead_staff).plain_token
    response = client.get(f"/reports/ical/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))  # folded at 75 octets
    assert b"\r\n " in raw
    unfolded = raw.decode("utf-8").replace("\r\n ", "")
    # Full-width ，； are text, not separators; the ASCII backslash is escaped.
    assert "加强安全生产，排查整治燃气；管道\\\\隐患" in unfolded
    cal = Calendar.from_ical(raw)
    events = cal.walk("VEVENT")
    assert [str(e["summary"]) for e in events] == [f"【督办时限】{mine.title}"]
    event = events[0]
    assert event["dtstart"].dt == dt.date(2024, 10, 31) and event["dtend"].dt == dt.date(2024, 11, 1)
    assert "VALUE=DATE" in raw.decode().replace("\r\n ", "")
    assert str(event["uid"]).startswith(f"task-{mine.pk}@")
    assert "牵头单位：市应急管理局" in str(event["description"])


def test_escaping_of_ascii_separators(client, org):
    task = org.task_in("assigned", title="a,b;c\\d", deadline=dt.date(2024, 10, 31))
    token = calendar_token_rotate(actor=org.supervisor).plain_token
    raw = client.get(f"/reports/ical/{token}.ics").content.decode().replace("\r\n ", "")
    assert "SUMMARY:【督办时限】a\\,b\\;c\\\\d" in raw
    assert str(Calendar.from_ical(raw).walk("VEVENT")[0]["summary"]).endswith(task.title)


def test_wrong_or_inactive_token_is_404(client, org):
    token = calendar_token_rotate(actor=org.other_staff).plain_token
    assert client.get(f"/reports/ical/{token[:-1]}x.ics").status_code == 404
    org.other_staff.is_active = False
    org.other_staff.save(update_fields=["is_active"])
    assert client.get(f"/reports/ical/{token}.ics").status_code == 404
