"""Evaluation (考评): the score a task earns when it is signed off.

Rules are versions kept in the database (``ScoreRuleSet``, set on the 考评规则 page, each in force from its date);
before the first version, ``settings.DUBAN_SCORE_RULES`` (a JSON object, or the path of a .toml/.json file holding
one) or the default applies. The default follows the common county practice: 100 for closing on time, 2 points off
per working day late, 5 points off per returned close request, never below 0; no bonus for closing early unless a
version sets one. Working days come from the official holiday calendar
(``chinese_calendar`` through ``duban.extraction``), because a Spring Festival week must not count as a week late.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from duban.extraction import default_calendar
from duban.extraction.deadlines import workdays_after



@dataclass(frozen=True)
class ScoreRules:
    on_time: Decimal = Decimal("100")
    per_overdue_workday: Decimal = Decimal("2")
    per_return: Decimal = Decimal("5")
    floor: Decimal = Decimal("0")
    per_early_workday: Decimal = Decimal("0")
    max_early_bonus: Decimal = Decimal("0")

    def as_dict(self) -> dict:
        return {k: str(getattr(self, k)) for k in RULE_FIELDS}


RULE_FIELDS = ("on_time", "per_overdue_workday", "per_return", "floor", "per_early_workday", "max_early_bonus")
RULE_LABELS = {"on_time": "按期办结得分", "per_overdue_workday": "每逾期1个工作日扣分", "per_return": "每退回1次扣分",
               "floor": "最低分", "per_early_workday": "每提前1个工作日加分", "max_early_bonus": "提前办结加分上限"}


def _load(raw) -> dict:
    if not raw:
        return {}
    if isinstance(raw, dict):
        return raw
    text = str(raw).strip()
    if text.startswith("{"):
        return json.loads(text)
    path = Path(text)
    if path.suffix == ".toml":
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return data.get("score", data)
    return json.loads(path.read_text(encoding="utf-8"))


def score_rules() -> ScoreRules:
    """The configured rules; unknown keys are an error so a typo does not silently score with defaults."""
    data = _load(getattr(settings, "DUBAN_SCORE_RULES", None))
    unknown = set(data) - set(ScoreRules.__dataclass_fields__)
    if unknown:
        raise ValueError(f"DUBAN_SCORE_RULES: unknown keys {sorted(unknown)}")
    return ScoreRules(**{k: Decimal(str(v)) for k, v in data.items()})


def rules_for(day: dt.date) -> tuple[ScoreRules, str]:
    """The rules in force on ``day`` and where they come from (``"v<id>"``, ``"env"`` or ``"default"``). Closing a
    task must never fail because of its score: versions are checked when saved, and a malformed
    ``DUBAN_SCORE_RULES`` falls back to the defaults here (the audit event names the source)."""
    from duban.reports.models import ScoreRuleSet

    row = ScoreRuleSet.objects.filter(effective_from__lte=day).order_by("-effective_from", "-id").first()
    if row is not None:
        return ScoreRules(**{k: getattr(row, k) for k in RULE_FIELDS}), f"v{row.pk}"
    try:
        rules = score_rules()
    except (ValueError, TypeError, ArithmeticError, OSError):
        return ScoreRules(), "default"
    return rules, "env" if getattr(settings, "DUBAN_SCORE_RULES", None) else "default"


def early_workdays(deadline: dt.date | None, closed_on: dt.date, *, is_workday=None) -> int:
    """Working days from the day after closing up to and including the deadline (0 when late or no deadline)."""
    if deadline is None or closed_on >= deadline:
        return 0
    return overdue_workdays(closed_on, deadline, is_workday=is_workday)


def overdue_workdays(deadline: dt.date | None, closed_on: dt.date, *, is_workday=None) -> int:
    """Working days after the deadline up to and including the day of closing (0 when on time or no deadline)."""
    if deadline is None or closed_on <= deadline:
        return 0
    return workdays_after(deadline, closed_on, is_workday or default_calendar().is_workday)


def score_task(task, closed_on: dt.date, *, rules: ScoreRules | None = None, is_workday=None) -> Decimal:
    """The score of ``task`` closed on ``closed_on``: on-time points minus lateness and returns, at least the floor."""
    rules = rules or score_rules()
    late = overdue_workdays(task.deadline, closed_on, is_workday=is_workday)
    bonus = min(rules.max_early_bonus,
                rules.per_early_workday * early_workdays(task.deadline, closed_on, is_workday=is_workday))
    score = (rules.on_time + bonus - rules.per_overdue_workday * late
             - rules.per_return * int(task.returns_count or 0))
    return max(rules.floor, score).quantize(Decimal("0.1"))
