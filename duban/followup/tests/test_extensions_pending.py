"""待审批延期 (/followup/extensions/): every extension request waiting for the viewer's decision, oldest first, each
with its task (a link), lead unit, current and requested deadline, reason, who asked and when; the office sees those
on the tasks it supervises, a district's 督查室 those on the sub-tasks its district issued, everyone else none. It
holds exactly what the 工作台's section counts (its “全部 N 项” opens it), and each request is decided there
through the task page's own forms, back to the list."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from duban.conftest import login
from duban.core.views import PAGE_SIZE
from duban.followup import actions
from duban.followup.models import ExtensionRequest, ExtensionStatus
from duban.tasks import actions as task_actions
from duban.tasks.models import Task
from duban.tasks.selectors import today_local
from duban.tasks.tests.levels_world import make_levels
from duban.workbench.selectors import SHOWN, workbench_get

pytestmark = pytest.mark.django_db
URL = "/followup/extensions/"


def ask(staff, task, days: int, reason: str = "工程量大", *, hours_ago: int = 0) -> ExtensionRequest:
    """``staff`` of the lead unit signs for ``task`` if need be and asks to extend it to ``days`` from today,
    ``hours_ago`` hours ago."""
    if Task.objects.get(pk=task.pk).status == "assigned":
        task_actions.task_accept(actor=staff, task_id=task.pk)
    request = actions.extension_request(actor=staff, task_id=task.pk, new_deadline=today_local() + dt.timedelta(days=days),
                                        reason=reason)
    ExtensionRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=hours_ago))
    return ExtensionRequest.objects.get(pk=request.pk)


@pytest.fixture
def waiting(org):
    """Requests waiting for the office (one on an office task, one on a district's part of a city task), one
    waiting for the district's 督查室 (a township's sub-task), one already decided."""
    lv = make_levels(org)
    city = lv.city_task(60)
    part, _part2 = lv.split(org.supervisor, city, lv.district, lv.district2, days=30)
    town_a, _town_b = lv.split(lv.district_sup, part, lv.town_a, lv.town_b, days=20)
    newer = ask(org.lead_staff, org.task_in("accepted", title="排查危化品企业"), 90, "等待省厅批复", hours_ago=1)
    older = ask(lv.district_staff, part, 45, "燃气管网改造工期长", hours_ago=5)
    town = ask(lv.town_a_staff, town_a, 25, "镇区管网图纸缺失", hours_ago=3)
    decided = ask(org.lead_staff, org.task_in("accepted", title="已审批延期的事项"), 80, hours_ago=9)
    actions.extension_reject(actor=org.supervisor, request_id=decided.pk, reason="理由不充分")
    return lv, {"office_new": newer, "office_old": older, "town": town, "decided": decided}


def listed(client) -> list[int]:
    """The requests on the list's page, in their order."""
    return [int(pk) for pk in re.findall(r'id="extension-(\d+)"', client.get(URL).content.decode())]


def test_the_office_sees_the_requests_on_the_tasks_it_supervises_oldest_first(org, waiting, client):
    lv, r = waiting
    login(client, org.supervisor)
    assert listed(client) == [r["office_old"].pk, r["office_new"].pk]  # not the township's, not the decided one
    page = client.get(URL).content.decode()
    row = page[page.index(f'id="extension-{r["office_old"].pk}"'):]
    row = row[:row.index('id="extension-', 1)]
    part = r["office_old"].task
    assert f'href="/tasks/{part.pk}/#task-followup"' in row and part.title in row
    assert "临川区人民政府" in row  # lead unit
    assert part.deadline.isoformat() in row and (today_local() + dt.timedelta(days=45)).isoformat() in row
    assert "燃气管网改造工期长" in row and "district_staff" in row
    assert timezone.localtime(r["office_old"].created_at).strftime("%Y-%m-%d %H:%M") in row


def test_a_districts_office_sees_only_the_requests_on_the_sub_tasks_its_district_issued(org, waiting, client):
    lv, r = waiting
    login(client, lv.district_sup)
    # not its own district's part (the office decides that one), though it may read that task
    assert listed(client) == [r["town"].pk]
    # and the decision the list posts stays the office's
    response = client.post(f"/followup/extensions/{r['office_old'].pk}/approve/", {"next": URL})
    assert response.status_code == 403
    assert ExtensionRequest.objects.get(pk=r["office_old"].pk).status == ExtensionStatus.PENDING


