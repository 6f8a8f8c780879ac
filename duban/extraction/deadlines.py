"""Deadlines in a directive (年底, 10月底前, 国庆前, 限期5个工作日 …), resolved against the meeting date.

The holiday calendar is data passed in (`Calendar`); the default reads the official calendar from the
`chinese_calendar` package and falls back to plain weekends for years it does not cover.
"""

from __future__ import annotations

import calendar as _months
import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Callable, Iterator

from .model import Deadline

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Calendar:
    is_workday: Callable[[dt.date], bool]
    # (holiday key, year) -> first day off of that holiday in that year, or None when unknown
    holiday_start: Callable[[str, int], dt.date | None]


def _weekday_workday(day: dt.date) -> bool:
    return day.weekday() < 5


# Where to look for each holiday's first day off; the official calendar shifts days around these windows.
_HOLIDAY_WINDOWS = {
    "national_day": ((9, 20), (10, 8), "National Day"),
    "spring_festival": ((1, 10), (2, 25), "Spring Festival"),
    "new_year": ((1, 1), (1, 3), "New Year's Day"),  # may start on 12-30/31 of the year before; see below
    "labour_day": ((4, 25), (5, 5), "Labour Day"),
    "dragon_boat": ((5, 25), (6, 30), "Dragon Boat Festival"),
    "mid_autumn": ((9, 5), (10, 8), "Mid-autumn Festival"),
    "tomb_sweeping": ((4, 1), (4, 8), "Tomb-sweeping Day"),
}
_FIXED_FALLBACK = {"national_day": (10, 1), "new_year": (1, 1), "labour_day": (5, 1)}


def official_calendar() -> Calendar:
    """The official calendar from `chinese_calendar` (weekends only outside the years it covers)."""
    import chinese_calendar

    # chinese_calendar scans its whole table on every call (min/max over all holidays); the answers never change.
    @functools.lru_cache(maxsize=4096)
    def is_workday(day: dt.date) -> bool:
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year the package does not know yet
            return _weekday_workday(day)

    @functools.lru_cache(maxsize=256)
    def holiday_start(key: str, year: int) -> dt.date | None:
        if key not in _HOLIDAY_WINDOWS:
            return None
        (m1, d1), (m2, d2), name = _HOLIDAY_WINDOWS[key]
        day = dt.date(year, m1, d1) - (dt.timedelta(days=3) if key == "new_year" else dt.timedelta(0))
        last = dt.date(year, m2, d2)
        try:
            while day <= last:
                off, label = chinese_calendar.get_holiday_detail(day)
                if off and label == name:
                    return day
                day += ONE_DAY
        except NotImplementedError:
            pass
        fixed = _FIXED_FALLBACK.get(key)
        return dt.date(year, *fixed) if fixed else None

    return Calendar(is_workday, holiday_start)


def weekend_calendar() -> Calendar:
    """Weekends off, holidays on fixed dates only: a pure calendar for tests and for cities without the package."""
    return Calendar(_weekday_workday, lambda key, year: dt.date(year, *_FIXED_FALLBACK[key])
                    if key in _FIXED_FALLBACK else None)


_DEFAULT: Calendar | None = None


def default_calendar() -> Calendar:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = official_calendar()
    return _DEFAULT


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def chinese_number(text: str) -> int | None:
    """'15', '１５', '十五', '二十', '三十一' -> int (1..999); None when it is not a number."""
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if text.isdigit():
        return int(text)
    if not text or any(char not in _DIGITS and char not in "十百" for char in text):
        return None
    total, current = 0, 0
    for char in text:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + _DIGITS[char] if current else _DIGITS[char]
    return total + current


_N = r"[0-9０-９]{1,3}|[一二两三四五六七八九十百零〇]{1,4}"
_M = r"[0-9０-９]{1,2}|十[一二]?|[一二三四五六七八九]"
_D = r"[0-9０-９]{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九]"


def _year(kind: str) -> str:
    return rf"(?P<year_{kind}>明年|今年|次年|(?P<y_{kind}>20\d\d)年)?"

_BEFORE = r"(?:前|之前|以前)"

_HOLIDAYS = {"国庆": "national_day", "春节": "spring_festival", "元旦": "new_year", "五一": "labour_day",
             "劳动节": "labour_day", "端午": "dragon_boat", "中秋": "mid_autumn", "清明": "tomb_sweeping"}

