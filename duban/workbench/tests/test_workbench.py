"""工作台: each role's home lists what that person must act on, each item one click from its action, with the
count in the navigation; the same number of queries at any size."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.conftest import login
from duban.followup import actions as followup_actions
from duban.followup.tests.conftest import place_task
from duban.tasks import actions
from duban.tasks.models import Priority, Task
from duban.workbench.selectors import workbench_get
from duban.tasks.selectors import today_local

pytestmark = pytest.mark.django_db


def _section(wb, key):
    return next(s for s in wb.sections if s.key == key)


def _ids(section):
    return [row.pk for row in section.rows]


@pytest.fixture
def day(org):
    """One task in each situation the office and the units must act on."""
    t = {}
    t["to_sign"] = org.task_in("assigned", title="待签收的事项")
    t["returned"] = org.task_in("returned", title="被退回的事项")
    t["report"] = org.task_in("in_progress", title="有新进展的事项")
    t["close"] = org.task_in("close_requested", title="申请办结的事项")
    t["new_red"] = org.task_in("accepted", title="刚超期的事项")
    Task.objects.filter(pk=t["new_red"].pk).update(deadline=today_local() - dt.timedelta(days=2))
    t["old_red"] = org.task_in("accepted", title="早已超期的事项")
    Task.objects.filter(pk=t["old_red"].pk).update(deadline=today_local() - dt.timedelta(days=40))
    t["soon"] = org.task_in("accepted", title="三日内到期的事项")
    Task.objects.filter(pk=t["soon"].pk).update(deadline=today_local() + dt.timedelta(days=2))
    t["no_deadline"] = org.task_in("accepted", title="没有时限的事项", deadline=None)
    t["far"] = org.task_in("accepted", title="时间充裕的事项")
    t["close_returned"] = org.task_in("close_requested", title="办结被退回的事项")
    actions.report_return(actor=org.supervisor, report_id=t["close_returned"].latest_report_id, reason="佐证不足")
    followup_actions.extension_request(actor=org.lead_staff, task_id=t["far"].pk,
                                       new_deadline=today_local() + dt.timedelta(days=90), reason="工程量大")
    return t


def test_the_office_sees_what_waits_for_it(org, day):
    wb = workbench_get(viewer=org.supervisor, today=today_local())
    assert wb.role == "office"
    reports = _section(wb, "reports")
    assert {r.task_id for r in reports.rows} == {day["report"].pk, day["close"].pk}
    assert reports.rows[0].request_close  # close requests first
    assert [e.task_id for e in _section(wb, "extensions").rows] == [day["far"].pk]
    assert _ids(_section(wb, "returned")) == [day["returned"].pk]
    assert _ids(_section(wb, "new_red")) == [day["new_red"].pk]  # not the one red for 40 days
    assert _ids(_section(wb, "due_soon")) == [day["soon"].pk]
    assert _ids(_section(wb, "no_deadline")) == [day["no_deadline"].pk]
    assert wb.total == 2 + 1 + 1 + 1 + 1 + 1


def test_a_unit_sees_what_waits_for_it(org, day):
    wb = workbench_get(viewer=org.lead_staff, today=today_local())
    assert wb.role == "unit"
    assert _ids(_section(wb, "to_sign")) == [day["to_sign"].pk]
    due = _section(wb, "due_soon")
    assert _ids(due)[:3] == [day["old_red"].pk, day["new_red"].pk, day["soon"].pk]
    assert day["far"].pk not in _ids(due) and day["no_deadline"].pk not in _ids(due)
    assert _ids(_section(wb, "close_returned")) == [day["close_returned"].pk]
    # another unit sees none of it
    other = workbench_get(viewer=org.other_staff, today=today_local())
    assert all(s.count == 0 for s in other.sections)


def test_reports_due_follow_each_tasks_cycle(org):
    weekly = place_task(org.task_in("in_progress", title="每周报送"), assigned=today_local() - dt.timedelta(days=30),
                        deadline=today_local() + dt.timedelta(days=60), cycle="weekly",
                        reported=today_local() - dt.timedelta(days=6))
    monthly = place_task(org.task_in("in_progress", title="每月报送"), assigned=today_local() - dt.timedelta(days=3),
                         deadline=today_local() + dt.timedelta(days=200), cycle="monthly",
                         reported=today_local() - dt.timedelta(days=1))
    rows = _section(workbench_get(viewer=org.lead_staff, today=today_local()), "to_report").rows
    assert [t.pk for t in rows] == [weekly.pk]  # the monthly one is due in about a month
    assert rows[0].report_due <= today_local() + dt.timedelta(days=7)
    assert monthly.pk not in [t.pk for t in rows]


def test_reports_due_are_the_working_tasks_due_by_the_rule_computed_one_by_one(org):
    """The section reads the kept due (``Task.report_due``); it holds exactly what the rule gives task by task
    (``task_report_due`` of each open, working, unsplit task of the scope, due within seven days), in due order,
    with the same count, as the section computed before the due was kept."""
    from duban.tasks import permissions as perms
    from duban.followup.lights import task_report_due
    from duban.workbench.selectors import SHOWN, UNIT_SOON_DAYS

    cycles = [("weekly", 0), ("biweekly", 0), ("monthly", 0), ("workdays", 2), ("workdays", 9), ("once", 0)]
    for i in range(14):
        cycle, every = cycles[i % len(cycles)]
        status = ("in_progress", "accepted", "assigned", "close_requested")[i % 4]
        place_task(org.task_in(status, title=f"报送事项{i}", coop_unit_ids=[org.health.pk]),
                   assigned=today_local() - dt.timedelta(days=3 * i), deadline=today_local() + dt.timedelta(days=(5, 90)[i % 2]),
                   cycle=cycle, every=every, reported=today_local() - dt.timedelta(days=2 * i))
    horizon = today_local() + dt.timedelta(days=UNIT_SOON_DAYS)
    for viewer in (org.lead_staff, org.coop_staff, org.other_staff):
        working = (perms.tasks_visible_to(viewer).filter(status__in=("accepted", "in_progress"), rolled_progress=None)
                   .select_related("latest_report"))
        due = sorted((task_report_due(t), t.pk) for t in working
                     if task_report_due(t) is not None and task_report_due(t) <= horizon)
        section = _section(workbench_get(viewer=viewer, today=today_local()), "to_report")
        assert section.count == len(due), viewer.username
        assert [(t.report_due, t.pk) for t in section.rows] == due[:SHOWN], viewer.username
    assert _section(workbench_get(viewer=org.lead_staff, today=today_local()), "to_report").count > 0


def test_a_unit_sees_the_offices_changes_in_its_workbench(org, client):
    task = org.task_in("accepted")
    actions.task_deadline_adjust(actor=org.supervisor, task_id=task.pk, version=task.version,
                                 deadline=today_local() + dt.timedelta(days=100), reason="统筹安排")
    followup_actions.task_urge(actor=org.supervisor, task_id=task.pk, message="请周五前报送")
    login(client, org.coop_staff)
    page = client.get("/").content.decode()
    news = page[page.index('id="wb-news"'):]
    assert "办理时限调整" in news and "督查室催办" in news and "请周五前报送" in news


def test_the_leader_sees_important_tasks_and_red_by_area_and_unit(org, day, client):
    Task.objects.filter(pk=day["soon"].pk).update(priority=Priority.URGENT)
    wb = workbench_get(viewer=org.leader, today=today_local())
    assert wb.role == "leader"
    assert _ids(_section(wb, "important")) == [day["soon"].pk]
    assert wb.summary["red_total"] == 2
    assert [(row["name"], row["overdue"]) for row in wb.summary["by_unit"]] == [("市应急管理局", 2)]
    assert [(row["name"], row["overdue"]) for row in wb.summary["by_area"]] == [("安全生产", 2)]
    login(client, org.leader)
    page = client.get("/").content.decode()
    assert 'id="wb-red-total">2<' in page and 'id="stat-total"' in page


def test_the_leader_follows_the_tasks_they_marked_reddest_first(org, day, client):
    """重点关注 on the leader's 工作台 is the leader's own marks, each with its light, an overdue task before one on
    time; a mark taken off leaves the list, and tasks the leader did not mark are not in it."""
    for key in ("far", "old_red"):
        followup_actions.task_watch_set(actor=org.leader, task_id=day[key].pk, watching=True)
    followup_actions.task_watch_set(actor=org.leader, task_id=day["soon"].pk, watching=True)
    followup_actions.task_watch_set(actor=org.leader, task_id=day["soon"].pk, watching=False)
    watch = _section(workbench_get(viewer=org.leader, today=today_local()), "watch")
    assert watch.count == 2
    assert [task.pk for task, _light in watch.rows] == [day["old_red"].pk, day["far"].pk]
    assert [light.code for _task, light in watch.rows] == ["red", "green"]
    login(client, org.leader)
    page = client.get("/").content.decode()
    section = page[page.index('id="wb-watch"'):page.index('id="wb-important"')]
    assert "早已超期的事项" in section and "时间充裕的事项" in section and "三日内到期的事项" not in section
    assert "红灯" in section and 'href="/followup/watchlist/"' in section


def test_each_item_links_to_where_it_is_acted_on(org, day, client):
    login(client, org.supervisor)
    page = client.get("/").content.decode()
    close_report = day["close"].latest_report_id
    assert f'action="/followup/reports/{close_report}/accept/"' in page  # 同意办结 right there
    assert f'href="/tasks/{day["returned"].pk}/"' in page
    assert f'href="/tasks/{day["far"].pk}/#task-followup"' in page
    assert 'class="badge text-bg-secondary no-deadline">无时限<' in page
    assert re.search(r"（逾期2天）", page)


def test_the_office_approves_a_close_request_from_the_workbench(org, day, client):
    login(client, org.supervisor)
    report = day["close"].latest_report_id
    response = client.post(f"/followup/reports/{report}/accept/", {"next": "/"})
    assert response["Location"] == "/"
    assert Task.objects.get(pk=day["close"].pk).status == "closed"


def test_a_close_request_with_open_subtasks_is_sent_to_the_task_page_not_approved_in_one_click(org, client):
    """A close request on a task whose sub-tasks are still open can only be approved with a reason, which the
    工作台 has no field for: its row offers the task page (and says why) instead of a 同意办结 that would be
    refused; a close request without open sub-tasks keeps its one-click 同意办结."""
    from duban.tasks.tests.levels_world import make_levels

    lv = make_levels(org)
    city, part, part2, town_a, town_b = lv.world()
    split = lv.ask_to_close(lv.district_staff, part)
    plain = lv.ask_to_close(lv.district2_staff, part2)
    login(client, org.supervisor)
    page = client.get("/").content.decode()
    section = page[page.index('id="wb-reports"'):]
    section = section[:section.index("</section>")]
    rows = {int(re.search(r'href="/tasks/(\d+)/', row).group(1)): row
            for row in re.findall(r'<li class="list-group-item wb-item">(.*?)</li>', section, re.S)}
    assert f'/followup/reports/{split.pk}/accept/' not in rows[part.pk]
    assert "尚有2项子任务未办结，须填写理由方可办结" in rows[part.pk]
    assert f'href="/tasks/{part.pk}/#task-followup"' in rows[part.pk]
    assert f'action="/followup/reports/{plain.pk}/accept/"' in rows[part2.pk] and "未办结" not in rows[part2.pk]


def test_the_navigation_count(org, day, client):
    login(client, org.lead_staff)
    expected = workbench_get(viewer=org.lead_staff, today=today_local()).total
    assert expected > 0
    assert client.get("/workbench/count/").content.decode() == str(expected)
    assert 'hx-get="/workbench/count/"' in client.get("/tasks/").content.decode()
    login(client, org.other_staff)
    assert client.get("/workbench/count/").content.decode() == ""


@pytest.mark.parametrize("viewer", ["supervisor", "lead_staff", "leader"])
def test_the_workbench_costs_the_same_queries_at_any_size(org, client, viewer):
    user = getattr(org, viewer)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            workbench_get(viewer=user, today=today_local())
        return len(ctx.captured_queries)

    for i in range(3):
        org.task_in("in_progress", title=f"事项{i}")
    queries()  # the user's profile is loaded once
    small = queries()
    for i in range(12):
        org.task_in(("in_progress", "returned", "close_requested")[i % 3], title=f"更多事项{i}")
    # a leader's figures are kept per unit: the first read after the writes recounts the units they touched (a
    # fixed number of statements), the next reads them
    queries()
    assert queries() == small


def test_a_section_counts_every_item_though_it_shows_eight(org):
    """The count is of all the items waiting, in the viewer's scope; the rows are the first eight of them."""
    from duban.workbench.selectors import SHOWN

    ours = [org.task_in("assigned", title=f"待签收的事项{i}", deadline=None) for i in range(SHOWN + 3)]
    org.task_in("assigned", title="另一单位待签收的事项", deadline=None, lead_unit_id=org.other.pk, coop_unit_ids=[])
    to_sign = _section(workbench_get(viewer=org.lead_staff, today=today_local()), "to_sign")
    assert to_sign.count == SHOWN + 3  # not the other unit's
    assert _ids(to_sign) == sorted(t.pk for t in ours)[:SHOWN]
    assert _section(workbench_get(viewer=org.other_staff, today=today_local()), "to_sign").count == 1
    office = _section(workbench_get(viewer=org.supervisor, today=today_local()), "no_deadline")
    assert office.count == SHOWN + 4 and len(office.rows) == SHOWN


