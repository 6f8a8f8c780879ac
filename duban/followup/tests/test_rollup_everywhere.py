"""A split task's light and progress are its rolled-up ones wherever a light is shown or acted on: the task list,
the lights API, the 工作台, the reminder pass and the task page all follow the one roll-up (a parent's progress
and light come from its children, by its roll-up mode), and the kept rolled-up progress follows every action that
changes a child."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from duban.conftest import login
from duban.followup.lights import LightCodes, lights_for, task_light
from duban.followup.reminders import reminders_steps
from duban.followup.tests.conftest import place_task
from duban.tasks import actions
from duban.tasks.models import Task, TaskStatus
from duban.tasks.tests.levels_world import make_levels

TODAY = dt.date(2026, 6, 10)  # a Wednesday


@pytest.fixture
def lv(org):
    return make_levels(org)


def _fresh(task) -> Task:
    return Task.objects.select_related("latest_report", "lead_unit").get(pk=task.pk)


def _close(lv, task, *, staff, supervisor):
    actions.report_accept(actor=supervisor, report_id=lv.ask_to_close(staff, task).pk)


def _list_row(page: str, task) -> str:
    """The task list's row of ``task`` (from its link to the closing row tag)."""
    found = re.search(rf'<a href="/tasks/{task.pk}/"(.*?)</tr>', page, re.S)
    assert found, f"task {task.pk} not in the list"
    return found.group(1)


# --- the kept rolled-up progress -------------------------------------------------------------------------------

def test_the_kept_progress_follows_every_action_on_a_child_up_through_the_ancestors(lv):
    city, part, part2, town_a, town_b = lv.world()
    # split: the parents' progress now comes from their children (all at 0), a task never split keeps none
    assert Task.objects.get(pk=city.pk).rolled_progress == 0
    assert Task.objects.get(pk=part.pk).rolled_progress == 0
    assert Task.objects.get(pk=town_a.pk).rolled_progress is None
    actions.task_accept(actor=lv.town_a_staff, task_id=town_a.pk)
    actions.report_submit(actor=lv.town_a_staff, task_id=town_a.pk, text="已排查一半", progress_percent=60)
    # worst (the default): the mean, at each level: district (60 + 0) / 2 = 30, city (30 + 0) / 2 = 15
    assert Task.objects.get(pk=part.pk).rolled_progress == 30
    assert Task.objects.get(pk=city.pk).rolled_progress == 15
    _close(lv, town_b, staff=lv.town_b_staff, supervisor=lv.district_sup)  # sign-off counts 100
    assert Task.objects.get(pk=part.pk).rolled_progress == 80
    assert Task.objects.get(pk=city.pk).rolled_progress == 40
    actions.task_withdraw(actor=lv.district_sup, task_id=town_a.pk, reason="并入温泉镇办理")
    assert Task.objects.get(pk=part.pk).rolled_progress == 100  # the withdrawn township leaves the mean
    assert Task.objects.get(pk=city.pk).rolled_progress == 50
    actions.task_withdraw(actor=lv.org.supervisor, task_id=part.pk, reason="并入东乡区办理")
    assert Task.objects.get(pk=city.pk).rolled_progress == 0  # only 东乡区's part, at 0, is left


def test_the_data_migration_fills_what_the_actions_keep(lv):
    import importlib

    from django.apps import apps

    fill = importlib.import_module("duban.tasks.migrations.0012_rollup_rolled_progress").fill
    city, part, part2, town_a, town_b = lv.world()
    Task.objects.filter(pk=part.pk).update(rollup_mode="all")
    actions.task_accept(actor=lv.town_a_staff, task_id=town_a.pk)
    actions.report_submit(actor=lv.town_a_staff, task_id=town_a.pk, text="过半", progress_percent=55)
    actions.task_withdraw(actor=lv.org.supervisor, task_id=part2.pk, reason="撤回")
    # the mode was changed behind the actions' back: recompute what they keep, then compare with the migration's
    actions.rollup_refresh_in_txn(task_id=part.pk)
    kept = dict(Task.objects.values_list("pk", "rolled_progress"))
    assert kept[part.pk] == 0 and kept[city.pk] == 0  # "all": the least advanced township, town B at 0
    Task.objects.update(rolled_progress=None)
    fill(apps, None)
    assert dict(Task.objects.values_list("pk", "rolled_progress")) == kept
    fill(apps, None)  # rerunnable
    assert dict(Task.objects.values_list("pk", "rolled_progress")) == kept


# --- the light everywhere --------------------------------------------------------------------------------------

def _red_township(lv):
    """The world with town B's part overdue: the district part and the city are under "worst" by default."""
    city, part, part2, town_a, town_b = lv.world()
    Task.objects.filter(pk=town_b.pk).update(deadline=dt.date.today() - dt.timedelta(days=2))
    return city, part, part2, town_a, town_b


