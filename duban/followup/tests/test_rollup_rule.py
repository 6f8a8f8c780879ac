"""The roll-up rule of a task split into sub-tasks (``rollup_rule``), from its text: progress by the mode, the
light through the one light rule, and under "worst" never better than the worst child's."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from duban.followup.lights import GREEN, NONE, ORDER, RED, YELLOW, rollup_rule
from duban.tasks.models import TaskStatus

pytestmark = pytest.mark.nodb

TODAY = dt.date(2026, 6, 10)
FAR = dict(today=TODAY, status=TaskStatus.IN_PROGRESS, deadline=TODAY + dt.timedelta(days=60),
           start=TODAY - dt.timedelta(days=1), blue_from=TODAY + dt.timedelta(days=5), tolerance=20)
CLOSED = (TaskStatus.CLOSED, NONE, 100)


def test_share_closed_counts_closed_children_only():
    children = [CLOSED, (TaskStatus.IN_PROGRESS, GREEN, 90), (TaskStatus.ACCEPTED, GREEN, 0), CLOSED]
    assert rollup_rule(mode="share", children=children, **FAR) == (GREEN, 50)


def test_all_closed_is_100_only_when_every_child_is_and_else_the_least_advanced():
    assert rollup_rule(mode="all", children=[CLOSED, CLOSED], **FAR) == (GREEN, 100)
    assert rollup_rule(mode="all", children=[CLOSED, (TaskStatus.IN_PROGRESS, GREEN, 30)], **FAR)[1] == 30


def test_worst_light_takes_the_mean_and_the_reddest_child():
    children = [CLOSED, (TaskStatus.IN_PROGRESS, RED, 20)]
    assert rollup_rule(mode="worst", children=children, **FAR) == (RED, 60)
    # the other modes follow the parent's own dates: 60 days left is not red
    assert rollup_rule(mode="share", children=children, **FAR)[0] != RED


def test_the_parents_own_time_counts_too():
    late_start = dict(FAR, start=TODAY - dt.timedelta(days=180))  # 75% of the time gone
    children = [(TaskStatus.IN_PROGRESS, GREEN, 10), (TaskStatus.IN_PROGRESS, GREEN, 10)]
    assert rollup_rule(mode="worst", children=children, **late_start)[0] == YELLOW


def test_a_parent_outside_supervision_keeps_its_status_light():
    assert rollup_rule(mode="worst", children=[(TaskStatus.IN_PROGRESS, RED, 0)],
                       **dict(FAR, status=TaskStatus.CLOSED))[0] == NONE


child = st.tuples(st.sampled_from([TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.CLOSE_REQUESTED,
                                   TaskStatus.CLOSED]), st.sampled_from(ORDER), st.integers(0, 100))


@given(st.lists(child, min_size=1, max_size=8), st.sampled_from(["worst", "share", "all"]))
def test_progress_stays_a_percentage_and_worst_is_never_better_than_a_child(children, mode):
    code, progress = rollup_rule(mode=mode, children=children, **FAR)
    assert 0 <= progress <= 100
    if mode == "worst":
        lit = [c[1] for c in children if c[1] != NONE]
        assert all(ORDER.index(code) <= ORDER.index(c) for c in lit)