def test_a_cooperating_unit_is_asked_for_its_part_until_it_files_it(org, client):
    # 市卫健委 cooperates on the tasks led by 市应急管理局 (org's default), and leads one of its own.
    working = org.task_in("in_progress", title="需要配合的事项")
    org.task_in("assigned", title="牵头单位尚未签收")  # nobody reports before the lead unit accepts
    own = org.task_in("assigned", title="卫健委牵头的事项", lead_unit_id=org.health.pk, coop_unit_ids=[])
    actions.task_accept(actor=org.coop_staff, task_id=own.pk)  # its own task: reported as the lead, not a part
    wb = workbench_get(viewer=org.coop_staff, today=today_local())
    assert _ids(_section(wb, "coop")) == [working.pk]
    assert _section(wb, "coop").count == 1 and wb.total >= 1
    login(client, org.coop_staff)
    page = client.get("/").content.decode()
    assert f'href="/tasks/{working.pk}/#report-form"' in page[page.index('id="wb-coop"'):]
    report = actions.report_submit(actor=org.coop_staff, task_id=working.pk, text="配合意见：已完成演练",
                                   progress_percent=0)
    assert _section(workbench_get(viewer=org.coop_staff, today=today_local()), "coop").count == 0
    actions.report_return(actor=org.supervisor, report_id=report.pk, reason="请写明演练时间")
    assert _ids(_section(workbench_get(viewer=org.coop_staff, today=today_local()), "coop")) == [working.pk]  # returned
    assert _section(workbench_get(viewer=org.lead_staff, today=today_local()), "coop").count == 0  # the lead's own


