import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings as hsettings, strategies as st

from duban.followup.lights import LightCodes, lights_for, task_light
from duban.followup.tests.conftest import place_task
from duban.tasks.models import ProgressReport, ReportCycle, Task, TaskStatus

D = dt.date


def test_one_task_walks_green_blue_yellow_red(org):
    """Weekly reports, last one on Monday 1 September 2025, so the next is due Monday 8 September."""
    task = place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 12, 31), cycle="weekly",
                      progress=30, reported=D(2025, 9, 1))
    green = task_light(task, D(2025, 9, 2))  # 4 working days before the report is due
    assert (green.code, green.label) == ("green", "绿灯")
    blue = task_light(task, D(2025, 9, 3))  # 3 working days before
    assert (blue.code, blue.label, blue.due_key) == ("blue", "蓝灯", "report:2025-09-08")
    assert "3个工作日" in blue.reason
    yellow = task_light(task, D(2025, 9, 9))  # the report is a day late
    assert (yellow.code, yellow.due_key) == ("yellow", "report:2025-09-08")
    assert "逾期未报" in yellow.reason
    red = task_light(task, D(2026, 1, 5))
    assert (red.code, red.overdue_days, red.due_key) == ("red", 5, "deadline:2025-12-31")
    assert "已超期5天" in red.reason


def test_blue_before_the_deadline_counts_working_days_across_holidays(org):
    task = place_task(org.task_in("accepted"), assigned=D(2025, 9, 1), deadline=D(2025, 10, 10), progress=0)
    task.progress_percent = 90
    # 30 Sep → 10 Oct spans the National Day week: only 9 and 10 October are working days.
    assert task_light(task, D(2025, 9, 30), remind_days=3).code == "blue"
    assert task_light(task, D(2025, 9, 25), remind_days=3).code == "green"  # 26, 28, 29, 30, 9, 10 → 6 days


def test_yellow_when_progress_trails_elapsed_time(org):
    task = place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 11, 30), progress=30)
    # 60 of 90 days gone (67%): 30% is more than 20 points behind
    light = task_light(task, D(2025, 10, 31), tolerance=20)
    assert (light.code, light.due_key) == ("yellow", "behind:2025-11-30")
    assert task_light(task, D(2025, 9, 30), tolerance=20).code == "green"  # 32% gone, 30% done


def test_no_light_for_drafts_closed_withdrawn_and_green_while_awaiting_sign_off(org):
    assert task_light(org.task_in("draft"), D(2025, 9, 1)).code == "none"
    assert task_light(org.task_in("closed"), D(2030, 1, 1)).code == "none"
    assert task_light(org.task_in("withdrawn"), D(2030, 1, 1)).code == "none"
    assert task_light(org.task_in("close_requested"), D(2030, 1, 1)).code == "green"


def test_lights_for_a_list_cost_one_query_however_many_tasks(org):
    for _ in range(3):
        org.task_in("in_progress", report_cycle="weekly")
    with CaptureQueriesContext(connection) as small:
        lights_for(Task.objects.all(), D(2030, 1, 1))
    for _ in range(6):
        org.task_in("in_progress", report_cycle="weekly")
    with CaptureQueriesContext(connection) as large:
        lights = lights_for(Task.objects.all(), D(2030, 1, 1))
    assert len(lights) == 9
    assert len(small) == len(large) == 1


# --- the fast path (LightCodes) equals task_light ---------------------------------------------------------------

UTC = dt.timezone.utc
_days = st.integers(min_value=-400, max_value=400)
_moment = st.one_of(st.none(), st.tuples(_days, st.integers(min_value=0, max_value=24 * 60 - 1)))


def _aware(today: dt.date, moment) -> dt.datetime | None:
    """A UTC moment ``days`` from ``today`` at ``minute`` of the UTC day (so the local date is sometimes the next day:
    Asia/Shanghai is UTC+8)."""
    if moment is None:
        return None
    days, minute = moment
    return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(), UTC) + dt.timedelta(minutes=minute)