# Order matters: the longest, most specific shapes first; one alternation so a sentence is scanned once.
_FORMS = [
    ("day", rf"{_year('day')}(?P<m>{_M})月(?P<d>{_D})[日号](?:{_BEFORE}|(?=完成|办结|到位|落实))"),
    ("xun", rf"{_year('xun')}(?P<m2>{_M})月(?P<part>上旬|中旬|下旬|底|末|份)(?:{_BEFORE})?"),
    ("month_before", rf"{_year('month_before')}(?P<m3>{_M})月{_BEFORE}"),
    ("next_year_month", r"明年(?P<m4>" + _M + r")月"),
    # A quarter or half named as the period of some work ("抓好二季度工作", "上半年工作部署会") is no deadline.
    ("quarter", rf"{_year('quarter')}(?<!前)第?(?P<q>[一二三四1-4])季度(?:末|底)?(?:{_BEFORE})?(?!工作|的|各项)"),
    ("half", rf"{_year('half')}(?P<halfword>上半年|下半年)(?:末|底)?(?:{_BEFORE})?(?!工作|的|各项)"),
    ("holiday", r"(?P<hol>国庆|春节|元旦|五一|劳动节|端午|中秋|清明)(?:节|假期|长假|节日)?" + _BEFORE + r"(?!后)"),
    ("workdays", rf"(?:限期|在)?(?P<wd>{_N})个工作日(?:内|之内)?"),
    ("days", rf"(?<![月年])(?P<nd>{_N})(?:日|天)(?:内|之内)"),
    # "今明两年内": this year and the next, so by the end of the next
    ("year_end", r"(?P<ye>今明两年内|今明两年底前|明年底前|明年年底|明年底|今年年底|今年底前|今年底|今年内|本年度内|本年内"
                 r"|(?<![去前上0-9一二两三四五六七八九十])(?:年底前|年底|年末|年内)|(?P<yy>20\d\d)年(?:底前|底|末|内))"),
    ("week", r"(?P<wk>本周内|本周|下周)"),
    ("month", r"(?P<mo>本月底前|本月底|本月内|本月|下月底)"),
]
_PATTERN = re.compile("|".join(f"(?P<{name}>{body})" for name, body in _FORMS))
# Every form contains an anchor word, and each anchor admits only a few forms: most sentences hold no anchor, and
# trying the forms that fit one anchor in a window around it is many times faster than scanning with them all.
# The anchors are keyed by their first character, which no two share, so the anchor pattern is a plain alternation
# of words: `re` then skips every character that cannot start one (with a named group per anchor it tried the whole
# alternation at every position, and was twenty times slower).
_ANCHOR_FORMS = {
    "月": ("月", ("day", "xun", "month_before", "next_year_month", "month")),
    "年": ("年(?:底|末|内|度内)", ("year_end",)),
    "季": ("季度", ("quarter",)),
    "半": ("半年", ("half",)),
    "国": ("国庆", ("holiday",)),
    "春": ("春节", ("holiday",)),
    "元": ("元旦", ("holiday",)),
    "五": ("五一", ("holiday",)),
    "劳": ("劳动节", ("holiday",)),
    "端": ("端午", ("holiday",)),
    "中": ("中秋", ("holiday",)),
    "清": ("清明", ("holiday",)),
    "工": ("工作日", ("workdays",)),
    "日": ("日之?内", ("days",)),
    "天": ("天之?内", ("days",)),
    "本": ("本周", ("week",)),
    "下": ("下周", ("week",)),
}
_ANCHOR = re.compile("|".join(words for words, _ in _ANCHOR_FORMS.values()))
_FORMS_OF = {first: re.compile("|".join(f"(?P<{form}>{body})" for form, body in _FORMS if form in forms))
             for first, (_, forms) in _ANCHOR_FORMS.items()}

def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, _months.monthrange(year, month)[1])


def _year_of(match: re.Match, meeting: dt.date) -> tuple[int, bool]:
    """(year, explicit): 明年 and 20XX年 are explicit; otherwise the meeting's year, rolled forward if past."""
    kind = match.lastgroup
    word = match.group(f"year_{kind}")
    if word is None or word == "今年":
        return meeting.year, word == "今年"
    if word in ("明年", "次年"):
        return meeting.year + 1, True
    return int(match.group(f"y_{kind}")), True


def _roll(day: dt.date, meeting: dt.date, explicit: bool, build: Callable[[int], dt.date]) -> dt.date:
    # "3月底前" said in November means next March: a deadline before the meeting makes no sense. The next year is
    # the meeting's: "1月前" is the last day of the year before (build(2023) is 2022-12-31).
    if not explicit and day < meeting:
        return build(meeting.year + 1)
    return day


def add_workdays(start: dt.date, count: int, is_workday: Callable[[dt.date], bool]) -> dt.date:
    """The ``count``-th working day after ``start`` (``start`` itself not counted; ``start`` when ``count`` <= 0).
    The one working-day step of duban: lights, reminders and deadlines all count with it."""
    day = start
    left = count
    if left <= 0:
        return day
    for _ in range(count * 7 + 60):  # bounded even for a calendar that never returns True
        day += ONE_DAY
        if is_workday(day):
            left -= 1
            if left <= 0:
                return day
    return day


