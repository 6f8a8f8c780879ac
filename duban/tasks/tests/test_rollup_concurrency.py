"""Two sub-tasks changing at the same moment both reach their parent's kept roll-up: the action of each locks the
parent before reading its sub-tasks, so the second reads the first's committed change (PostgreSQL's row locks;
SQLite lets one writer in at a time)."""

from __future__ import annotations

import pytest

from duban.tasks import actions
from duban.tasks.models import Task
from duban.tasks.tests.levels_world import make_levels
from duban.tasks.tests.test_concurrency import race_behind_task_lock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]


def test_two_townships_reporting_at_once_both_reach_the_district_and_the_city(org):
    lv = make_levels(org)
    city, part, part2, town_a, town_b = lv.world()
    for staff, task in ((lv.town_a_staff, town_a), (lv.town_b_staff, town_b)):
        actions.task_accept(actor=staff, task_id=task.pk)
        # in progress already: the reports below change progress only, so nothing else (the kept counts of a
        # status) puts them one after the other before they reach the parent
        actions.report_submit(actor=staff, task_id=task.pk, text="已部署", progress_percent=10)
    results = race_behind_task_lock(  # both wait on the district's part, each holding its own row
        part.pk,
        lambda: actions.report_submit(actor=lv.town_a_staff, task_id=town_a.pk, text="排查过半", progress_percent=60),
        lambda: actions.report_submit(actor=lv.town_b_staff, task_id=town_b.pk, text="排查两成", progress_percent=20))
    assert [outcome for outcome, _ in results] == ["ok", "ok"], results
    # "worst" keeps the mean: (60 + 20) / 2 at the district, (40 + 0) / 2 at the city
    assert Task.objects.get(pk=part.pk).rolled_progress == 40
    assert Task.objects.get(pk=city.pk).rolled_progress == 20
