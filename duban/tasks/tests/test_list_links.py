"""The task list's filters are one set of rules for the list page, its export and the API: a dashboard figure that
links to the list opens exactly the tasks it counts (by lead unit: the tasks it leads, not those it cooperates on;
by area, 未分类 too; drafts, which no figure counts, left out), and an export of a filtered list holds the list's
rows."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from duban.conftest import login
from duban.tasks import actions
from duban.tasks.models import Task
from duban.tasks.selectors import today_local

pytestmark = pytest.mark.django_db


def _listed(client, url: str) -> tuple[int, set[int]]:
    """The task list at ``url``: its total (共 N 条) and the tasks on its page."""
    page = client.get(url.replace("&amp;", "&")).content.decode()
    total = int(re.search(r"共 (\d+) 条", page).group(1))
    return total, {int(pk) for pk in re.findall(r'<a href="/tasks/(\d+)/" class="fw-semibold">', page)}


@pytest.fixture
def both_roles(org):
    """市应急管理局 leads three tasks given out (one closed, one without an area) and a draft, and cooperates on two
    tasks 市卫健委 leads; 市卫健委 leads one more alone."""
    led = [org.task_in("assigned", title="应急局牵头一"), org.task_in("accepted", title="应急局牵头二", area_id=None),
           org.task_in("closed", title="应急局牵头三")]
    org.task_in("draft", title="应急局牵头的草稿")
    coop = []
    for title in ("卫健委牵头应急局配合一", "卫健委牵头应急局配合二"):
        coop.append(org.task_in("assigned", title=title, lead_unit_id=org.health.pk, coop_unit_ids=[org.safety.pk]))
    org.task_in("assigned", title="卫健委独办", lead_unit_id=org.health.pk, coop_unit_ids=[])
    return led, coop


def _figure_rows(page: str, table_id: str) -> dict[str, tuple[str | None, int]]:
    """A dashboard table's rows: name -> (its link, its 事项 figure)."""
    table = page[page.index(f'id="{table_id}"'):]
    table = table[:table.index("</table>")]
    rows = {}
    for cells in re.findall(r"<tr><td>(.*?)</td><td class=\"text-end\">(\d+)</td>", table):
        link = re.search(r'<a href="([^"]+)">([^<]+)</a>', cells[0])
        rows[link.group(2) if link else cells[0]] = (link.group(1) if link else None, int(cells[1]))
    return rows


@pytest.mark.parametrize("who", ["supervisor", "leader", "lead_staff"])
def test_a_dashboard_figure_opens_the_list_of_exactly_the_tasks_it_counts(org, both_roles, client, who):
    """按牵头单位 “市应急管理局 3” opens a list of those 3 tasks, not the 5 it leads or cooperates on, nor its draft;
    按工作领域's rows, 未分类 too, open lists as long as their figures."""
    led, coop = both_roles
    login(client, getattr(org, who))
    page = client.get("/").content.decode()
    units = _figure_rows(page, "table-unit")
    url, figure = units["市应急管理局"]
    assert figure == 3
    total, shown = _listed(client, url)
    assert total == figure and shown == {t.pk for t in led}
    areas = _figure_rows(page, "table-area")
    assert "未分类" in areas
    for name, (url, figure) in {**units, **areas}.items():
        assert url and _listed(client, url)[0] == figure, name


def test_the_list_filters_a_units_tasks_by_its_role(org, both_roles, client):
    """单位 with 承办 牵头 / 配合 / both, offered in the filter form."""
    led, coop = both_roles
    draft = Task.objects.get(title="应急局牵头的草稿")
    login(client, org.supervisor)
    base = f"/tasks/?unit={org.safety.pk}"
    assert _listed(client, base + "&role=lead")[1] == {t.pk for t in led} | {draft.pk}
    assert _listed(client, base + "&role=coop")[1] == {t.pk for t in coop}
    assert _listed(client, base)[1] == {t.pk for t in led + coop} | {draft.pk}
    assert _listed(client, base + "&role=lead&status=issued")[1] == {t.pk for t in led}
    form = client.get(base + "&role=coop").content.decode()
    assert '<option value="coop" selected>配合</option>' in form and 'name="role"' in form
    assert '<option value="issued">全部（不含草稿）</option>' in form