def test_a_leaders_comment_reaches_the_lead_units_workbench(org, client):
    task = org.task_in("in_progress")
    followup_actions.task_comment(actor=org.leader, task_id=task.pk, text="请市应急管理局加快进度，月底前报结果")
    login(client, org.lead_staff)
    page = client.get("/").content.decode()
    news = page[page.index('id="wb-news"'):]
    assert "领导批示" in news and "月底前报结果" in news


def test_a_sections_all_link_opens_the_task_list_of_exactly_its_items(org, day, client):
    """A section by deadline shows eight rows; its “全部 N 项” opens the task list filtered by the same rule, which
    lists those N tasks and no other: due within three days while being worked on (三日内到期), open without a
    deadline (无时限事项), overdue since at most seven days (新亮红灯), and a unit's overdue or due within seven
    days while being worked on (逾期和即将到期)."""
    from duban.workbench.selectors import SHOWN

    for i in range(SHOWN + 1):
        org.task_in("accepted", title=f"没有时限的事项{i}", deadline=None)
        soon = org.task_in("in_progress", title=f"即将到期的事项{i}")
        Task.objects.filter(pk=soon.pk).update(deadline=today_local() + dt.timedelta(days=i % 4))
    org.task_in("closed", title="已办结的无时限事项", deadline=None)  # closed: in no section
    org.task_in("draft", title="草稿事项", deadline=None)
    supervised, open_ = ("assigned", "accepted", "in_progress"), ("assigned", "accepted", "in_progress",
                                                                  "close_requested", "returned")
    week = dt.timedelta(days=7)
    expected = {
        (org.supervisor, "due_soon"): Task.objects.filter(status__in=supervised, deadline__gte=today_local(),
                                                          deadline__lte=today_local() + dt.timedelta(days=3)),
        (org.supervisor, "no_deadline"): Task.objects.filter(status__in=open_, deadline=None),
        (org.supervisor, "new_red"): Task.objects.filter(status__in=open_, deadline__lt=today_local(),
                                                         deadline__gte=today_local() - week),
        (org.lead_staff, "due_soon"): Task.objects.filter(status__in=supervised, deadline__lte=today_local() + week),
    }
    for (viewer, key), tasks in expected.items():
        wanted = sorted(tasks.values_list("pk", flat=True))
        section = _section(workbench_get(viewer=viewer, today=today_local()), key)
        assert section.count == len(wanted) and len(section.rows) == min(SHOWN, len(wanted)), key
        login(client, viewer)
        page = client.get("/").content.decode()
        header = page[page.index(f'id="wb-{key}"'):]
        header = header[:header.index("</div>")]
        link = re.search(r'href="([^"]+)">全部 (\d+) 项</a>', header)
        assert link and int(link.group(2)) == len(wanted), key
        listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
        assert f"共 {len(wanted)} 条" in listed, key
        assert sorted(int(pk) for pk in re.findall(r'<a href="/tasks/(\d+)/" class="fw-semibold">', listed)) == wanted
    assert len(expected[(org.supervisor, "due_soon")]) > SHOWN
    assert len(expected[(org.supervisor, "no_deadline")]) > SHOWN


