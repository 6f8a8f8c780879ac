"""``tasks_visible_to`` in both spellings (for counting, for walking the list order) gives exactly the set of the
first formulation (lead unit in the viewer's subtree, or a cooperating unit in it; drafts excluded), on varied
trees and tasks."""

import random

import pytest
from django.db.models import Q

from duban.conftest import PASSWORD
from duban.core.actions import unit_create, user_create
from duban.tasks import permissions as perms, selectors
from duban.tasks.models import Task, TaskStatus


def reference_ids(user) -> set[int]:
    """The first formulation of the scope, kept as the oracle."""
    if perms.is_office(user):
        return set(Task.objects.values_list("pk", flat=True))
    if not perms.is_unit_member(user):
        return set()
    unit_ids = list(perms.units_in_scope(user).values_list("id", flat=True))
    coop = Task.coop_units.through.objects.filter(unit_id__in=unit_ids).values("task_id")
    return set(Task.objects.exclude(status=TaskStatus.DRAFT).filter(Q(lead_unit_id__in=unit_ids) | Q(pk__in=coop))
               .values_list("pk", flat=True))


def python_ids(user, tasks: list[Task], coops: dict[int, list]) -> set[int]:
    """The rule in plain Python over the generated rows."""
    unit = perms.unit_of(user)
    if perms.is_office(user):
        return {t.pk for t in tasks}
    if not perms.is_unit_member(user):
        return set()

    def inside(u) -> bool:
        return u is not None and u.path.startswith(unit.path)

    return {t.pk for t in tasks if t.status != TaskStatus.DRAFT
            and (inside(t.lead_unit) or any(inside(u) for u in coops[t.pk]))}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_both_spellings_equal_the_first_formulation(org, seed):
    rng = random.Random(seed)
    units = [org.office, org.safety, org.child, org.health, org.other]
    for i in range(8):  # a deeper, uneven tree under the existing units
        units.append(unit_create(actor=org.system, name=f"单位{seed}-{i}", parent=rng.choice(units[1:])))
    viewers = list(org.roles().values()) + [org.child_staff]
    for i, unit in enumerate(rng.sample(units[5:], 4)):
        viewers.append(user_create(actor=org.system, username=f"v{seed}-{i}", password=PASSWORD,
                                   role=rng.choice(["unit_staff", "unit_admin"]), unit=unit,
                                   display_name=f"v{seed}-{i}"))
    statuses = [s for s, _ in TaskStatus.choices]
    tasks, coops = [], {}
    for i in range(120):
        lead = rng.choice(units + [None])
        task = Task.objects.create(title=f"事项{i}", text="内容", status=rng.choice(statuses), lead_unit=lead,
                                   seq=i, created_by=org.supervisor)
        coop = rng.sample([u for u in units if u != lead], rng.choice([0, 0, 1, 2, 3]))
        task.coop_units.set(coop)
        tasks.append(task)
        coops[task.pk] = coop
    for viewer in viewers:
        expected = reference_ids(viewer)
        assert expected == python_ids(viewer, tasks, coops)
        for in_list_order in (False, True):
            qs = perms.tasks_visible_to(viewer, in_list_order=in_list_order)
            assert set(qs.values_list("pk", flat=True)) == expected
            assert qs.count() == len(expected)
        # the list pages read in list order see the same rows in the same order as the counted spelling
        walked = selectors.task_list(viewer=viewer, include_withdrawn=True, in_list_order=True)
        counted = selectors.task_list(viewer=viewer, include_withdrawn=True)
        assert list(walked.values_list("pk", flat=True)) == list(counted.values_list("pk", flat=True))
        assert list(walked.values_list("pk", flat=True)[3:9]) == list(counted.values_list("pk", flat=True)[3:9])
