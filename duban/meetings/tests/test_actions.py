"""Importing communiques into draft ledgers and confirming them."""

from __future__ import annotations

import pytest

from duban.core.audit import EventType
from duban.core.errors import InvalidInput, NotFound, PermissionDenied
from duban.core.models import AuditEvent, Notification, Unit
from duban.demo.loader import demo_communique
from duban.meetings import actions
from duban.meetings.models import Meeting, MeetingStatus
from duban.tasks.models import Task, TaskStatus

pytestmark = pytest.mark.django_db


def test_import_sample_makes_a_draft_ledger_with_exact_spans(org, sample_text):
    extracted, text = actions.extract_upload(text=sample_text, year=2022)  # the text itself gives no year
    meeting = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text,
                                     source_name="sample.txt")
    assert meeting.status == MeetingStatus.DRAFT
    assert meeting.date is not None and meeting.date.isoformat() == "2022-09-29"
    assert meeting.title == "2022年9月29日市委常委会会议"
    assert meeting.presider == "陈金虎"
    tasks = list(meeting.tasks.order_by("seq"))
    assert len(tasks) == len(extracted["directives"]) >= 30
    for task in tasks:
        assert task.status == TaskStatus.DRAFT
        assert meeting.source_text[task.source_start:task.source_end] == task.text
    assert AuditEvent.objects.filter(meeting=meeting, event_type=EventType.MEETING_IMPORTED).count() == 1
    assert AuditEvent.objects.filter(meeting=meeting, event_type=EventType.TASK_CREATED).count() == len(tasks)
    assert Notification.objects.count() == 0


def test_without_a_year_the_date_stays_month_day(org, sample_text):
    extracted, text = actions.extract_upload(text=sample_text)
    meeting = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    assert meeting.date is None and meeting.date_text == "09-29"


def test_same_text_twice_asks_first(org, sample_text):
    extracted, text = actions.extract_upload(text=sample_text)
    first = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    with pytest.raises(actions.DuplicateMeeting) as info:
        actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    assert info.value.existing == first
    assert Meeting.objects.count() == 1
    second = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text,
                                    allow_duplicate=True)
    assert second.pk != first.pk
    event = AuditEvent.objects.get(meeting=second, event_type=EventType.MEETING_IMPORTED)
    assert event.extra["duplicate_of"] == first.pk


def test_gbk_upload_is_decoded(org):
    text = demo_communique()
    extracted, decoded = actions.extract_upload(data=text.encode("gb18030"), filename="通报.txt")
    assert extracted["source"]["encoding"] == "gb18030"
    assert decoded == text


@pytest.mark.parametrize("data,filename", [(b"", "a.txt"), (b"\x00\x01\x02\xff" * 100, "a.txt"),
                                           (b"PK\x03\x04broken", "a.docx"), (b"hello", "a.exe")])
def test_bad_uploads_are_clear_errors(org, data, filename):
    with pytest.raises(InvalidInput) as info:
        actions.extract_upload(data=data, filename=filename)
    assert info.value.message_zh and info.value.message_en


def test_text_without_directives_writes_nothing(org):
    extracted, text = actions.extract_upload(text="会议还研究了其他事项。")
    with pytest.raises(InvalidInput):
        actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    assert Meeting.objects.count() == 0 and Task.objects.count() == 0


def test_units_cannot_import(org):
    extracted, text = actions.extract_upload(text=demo_communique())
    with pytest.raises(PermissionDenied):
        actions.meeting_import(actor=org.lead_admin, extracted=extracted, source_text=text)
    assert Meeting.objects.count() == 0


