"""The cold dashboard reads its two big queries as the driver's plain rows (``duban.core.rows.plain_rows``) and
turns datetimes into local dates itself (``LightCodes.local_date``, memoized per UTC hour). Both must give what the
ORM path gives: ``timezone.localdate`` of the aware instant, whatever the value's form (SQLite: naive UTC,
PostgreSQL: aware UTC) and the zone (whole-hour, half-hour and 45-minute offsets, transitions at local midnight), and
the lights of ``task_light`` per task on generated tasks placed around local midnights."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from duban.followup.lights import LightCodes, task_light
from duban.reports import selectors
from duban.reports.selectors import LIGHT_CODES, DashboardFilters, dashboard_stats
from duban.tasks.models import ProgressReport, ReportCycle, Task

UTC = dt.timezone.utc
ZONES = ["Asia/Shanghai", "Asia/Kolkata", "Asia/Kathmandu", "America/Havana", "America/Sao_Paulo",
         "Australia/Lord_Howe", "Pacific/Apia", "Europe/London", "UTC"]
# Dates with a transition at or near local midnight in one of the zones (Havana falls back 01:00 -> 00:00, Sao
# Paulo sprang forward 00:00 -> 01:00, Apia skipped 2011-12-30 entirely) plus a plain one.
NEAR = [dt.date(2023, 11, 5), dt.date(2023, 3, 12), dt.date(2018, 11, 4), dt.date(2018, 2, 18),
        dt.date(2011, 12, 29), dt.date(2011, 12, 31), dt.date(2024, 4, 7), dt.date(2024, 10, 6), dt.date(2026, 5, 1)]


def _forms(instant: dt.datetime, zone) -> list:
    """The instant as each database driver (and a caller) may hand it over."""
    naive = instant.astimezone(UTC).replace(tzinfo=None)
    return [instant.astimezone(UTC), naive, naive.isoformat(sep=" "), instant.astimezone(zone),
            instant.astimezone(dt.timezone(dt.timedelta(hours=8)))]


_instant = st.tuples(st.one_of(st.sampled_from(NEAR), st.dates(min_value=dt.date(2000, 1, 1),
                                                                 max_value=dt.date(2035, 12, 31))),
                     st.integers(min_value=-3 * 3600, max_value=3 * 3600),
                     st.one_of(st.just(0), st.integers(min_value=0, max_value=999_999)))


@hsettings(max_examples=300, deadline=None)
@given(zone_name=st.sampled_from(ZONES), instants=st.lists(_instant, min_size=1, max_size=25))
def test_local_date_equals_localdate_in_every_form_and_zone(zone_name, instants):
    zone = zoneinfo.ZoneInfo(zone_name)
    with timezone.override(zone):
        codes = LightCodes(dt.date(2026, 1, 1))  # one memo across the values, as on a page
        for day, seconds, micro in instants:
            # around the local midnight starting ``day``, in UTC arithmetic (so skipped and repeated hours exist)
            midnight = dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(UTC)
            instant = midnight + dt.timedelta(seconds=seconds, microseconds=micro)
            expected = timezone.localdate(instant)
            for value in _forms(instant, zone):
                assert codes.local_date(value) == expected, (zone_name, value)
        assert codes.local_date(None) is None


def test_local_date_half_hour_zone_splits_an_hour():
    """In India local midnight is 18:30 UTC: that UTC hour holds two local dates and must not be memoized."""
    with timezone.override(zoneinfo.ZoneInfo("Asia/Kolkata")):
        codes = LightCodes(dt.date(2026, 1, 1))
        before = dt.datetime(2026, 3, 1, 18, 29, 59, 999_999)
        after = dt.datetime(2026, 3, 1, 18, 30)
        assert codes.local_date(before) == dt.date(2026, 3, 1)
        assert codes.local_date(after) == dt.date(2026, 3, 2)
        assert codes.local_date(before) == dt.date(2026, 3, 1)


def _generate(org, rnd: random.Random, today: dt.date, n: int = 150) -> list[int]:
    """Tasks assigned and reported just before, at and after local midnights, with every cycle, progress and a
    deadline from overdue to far off, spread over areas and lead units (and none)."""
    model = org.task_in("in_progress")
    areas = [org.area_health.pk, model.area_id, None]
    units = [org.safety.pk, org.other.pk, org.health.pk, org.child.pk, None]

    def near_midnight(days_back: int) -> dt.datetime:
        day = today - dt.timedelta(days=days_back)
        midnight = timezone.make_aware(dt.datetime.combine(day, dt.time()))
        return midnight + dt.timedelta(microseconds=rnd.choice([-1, 0, 1, 999_999, -3_600_000_000,
                                                                rnd.randint(-86_400_000_000, 86_400_000_000)]))

    rows = []
    for i in range(n):
        status = rnd.choice(["assigned", "accepted", "in_progress", "in_progress", "close_requested", "closed",
                             "returned"])
        rows.append(Task(title=f"生成{i}", meeting_id=model.meeting_id, area_id=rnd.choice(areas),
                         lead_unit_id=rnd.choice(units), status=status, created_by_id=model.created_by_id,
                         deadline=rnd.choice([None, today + dt.timedelta(days=rnd.randint(-5, 60))]),
                         assigned_at=rnd.choice([None, near_midnight(rnd.randint(0, 90))]),
                         progress_percent=rnd.randint(0, 100), report_cycle=rnd.choice(ReportCycle.values),
                         report_every=rnd.randint(0, 12)))
    tasks = Task.objects.bulk_create(rows)
    for task in tasks:
        if rnd.random() < 0.6:
            report = ProgressReport.objects.create(task=task, unit_id=org.safety.pk, author=org.lead_staff,
                                                   text="进展")
            ProgressReport.objects.filter(pk=report.pk).update(created_at=near_midnight(rnd.randint(0, 60)))
            Task.objects.filter(pk=task.pk).update(latest_report=report)
    return [t.pk for t in tasks]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2])
def test_plain_rows_give_the_lights_of_the_orm_path(org, seed):
    """Old against new: the light rows read through Django's converters (aware datetimes) and as plain driver
    rows give the same codes row by row, and the dashboard's tallies equal ``task_light`` of every task."""
    rnd = random.Random(seed)
    today = dt.date(2026, 6, 17)
    _generate(org, rnd, today)
    seen = set()
    for day in (today, today + dt.timedelta(days=1), today + dt.timedelta(days=9)):
        base = selectors._base(org.supervisor, DashboardFilters())
        plain = selectors._light_rows(base, day)
        orm_qs = (base.filter(status__in=selectors.SUPERVISED_STATUSES)
                  .exclude(deadline__lt=day).values_list("area_id", "lead_unit_id", *LightCodes.FIELDS))
        old, new = LightCodes(day), LightCodes(day)
        orm_codes = sorted((r[0] or 0, r[1] or 0, old(*r[2:])) for r in orm_qs)
        plain_codes = sorted((r[0] or 0, r[1] or 0, new(*r[2:])) for r in plain)
        assert plain_codes == orm_codes and len(plain_codes) > 20

        data = dashboard_stats(viewer=org.supervisor, today=day)
        tasks = Task.objects.exclude(status__in=["draft", "withdrawn"]).select_related("latest_report")
        by_area: dict = {}
        by_unit: dict = {}
        totals = dict.fromkeys(LIGHT_CODES, 0)
        for task in tasks:
            code = task_light(task, day).code
            if code in LIGHT_CODES:
                totals[code] += 1
                for groups, pk in ((by_area, task.area_id), (by_unit, task.lead_unit_id)):
                    groups.setdefault(pk, dict.fromkeys(LIGHT_CODES, 0))[code] += 1
        assert {code: data.lights[code] for code in LIGHT_CODES} == totals
        for rows, expected in ((data.by_area, by_area), (data.by_unit, by_unit)):
            got = {row["id"]: {code: row[code] for code in LIGHT_CODES} for row in rows}
            assert {pk: v for pk, v in got.items() if any(v.values())} == expected
        seen |= {code for code, n in totals.items() if n}
    assert seen == set(LIGHT_CODES)  # the generated tasks exercise every light


@pytest.mark.django_db
def test_overdue_list_reads_only_the_columns_it_shows(org):
    """The overdue list's tasks carry what the table shows, without the meeting's text."""
    late = org.task_in("in_progress", title="逾期事项", deadline=dt.date.today() - dt.timedelta(days=3))
    data = dashboard_stats(viewer=org.supervisor)
    (task,) = data.overdue_tasks
    assert task.pk == late.pk and task.title == "逾期事项" and task.days_overdue == 3
    assert task.lead_unit.name == late.lead_unit.name and task.get_status_display()
    assert {"text", "meeting_id", "area_id"} <= task.get_deferred_fields()