@hsettings(max_examples=600, deadline=None)
@given(today=st.dates(min_value=D(2019, 1, 1), max_value=D(2028, 12, 31)),
       status=st.sampled_from(list(TaskStatus.values)), deadline=st.one_of(st.none(), _days),
       assigned=_moment, reported=_moment, progress=st.integers(min_value=0, max_value=100),
       cycle=st.sampled_from(list(ReportCycle.values)), every=st.integers(min_value=-1, max_value=25),
       remind_days=st.integers(min_value=0, max_value=6), tolerance=st.integers(min_value=0, max_value=60))
def test_light_codes_equal_task_light(today, status, deadline, assigned, reported, progress, cycle, every,
                                      remind_days, tolerance):
    task = Task(status=status, deadline=None if deadline is None else today + dt.timedelta(days=deadline),
                assigned_at=_aware(today, assigned), progress_percent=progress, report_cycle=cycle,
                report_every=every)
    reported_at = _aware(today, reported)
    if reported_at is not None:
        task.latest_report = ProgressReport(pk=1, created_at=reported_at)
    codes = LightCodes(today, remind_days=remind_days, tolerance=tolerance)
    expected = task_light(task, today, remind_days=remind_days, tolerance=tolerance).code
    assert codes(status, task.deadline, task.assigned_at, progress, cycle, every, reported_at) == expected
    # memoized dues must not leak between tasks: ask again after another task
    assert codes(status, task.deadline, task.assigned_at, progress, cycle, every, reported_at) == expected


def test_light_codes_read_the_same_rows_as_lights_for(org):
    """End to end through the ORM: ``values_list(*LightCodes.FIELDS)`` gives the light ``lights_for`` gives."""
    tasks = [place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 12, 31),
                        cycle="weekly", progress=30, reported=D(2025, 9, 1)),
             place_task(org.task_in("accepted"), assigned=D(2025, 9, 1), deadline=D(2025, 10, 10), progress=90),
             org.task_in("close_requested"), org.task_in("closed"), org.task_in("assigned")]
    ids = [t.pk for t in tasks]
    for today in (D(2025, 9, 2), D(2025, 9, 3), D(2025, 9, 9), D(2025, 9, 30), D(2026, 1, 5)):
        codes = LightCodes(today)
        fast = {row[0]: codes(*row[1:]) for row in
                Task.objects.filter(pk__in=ids).values_list("id", *LightCodes.FIELDS)}
        assert fast == {pk: light.code for pk, light in lights_for(Task.objects.filter(pk__in=ids), today).items()}


@hsettings(max_examples=300, deadline=None)
@given(moments=st.lists(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 12, 31)),
                        min_size=1, max_size=8),
       zone=st.sampled_from(["Asia/Shanghai", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe", "UTC"]),
       within=st.sampled_from(["any", "day", "hour"]))
def test_local_date_reads_every_form_of_an_instant(moments, zone, within):
    """``LightCodes.local_date`` of an instant given as SQLite's stored text (naive UTC, with or without
    microseconds), a naive UTC datetime or an aware one is ``timezone.localdate`` of it, in zones with DST and
    offsets of half and quarter hours, for instants read in any order (the per-hour memo must not mix them)."""
    if within == "day":  # several instants of one UTC day, read after each other
        moments = [m.replace(year=moments[0].year, month=moments[0].month, day=moments[0].day) for m in moments]
    elif within == "hour":
        moments = [m.replace(year=moments[0].year, month=moments[0].month, day=moments[0].day,
                             hour=moments[0].hour) for m in moments]
    with timezone.override(zone):
        codes = LightCodes(D(2026, 1, 1))
        for naive in moments:
            aware = naive.replace(tzinfo=UTC)
            expected = timezone.localdate(aware)
            assert codes.local_date(naive.isoformat(" ")) == expected
            assert codes.local_date(naive.isoformat(" ", timespec="microseconds")) == expected  # PostgreSQL's
            assert codes.local_date(naive.isoformat(" ", timespec="milliseconds")) == expected
            # text with an offset (which must not be taken for naive UTC, nor fill the memo of its hour)
            local = aware.astimezone(timezone.get_current_timezone())
            assert codes.local_date(local.isoformat(" ")) == expected
            assert codes.local_date(local.isoformat(" ", timespec="microseconds")) == expected
            assert codes.local_date(aware.isoformat(" ").replace("+00:00", "Z")) == expected
            assert codes.local_date(naive) == expected
            assert codes.local_date(aware) == expected
            assert codes.local_date(aware.astimezone(timezone.get_current_timezone())) == expected