def test_confirm_assigns_all_or_nothing(org):
    extracted, text = actions.extract_upload(text=demo_communique())
    meeting = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    missing = meeting.tasks.filter(lead_unit__isnull=True).count()
    assert missing > 0  # the org fixture has only a few units, so most suggestions find no unit
    with pytest.raises(InvalidInput):
        actions.meeting_confirm(actor=org.supervisor, meeting_id=meeting.pk)
    assert not meeting.tasks.exclude(status=TaskStatus.DRAFT).exists()
    meeting.tasks.filter(lead_unit__isnull=True).update(lead_unit=org.safety)
    actions.meeting_confirm(actor=org.supervisor, meeting_id=meeting.pk)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CONFIRMED
    assert not meeting.tasks.exclude(status=TaskStatus.ASSIGNED).exists()
    assigned = AuditEvent.objects.filter(meeting=meeting, event_type=EventType.TASK_ASSIGNED).count()
    assert assigned == meeting.tasks.count()
    for user in (org.lead_staff, org.coop_staff):
        led = meeting.tasks.filter(lead_unit=user.profile.unit).count()
        assert Notification.objects.filter(recipient=user, kind="task_assigned").count() == led


def test_suggested_units_are_matched_by_name(org):
    Unit.objects.create(name="市卫健委委员会别名测试", path="/x/")  # a unit that the text never names
    extracted, text = actions.extract_upload(text=demo_communique())
    meeting = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    suggested = {u["name"] for d in extracted["directives"] for u in d["units"] if u["role"] == "lead"}
    leads = set(meeting.tasks.exclude(lead_unit=None).values_list("lead_unit__name", flat=True))
    assert leads and leads <= suggested


def test_a_draft_meeting_is_withdrawn_with_its_drafts(org):
    extracted, text = actions.extract_upload(text=demo_communique())
    meeting = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    drafts = meeting.tasks.count()
    assert drafts > 0
    with pytest.raises(InvalidInput):  # a reason is required
        actions.meeting_withdraw(actor=org.supervisor, meeting_id=meeting.pk, reason="  ")
    with pytest.raises(PermissionDenied):
        actions.meeting_withdraw(actor=org.leader, meeting_id=meeting.pk, reason="重复导入")
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.DRAFT
    actions.meeting_withdraw(actor=org.supervisor, meeting_id=meeting.pk, reason="重复导入")
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.WITHDRAWN
    assert meeting.tasks.count() == drafts  # nothing deleted
    assert not meeting.tasks.exclude(status=TaskStatus.WITHDRAWN).exists()
    [withdrawn] = AuditEvent.objects.filter(event_type=EventType.MEETING_WITHDRAWN)
    assert withdrawn.actor == org.supervisor and withdrawn.extra == {"reason": "重复导入", "tasks_withdrawn": drafts}
    assert AuditEvent.objects.filter(event_type=EventType.TASK_WITHDRAWN, meeting=meeting).count() == drafts
    # the same text may be imported again once the first import is withdrawn
    again = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    assert again.pk != meeting.pk


def test_a_confirmed_meeting_is_not_withdrawn_as_a_whole(org):
    from duban.core.errors import Conflict

    extracted, text = actions.extract_upload(text=demo_communique())
    meeting = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    meeting.tasks.update(lead_unit=org.safety)
    actions.meeting_confirm(actor=org.supervisor, meeting_id=meeting.pk)
    with pytest.raises(Conflict):
        actions.meeting_withdraw(actor=org.supervisor, meeting_id=meeting.pk, reason="错误")
    assert not meeting.tasks.exclude(status=TaskStatus.ASSIGNED).exists()
# --- the meeting's year and date (a text that gives only month and day) ------------------------------------------

UNDATED = ("9月29日，市委书记许文博主持召开市委常委会会议。\n"
           "会议强调，要全面排查整治燃气安全隐患，市应急管理局要牵头开展专项检查，国庆前完成。\n"
           "会议要求，市卫健委要做好冬春季药品储备，年底前完成。\n")


def _undated_meeting(org):
    extracted, text = actions.extract_upload(text=UNDATED)
    return actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text), extracted


def test_undated_note_says_which_deadlines_could_not_be_dated(org):
    extracted, _ = actions.extract_upload(text=UNDATED)
    zh, en = actions.undated_note(extracted)
    assert "09-29" in zh and "2 项期限无法推算日期：国庆前、年底前" in zh
    assert "2 deadline(s) could not be dated" in en
    assert actions.undated_note(actions.extract_upload(text=UNDATED, year=2025)[0]) is None


