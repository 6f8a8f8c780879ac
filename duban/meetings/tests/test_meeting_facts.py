"""The meeting's own facts: the year written before its name, the session number kept in its name, a date in
the future flagged, and the name, type and presider corrected by the office (audited)."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.conftest import login
from duban.core.audit import EventType
from duban.core.errors import Conflict, InvalidInput, NotFound
from duban.core.models import AuditEvent
from duban.meetings import actions
from duban.meetings.models import Meeting, MeetingStatus
from duban.tasks.selectors import today_local

pytestmark = pytest.mark.django_db

# the opening gives month and day; the year stands before the meeting's name
OPENING = ("11月3日上午，县长王某主持召开2019年某县人民政府第9次常务会议，研究了三项议题。\n"
           "会议要求，要做好冬季供暖保障工作，县住建局牵头，年底前完成。\n")


def test_the_year_before_the_name_dates_the_meeting_without_asking_and_the_name_keeps_its_number(client, org):
    login(client, org.supervisor)
    response = client.post("/meetings/import/", {"text": OPENING})
    meeting = Meeting.objects.get()
    assert response.status_code == 302  # no question about the year
    assert meeting.date == dt.date(2019, 11, 3)
    assert meeting.title == "2019年11月3日县政府第9次常务会议" and meeting.body == "县政府常务会议"


def test_changing_the_date_keeps_the_number_and_a_name_the_clerk_wrote(org):
    extracted, text = actions.extract_upload(text=OPENING)
    meeting = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    meeting = actions.meeting_date_set(actor=org.supervisor, meeting_id=meeting.pk, date=dt.date(2019, 11, 4),
                                       version=meeting.version)
    assert meeting.title == "2019年11月4日县政府第9次常务会议"
    meeting = actions.meeting_facts_set(actor=org.supervisor, meeting_id=meeting.pk, version=meeting.version,
                                        changes={"title": "某县人民政府2019年第9次常务会议"})
    meeting = actions.meeting_date_set(actor=org.supervisor, meeting_id=meeting.pk, date=dt.date(2019, 11, 5),
                                       version=meeting.version)
    assert meeting.title == "某县人民政府2019年第9次常务会议"


def test_the_office_corrects_name_type_and_presider_audited(client, org):
    extracted, text = actions.extract_upload(text=OPENING)
    meeting = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    login(client, org.supervisor)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert 'id="meeting-facts-form"' in page
    done = client.post(f"/meetings/{meeting.pk}/facts/", {
        "version": meeting.version, "title": "某县政府2019年第9次常务会议", "body": "县政府常务会议",
        "presider": "王五", "presider_title": "县委副书记、县长"}, follow=True).content.decode()
    assert "会议信息已保存" in done
    meeting.refresh_from_db()
    assert (meeting.title, meeting.presider, meeting.presider_title) == (
        "某县政府2019年第9次常务会议", "王五", "县委副书记、县长")
    event = AuditEvent.objects.get(meeting=meeting, event_type=EventType.MEETING_UPDATED)
    assert event.actor_id == org.supervisor.pk
    assert event.extra["old"] == {"title": "2019年11月3日县政府第9次常务会议", "presider": "王某",
                                  "presider_title": "县长"}
    assert event.extra["new"]["presider"] == "王五" and "body" not in event.extra["new"]  # unchanged: not logged
    # refused: an empty name, a stale version, a unit's person; nothing written
    with pytest.raises(InvalidInput):
        actions.meeting_facts_set(actor=org.supervisor, meeting_id=meeting.pk, version=meeting.version,
                                  changes={"title": " "})
    with pytest.raises(Conflict):
        actions.meeting_facts_set(actor=org.supervisor, meeting_id=meeting.pk, version=meeting.version - 1,
                                  changes={"title": "别的名称"})
    with pytest.raises(NotFound):
        actions.meeting_facts_set(actor=org.other_staff, meeting_id=meeting.pk, version=meeting.version,
                                  changes={"title": "别的名称"})
    meeting.refresh_from_db()
    assert meeting.title == "某县政府2019年第9次常务会议"
    assert AuditEvent.objects.filter(meeting=meeting, event_type=EventType.MEETING_UPDATED).count() == 1


def test_a_meeting_dated_after_today_is_flagged_and_the_year_offered_is_not_in_the_future(client, org):
    today = today_local()
    login(client, org.supervisor)
    later = today + dt.timedelta(days=11)
    if later.year == today.year:  # the year prompt offers last year for a day still to come this year
        undated = f"{later.month}月{later.day}日，县长王某主持召开县政府常务会议。\n会议要求，做好供暖保障，县住建局牵头。\n"
        asked = client.post("/meetings/import/", {"text": undated}).content.decode()
        assert f'value="{today.year - 1}"' in asked
    dated = f"{later.year}年{later.month}月{later.day}日，县长王某主持召开县政府常务会议。\n会议要求，做好供暖保障，县住建局牵头。\n"
    client.post("/meetings/import/", {"text": dated})
    meeting = Meeting.objects.get(status=MeetingStatus.DRAFT, date=later)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert 'id="future-note"' in page and "晚于今天，请核对会议年份" in page
    moved = client.post(f"/meetings/{meeting.pk}/date/", {"date": (today - dt.timedelta(days=1)).isoformat(),
                                                         "version": meeting.version}, follow=True).content.decode()
    assert 'id="future-note"' not in moved and "会议日期已改为" in moved
