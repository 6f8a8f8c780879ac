"""考评 rules as versions set on a page, manual 加减分 with reason and author, and a ranking that lists every unit
with tasks in the period. Expected scores follow the rules' text: on-time points, minus per return, plus the early
bonus up to its cap."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from duban.conftest import login
from duban.core.audit import EventType
from duban.core.errors import InvalidInput, PermissionDenied
from duban.core.models import AuditEvent
from duban.reports import actions
from duban.reports.models import ScoreAdjustment, ScoreRuleSet
from duban.reports.selectors import unit_ranking
from duban.tasks import actions as task_actions
from duban.tasks.models import Task
from duban.tasks.selectors import today_local

RULES = {"on_time": "90", "per_overdue_workday": "3", "per_return": "7", "floor": "10", "per_early_workday": "0",
         "max_early_bonus": "0"}


def closed_after_one_return(org, **kw) -> Task:
    """Closed today, before a deadline a year away, after one returned close request."""
    task = org.task_in("accepted", deadline=today_local() + dt.timedelta(days=365), **kw)
    report = task_actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已完成", progress_percent=100,
                                        request_close=True, evidence_text="验收")
    task_actions.report_return(actor=org.supervisor, report_id=report.pk, reason="请补充佐证")
    report = task_actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已补充", progress_percent=100,
                                        request_close=True, evidence_text="验收")
    task_actions.report_accept(actor=org.supervisor, report_id=report.pk)
    return Task.objects.get(pk=task.pk)


def test_a_version_in_force_today_scores_the_next_close(org):
    row = actions.score_rules_set(actor=org.supervisor, effective_from=today_local(), values=RULES, note="新办法")
    event = AuditEvent.objects.filter(event_type=EventType.SCORE_RULES_CHANGED).get()
    assert event.extra["new"]["per_return"] == "7.0" and event.extra["old"]["per_return"] == "5"
    task = closed_after_one_return(org)
    assert task.score == Decimal("83.0")  # 90 on time - 7 for one return
    scored = AuditEvent.objects.filter(event_type=EventType.TASK_SCORED, task=task).get()
    assert scored.extra["rules_source"] == f"v{row.pk}"


def test_a_version_from_tomorrow_leaves_today_to_the_old_rules(org):
    actions.score_rules_set(actor=org.supervisor, effective_from=today_local() + dt.timedelta(days=1), values=RULES)
    assert closed_after_one_return(org).score == Decimal("95.0")  # default: 100 - 5


def test_early_bonus_is_capped(org):
    actions.score_rules_set(actor=org.supervisor, effective_from=today_local(),
                            values={**RULES, "on_time": "100", "per_return": "0", "per_early_workday": "1",
                                    "max_early_bonus": "3"})
    assert closed_after_one_return(org).score == Decimal("103.0")


@pytest.mark.parametrize("change, fragment", [
    ({"per_return": "abc"}, "每退回1次扣分必须是数字"),
    ({"per_overdue_workday": "-2"}, "超出范围"),
    ({"floor": "95"}, "最低分不能高于"),
    ({"on_time": ""}, "请填写全部规则项"),
])
def test_bad_rules_are_refused_without_a_trace(org, change, fragment):
    with pytest.raises(InvalidInput, match=fragment):
        actions.score_rules_set(actor=org.supervisor, effective_from=today_local(), values={**RULES, **change})
    with pytest.raises(InvalidInput, match="不能早于今天"):
        actions.score_rules_set(actor=org.supervisor, effective_from=today_local() - dt.timedelta(days=1), values=RULES)
    with pytest.raises(PermissionDenied):
        actions.score_rules_set(actor=org.lead_admin, effective_from=today_local(), values=RULES)
    assert not ScoreRuleSet.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.SCORE_RULES_CHANGED).exists()


def test_adjustments_show_in_the_ranking_with_reason_and_author(org):
    task = org.task_in("closed")
    actions.score_adjust(actor=org.supervisor, unit_id=org.safety.pk, task_id=task.pk, points="-4.5",
                         reason="报送材料不实", on=today_local())
    event = AuditEvent.objects.filter(event_type=EventType.SCORE_ADJUSTED).get()
    assert event.actor == org.supervisor and event.target_unit_id == org.safety.pk and event.task_id == task.pk
    [row] = [r for r in unit_ranking(viewer=org.supervisor, date_from=today_local(), date_to=today_local()) if r.unit_id == org.safety.pk]
    assert row.adjustment == -4.5 and row.total_score == round(float(task.score) - 4.5, 1)
    assert row.adjustments[0]["reason"] == "报送材料不实" and row.adjustments[0]["author"] == "supervisor"
    page = login(Client(), org.leader).get("/reports/ranking/").content.decode()
    assert "报送材料不实" in page and "supervisor" in page


def test_adjustment_rules(org):
    task = org.task_in("assigned")
    with pytest.raises(InvalidInput, match="理由"):
        actions.score_adjust(actor=org.supervisor, unit_id=org.safety.pk, points="2", reason=" ", on=today_local())
    with pytest.raises(InvalidInput, match="不由此单位承办"):
        actions.score_adjust(actor=org.supervisor, unit_id=org.other.pk, task_id=task.pk, points="2",
                             reason="表扬", on=today_local())
    with pytest.raises(PermissionDenied):
        actions.score_adjust(actor=org.lead_admin, unit_id=org.safety.pk, points="2", reason="自评", on=today_local())
    assert not ScoreAdjustment.objects.exists()


def test_every_unit_with_tasks_in_the_period_is_ranked(org):
    org.task_in("closed")
    org.task_in("assigned", lead_unit_id=org.health.pk, coop_unit_ids=[],
                deadline=today_local() + dt.timedelta(days=60))  # neither closed nor late
    org.task_in("draft", lead_unit_id=org.other.pk, coop_unit_ids=[])  # a draft is nobody's task yet
    rows = {r.unit: r for r in unit_ranking(viewer=org.supervisor, date_from=today_local() - dt.timedelta(days=7),
                                             date_to=today_local())}
    assert set(rows) == {"市应急管理局", "市卫健委"}
    # not yet due: scored as closed on time today, the on-time points
    assert (rows["市卫健委"].tasks, rows["市卫健委"].closed, rows["市卫健委"].total_score) == (1, 0, 100.0)
    assert rows["市应急管理局"].rank == 1


def test_rules_page_for_the_office_and_read_only_for_others(org):
    client = login(Client(), org.supervisor)
    response = client.post("/reports/score-rules/", {**RULES, "effective_from": today_local().isoformat()}, follow=True)
    assert "已保存新规则" in response.content.decode()
    assert ScoreRuleSet.objects.get().per_return == Decimal("7.0")
    refused = client.post("/reports/score-rules/", {**RULES, "per_return": "x", "effective_from": today_local().isoformat()},
                          follow=True)
    assert "alert-danger" in refused.content.decode() and ScoreRuleSet.objects.count() == 1
    page = login(Client(), org.lead_staff).get("/reports/score-rules/").content.decode()
    assert "每退回1次扣分" in page and 'id="score-rules-form"' not in page
