"""One palette: red only for overdue (红灯, 已逾期), 已办结 not red, 未签收 its own series, a task without a deadline
shown as 无时限 (grey) whatever the light rule says."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from duban.conftest import login
from duban.followup.lights import task_light
from duban.tasks import palette
from duban.tasks.models import Task, TaskStatus


def test_red_means_overdue_and_nothing_else():
    assert palette.LIGHTS["red"][2] == palette.RED and palette.SERIES["overdue"][1] == palette.RED
    others = [c for k, (_, _, c) in palette.LIGHTS.items() if k != "red"]
    others += [c for _, c in palette.STATUSES.values()] + [c for k, (_, c) in palette.SERIES.items() if k != "overdue"]
    assert palette.RED not in others
    assert "danger" not in " ".join(css for css, _ in palette.STATUSES.values())
    assert palette.status_colour(TaskStatus.CLOSED) == palette.DONE != palette.LIGHTS["green"][2]


def test_unsigned_has_its_own_colour():
    assert palette.status_colour(TaskStatus.ASSIGNED) not in (palette.status_colour(TaskStatus.IN_PROGRESS),
                                                              palette.status_colour(TaskStatus.ACCEPTED))
    assert palette.SERIES["unsigned"][0] == "未签收"


def test_no_deadline_is_shown_grey_whatever_the_light():
    assert palette.light_display(palette.NO_DEADLINE) == ("nodeadline", "无时限", "text-bg-secondary")
    assert palette.light_display("green")[1] == "绿灯"


@pytest.mark.django_db
def test_pages_show_no_deadline_and_colours_from_the_palette(client, org):
    open_without = org.task_in("accepted", deadline=None, title="没有时限的事项")
    # the one light rule gives a task without a deadline its own light, which the pages show as 无时限
    assert task_light(Task.objects.get(pk=open_without.pk), dt.date.today()).code == "nodeadline"
    late = org.task_in("accepted", title="超期的事项")
    Task.objects.filter(pk=late.pk).update(deadline=dt.date.today() - dt.timedelta(days=3))
    org.task_in("closed", title="办完的事项")
    org.task_in("assigned", title="未签收的事项")
    login(client, org.supervisor)
    rows = client.get("/tasks/").content.decode()
    row = rows[rows.index("没有时限的事项"):]
    row = row[:row.index("</tr>")]
    assert 'data-light="nodeadline"' in row and ">无时限<" in row and "绿灯" not in row
    row = rows[rows.index("超期的事项"):]
    row = row[:row.index("</tr>")]
    assert 'data-light="red"' in row and "text-bg-danger" in row
    row = rows[rows.index("办完的事项"):]
    row = row[:row.index("</tr>")]
    assert "status-closed text-bg-success" in row and "danger" not in row
    page = client.get(f"/tasks/{open_without.pk}/").content.decode()
    assert 'data-light="nodeadline"' in page and "绿灯" not in page

    home = client.get("/").content.decode()
    data = json.loads(re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', home,
                                re.S).group(1))
    series = {s["key"]: s for s in data["series"]}
    assert series["unsigned"]["name"] == "未签收" and series["overdue"]["color"] == palette.RED
    area = data["area"]  # every task is in 安全生产
    assert area["unsigned"] == [1] and area["overdue"] == [1] and area["closed"] == [1] and area["open"] == [1]
    colours = {s["name"]: s["itemStyle"]["color"] for s in data["status"]}
    assert colours["已办结"] == palette.DONE and palette.RED not in colours.values()
