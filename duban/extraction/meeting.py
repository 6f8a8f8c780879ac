"""Meeting facts from the opening of a communique: date, body and its session number, presider and the reports
heard.

Everything is matched on the shadow text (simplified, full-width punctuation) and sliced from the source, so a
traditional-character text keeps its own characters. A fact not found is None, never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .deadlines import chinese_number
from .model import Meeting

_NUM = r"[0-9０-９]{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九]"
_DATE = re.compile(
    r"(?:(?P<year>(?:19|20)[0-9]{2}|[二][〇零○][一二三四五六七八九〇零○]{2})年)?"
    rf"(?P<month>{_NUM})月(?P<day>{_NUM})[日号](?![前起至以之])"
)
# "市委书记陈金虎主持召开…" / "会议由市长林志远主持" / "市委副书记、市长王某主持召开…"
_PLACE = r"(?:[省市县区州旗镇乡]|自治[州县旗]|地区|行政公署)"
_ONE_TITLE = (rf"(?:{_PLACE}(?:委|政府|人大常委会|政协)?)?(?:党组|党委|党工委)?(?:常委、?)?(?:代|常务|执行)?副?"
              r"(?:书记|市长|县长|区长|州长|省长|镇长|乡长|旗长|主任|主席|秘书长|专员|常委)")
# Titles are joined by "、" (and, in converted texts, by junk such as ",、").
_TITLES = rf"{_ONE_TITLE}(?:[，]?、{_ONE_TITLE})*"
# Where the presider is named, in every common shape of the genre:
# - title before the name, maybe "同志" and a place between name and verb: "区长X在区行政中心三楼会议室,主持召开…";
# - name before the title: "X副县长主持召开…".
_PRESIDER = re.compile(rf"(?P<title>{_TITLES})(?P<name>[\u4e00-\u9fff·]{{2,4}}?)(?:同志)?"
                       r"(?:在[^，。；\n]{1,30}?)?[，]?主持")
# "县长赵六召开县政府第12次常务会议": whoever convenes the meeting chairs it.
_CONVENER = re.compile(rf"(?P<title>{_TITLES})(?P<name>[\u4e00-\u9fff·]{{2,3}}?)(?:同志)?召开")
_PRESIDER_AFTER = re.compile(rf"(?:^|(?<=[，。：\n\s]))(?P<name>[\u4e00-\u9fff·]{{2,3}}?)(?:同志)?(?P<title>{_TITLES})主持")
_BODY_CORE = (r"(?:市委|县委|区委|州委|省委|旗委|市政府|县政府|区政府|州政府|市人民政府|县人民政府|区人民政府)"
              r"(?:第?[0-9一二三四五六七八九十]+届)?(?:(?:第)?[0-9一二三四五六七八九十百零〇]+次)?"
              r"(?:常委会|常务会议|常务会|全体会议|全体（扩大）会议|专题会议|理论学习中心组)")
_BODY = re.compile(rf"(?:[0-9一二三四五六七八九十]+届)?(?P<body>{_BODY_CORE})(?:（扩大）)?(?P<tail>会议)?")
# "县第九届人民政府第20次常务会议": the government's term between its level and its name.
_BODY_TERM = re.compile(r"(?P<level>[市县区州])第?[0-9一二三四五六七八九十百]+届(?:人民)?政府(?:第?[0-9一二三四五六七八九十百零〇]+次)?"
                        r"(?P<kind>常务会议|常务会|全体会议)")
# "市委召开常委（扩大）会议": the committee named before the verb.
_BODY_SPLIT = re.compile(r"(?P<level>[市县区州])委(?:员会)?召开(?:第[0-9一二三四五六七八九十]+次)?常委(?:会)?(?P<wide>（扩大）)?会议")
# Other meetings go by their own name: "…召开集镇风貌提升工作调度会。", "全县农业农村工作会议召开".
_NAMED_MEETING = re.compile(r"召开(?P<name>[^，。；：、！？\n（）]{2,40}?(?:会议|会))(?=[，。；：！？\n]|$)"
                            r"|(?:^|(?<=[，。：\n]))(?P<before>[^，。；：、！？\n（）]{2,40}?会议)召开")
_REPORTS = re.compile(r"听取(?:了)?(?P<list>[^，。；！？：\n]{2,300}?)(?:的)?(?:工作)?汇报")
_LEVEL = re.compile(r"[市县区州省旗]")


@dataclass(frozen=True)
class MeetingFacts:
    meeting: Meeting
    date: dt.date | None  # the full date when the year is known, for resolving deadlines


def _opening(shadow: str) -> int:
    """End of the part that describes the meeting: its first paragraph (after a title line and blank lines), or
    the first 400 characters."""
    position = 0
    lines = 0
    while position < len(shadow) and lines < 4:
        end = shadow.find("\n", position, position + 600)
        line_end = end if end >= 0 else min(len(shadow), position + 400)
        line = shadow[position:line_end].strip()
        lines += 1
        # A title line ("市委常委会召开会议") or a blank line may precede the paragraph that carries the facts.
        if line and (len(line) >= 40 or end < 0):
            return line_end
        if end < 0:
            return line_end
        position = end + 1
    return min(len(shadow), max(position, 400))


def _presider_reach(shadow: str, end: int) -> int:
    """The presider may be named in the paragraph after the opening ("…召开常委（扩大）会议,传达…。\n市委书记X主持
    会议。"): look one paragraph further, within the opening's reach."""
    position = end + 1
    while position < len(shadow) and shadow[position] in "\n \u3000\t":  # blank lines between
        position += 1
    following = shadow.find("\n", position, position + 400)
    return following if following > 0 else min(len(shadow), position + 400)


def _year_number(text: str) -> int | None:
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    digits = "".join(str(chinese_number(char) if char not in "〇零○" else 0) for char in text)
    return int(digits) if digits.isdigit() else None


def _find_date(shadow: str, end: int):
    for match in _DATE.finditer(shadow, 0, end):
        before = shadow[max(0, match.start() - 1):match.start()]
        if before and before in "至到—-~～":  # a range end, not the meeting day
            continue
        month, day = chinese_number(match.group("month")), chinese_number(match.group("day"))
        if month and day and 1 <= month <= 12 and 1 <= day <= 31:
            return _year_number(match.group("year")), month, day
    return None


def _clean_item(item: str) -> str:
    item = item.strip(" \u3000")
    for prefix in ("关于", "全市", "全县", "全区", "全省", "我市", "我县", "我区"):
        if item.startswith(prefix) and len(item) > len(prefix) + 1:
            item = item[len(prefix):]
    for suffix in ("等有关情况", "等工作情况", "等情况", "有关情况", "工作情况", "进展情况", "情况", "等工作", "等"):
        if item.endswith(suffix) and len(item) > len(suffix) + 1:
            item = item[:-len(suffix)]
            break
    if item.endswith("工作") and len(item) > 4:
        item = item[:-2]
    return item


def find_reports(text: str, shadow: str) -> tuple[str, ...] | None:
    items: list[str] = []
    for match in _REPORTS.finditer(shadow):
        start = match.start("list")
        body = shadow[start:match.end("list")]
        # "听取了市发改委关于…的汇报": the reporter is not an item.
        about = body.find("关于")
        if about >= 0:
            start += about + 2
            body = body[about + 2:]
        position = start
        for piece in body.split("、"):
            piece_start = position
            position += len(piece) + 1
            cleaned = _clean_item(piece)
            offset = piece.find(cleaned) if cleaned else -1
            if offset < 0:
                continue
            value = text[piece_start + offset:piece_start + offset + len(cleaned)]
            if value not in items:
                items.append(value)
    return tuple(items) if items else None


# Dates that document generators write into every file they make: python-docx's template says 2013-12-23 23:15 UTC.
_GENERATOR_DATES = frozenset({dt.date(2013, 12, 23)})
_YEAR_IN_TEXT = re.compile(r"((?:19|20)[0-9]{2})年")


def plausible_document_date(stamp: dt.date | None, shadow: str, today: dt.date | None = None) -> dt.date | None:
    """A document's own date (a .docx's core properties), when it can stand for the meeting's year: not a
    generator's default, not in the future or before 2000, and consistent with the years the text names (a text
    that speaks of 2022 and 2023 was not written in 2013). Otherwise None, and the year is asked for."""
    if stamp is None or stamp in _GENERATOR_DATES:
        return None
    today = today or dt.date.today()
    if not (2000 <= stamp.year <= today.year) or stamp > today + dt.timedelta(days=1):
        return None
    named = [int(year) for year in _YEAR_IN_TEXT.findall(shadow[:20000])]
    if named and not (min(named) <= stamp.year <= max(named) + 1):
        return None
    return stamp


def find_meeting(text: str, shadow: str, *, year: int | None = None, document_date: dt.date | None = None,
                 meeting_date: dt.date | None = None) -> MeetingFacts:
    end = _opening(shadow)
    name = _find_name(text, shadow, end)
    date_text: str | None = None
    full: dt.date | None = None
    if meeting_date is not None:
        full = meeting_date
    else:
        # The date may stand in the paragraph after a long title line.
        found = _find_date(shadow, end) or _find_date(shadow, _presider_reach(shadow, end))
        if found:
            found_year, month, day = found
            chosen = found_year or _year_before_name(shadow, name) or year
            document_date = plausible_document_date(document_date, shadow) if chosen is None else None
            if chosen is None and document_date is not None:
                # A document is written on or after its meeting: a December meeting saved in January is last year's.
                chosen = document_date.year
                if (month, day) > (document_date.month, document_date.day):
                    chosen -= 1
            if chosen is not None:
                try:
                    full = dt.date(chosen, month, day)
                except ValueError:
                    full = None
            if full is None:
                date_text = f"{month:02d}-{day:02d}"
    if full is not None:
        date_text = full.isoformat()

    body = name.body

    presider = presider_title = None
    reach = _presider_reach(shadow, end)
    found_presider = (_PRESIDER.search(shadow, 0, end) or _PRESIDER_AFTER.search(shadow, 0, end)
                      or _PRESIDER.search(shadow, 0, reach) or _PRESIDER_AFTER.search(shadow, 0, reach)
                      or _CONVENER.search(shadow, 0, reach))
    if found_presider:
        presider = text[found_presider.start("name"):found_presider.end("name")]
        presider_title = text[found_presider.start("title"):found_presider.end("title")]

    meeting = Meeting(date=date_text, body=body, presider=presider, presider_title=presider_title,
                      reports_heard=find_reports(text, shadow), session=name.session)
    return MeetingFacts(meeting, full)


_SESSION = re.compile(r"第[0-9一二三四五六七八九十百零〇]+次")
_SESSION_BEFORE = re.compile(r"第[0-9一二三四五六七八九十百零〇]+次$")


@dataclass(frozen=True)
class _Name:
    body: str | None  # the kind of meeting (``_find_body``)
    session: str | None  # its number as written: "第16次"
    start: int | None  # where the name starts in the shadow text, for a year written before it


def _find_body(text: str, shadow: str, end: int) -> str | None:
    """The kind of meeting, in simplified characters and without its numbering (docs: "市政府常务会议", not
    "市人民政府第15次常務會議"); for other meetings, the meeting's own name."""
    return _find_name(text, shadow, end).body


def _session(text: str, shadow: str, start: int, stop: int) -> str | None:
    """The session number written in the name (shadow[start:stop]), as the source text has it."""
    found = _SESSION.search(shadow, start, stop)
    return text[found.start():found.end()] if found else None


def _find_name(text: str, shadow: str, end: int) -> _Name:
    wide = min(len(shadow), 1000)
    term = _BODY_TERM.search(shadow, 0, end)
    if term:
        return _Name(term.group("level") + "政府" + _kind(term.group("kind")),
                     _session(text, shadow, term.start(), term.end()), term.start())
    split = _BODY_SPLIT.search(shadow, 0, end)
    if split:
        return _Name(split.group("level") + "委常委会" + ("扩大会议" if split.group("wide") else "会议"),
                     _session(text, shadow, split.start(), split.end()), split.start())
    match = _BODY.search(shadow, 0, end)
    named = _NAMED_MEETING.search(shadow, 0, end)
    if not match and named:
        # "防汛抗旱指挥部第二次会议" is the 防汛抗旱指挥部会议: the name without its session number.
        group = "name" if named.group("name") else "before"
        return _Name(re.sub(r"第[0-9一二三四五六七八九十百]+次(?=会议$)", "", named.group(group)),
                     _session(text, shadow, named.start(group), named.end(group)), None)
    match = match or _BODY.search(shadow, 0, wide)
    if not match:
        return _Name(None, None, None)
    body = shadow[match.start("body"):match.end()]
    # Name the body, not the session: "市政府第15次常务会议" and "市人民政府常务会议" are both 市政府常务会议.
    session = _session(text, shadow, match.start("body"), match.end())
    if session is None:  # "2023年第5次县政府常务会议": the number before the body
        before = _SESSION_BEFORE.search(shadow, max(0, match.start() - 8), match.start())
        session = text[before.start():before.end()] if before else None
    body = re.sub(r"第?[0-9一二三四五六七八九十]+届|第?[0-9一二三四五六七八九十百零〇]+次|（扩大）|(?<=[市县区州])人民(?=政府)",
                  "", body)
    return _Name(_kind(body), session, match.start() if match.start() < end else None)


# A year written right before the meeting's name, with at most a place name or the session between ("召开2020年
# 南县人民政府第16次常务会议", "2023年第5次县政府常务会议"), is the year of that session: governments and party
# committees number their sessions within the year. (A named meeting's year is not taken: "2025年全县农村工作
# 会议" may be held in December 2024 for the year ahead.)
_YEAR_BEFORE_NAME = re.compile(r"(?P<year>(?:19|20)[0-9]{2}|[二][〇零○][一二三四五六七八九〇零○]{2})年"
                               r"(?:第[0-9一二三四五六七八九十百]+次)?[\u4e00-\u9fff]{0,6}$")


def _year_before_name(shadow: str, name: _Name) -> int | None:
    if name.start is None:
        return None
    found = _YEAR_BEFORE_NAME.search(shadow, max(0, name.start - 20), name.start)
    return _year_number(found.group("year")) if found else None


def _kind(body: str) -> str:
    if body.endswith("常委会"):
        return body + "会议"
    if body.endswith("常务会"):
        return body + "议"
    return body


def level_of(body: str | None) -> str | None:
    """'县' for a county body, '区' for a district, '市' for a city; None when unknown."""
    if not body:
        return None
    match = _LEVEL.search(body)
    return match.group() if match else None
