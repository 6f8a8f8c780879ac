"""Evaluation (考评): the score a task earns when it is signed off.

Rules are configurable (``settings.DUBAN_SCORE_RULES``: a JSON object, or the path of a .toml/.json file holding
one). The default follows the common county practice: 100 for closing on time, 2 points off per working day late,
5 points off per returned close request, never below 0. Working days come from the official holiday calendar
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

    def as_dict(self) -> dict:
        return {k: str(getattr(self, k)) for k in ("on_time", "per_overdue_workday", "per_return", "floor")}


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


def overdue_workdays(deadline: dt.date | None, closed_on: dt.date, *, is_workday=None) -> int:
    """Working days after the deadline up to and including the day of closing (0 when on time or no deadline)."""
    if deadline is None or closed_on <= deadline:
        return 0
    return workdays_after(deadline, closed_on, is_workday or default_calendar().is_workday)


def score_task(task, closed_on: dt.date, *, rules: ScoreRules | None = None, is_workday=None) -> Decimal:
    """The score of ``task`` closed on ``closed_on``: on-time points minus lateness and returns, at least the floor."""
    rules = rules or score_rules()
    late = overdue_workdays(task.deadline, closed_on, is_workday=is_workday)
    score = rules.on_time - rules.per_overdue_workday * late - rules.per_return * int(task.returns_count or 0)
    return max(rules.floor, score).quantize(Decimal("0.1"))
