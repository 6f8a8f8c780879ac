"""Evaluation rules: on time 100, -2 per overdue working day, -5 per return, floor 0, configurable."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured

from duban.core.audit import EventType
from duban.core.errors import Conflict, PermissionDenied
from duban.core.models import AuditEvent
from duban.reports.actions import task_score_in_txn
from duban.reports.scoring import ScoreRules, overdue_workdays, score_rules, score_task
from duban.tasks import actions
from duban.tasks.models import Task


def weekdays(day: dt.date) -> bool:
    return day.weekday() < 5


def task(deadline, returns=0):
    return SimpleNamespace(deadline=deadline, returns_count=returns)


def test_on_time_is_100():
    assert score_task(task(dt.date(2025, 3, 10)), dt.date(2025, 3, 10), is_workday=weekdays) == Decimal("100")
    assert score_task(task(None), dt.date(2025, 3, 10), is_workday=weekdays) == Decimal("100")


def test_each_overdue_working_day_costs_two():
    # Friday deadline, closed the next Tuesday: Mon and Tue are working days, the weekend is not.
    assert overdue_workdays(dt.date(2025, 3, 7), dt.date(2025, 3, 11), is_workday=weekdays) == 2
    assert score_task(task(dt.date(2025, 3, 7)), dt.date(2025, 3, 11), is_workday=weekdays) == Decimal("96")


def test_official_calendar_skips_national_day():
    # 2024-10-01..07 were holidays; 09-29 and 10-12 were make-up working days.
    assert overdue_workdays(dt.date(2024, 9, 30), dt.date(2024, 10, 8)) == 1


def test_returns_cost_five_and_floor_is_zero():
    assert score_task(task(dt.date(2025, 3, 7), returns=2), dt.date(2025, 3, 7), is_workday=weekdays) == 90
    assert score_task(task(dt.date(2025, 1, 1), returns=3), dt.date(2025, 12, 31), is_workday=weekdays) == 0


def test_rules_from_settings_json_and_toml(settings, tmp_path):
    settings.DUBAN_SCORE_RULES = json.dumps({"per_overdue_workday": 1, "floor": 60})
    rules = score_rules()
    assert rules == ScoreRules(per_overdue_workday=Decimal(1), floor=Decimal(60))
    assert score_task(task(dt.date(2025, 3, 7)), dt.date(2025, 3, 11), rules=rules, is_workday=weekdays) == 98
    path = tmp_path / "rules.toml"
    path.write_text('[score]\non_time = 120\nper_return = 10\n', encoding="utf-8")
    settings.DUBAN_SCORE_RULES = str(path)
    assert score_task(task(None, returns=1), dt.date(2025, 3, 7)) == Decimal("110")
    settings.DUBAN_SCORE_RULES = '{"per_overdue_day": 3}'
    with pytest.raises(ImproperlyConfigured, match="DUBAN_SCORE_RULES"):
        score_rules()


def _django_check(tmp_path, rules: str) -> subprocess.CompletedProcess:
    """``django check`` in a fresh interpreter, as a server starts, with ``DUBAN_SCORE_RULES=rules``."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "duban.settings", "DUBAN_DATA_DIR": str(tmp_path),
           "DUBAN_SCORE_RULES": rules}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "django", "check"], env=env, capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[3])


@pytest.mark.parametrize("rules, says", [
    ('{"per_retrun": 5}', "per_retrun"),  # a misspelt key
    ('{"per_return": 5', "JSON"),  # a missing brace
    ('{"floor": "abc"}', "最低分必须是数字"),
    ('{"on_time": 60, "floor": 80}', "最低分不能高于按期办结得分"),
    ("/nowhere/score.toml", "/nowhere/score.toml"),  # a file that is not there
])
def test_malformed_rules_in_the_environment_stop_start_up(tmp_path, rules, says):
    done = _django_check(tmp_path, rules)
    assert done.returncode != 0
    assert "DUBAN_SCORE_RULES 配置有误" in done.stderr and "DUBAN_SCORE_RULES is invalid" in done.stderr
    assert says in done.stderr


def test_well_formed_rules_in_the_environment_start(tmp_path):
    path = tmp_path / "score.toml"
    path.write_text("[score]\non_time = 100\nper_return = 4\n", encoding="utf-8")
    for rules in ('{"per_return": 3, "floor": 60}', str(path), ""):
        done = _django_check(tmp_path, rules)
        assert done.returncode == 0, done.stderr
        assert "no issues" in done.stdout


@pytest.mark.django_db
def test_closing_scores_the_task_with_one_event(org):
    late = dt.date.today() - dt.timedelta(days=14)
    t = org.task_in("close_requested", deadline=late)
    report = t.reports.get(request_close=True)
    actions.report_return(actor=org.supervisor, report_id=report.pk, reason="材料不全")
    again = actions.report_submit(actor=org.lead_staff, task_id=t.pk, text="已补充", progress_percent=100,
                                  request_close=True, evidence_text="补充材料")
    actions.report_accept(actor=org.supervisor, report_id=again.pk)
    t = Task.objects.get(pk=t.pk)
    expected = max(0, 100 - 2 * overdue_workdays(late, dt.date.today()) - 5)
    assert t.score == Decimal(expected)
    (event,) = AuditEvent.objects.filter(task=t, event_type=EventType.TASK_SCORED)
    assert event.actor == org.supervisor
    assert event.target_unit == org.safety
    assert event.extra["score"] == str(t.score) and event.extra["returns"] == 1
    assert event.extra["deadline"] == late.isoformat()


@pytest.mark.django_db
def test_scoring_refuses_non_supervisor_and_open_task(org):
    from django.db import transaction

    closed = org.task_in("closed")
    open_task = org.task_in("in_progress")
    before = AuditEvent.objects.count()
    with transaction.atomic(), pytest.raises(PermissionDenied):
        task_score_in_txn(actor=org.lead_staff, task=closed)
    with transaction.atomic(), pytest.raises(Conflict):
        task_score_in_txn(actor=org.supervisor, task=open_task)
    assert AuditEvent.objects.count() == before
    assert Task.objects.get(pk=open_task.pk).score is None
