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
import functools
import json
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from duban.core.errors import InvalidInput
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


RULE_LIMIT = Decimal("1000")


class ScoreRulesInvalid(ImproperlyConfigured):
    """``DUBAN_SCORE_RULES`` cannot be read: start-up stops with this (``ReportsConfig.ready``), so a typo is
    found when the server starts, not when a task is closed."""

    def __init__(self, message_zh: str, message_en: str):
        self.message_zh = f"DUBAN_SCORE_RULES 配置有误：{message_zh}"
        self.message_en = f"DUBAN_SCORE_RULES is invalid: {message_en}"
        super().__init__(f"{self.message_zh} / {self.message_en}")


def points(raw, label_zh: str, key: str, *, signed: bool = False) -> Decimal:
    """One figure of the rules (or a manual 加减分): a number to one decimal, at most 1000 either way, negative
    only when ``signed``. ``InvalidInput`` otherwise."""
    try:
        value = Decimal(str(raw).strip()).quantize(Decimal("0.1"))
    except (ArithmeticError, ValueError):
        raise InvalidInput(f"{label_zh}必须是数字", f"{key} must be a number") from None
    if not value.is_finite() or abs(value) > RULE_LIMIT or (value < 0 and not signed):
        raise InvalidInput(f"{label_zh}超出范围（0～1000）", f"{key} is out of range (0-1000)")
    return value


def rules_from(values: dict) -> ScoreRules:
    """The rules a mapping sets (keys it leaves out keep the default): the one check of rule values, for a
    version saved on the page and for ``DUBAN_SCORE_RULES`` alike. Unknown keys, figures that are not numbers or
    out of range, and a floor above the on-time score are ``InvalidInput``."""
    if not isinstance(values, dict):
        raise InvalidInput("应为键值对象", "expected an object of rule names and figures")
    unknown = sorted(set(values) - set(RULE_FIELDS))
    if unknown:
        raise InvalidInput("未知的规则项 " + "、".join(map(str, unknown)), f"unknown keys {unknown}")
    rules = ScoreRules(**{k: points(v, RULE_LABELS[k], k) for k, v in values.items()})
    if rules.floor > rules.on_time:
        raise InvalidInput("最低分不能高于按期办结得分", "the floor cannot exceed the on-time score")
    return rules


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


@functools.lru_cache(maxsize=8)
def _setting_rules(raw: str) -> ScoreRules:
    try:
        data = _load(raw)
    except json.JSONDecodeError as exc:
        raise ScoreRulesInvalid(f"不是有效的 JSON（第{exc.lineno}行第{exc.colno}列）",
                                f"not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScoreRulesInvalid("不是有效的 TOML 文件", f"not a valid TOML file ({exc})") from None
    except OSError as exc:
        raise ScoreRulesInvalid(f"无法读取文件 {raw}", f"cannot read the file {raw} ({exc.strerror})") from None
    try:
        return rules_from(data)
    except InvalidInput as exc:
        raise ScoreRulesInvalid(exc.message_zh, exc.message_en) from None


def score_rules() -> ScoreRules:
    """The rules of ``settings.DUBAN_SCORE_RULES`` (the defaults when empty), read once per value: a file named
    there is read when the server starts (``ReportsConfig.ready`` calls this), so what was checked then is what
    scores. ``ScoreRulesInvalid`` for anything ``rules_from`` refuses or that cannot be read."""
    raw = getattr(settings, "DUBAN_SCORE_RULES", None)
    if isinstance(raw, dict):
        return _setting_rules(json.dumps(raw))
    return _setting_rules(str(raw or "").strip())


def rules_for(day: dt.date) -> tuple[ScoreRules, str]:
    """The rules in force on ``day`` and where they come from (``"v<id>"``, ``"env"`` or ``"default"``). Closing a
    task never fails because of its score: versions are checked when saved, and ``DUBAN_SCORE_RULES`` when the
    server starts."""
    from duban.reports.models import ScoreRuleSet

    row = ScoreRuleSet.objects.filter(effective_from__lte=day).order_by("-effective_from", "-id").first()
    if row is not None:
        return ScoreRules(**{k: getattr(row, k) for k in RULE_FIELDS}), f"v{row.pk}"
    return score_rules(), "env" if getattr(settings, "DUBAN_SCORE_RULES", None) else "default"


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
    return score_of(rules or score_rules(), late=overdue_workdays(task.deadline, closed_on, is_workday=is_workday),
                    early=early_workdays(task.deadline, closed_on, is_workday=is_workday),
                    returns=int(task.returns_count or 0))


def score_of(rules: ScoreRules, *, late: int, early: int = 0, returns: int = 0) -> Decimal:
    """The score of a task closed ``late`` working days after its deadline or ``early`` before it, returned
    ``returns`` times: the on-time points, plus the early bonus up to its cap, minus lateness and returns, at
    least the floor (``score_task`` counts the days)."""
    bonus = min(rules.max_early_bonus, rules.per_early_workday * early)
    score = rules.on_time + bonus - rules.per_overdue_workday * late - rules.per_return * returns
    return max(rules.floor, score).quantize(Decimal("0.1"))
