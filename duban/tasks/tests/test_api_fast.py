"""The API task list builds its page as plain dicts (``task_out_rows``), which ninja validates as ``TaskOut``:
these tests hold the rows to the schema, so a field added to ``TaskOut`` or a change in how a value is read cannot drift
unseen, and check that the list still declares and checks the same parameters and response."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ninja.responses import NinjaJSONEncoder

from duban.conftest import login
from duban.core.models import Area, Unit
from duban.tasks import selectors
from duban.tasks.api import TaskOut, task_out_rows
from duban.tasks.models import Priority, Task, TaskKind, TaskStatus

pytestmark = pytest.mark.django_db


def random_tasks(org, n: int, seed: int) -> list[Task]:
    """Tasks with every optional field both set and empty, awkward text, and cooperating units whose own order
    (``sort_order``, then id) differs from their ids' order."""
    rnd = random.Random(seed)
    Unit.objects.filter(pk=org.other.pk).update(sort_order=-5)
    Unit.objects.filter(pk=org.health.pk).update(sort_order=3)
    units = [org.safety, org.child, org.health, org.other, None]
    areas = [org.area_safety, org.area_health, Area.objects.create(name='区域 "引号" \\ 反斜杠', sort_order=9), None]
    texts = ["排查整治燃气安全隐患", 'quote " backslash \\ tab\t newline\n', "emoji 🚒 <b>&amp;</b>", "", "\u2028x\u0001y"]
    today = dt.date(2026, 11, 26)
    tasks = Task.objects.bulk_create([
        Task(kind=rnd.choice(TaskKind.values), seq=i, title=rnd.choice(texts)[:200], text=rnd.choice(texts),
             source_start=rnd.choice([None, 0, rnd.randrange(10_000)]),
             source_end=rnd.choice([None, rnd.randrange(10_000)]), area=rnd.choice(areas),
             lead_unit=rnd.choice(units), deadline=rnd.choice([None, today + dt.timedelta(days=rnd.randrange(-90, 90))]),
             status=rnd.choice([s for s in TaskStatus.values if s != TaskStatus.DRAFT]),
             priority=rnd.choice(Priority.values), progress_percent=rnd.randrange(101),
             version=rnd.randrange(1, 9), created_by=org.supervisor)
        for i in range(n)
    ])
    through = Task.coop_units.through
    through.objects.bulk_create([through(task_id=t.pk, unit_id=u.pk) for t in tasks
                                 for u in rnd.sample([org.safety, org.health, org.other, org.child], rnd.randrange(4))])
    # one whose cooperating units' own order is the reverse of their ids' order and of when they were added
    last = tasks[-1]
    through.objects.filter(task_id=last.pk).delete()
    through.objects.bulk_create([through(task_id=last.pk, unit_id=org.health.pk),
                                 through(task_id=last.pk, unit_id=org.other.pk)])
    assert org.health.pk < org.other.pk
    return tasks


def schema_items(tasks) -> list[dict]:
    """What ``TaskOut`` itself gives for model instances (the path ``/api/v1/tasks/{id}`` takes)."""
    return [TaskOut.model_validate(t).model_dump() for t in tasks]


def dumps(data) -> str:
    return json.dumps(data, cls=NinjaJSONEncoder)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rows_equal_the_schema_on_random_tasks(org, seed):
    random_tasks(org, 40, seed)
    tasks = selectors.task_list(viewer=org.supervisor, include_withdrawn=True)
    fast, slow = task_out_rows(tasks), schema_items(tasks)
    assert len(fast) == len(slow) == 40
    assert [list(row) for row in fast] == [list(TaskOut.model_fields)] * 40  # the schema's keys, in its order
    assert fast == slow
    assert dumps(fast) == dumps(slow)  # byte for byte, as the API renders it
    assert [org.other.pk, org.health.pk] in [row["coop_unit_ids"] for row in fast]


def test_rows_of_an_empty_page_make_one_statement(org):
    with CaptureQueriesContext(connection) as ctx:
        assert task_out_rows(Task.objects.filter(pk=-1)) == []
    assert len(ctx.captured_queries) == 1


@pytest.mark.parametrize("viewer", ["supervisor", "lead_staff", "coop_staff", "other_staff"])
def test_api_pages_equal_each_task_through_the_schema(client, org, viewer):
    random_tasks(org, 30, seed=7)
    org.task_in("in_progress")  # one driven through the real workflow
    login(client, getattr(org, viewer))
    expected_ids = list(selectors.task_list(viewer=getattr(org, viewer)).values_list("pk", flat=True))
    items = []
    for number in (1, 2, 3, 4):
        response = client.get("/api/v1/tasks", {"page": number, "page_size": 9})
        assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
        body = response.json()
        assert list(body) == ["items", "count"] and body["count"] == len(expected_ids)
        items += body["items"]
    assert [item["id"] for item in items] == expected_ids
    for item in items:
        one = client.get(f"/api/v1/tasks/{item['id']}")
        assert one.status_code == 200
        assert dumps(item) == dumps(one.json())
    if viewer == "other_staff":  # its unit leads or joins only some of the tasks, and sees only those
        assert 0 < len(items) < Task.objects.exclude(status="withdrawn").count()


def test_api_list_body_is_the_schema_rendering(client, org):
    random_tasks(org, 12, seed=11)
    login(client, org.supervisor)
    raw = client.get("/api/v1/tasks", {"page_size": 5, "page": 2}).content.decode()
    tasks = list(selectors.task_list(viewer=org.supervisor))[5:10]
    assert raw == dumps({"items": schema_items(tasks), "count": Task.objects.exclude(status="withdrawn").count()})


def test_pagination_parameters_are_checked_as_before(client, org):
    login(client, org.supervisor)
    for bad in ({"page": 0}, {"page_size": 0}, {"page": "x"}, {"area_id": "x"}):
        response = client.get("/api/v1/tasks", bad)
        assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    body = client.get("/api/v1/tasks", {"page": 999}).json()
    assert body == {"items": [], "count": 0}


def test_openapi_declares_the_paged_schema_and_parameters():
    from duban.api import api

    schema = api.get_openapi_schema()
    op = schema["paths"]["/api/v1/tasks"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"page", "page_size", "status", "area_id", "unit_id", "meeting_id", "kind", "overdue"} <= names
    ref = op["responses"][200]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/PagedTaskOut"
    paged = schema["components"]["schemas"]["PagedTaskOut"]
    assert paged["properties"]["items"]["items"]["$ref"] == "#/components/schemas/TaskOut"
    assert set(schema["components"]["schemas"]["TaskOut"]["properties"]) == set(TaskOut.model_fields)


def test_pagination_of_a_list_without_its_own_order_keeps_the_models(org):
    from ninja.pagination import PageNumberPagination

    from duban.tasks.api import KeysFirstPagination

    random_tasks(org, 12, seed=5)
    plain = Task.objects.all()  # Task.Meta.ordering
    page = KeysFirstPagination(page_size=5).paginate_queryset(plain, PageNumberPagination.Input(page=2), None)
    assert page["count"] == 12
    assert [row["id"] for row in page["items"]] == [t.pk for t in plain[5:10]]
