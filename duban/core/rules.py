"""Limits on what people and scripts may send: one definition used by the forms, the API's schemas and the
actions alike, so a page and the API accept exactly the same input.

Numbers: an id or page beyond these is answered 400/404/422 with a message, never handed to the database (whose
integers stop at 2**63 - 1). Text: a title is one line; no text carries the Unicode controls that reorder what a
reader sees (a right-to-left override makes "exe.txt" read as "txt.exe"), nor control characters other than line
breaks and tabs."""

from __future__ import annotations

import re

from duban.core.errors import InvalidInput

MAX_ID = 2**63 - 1  # the largest id any table can hold
MAX_PAGE = 100_000  # a page number beyond this is refused (no list here has five million rows)
MAX_OFFSET = 1_000_000
TITLE_MAX = 200
PROGRESS_TEXT_MAX = 5000
TEXT_MAX = 20_000  # a task's text, a comment, a reason

# C0 controls except tab and line breaks, DEL, and the bidirectional embeddings, overrides and isolates
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile("[\r\n\u2028\u2029\x85]")


def check_text(value: str, *, label_zh: str, label_en: str, max_length: int = TEXT_MAX,
               single_line: bool = False) -> str:
    """``value`` if it keeps the rules, else ``InvalidInput`` naming the field in both languages."""
    value = value or ""
    if len(value) > max_length:
        raise InvalidInput(f"{label_zh}不能超过{max_length}字", f"the {label_en} must be at most {max_length} characters")
    if single_line and _LINE_BREAK.search(value):
        raise InvalidInput(f"{label_zh}不能换行", f"the {label_en} must be a single line")
    if _FORBIDDEN.search(value):
        raise InvalidInput(f"{label_zh}含有不允许的控制字符（如文字方向控制符）",
                           f"the {label_en} contains control or text-direction characters")
    return value


def check_report(text: str, progress_percent) -> None:
    """A progress report's text (required, within its limit) and percent (0 to 100), wherever a report is made."""
    if not (text or "").strip():
        raise InvalidInput("请填写进展情况", "the report text is required")
    check_text(text, label_zh="进展情况", label_en="report text", max_length=PROGRESS_TEXT_MAX)
    if not 0 <= int(progress_percent) <= 100:
        raise InvalidInput("进度应在0到100之间", "progress must be between 0 and 100")


def check_id(value, *, label_zh: str = "编号", label_en: str = "id") -> int | None:
    """A positive id from a query string ("" and None: no filter); anything else is refused with a message."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{label_zh}不是有效的数字", f"the {label_en} is not a number") from None
    if not 0 < number <= MAX_ID:
        raise InvalidInput(f"{label_zh}超出范围", f"the {label_en} is out of range")
    return number


_MOBILE = re.compile(r"1\d{10}")
_PHONE = re.compile(r"\+?[\d\s()（）-]+((转|ext\.?|x)\s*\d{1,6})?", re.IGNORECASE)


def check_mobile(value: str, *, label_zh: str = "手机", label_en: str = "mobile number") -> str:
    """A mainland mobile number (11 digits starting with 1; spaces, hyphens and a leading +86 are dropped), or ""
    when none is given. SMS reminders go to it, so a number that cannot be one is refused, naming the field."""
    value = re.sub(r"[\s-]", "", value or "")
    if value.startswith("+86"):
        value = value[3:]
    if value and not _MOBILE.fullmatch(value):
        raise InvalidInput(f"{label_zh}应为11位手机号码，以1开头", f"the {label_en} must be 11 digits starting with 1")
    return value


def check_phone(value: str, *, label_zh: str = "联系电话", label_en: str = "phone number") -> str:
    """A telephone number as offices write them ("0794-8221234", "(0794) 822 1234", "13800000000", "…转 801"): digits
    with spaces, hyphens, brackets, a leading + and an extension; 7 to 20 digits. "" when none is given."""
    value = (value or "").strip()
    if value and not (_PHONE.fullmatch(value) and 7 <= sum(c.isdigit() for c in value) <= 20):
        raise InvalidInput(f"{label_zh}格式不正确，应为电话号码，如 0794-8221234 或 13800000000",
                           f"the {label_en} is not a telephone number")
    return value