def test_under_worst_one_red_child_makes_the_parents_red_in_the_list_and_the_api(lv, client):
    city, part, part2, town_a, town_b = _red_township(lv)
    login(client, lv.org.supervisor)
    page = client.get("/tasks/").content.decode()
    for task in (town_b, part, city):
        assert 'data-light="red"' in _list_row(page, task), task.title
    assert 'data-light="red"' not in _list_row(page, part2)
    assert client.get(f"/api/v1/tasks/{city.pk}/light").json()["code"] == "red"
    items = client.get("/api/v1/lights?code=red").json()["items"]
    assert {i["task_id"] for i in items} == {town_b.pk, part.pk, city.pk}
    # the reason says which sub-task made it red
    assert "子任务" in client.get(f"/api/v1/tasks/{part.pk}/light").json()["reason"]


def test_under_share_the_red_child_does_not_colour_the_parent(lv, client):
    city, part, part2, town_a, town_b = lv.world()
    Task.objects.filter(pk__in=[city.pk, part.pk]).update(rollup_mode="share")
    Task.objects.filter(pk=town_b.pk).update(deadline=dt.date.today() - dt.timedelta(days=2))
    login(client, lv.org.supervisor)
    assert client.get(f"/api/v1/tasks/{city.pk}/light").json()["code"] != "red"
    assert 'data-light="red"' not in _list_row(client.get("/tasks/").content.decode(), city)


def test_under_all_the_list_shows_the_least_advanced_childs_progress(lv, client):
    city, part, part2, town_a, town_b = lv.world()
    Task.objects.filter(pk=part.pk).update(rollup_mode="all")
    actions.task_accept(actor=lv.town_a_staff, task_id=town_a.pk)
    actions.report_submit(actor=lv.town_a_staff, task_id=town_a.pk, text="四成", progress_percent=40)
    _close(lv, town_b, staff=lv.town_b_staff, supervisor=lv.district_sup)
    assert Task.objects.get(pk=part.pk).rolled_progress == 40
    login(client, lv.district_sup)
    row = _list_row(client.get("/tasks/").content.decode(), part)
    assert 'data-width="40"' in row and "40%" in row
    assert _list_row(client.get("/tasks/").content.decode(), town_b).count("100%") >= 1


def test_the_light_of_a_split_task_is_the_task_pages_everywhere(lv):
    """``lights_for`` (lists, the API, the 工作台's 重点关注, the reminder pass) equals the task page's tree."""
    from duban.followup.selectors import task_tree

    city, part, part2, town_a, town_b = _red_township(lv)
    tasks = list(Task.objects.filter(pk__in=[city.pk, part.pk, part2.pk, town_a.pk, town_b.pk]))
    lights = lights_for(tasks)
    for node in task_tree(viewer=lv.org.supervisor, task=_fresh(city)).nodes:
        assert lights[node.task.pk] == node.light, node.task.title


def test_the_leaders_watch_list_shows_the_rolled_up_light(lv):
    from duban.followup.actions import task_watch_set
    from duban.workbench.selectors import workbench_get

    city, *_ = _red_township(lv)
    task_watch_set(actor=lv.org.leader, task_id=city.pk, watching=True)
    watch = {s.key: s for s in workbench_get(viewer=lv.org.leader, today=dt.date.today()).sections}["watch"]
    assert [(t.pk, light.code) for t, light in watch.rows] == [(city.pk, "red")]


# --- the reminder pass ------------------------------------------------------------------------------------------

def test_a_split_parent_is_not_reminded_of_a_report_of_its_own(lv):
    city, part, part2, town_a, town_b = lv.world()
    # the district's part on a weekly report cycle, assigned a month ago and never reported on: unsplit, its
    # report would be late (yellow); its townships are on track
    assigned, deadline = TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=60)
    for task in (city, part2, town_a, town_b):
        place_task(task, assigned=assigned, deadline=deadline, progress=50)
    place_task(part, assigned=assigned, deadline=deadline, cycle="weekly")
    Task.objects.filter(pk=part.pk).update(rolled_progress=50)  # the townships' mean, as placed
    planned = {s.task_id: s for s in reminders_steps(today=TODAY)}
    assert part.pk not in planned
    assert task_light(_fresh(part), TODAY).code == "green"
    # the same task unsplit is due its report: the rule above is what spares it
    Task.objects.filter(pk=part.pk).update(rolled_progress=None)
    assert task_light(_fresh(part), TODAY).due_key.startswith("report:")


def test_the_reminder_pass_escalates_a_worst_parent_for_its_red_child_once(lv):
    from duban.followup.reminders import reminders_run

    city, part, part2, town_a, town_b = lv.world()
    assigned = TODAY - dt.timedelta(days=30)
    for task in (city, part, part2, town_a):
        place_task(task, assigned=assigned, deadline=TODAY + dt.timedelta(days=60), progress=50)
    place_task(town_b, assigned=assigned, deadline=TODAY - dt.timedelta(days=1), progress=50)
    steps = {s.task_id: s for s in reminders_steps(today=TODAY)}
    assert steps[town_b.pk].stage == "escalate" and steps[town_b.pk].due_key.startswith("deadline:")
    assert steps[part.pk].stage == "escalate" and steps[part.pk].due_key.startswith(f"sub{town_b.pk}:")
    assert part2.pk not in steps and town_a.pk not in steps
    reminders_run(today=TODAY, actor=lv.org.system)
    assert [s for s in reminders_steps(today=TODAY) if s.task_id in (part.pk, city.pk, town_b.pk)] == []