@pytest.mark.parametrize("who", ["lead_staff", "leader", "district_staff", "town_a_staff"])
def test_a_unit_or_a_leader_has_no_request_to_decide(org, waiting, client, who):
    lv, _r = waiting
    login(client, getattr(org, who, None) or getattr(lv, who))
    response = client.get(URL)
    assert response.status_code == 200 and listed(client) == []
    assert "没有待您审批的延期申请" in response.content.decode()


@pytest.mark.parametrize("who", ["supervisor", "district_sup"])
def test_the_workbench_sections_all_link_opens_the_list_of_exactly_its_requests(org, waiting, client, who):
    lv, _r = waiting
    viewer = getattr(org, who, None) or getattr(lv, who)
    issuer = org.supervisor if who == "supervisor" else lv.district_sup
    parent = lv.city_task(200) if who == "supervisor" else Task.objects.get(pk=waiting[1]["office_old"].task_id)
    units = [lv.district2, lv.town_a, lv.town_b] if who == "supervisor" else [lv.town_a, lv.town_b]
    staff = {lv.district2.pk: lv.district2_staff, lv.town_a.pk: lv.town_a_staff, lv.town_b.pk: lv.town_b_staff}
    # more than a section shows: sub-tasks of ``issuer``, each with a request
    for i in range(SHOWN // len(units) + 1):
        for sub in lv.split(issuer, parent, *units, days=10 + i):
            ask(staff[sub.lead_unit_id], sub, 12 + i, hours_ago=i)
    section = next(s for s in workbench_get(viewer=viewer, today=today_local()).sections if s.key == "extensions")
    assert section.count > SHOWN == len(section.rows)
    login(client, viewer)
    home = client.get("/").content.decode()
    header = home[home.index('id="wb-extensions"'):]
    header = header[:header.index("</div>")]
    link = re.search(r'href="([^"]+)">全部 (\d+) 项</a>', header)
    assert link and link.group(1) == URL and int(link.group(2)) == section.count
    page = client.get(URL).content.decode()
    assert f"共 {section.count} 条" in page
    assert listed(client) == [row.pk for row in ExtensionRequest.objects.filter(
        pk__in=re.findall(r'id="extension-(\d+)"', page)).order_by("created_at", "id")]
    assert [row.pk for row in section.rows] == listed(client)[:SHOWN]  # the section's rows are the list's first


def test_the_list_is_paginated_oldest_first(org, client):
    tasks = [org.task_in("accepted", title=f"事项{i}") for i in range(PAGE_SIZE + 2)]
    asked = [ask(org.lead_staff, t, 90, hours_ago=len(tasks) - i) for i, t in enumerate(tasks)]
    login(client, org.supervisor)
    first = client.get(URL).content.decode()
    assert f"共 {len(asked)} 条" in first and "下一页" in first
    assert listed(client) == [r.pk for r in asked[:PAGE_SIZE]]
    second = client.get(URL + "?page=2").content.decode()
    assert [int(pk) for pk in re.findall(r'id="extension-(\d+)"', second)] == [r.pk for r in asked[PAGE_SIZE:]]


def test_a_request_is_decided_from_the_list_by_the_task_pages_action_and_the_list_comes_back(org, waiting, client):
    lv, r = waiting
    login(client, org.supervisor)
    page = client.get(URL).content.decode()
    old, new = r["office_old"], r["office_new"]
    assert f'action="/followup/extensions/{old.pk}/approve/"' in page
    assert f'action="/followup/extensions/{new.pk}/reject/"' in page
    version = re.search(rf'extensions/{old.pk}/approve/".*?name="version" value="(\d+)"', page, re.S).group(1)
    response = client.post(f"/followup/extensions/{old.pk}/approve/",
                           {"version": version, "comment": "同意", "next": URL}, follow=True)
    assert response.redirect_chain[-1][0] == URL and "已批准延期" in response.content.decode()
    assert Task.objects.get(pk=old.task_id).deadline == old.new_deadline
    # a refusal without a reason is told on the list, and the request still waits there
    response = client.post(f"/followup/extensions/{new.pk}/reject/", {"reason": " ", "next": URL}, follow=True)
    assert "请填写不予批准的理由" in response.content.decode()
    assert ExtensionRequest.objects.get(pk=new.pk).status == ExtensionStatus.PENDING
    assert listed(client) == [new.pk]
