"""Reports for a subtree of units: the city over all districts, a district over its townships. The rule under test
(docs/reports-across-levels.md): each task counts once, at its own lead unit; a split task counts once as the
directive at the unit that leads it, each sub-task at its own lead unit. So the subtrees of the units at the top
add up to the city, and a subtree only ever narrows what its viewer may see."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document

from duban.conftest import login
from duban.core.audit import EventType
from duban.core.errors import InvalidInput, PermissionDenied
from duban.core.models import AuditEvent, Unit
from duban.reports import selectors
from duban.reports.actions import circular_export
from duban.reports.selectors import DashboardFilters, dashboard_stats, subtree_get, unit_ranking
from duban.tasks.actions import task_assign, task_create
from duban.tasks.tests.levels_world import make_levels

pytestmark = pytest.mark.django_db

FIGURES = ("total", "closed", "overdue")


@pytest.fixture
def world(org):
    """The city task for 各辖市区 split to both districts, 临川区's part split to its two townships (five tasks,
    three levels), and beside it: a closed task of 市应急管理局, one in progress at its 临川分局, one overdue at
    市教育局 and an overdue task the office gave a township directly."""
    lv = make_levels(org)
    lv.tasks = lv.world()
    org.task_in("closed")
    org.task_in("in_progress", lead_unit_id=org.child.pk, coop_unit_ids=[])
    late = dt.date.today() - dt.timedelta(days=3)
    org.task_in("assigned", lead_unit_id=org.other.pk, coop_unit_ids=[], deadline=late)
    town = task_create(actor=org.supervisor, title="整治集镇占道经营", text="要整治集镇占道经营。",
                       area_id=org.area_safety.pk, lead_unit_id=lv.town_b.pk, deadline=late)
    task_assign(actor=org.supervisor, task_id=town.pk)
    return lv


def figures(viewer, unit=None) -> dict:
    data = dashboard_stats(viewer=viewer, filters=DashboardFilters(subtree_id=unit.pk if unit else None))
    return {"total": data.total, "closed": data.closed, "overdue": data.overdue, **data.lights}


def top_units():
    return list(Unit.objects.filter(parent__isnull=True))


def test_each_task_counts_once_at_its_own_lead_unit(world):
    office = world.org.supervisor
    # Expectations from the rule, task by task: 各辖市区 leads the directive; 临川区 leads its part and its two
    # townships lead theirs (plus the overdue task given to 温泉镇); 东乡区 leads its part.
    assert {k: figures(office, world.all_districts)[k] for k in FIGURES} == {"total": 1, "closed": 0, "overdue": 0}
    assert {k: figures(office, world.district)[k] for k in FIGURES} == {"total": 4, "closed": 0, "overdue": 1}
    assert {k: figures(office, world.district2)[k] for k in FIGURES} == {"total": 1, "closed": 0, "overdue": 0}
    assert {k: figures(office, world.town_a)[k] for k in FIGURES} == {"total": 1, "closed": 0, "overdue": 0}
    assert {k: figures(office, world.org.safety)[k] for k in FIGURES} == {"total": 2, "closed": 1, "overdue": 0}
    assert {k: figures(office, world.org.other)[k] for k in FIGURES} == {"total": 1, "closed": 0, "overdue": 1}
    assert {k: figures(office)[k] for k in FIGURES} == {"total": 9, "closed": 1, "overdue": 2}


def test_the_subtrees_of_the_top_units_add_up_to_the_city(world):
    office = world.org.supervisor
    city = figures(office)
    parts = [figures(office, unit) for unit in top_units()]
    assert city["total"] == 9
    for key in city:  # every figure and every light
        assert sum(p[key] for p in parts) == city[key], key
    # and a district is its own unit plus its townships
    district = figures(office, world.district)
    children = [figures(office, u) for u in (world.town_a, world.town_b)]
    own = dashboard_stats(viewer=office, filters=DashboardFilters(unit_id=world.district.pk)).total
    assert district["total"] == own + sum(c["total"] for c in children) == 4


def test_the_subtree_by_unit_rows_are_the_units_of_the_subtree(world):
    data = dashboard_stats(viewer=world.org.supervisor, filters=DashboardFilters(subtree_id=world.district.pk))
    assert {r["name"]: r["total"] for r in data.by_unit} == {
        "临川区人民政府": 1, "临川区上顿渡镇人民政府": 1, "临川区温泉镇人民政府": 2}
    assert data.scope == "临川区人民政府"


def test_a_subtree_never_widens_what_a_viewer_sees(world):
    # a township's people see their own task only, whichever subtree they ask for
    assert figures(world.town_a_staff, world.district)["total"] == 1
    assert figures(world.town_a_staff, world.town_b)["total"] == 0
    # a district's people see their subtree, and nothing of the sibling district's
    assert figures(world.district_staff, world.district)["total"] == 4
    assert figures(world.district_staff, world.district2)["total"] == 0
    assert figures(world.district_staff, world.all_districts)["total"] == 0


def test_the_ranking_for_a_subtree_ranks_its_units_and_adds_up(world):
    office = world.org.supervisor
    start = dt.date.today() - dt.timedelta(days=30)
    city = unit_ranking(viewer=office, date_from=start)
    district = unit_ranking(viewer=office, date_from=start, subtree=subtree_get(viewer=office,
                                                                                unit_id=world.district.pk))
    assert {r.unit for r in district} == {"临川区人民政府", "临川区上顿渡镇人民政府", "临川区温泉镇人民政府"}
    # 临川区 and 上顿渡镇 have nothing closed and nothing late: level, they share first place; 温泉镇's late task
    # puts it third
    assert [(r.rank, r.unit) for r in district] == [
        (1, "临川区上顿渡镇人民政府"), (1, "临川区人民政府"), (3, "临川区温泉镇人民政府")]
    parts = [unit_ranking(viewer=office, date_from=start, subtree=subtree_get(viewer=office, unit_id=u.pk))
             for u in top_units()]
    assert sum(r.tasks for p in parts for r in p) == sum(r.tasks for r in city) == 9
    assert sum(r.overdue_open for p in parts for r in p) == sum(r.overdue_open for r in city) == 2


def test_subtree_choices_follow_the_unit_tree(world):
    office = [label.strip("\u3000") for _, label in selectors.subtree_choices(viewer=world.org.supervisor)]
    assert office == ["市应急管理局", "临川区人民政府"]  # the units with units under them
    assert [pk for pk, _ in selectors.subtree_choices(viewer=world.district_sup)] == [world.district.pk]
    assert selectors.subtree_choices(viewer=world.town_a_staff) == []


def test_an_unknown_subtree_is_a_clear_error(world, client):
    with pytest.raises(InvalidInput) as exc:
        subtree_get(viewer=world.org.supervisor, unit_id=999_999)
    assert exc.value.message_en
    login(client, world.org.supervisor)
    response = client.get("/api/v1/stats/dashboard", {"subtree": 999_999})
    assert response.status_code == 422 and "单位" in response.json()["message"]
    assert client.get("/reports/", {"subtree": "abc"}).status_code == 422


def test_dashboard_and_ranking_pages_and_api_take_a_subtree(world, client):
    login(client, world.district_staff)
    data = client.get("/api/v1/stats/dashboard", {"subtree": world.district.pk}).json()
    assert (data["total"], data["overdue"]) == (4, 1)
    rows = client.get("/api/v1/stats/ranking", {"subtree": world.district.pk,
                                                "date_from": (dt.date.today() - dt.timedelta(30)).isoformat()}).json()
    assert sorted(r["unit"] for r in rows) == ["临川区上顿渡镇人民政府", "临川区人民政府", "临川区温泉镇人民政府"]
    page = client.get("/reports/", {"subtree": world.district.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="report-scope"' in html and "临川区人民政府及其所属单位" in html
    assert f'<option value="{world.district.pk}" selected>' in html
    ranking = client.get("/reports/ranking/", {"subtree": world.district.pk}).content.decode()
    assert 'id="ranking-scope"' in ranking and "临川区温泉镇人民政府" in ranking
    assert "市教育局" not in ranking.split('id="ranking-table"')[1]


def test_a_district_supervision_office_issues_its_own_circular(world):
    today = dt.date.today()
    sup = world.district_sup
    doc = Document(io.BytesIO(circular_export(actor=sup, subtree_id=world.district.pk, today=today)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "由临川区人民政府及其所属单位牵头的事项共4项" in text
    assert "整治集镇占道经营" in text  # the township's overdue task
    assert "市教育局" not in text  # the city's other overdue task is not the district's
    event = AuditEvent.objects.filter(event_type=EventType.CIRCULAR_EXPORTED).latest("pk")
    assert event.actor_id == sup.pk and event.extra["subtree"] == world.district.pk and event.extra["serial"] == 1
    # each level numbers its own circulars: the city's first one is still its number 1
    circular_export(actor=world.org.supervisor, today=today)
    assert AuditEvent.objects.filter(event_type=EventType.CIRCULAR_EXPORTED).latest("pk").extra["serial"] == 1
    circular_export(actor=sup, subtree_id=world.district.pk, today=today)  # the same 通报 again: its number
    assert AuditEvent.objects.filter(event_type=EventType.CIRCULAR_EXPORTED).latest("pk").extra["serial"] == 1
    circular_export(actor=sup, subtree_id=world.district.pk, today=today + dt.timedelta(days=1))
    assert AuditEvent.objects.filter(event_type=EventType.CIRCULAR_EXPORTED).latest("pk").extra["serial"] == 2


@pytest.mark.parametrize("who, where", [("district_sup", "district2"), ("district_sup", None),
                                        ("district_staff", "district"), ("town_a_sup", "district")])
def test_a_circular_outside_ones_own_subtree_is_refused_and_leaves_no_trace(world, who, where):
    before = AuditEvent.objects.count()
    unit = getattr(world, where) if where else None
    with pytest.raises(PermissionDenied):
        circular_export(actor=getattr(world, who), subtree_id=unit.pk if unit else None)
    assert AuditEvent.objects.count() == before


def test_the_subtree_dashboard_makes_as_many_queries_at_three_times_the_tasks(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(viewer) -> int:
        with CaptureQueriesContext(connection) as ctx:
            dashboard_stats(viewer=viewer, filters=DashboardFilters(subtree_id=world.district.pk))
        return len(ctx.captured_queries)

    for who in ("district_staff", "district_sup"):  # once first: the viewer's profile and unit load on first use
        queries(getattr(world, who))
    before = {who: queries(getattr(world, who)) for who in ("district_staff", "district_sup")}
    before["office"] = queries(world.org.supervisor)
    for _ in range(3):  # three more splits: three more tasks each in the district's subtree, at three levels
        world.world()
    assert figures(world.org.supervisor, world.district)["total"] == 4 + 3 * 3
    after = {who: queries(getattr(world, who)) for who in ("district_staff", "district_sup")}
    after["office"] = queries(world.org.supervisor)
    assert after == before


def test_the_meeting_briefing_for_a_subtree(org, client):
    from duban.reports.actions import briefing_export
    from duban.reports.tests.test_views import meeting_for

    meeting = meeting_for(org)
    org.task_in("assigned", meeting=meeting, title="应急局的事项")
    org.task_in("assigned", meeting=meeting, title="临川分局的事项", lead_unit_id=org.child.pk, coop_unit_ids=[])
    org.task_in("assigned", meeting=meeting, title="教育局的事项", lead_unit_id=org.other.pk, coop_unit_ids=[])
    doc = Document(io.BytesIO(briefing_export(actor=org.supervisor, meeting_id=meeting.pk,
                                              subtree_id=org.safety.pk)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "部署的决定事项中，由市应急管理局及其所属单位牵头的共2项" in text
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "临川分局的事项" in cells and "应急局的事项" in cells and "教育局的事项" not in cells
    event = AuditEvent.objects.filter(event_type=EventType.BRIEFING_EXPORTED).latest("pk")
    assert event.extra["subtree"] == org.safety.pk and event.extra["tasks"] == 2
    login(client, org.supervisor)
    response = client.get(f"/reports/briefing/{meeting.pk}.docx", {"subtree": org.safety.pk})
    assert response.status_code == 200 and response.content[:2] == b"PK"
    # under a subtree the dashboard offers the meetings of the subtree's tasks
    options = selectors.filter_option_values(viewer=org.supervisor, subtree_id=org.child.pk)
    assert [m[0] for m in options.meetings] == [meeting.pk]
    assert selectors.filter_option_values(viewer=org.supervisor, subtree_id=org.health.pk).meetings == []


def test_the_ledger_for_a_subtree_holds_the_tasks_led_there(world, client):
    from openpyxl import load_workbook

    from duban.reports.ledger import task_key

    login(client, world.org.supervisor)
    response = client.get("/reports/ledger/export.xlsx", {"subtree": world.district.pk})
    ws = load_workbook(io.BytesIO(response.content)).active
    header = next(r for r in ws.iter_rows(values_only=True) if r and r[0] == "序号")
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=3, values_only=True) if r and r[1]]
    city, part, _, town_a, town_b = world.tasks
    # the district's part and its townships' (with their parent named), and the township's own task: no directive
    assert {r["任务编号"] for r in rows} >= {task_key(t.pk) for t in (part, town_a, town_b)}
    assert len(rows) == 4 and task_key(city.pk) not in {r["任务编号"] for r in rows}
    assert {r["上级任务编号"] for r in rows if r["任务编号"] == task_key(town_a.pk)} == {task_key(part.pk)}
    assert "临川区人民政府及其所属单位牵头" in str(ws.cell(1, 1).value)
    event = AuditEvent.objects.filter(event_type=EventType.LEDGER_EXPORTED).latest("pk")
    assert event.extra["filters"]["subtree_id"] == world.district.pk and event.extra["rows"] == 4


def test_a_districts_unit_filter_offers_its_own_units_in_tree_order(world, client):
    """/reports/ as the district's 督查室: its 单位 filter offers the district and the units under it, as the task
    list's does (never the city's units, which always count 0 there), each unit before those under it; a newly
    added district department, first in the office's order, comes under the district, not before it."""
    import re

    from duban.core.actions import unit_create

    dept = unit_create(actor=world.org.system, name="临川区住房和城乡建设局", parent=world.district)
    Unit.objects.filter(pk=dept.pk).update(sort_order=-1)

    def offered(user, path: str, select_id: str) -> list[str]:
        login(client, user)
        page = client.get(path).content.decode()
        select = page[page.index(f'id="{select_id}"'):]
        select = select[:select.index("</select>")]
        return [name for name in re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)]

    expected = ["临川区人民政府", "临川区住房和城乡建设局", "临川区上顿渡镇人民政府", "临川区温泉镇人民政府"]
    assert offered(world.district_sup, "/reports/", "f-unit") == expected
    assert set(offered(world.district_sup, "/tasks/", "f-unit")) == set(expected)  # the task list's scope rule
    city = offered(world.org.supervisor, "/reports/", "f-unit")
    assert "市教育局" in city and city.index("临川区人民政府") < city.index("临川区住房和城乡建设局")