def test_the_api_list_has_the_pages_filters(org, both_roles, client):
    led, coop = both_roles
    login(client, org.supervisor)

    def ids(**params):
        response = client.get("/api/v1/tasks", params)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    assert ids(unit_id=org.safety.pk, unit_role="coop") == {t.pk for t in coop}
    assert ids(unit_id=org.safety.pk, unit_role="lead", status="issued") == {t.pk for t in led}
    Task.objects.filter(pk=led[0].pk).update(deadline=today_local() + dt.timedelta(days=1))
    assert ids(due="soon") == {led[0].pk}
    bad = client.get("/api/v1/tasks", {"due": "someday"})
    assert bad.status_code == 422 and bad.json()["message"] == "时限筛选条件无效：someday"


def _exported(client, query: str) -> set[str]:
    response = client.get(f"/reports/ledger/export.xlsx?{query}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [c.value for c in sheet[2]]
    return {dict(zip(names, row))["督办事项"] for row in sheet.iter_rows(min_row=3, values_only=True)}


@pytest.mark.parametrize("query", ["due=soon", "due=none", "due=week", "unit={safety}&role=lead&status=issued",
                                   "unit={safety}&role=coop", "area=none", "todo=returned"])
def test_the_export_of_a_filtered_list_has_exactly_the_lists_rows(org, both_roles, client, query):
    """导出台账 links with the list's own query string; whatever it filters by, the ledger has the list's tasks."""
    led, coop = both_roles
    Task.objects.filter(pk=led[0].pk).update(deadline=today_local() + dt.timedelta(days=2))
    org.task_in("accepted", title="无时限事项", deadline=None)
    returned = org.task_in("assigned", title="被退回事项")
    actions.task_decline(actor=org.lead_staff, task_id=returned.pk, reason="不属于本单位职责")
    query = query.format(safety=org.safety.pk)
    login(client, org.supervisor)
    total, shown = _listed(client, f"/tasks/?{query}")
    assert total == len(shown) > 0
    list_page = client.get(f"/tasks/?{query}").content.decode()
    assert f'href="/reports/ledger/export.xlsx?{query.replace("&", "&amp;")}"' in list_page
    assert _exported(client, query) == set(Task.objects.filter(pk__in=shown).values_list("title", flat=True))


def test_the_list_its_count_its_export_and_the_api_filter_by_source(org, client):
    """来源 (the kind of task): "all 督察交办件 in progress" on the list, counted as the list shows it, exported as the
    list's rows, and the same by the API; an unknown 来源 is refused by the API in both languages."""
    inspection = [org.task_in("accepted", title="督察交办件甲", kind="inspection", coop_unit_ids=[]),
                  org.task_in("assigned", title="督察交办件乙", kind="inspection", lead_unit_id=org.health.pk,
                              coop_unit_ids=[org.safety.pk])]
    org.task_in("accepted", title="会议事项", coop_unit_ids=[])
    org.task_in("assigned", title="批示件", kind="instruction", coop_unit_ids=[])
    login(client, org.supervisor)
    total, shown = _listed(client, "/tasks/?kind=inspection")
    assert total == 2 and shown == {t.pk for t in inspection}
    # with a unit (its count and its page are read apart from the rest): the one the unit leads or cooperates on
    assert _listed(client, f"/tasks/?kind=inspection&unit={org.safety.pk}&role=coop") == (1, {inspection[1].pk})
    assert _listed(client, "/tasks/?kind=instruction&status=accepted") == (0, set())
    form = client.get("/tasks/?kind=inspection").content.decode()
    assert 'name="kind"' in form and '<option value="inspection" selected>督察交办件</option>' in form
    assert _exported(client, "kind=inspection") == {"督察交办件甲", "督察交办件乙"}
    response = client.get("/api/v1/tasks", {"kind": "inspection"})
    assert {item["id"] for item in response.json()["items"]} == {t.pk for t in inspection}
    assert response.json()["count"] == 2
    bad = client.get("/api/v1/tasks", {"kind": "rumour"})
    assert bad.status_code == 422
    assert bad.json()["message"] == "来源筛选条件无效：rumour" and "rumour" in bad.json()["message_en"]
    # a value typed by hand on the page is no filter, as with the others
    assert _listed(client, "/tasks/?kind=rumour")[0] == 4