def test_setting_the_date_redates_relative_deadlines_and_is_audited(org, django_capture_on_commit_callbacks):
    import datetime as dt

    meeting, _ = _undated_meeting(org)
    assert meeting.date is None and list(meeting.tasks.values_list("deadline", flat=True)) == [None, None]
    with django_capture_on_commit_callbacks(execute=True):
        changed = actions.meeting_date_set(actor=org.supervisor, meeting_id=meeting.pk, date=dt.date(2025, 9, 29),
                                           version=meeting.version)
    assert changed.date == dt.date(2025, 9, 29) and changed.title == "2025年9月29日市委常委会会议"
    deadlines = dict(meeting.tasks.values_list("deadline_text", "deadline"))
    # 国庆前: the working day before the National Day holiday of 2025 (10-01); 年底前: the last day of the year.
    assert deadlines == {"国庆前": dt.date(2025, 9, 30), "年底前": dt.date(2025, 12, 31)}
    event = AuditEvent.objects.get(event_type=EventType.MEETING_DATE_CHANGED)
    assert event.actor == org.supervisor and event.meeting_id == meeting.pk
    assert event.extra["old"] == "09-29" and event.extra["new"] == "2025-09-29" and len(event.extra["redated"]) == 2
    assert Notification.objects.count() == 0


def test_a_deadline_set_by_hand_is_kept_when_the_date_moves(org):
    import datetime as dt

    meeting, _ = _undated_meeting(org)
    actions.meeting_date_set(actor=org.supervisor, meeting_id=meeting.pk, date=dt.date(2025, 9, 29), version=1)
    by_hand = meeting.tasks.get(deadline_text="年底前")
    Task.objects.filter(pk=by_hand.pk).update(deadline=dt.date(2025, 11, 15))
    actions.meeting_date_set(actor=org.supervisor, meeting_id=meeting.pk, date=dt.date(2026, 9, 29), version=2)
    deadlines = dict(meeting.tasks.values_list("deadline_text", "deadline"))
    assert deadlines["年底前"] == dt.date(2025, 11, 15)
    assert deadlines["国庆前"].year == 2026


def test_the_date_is_fixed_after_confirmation_and_refused_actors_leave_no_trace(org):
    import datetime as dt

    from duban.core.errors import Conflict

    meeting, _ = _undated_meeting(org)
    events = AuditEvent.objects.count()
    for refused in (org.lead_staff, org.leader):  # a unit cannot see a draft; the leader reads only
        with pytest.raises((PermissionDenied, NotFound)):
            actions.meeting_date_set(actor=refused, meeting_id=meeting.pk, date=dt.date(2025, 9, 29), version=1)
    with pytest.raises(Conflict):  # a stale version
        actions.meeting_date_set(actor=org.supervisor, meeting_id=meeting.pk, date=dt.date(2025, 9, 29), version=7)
    meeting.refresh_from_db()
    assert meeting.date is None and AuditEvent.objects.count() == events
    assert set(meeting.tasks.values_list("deadline", flat=True)) == {None}
    actions.meeting_date_set(actor=org.supervisor, meeting_id=meeting.pk, date=dt.date(2025, 9, 29), version=1)
    actions.meeting_confirm(actor=org.supervisor, meeting_id=meeting.pk)
    with pytest.raises(Conflict):
        actions.meeting_date_set(actor=org.supervisor, meeting_id=meeting.pk, date=dt.date(2024, 9, 29),
                                 version=Meeting.objects.get(pk=meeting.pk).version)


def test_an_import_files_tasks_under_the_offices_active_areas_only(org):
    from duban.core import actions as core_actions
    from duban.core.models import Area

    text = ("2026年3月2日，市委书记许文博主持召开市委常委会会议。\n"
            "会议强调，要全面排查整治燃气安全隐患，市应急管理局要牵头开展专项检查，3月底前完成。\n")
    extracted, source = actions.extract_upload(text=text)
    assert extracted["directives"][0]["area"] == "安全生产"
    areas = Area.objects.count()
    first = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=source)
    assert first.tasks.get().area == org.area_safety
    core_actions.area_active_set(actor=org.sysadmin, area_id=org.area_safety.pk, active=False)
    second = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=source,
                                    allow_duplicate=True)
    assert second.tasks.get().area is None  # 未分类, for the clerk to choose; the retired area is not made again
    assert Area.objects.count() == areas