def test_each_row_is_one_tap_target_and_says_who_issued_it_and_where_from(org, client):
    """Two tasks of one title waiting for a township are told apart on its 工作台: each row says who issued it
    (the district's 督查室 for its sub-task, the city's 督查室 for the one it assigned) and where it comes from (the
    meeting, else the kind of task); the whole row is the link (stretched over the row), not only the title."""
    from duban.tasks.tests.levels_world import make_levels

    lv = make_levels(org)
    city, part, part2, town_a, town_b = lv.world()
    from duban.meetings.models import Meeting

    direct = org.task_in("assigned", title=town_a.title, lead_unit_id=lv.town_a.pk, coop_unit_ids=[],
                         kind="instruction")
    meeting = Meeting.objects.create(title="市政府第12次常务会议", date=today_local(), source_text="会议",
                                     created_by=org.supervisor)
    Task.objects.filter(pk=town_a.pk).update(meeting=meeting)
    login(client, lv.town_a_staff)
    page = client.get("/").content.decode()
    assert "{#" not in page  # no template comment shows
    section = page[page.index('id="wb-to_sign"'):]
    section = section[:section.index("</section>")]
    rows = re.findall(r'<li class="list-group-item wb-item">(.*?)</li>', section, re.S)
    assert len(rows) == 2
    by_task = {int(re.search(r'href="/tasks/(\d+)/"', row).group(1)): row for row in rows}
    source = {pk: re.search(r'class="small text-muted wb-source">(.*?)</div>', row).group(1)
              for pk, row in by_task.items()}
    assert source == {town_a.pk: "临川区人民政府督查室下达 · 市政府第12次常务会议", direct.pk: "督查室下达 · 领导批示"}
    for row in rows:
        assert re.search(r'<a class="[^"]*\bstretched-link\b[^"]*" href="/tasks/\d+/"', row)


