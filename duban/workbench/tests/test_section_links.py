"""Every count on a 工作台 that links to the task list opens exactly the tasks it counts: each section of tasks of
every role (the office, a district's 督查室, a unit's staff, a leader) says “全部 N 项” and its list has those N
tasks, and the leader's 红灯 figures by area and by lead unit each open their own overdue tasks."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from duban.conftest import login
from duban.followup import actions as followup_actions
from duban.tasks import actions
from duban.tasks.models import Priority, ProgressReport, Task
from duban.tasks.tests.levels_world import make_levels
from duban.workbench.selectors import workbench_get
from duban.tasks.selectors import today_local

pytestmark = pytest.mark.django_db
# sections that are not lists of tasks: progress reports (their own page), extension requests (their own page:
# duban/followup/tests/test_extensions_pending.py), notifications, the leader's marks (their own page)
NOT_TASK_LISTS = {"reports", "extensions", "news", "watch"}


def _health_led(org, title: str, **kw):
    """A task 市卫健委 leads and 市应急管理局 cooperates on, signed for by 市卫健委."""
    task = org.task_in("assigned", title=title, lead_unit_id=org.health.pk, coop_unit_ids=[org.safety.pk], **kw)
    return actions.task_accept(actor=org.coop_staff, task_id=task.pk)


def _shift(task, days: int):
    Task.objects.filter(pk=task.pk).update(deadline=today_local() + dt.timedelta(days=days))


@pytest.fixture
def busy(org):
    """At least one task in each 工作台 section of the office, the district's 督查室, a unit and the leader, and
    near each of them a task the section must not count though a looser filter would list it."""
    lv = make_levels(org)
    city, part, part2, town_a, town_b = lv.world()
    # the office: an assignment sent back, and a district's sub-task sent back (the district's, not the office's)
    org.task_in("returned", title="退回督查室的事项")
    actions.task_decline(actor=lv.town_b_staff, task_id=town_b.pk, reason="不属于本镇职责")
    # leaders' 批示 deadlines waiting: one for the office, one for the district's 督查室
    followup_actions.task_comment(actor=org.leader, task_id=part2.pk, text="请提前完成",
                                  deadline=part2.deadline - dt.timedelta(days=5))
    followup_actions.task_comment(actor=org.leader, task_id=town_a.pk, text="请提前完成",
                                  deadline=town_a.deadline - dt.timedelta(days=5))
    # overdue: newly, long ago, a district sub-task; due soon; no deadline
    for title, days in (("刚超期的事项", -2), ("早已超期的事项", -40), ("三日内到期的事项", 2)):
        _shift(org.task_in("accepted", title=title), days)
    _shift(town_a, -3)
    org.task_in("accepted", title="没有时限的事项", deadline=None)
    # a unit (市应急管理局): to sign for, a report due, its part as a cooperating unit, a close request returned
    org.task_in("assigned", title="待签收的事项")
    due = org.task_in("accepted", title="该报送进展的事项")
    Task.objects.filter(pk=due.pk).update(report_due=today_local() + dt.timedelta(days=2))
    _health_led(org, "配合市卫健委的事项")
    filed = _health_led(org, "已报配合意见的事项")
    ProgressReport.objects.create(task=filed, unit=org.safety, author=org.lead_staff, text="配合意见")
    back = org.task_in("close_requested", title="办结被退回的事项")
    actions.report_return(actor=org.supervisor, report_id=back.latest_report_id, reason="佐证不足")
    # the leader: important and urgent open tasks, and a closed urgent one (in no section)
    Task.objects.filter(pk=org.task_in("accepted", title="紧急事项").pk).update(priority=Priority.URGENT)
    Task.objects.filter(pk=org.task_in("closed", title="已办结的紧急事项").pk).update(priority=Priority.URGENT)
    org.task_in("draft", title="草稿事项")
    return lv


def _listed(client, url: str) -> tuple[int, set[int]]:
    """The task list at ``url``: its total (共 N 条) and the tasks on its page."""
    page = client.get(url.replace("&amp;", "&")).content.decode()
    total = int(re.search(r"共 (\d+) 条", page).group(1))
    return total, {int(pk) for pk in re.findall(r'<a href="/tasks/(\d+)/" class="fw-semibold">', page)}


CHECKED = {"supervisor": {"deadline_changes", "returned", "new_red", "due_soon", "no_deadline"},
           "district_sup": {"deadline_changes", "returned", "issued_red", "due_soon"},
           "lead_staff": {"to_sign", "to_report", "coop", "due_soon", "close_returned"},
           "leader": {"important"}}


@pytest.mark.parametrize("who", sorted(CHECKED))
def test_each_section_of_tasks_opens_the_list_of_exactly_its_tasks(org, busy, client, who):
    viewer = getattr(busy, who, None) or getattr(org, who)
    wb = workbench_get(viewer=viewer, today=today_local())
    login(client, viewer)
    page = client.get("/").content.decode()
    checked = []
    for section in wb.sections:
        if section.key in NOT_TASK_LISTS or not section.count:
            continue
        header = page[page.index(f'id="wb-{section.key}"'):]
        header = header[:header.index("</div>")]
        link = re.search(r'href="(/tasks/\?[^"]+)">全部 (\d+) 项</a>', header)
        assert link, f"{who}'s {section.key} has no 全部 N 项 link"
        assert int(link.group(2)) == section.count, section.key
        total, shown = _listed(client, link.group(1))
        assert total == section.count, f"{who}'s {section.key}: {link.group(1)} lists {total}, counts {section.count}"
        assert {row.pk for row in section.rows} <= shown, section.key
        checked.append(section.key)
    assert set(checked) >= CHECKED[who]


def test_the_leaders_red_figures_open_their_own_overdue_tasks(org, busy, client):
    """红灯（逾期）事项: the total, each area's row (未分类 too) and each lead unit's row is a link to the list of its
    overdue tasks, whose total is the row's figure; a unit's row lists the tasks it leads, not those it cooperates
    on."""
    late = _health_led(org, "市应急管理局配合的超期事项", area_id=None)
    _shift(late, -5)
    login(client, org.leader)
    page = client.get("/").content.decode()
    panel = page[page.index('id="wb-red-summary"'):]
    panel = panel[:panel.index("</div></div>")]
    total = re.search(r'href="(/tasks/\?overdue=1)">全部 (\d+) 项</a>', panel)
    assert total and _listed(client, total.group(1))[0] == int(total.group(2))
    rows = re.findall(r'<tr><td><a href="([^"]+)">([^<]+)</a></td><td class="text-end">(\d+)</td></tr>', panel)
    names = [name for _url, name, _n in rows]
    assert "市应急管理局" in names and "市卫健委" in names and "未分类" in names
    for url, name, n in rows:
        assert _listed(client, url)[0] == int(n), f"{name}: {url}"
    safety = next(url for url, name, _n in rows if name == "市应急管理局")
    assert late.pk not in _listed(client, safety)[1]