# --- the tallies ------------------------------------------------------------------------------------------------

def test_the_tallies_light_codes_read_the_kept_rolled_up_progress(lv):
    """``LightCodes`` (dashboards' tallies, the reminder pass's first sort) lights a split task by its kept
    roll-up, as ``task_light`` does: no report of its own due, progress from the children."""
    city, part, part2, town_a, town_b = lv.world()
    assigned = TODAY - dt.timedelta(days=50)
    place_task(part, assigned=assigned, deadline=TODAY + dt.timedelta(days=10), cycle="weekly", progress=90)
    Task.objects.filter(pk=part.pk).update(rollup_mode="all", rolled_progress=10)  # far behind 83% of time
    codes = LightCodes(TODAY)
    values = Task.objects.filter(pk=part.pk).values_list(*LightCodes.FIELDS).get()
    assert codes(*values) == "yellow" == task_light(_fresh(part), TODAY).code
    assert task_light(_fresh(part), TODAY).due_key.startswith("behind:")
    Task.objects.filter(pk=part.pk).update(rolled_progress=95)
    values = Task.objects.filter(pk=part.pk).values_list(*LightCodes.FIELDS).get()
    assert codes(*values) == task_light(_fresh(part), TODAY).code != "yellow"


def test_a_split_parent_is_not_in_its_leads_reports_due(lv):
    from duban.workbench.selectors import workbench_get

    city, part, part2, town_a, town_b = lv.world()
    actions.task_accept(actor=lv.district_staff, task_id=part.pk)
    Task.objects.filter(pk__in=[part.pk, part2.pk]).update(report_cycle="weekly")
    actions.task_accept(actor=lv.district2_staff, task_id=part2.pk)
    due = {s.key: s for s in workbench_get(viewer=lv.district_staff, today=dt.date.today() + dt.timedelta(days=8))
           .sections}["to_report"]
    assert part.pk not in [t.pk for t in due.rows]
    due2 = {s.key: s for s in workbench_get(viewer=lv.district2_staff, today=dt.date.today() + dt.timedelta(days=8))
            .sections}["to_report"]
    assert part2.pk in [t.pk for t in due2.rows]  # a part never split still reports on its own
    assert TaskStatus.ACCEPTED == Task.objects.get(pk=part.pk).status


@pytest.mark.parametrize("viewer", ["supervisor", "district_sup", "town_a_staff", "pseudo_staff"])
def test_the_lights_list_rolls_up_as_the_task_page_for_every_scope(lv, viewer):
    """``light_page`` (plain rows through ``RollupCodes``; the office's stream holds every lit task, a narrower
    scope reads the sub-tasks it lacks) gives each task the code ``lights_for`` gives it, two levels down too."""
    from duban.core.actions import user_create
    from duban.followup.selectors import light_page

    city, part, part2, town_a, town_b = _red_township(lv)
    users = {"supervisor": lv.org.supervisor, "district_sup": lv.district_sup, "town_a_staff": lv.town_a_staff,
             # sees the city task it leads (各辖市区), none of the parts below it
             "pseudo_staff": user_create(actor=lv.org.system, username="pseudo_staff", password="Pseudo-pass-2026!",
                                         role="unit_staff", unit=lv.all_districts, display_name="各辖市区")}
    rows, count = light_page(viewer=users[viewer])
    assert count == len(rows)
    lights = lights_for(list(Task.objects.filter(pk__in=[t.pk for t, _ in rows])))
    assert [(t.pk, light.code) for t, light in rows] == [(t.pk, lights[t.pk].code) for t, _ in rows]
    reds = {t.pk for t, light in rows if light.code == "red"}
    expected = {"supervisor": {city.pk, part.pk, town_b.pk}, "district_sup": {part.pk, town_b.pk},
                "town_a_staff": set(), "pseudo_staff": {city.pk}}
    assert reds == expected[viewer]
    assert rows[:len(reds)] == [r for r in rows if r[0].pk in reds]  # reddest first


def test_the_task_list_reads_the_sub_tasks_of_its_page_in_one_go(lv, client):
    """A page with split tasks costs the same number of queries with one tree as with three (no query a row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/tasks/").status_code == 200
        return len(ctx.captured_queries)

    lv.world()
    login(client, lv.org.supervisor)
    client.get("/tasks/")  # the figure cache and the session settle
    one = queries()
    for _ in range(2):
        city = lv.city_task()
        part, part2 = lv.split(lv.org.supervisor, city, lv.district, lv.district2)
        lv.split(lv.district_sup, part, lv.town_a, lv.town_b)
    client.get("/tasks/")
    assert queries() == one