def test_a_leaders_deadline_waits_on_the_offices_workbench_until_it_is_decided(org, client):
    """A 批示 that sets a deadline waits for the supervising office to confirm it: the office's 工作台 lists its
    task, linked to the 批示 on the task page where it is confirmed or not; once decided it leaves the list. A 批示
    without a deadline waits for nobody."""
    task = org.task_in("accepted", title="待确认批示时限的事项")
    other = org.task_in("accepted", title="只有批示内容的事项")
    proposed = task.deadline - dt.timedelta(days=10)
    comment = followup_actions.task_comment(actor=org.leader, task_id=task.pk, text="请提前办结", deadline=proposed)
    followup_actions.task_comment(actor=org.leader, task_id=other.pk, text="抓紧落实")
    wb = workbench_get(viewer=org.supervisor, today=today_local())
    section = _section(wb, "deadline_changes")
    assert section.count == 1 and _ids(section) == [task.pk]
    assert "deadline_changes" not in [s.key for s in workbench_get(viewer=org.lead_staff, today=today_local()).sections]
    login(client, org.supervisor)
    page = client.get("/").content.decode()
    part = page[page.index('id="wb-deadline_changes"'):]
    part = part[:part.index("</section>")]
    assert f'href="/tasks/{task.pk}/#leader-comments"' in part and "待确认批示时限的事项" in part
    assert "领导批示调整时限，待确认" in part
    assert "只有批示内容的事项" not in part
    detail = client.get(f"/tasks/{task.pk}/").content.decode()
    assert f'action="/followup/comments/{comment.pk}/confirm-deadline/"' in detail  # confirmed right there
    followup_actions.deadline_change_confirm(actor=org.supervisor, comment_id=comment.pk)
    assert _section(workbench_get(viewer=org.supervisor, today=today_local()), "deadline_changes").count == 0