def workdays_after(start: dt.date, end: dt.date, is_workday: Callable[[dt.date], bool]) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not after ``start``): the one
    working-day count of duban (days to a deadline, days overdue)."""
    return sum(1 for i in range(1, (end - start).days + 1) if is_workday(start + dt.timedelta(days=i)))


def _resolve(match: re.Match, meeting: dt.date, calendar: Calendar) -> dt.date | None:
    kind = match.lastgroup
    if kind in ("day", "xun", "month_before", "quarter", "half"):
        year, explicit = _year_of(match, meeting)
    if kind == "day":
        month, day = chinese_number(match.group("m")), chinese_number(match.group("d"))
        if not (1 <= month <= 12 and 1 <= day <= _months.monthrange(year, month)[1]):
            return None
        return _roll(dt.date(year, month, day), meeting, explicit,
                     lambda y: dt.date(y, month, min(day, _months.monthrange(y, month)[1])))
    if kind == "xun":
        month = chinese_number(match.group("m2"))
        if not 1 <= month <= 12:
            return None
        xun = match.group("part")

        def build(y: int) -> dt.date:
            return dt.date(y, month, 10) if xun == "上旬" else dt.date(y, month, 20) if xun == "中旬" \
                else _month_end(y, month)
        return _roll(build(year), meeting, explicit, build)
    if kind == "month_before":
        month = chinese_number(match.group("m3"))
        if not 1 <= month <= 12:
            return None

        def build(y: int) -> dt.date:  # "3月前": before March begins
            return dt.date(y, month, 1) - ONE_DAY
        return _roll(build(year), meeting, explicit, build)
    if kind == "next_year_month":
        month = chinese_number(match.group("m4"))
        return _month_end(meeting.year + 1, month) if 1 <= month <= 12 else None
    if kind == "quarter":
        quarter = chinese_number(match.group("q"))
        return _roll(_month_end(year, quarter * 3), meeting, explicit, lambda y: _month_end(y, quarter * 3))
    if kind == "half":
        month = 6 if match.group("halfword") == "上半年" else 12
        return _roll(_month_end(year, month), meeting, explicit, lambda y: _month_end(y, month))
    if kind == "holiday":
        key = _HOLIDAYS[match.group("hol")]
        for year in (meeting.year, meeting.year + 1):
            start = calendar.holiday_start(key, year)
            if start is not None and start > meeting:
                # "国庆前" means the last working day before the days off begin: in 2023 the Mid-autumn Festival
                # opened the National Day break, and a holiday starting on a Monday takes the weekend with it.
                day = start - ONE_DAY
                for _ in range(20):
                    if calendar.is_workday(day):
                        break
                    day -= ONE_DAY
                return day
        return None
    if kind == "workdays":
        count = chinese_number(match.group("wd"))
        return add_workdays(meeting, count, calendar.is_workday) if count and count <= 366 else None
    if kind == "days":
        count = chinese_number(match.group("nd"))
        return meeting + dt.timedelta(days=count) if count and count <= 3660 else None
    if kind == "year_end":
        if match.group("yy"):
            return dt.date(int(match.group("yy")), 12, 31)
        return dt.date(meeting.year + (1 if match.group("ye").startswith(("明年", "今明两年")) else 0), 12, 31)
    if kind == "week":
        sunday = meeting + dt.timedelta(days=6 - meeting.weekday())
        return sunday + dt.timedelta(days=7) if match.group("wk") == "下周" else sunday
    if kind == "month":
        word = match.group("mo")
        if word == "下月底":
            year, month = (meeting.year + 1, 1) if meeting.month == 12 else (meeting.year, meeting.month + 1)
            return _month_end(year, month)
        return _month_end(meeting.year, meeting.month)
    return None  # pragma: no cover - every form is handled above


_REACH_BEFORE, _REACH_AFTER = 8, 8  # "2023年12" before 月, "假期之前" after 国庆: no form reaches further


def _matches(sentence: str) -> Iterator[re.Match]:
    """Matches of the forms that fit each anchor word, in a window around it, in order."""
    done = 0
    for anchor in _ANCHOR.finditer(sentence):
        if anchor.end() <= done:
            continue
        start = anchor.start()
        match = _FORMS_OF[sentence[start]].search(sentence, max(done, start - _REACH_BEFORE),
                                                  min(len(sentence), anchor.end() + _REACH_AFTER))
        if match is not None and match.end() > done:
            yield match
            done = match.end()


def find_deadline(sentence: str, meeting: dt.date | None, calendar: Calendar | None = None, *,
                  source: str | None = None) -> Deadline | None:
    """The first deadline in the sentence; its date is None when the meeting date (with year) is unknown.

    `sentence` is matched (a shadow, simplified characters); the text is quoted from `source` when given.
    """
    if _ANCHOR.search(sentence) is None:
        return None  # most sentences: answered without building the generator
    source = source if source is not None and len(source) == len(sentence) else sentence
    for match in _matches(sentence):
        words = source[match.start():match.end()]
        if meeting is None:
            return Deadline(words, None)
        try:
            day = _resolve(match, meeting, calendar or default_calendar())
        except (ValueError, OverflowError):
            day = None
        if day is None and match.lastgroup == "days":
            continue
        return Deadline(words, day.isoformat() if day else None)
    return None