def test_a_leaders_deadline_on_a_sub_task_waits_on_the_issuing_levels_workbench(org):
    """The level that issued a task confirms a 批示's deadline on it: the district's 督查室 for its sub-task, not the
    city office."""
    from duban.tasks.tests.levels_world import make_levels

    lv = make_levels(org)
    city, part, part2, town_a, town_b = lv.world()
    followup_actions.task_comment(actor=org.leader, task_id=town_a.pk, text="请提前完成",
                                  deadline=town_a.deadline - dt.timedelta(days=5))
    assert _ids(_section(workbench_get(viewer=lv.district_sup, today=today_local()), "deadline_changes")) == [town_a.pk]
    assert _section(workbench_get(viewer=org.supervisor, today=today_local()), "deadline_changes").count == 0


def test_the_morning_after_assigning_the_office_sees_what_is_unsigned_and_whom_nobody_hears(org, client):
    """The day after 交办 most tasks are still unsigned and some lead units have nobody to receive notices (the
    office holds them: 代收; one unit's only person has left). The office's 工作台 shows 未签收 (the tasks the
    dashboard counts so: given out, not signed for) and 牵头单位无人接收通知 (its open tasks whose lead unit has
    nobody), each with a link to the task list of exactly those tasks."""
    from django.contrib.auth import get_user_model

    from duban.core.actions import unit_create, user_create

    nobody = unit_create(actor=org.system, name="市人社局")
    left = unit_create(actor=org.system, name="市农业农村局")
    gone = user_create(actor=org.system, username="wutao", password="x-Y-z-12345678", role="unit_staff", unit=left,
                       display_name="吴涛")
    signed_unreached = org.task_in("assigned", title="农业农村局已签收", lead_unit_id=left.pk, coop_unit_ids=[])
    actions.task_accept(actor=gone, task_id=signed_unreached.pk)
    get_user_model().objects.filter(pk=gone.pk).update(is_active=False)  # 吴涛 left after signing for it
    unsigned_reached = org.task_in("assigned", title="应急局未签收")
    unsigned_unreached = org.task_in("assigned", title="人社局未签收", lead_unit_id=nobody.pk, coop_unit_ids=[])
    org.task_in("accepted", title="应急局已签收")
    closed = org.task_in("closed", title="已办结")
    Task.objects.filter(pk=closed.pk).update(lead_unit=nobody)  # closed: nothing to hear of
    org.task_in("draft", title="人社局草稿", lead_unit_id=nobody.pk, coop_unit_ids=[])
    expected = {"unsigned": {unsigned_reached.pk, unsigned_unreached.pk},
                "unreached": {unsigned_unreached.pk, signed_unreached.pk}}
    wb = workbench_get(viewer=org.supervisor, today=today_local())
    for key, wanted in expected.items():
        section = _section(wb, key)
        assert section.count == len(wanted) and set(_ids(section)) == wanted, key
    assert _section(wb, "unsigned").title == "未签收"
    assert _section(wb, "unreached").title == "牵头单位无人接收通知"
    assert wb.total == 0  # what waits for the units: not counted as waiting for the office
    login(client, org.supervisor)
    page = client.get("/").content.decode()
    for key, wanted in expected.items():
        header = page[page.index(f'id="wb-{key}"'):]
        header = header[:header.index("</div>")]
        link = re.search(r'href="([^"]+)">全部 (\d+) 项</a>', header)
        assert link and link.group(1) == f"/tasks/?todo={key}" and int(link.group(2)) == len(wanted), key
        listed = client.get(link.group(1)).content.decode()
        assert f"共 {len(wanted)} 条" in listed, key
        assert {int(pk) for pk in re.findall(r'<a href="/tasks/(\d+)/" class="fw-semibold">', listed)} == wanted
    # the list's 待办 filter offers both
    assert '<option value="unsigned" selected>未签收</option>' in client.get("/tasks/?todo=unsigned").content.decode()
    # a unit's people have neither section
    unit = workbench_get(viewer=org.lead_staff, today=today_local())
    assert not {"unsigned", "unreached"} & {s.key for s in unit.sections}


def test_a_units_latest_requests_say_what_holds_now(org, client):
    """督查室最新要求和领导批示 on the lead unit's 工作台: a 批示's deadline reads 待督查室确认 only until the office
    decides it (then 督查室已确认), the confirmation itself (根据领导批示，办理时限调整为…) is listed, and so is a
    hazard's failed review (隐患复查未通过，请继续整改), the request the unit most needs."""
    from duban.sources import actions as source_actions

    task = org.task_in("accepted", title="燃气安全排查")
    proposed = task.deadline - dt.timedelta(days=10)
    comment = followup_actions.task_comment(actor=org.leader, task_id=task.pk, text="请提前报初步排查情况",
                                            deadline=proposed)
    login(client, org.lead_staff)

    def news() -> str:
        page = client.get("/").content.decode()
        part = page[page.index('id="wb-news"'):]
        return re.sub(r"<[^>]+>", "", part[:part.index("</section>")])  # as read

    assert f"请提前报初步排查情况（批示时限：{proposed.isoformat()}，待督查室确认）" in news()
    followup_actions.deadline_change_confirm(actor=org.supervisor, comment_id=comment.pk)
    shown = news()
    assert "待督查室确认" not in shown
    assert f"请提前报初步排查情况（批示时限：{proposed.isoformat()}，督查室已确认）" in shown
    assert f"根据领导批示，办理时限调整为{proposed.isoformat()}" in shown

    hazard = source_actions.hazard_create(actor=org.supervisor, place="城南农贸市场", category="gas",
                                          severity="major", description="钢瓶与灶具间距不足。",
                                          deadline=today_local() + dt.timedelta(days=10), responsible_person="张建国",
                                          lead_unit_id=org.safety.pk, assign=True)
    hazard = source_actions.hazard_rectify(actor=org.lead_staff, hazard_id=hazard.pk, version=hazard.version,
                                           rectification="已移至室外。")
    source_actions.hazard_review(actor=org.supervisor, hazard_id=hazard.pk, version=hazard.version, passed=False,
                                 note="软管仍未更换")
    shown = news()
    assert "隐患复查未通过，请继续整改：城南农贸市场" in shown and "软管仍未更换" in shown
