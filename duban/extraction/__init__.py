"""duban.extraction: a meeting communique in, a draft ledger out (see docs/extraction.md).

Pure Python: imports nothing from Django or other duban packages. One module per step:
decoding → sentences → meeting → headings → directives → areas → units → deadlines → phrases, assembled here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import os
from dataclasses import dataclass
from collections import Counter

from .areas import AreaList, default_areas, load_areas
from .chars import View, shadow as make_shadow
from .deadlines import Calendar, default_calendar, find_deadline, official_calendar, weekend_calendar
from .decoding import DEFAULT_MAX_BYTES, decode_bytes, normalise_newlines, read_path
from .directives import continues_list, core_of, is_attendance, is_continuation, is_directive
from .errors import ExtractionError
from .headings import is_heading_sentence, is_segment_heading, is_title_line, opens_segment, paragraph_heading
from .meeting import find_meeting, level_of
from .model import Deadline, Directive, Extraction, Heading, Meeting, Phrase, Source, UnitSuggestion
from .phrases import find_phrases
from .sentences import split_paragraphs
from .trie import KeywordTable
from .units import UnitList, default_units, helps, load_units, named_units

__all__ = [
    "AreaList", "Calendar", "Deadline", "Directive", "Extraction", "ExtractionError", "Heading", "Meeting", "Phrase",
    "Source", "UnitList", "UnitSuggestion", "decode_bytes", "default_areas", "default_calendar", "default_units",
    "extract_file", "extract_text", "load_areas", "resolve_deadline", "load_units", "normalise_newlines", "official_calendar", "read_path",
    "weekend_calendar",
]

_OPENING_REACH = 600  # the opening sentence ("…主持召开…会议，…") lies within the first few hundred characters


def _area_for_sentence(areas: AreaList, sentence_counts, paragraph_area: str, leading: str | None = None) -> str:
    # A paragraph keeps one theme (the gold files the praise-free follow-ups of "会议强调，要…" under it), but a
    # sentence that clearly names another area by two or more keywords ("…坚持和发展‘枫桥经验’，深化信访…") is
    # filed where it says.
    if not sentence_counts:
        return paragraph_area
    own = areas.best(sentence_counts)
    if own == paragraph_area:
        return own
    names = areas.names
    paragraph_index = names.index(paragraph_area) if paragraph_area in names else None
    paragraph_hits = sentence_counts.get(paragraph_index, 0) if paragraph_index is not None else 0
    top = max(sentence_counts.values())
    if top >= 2 and top > 2 * paragraph_hits:
        return own
    if paragraph_hits == 0 and len(sentence_counts) == 1 and leading is not None and areas.score(leading):
        # Parallel requests of one paragraph each name their own theme ("要抓好招商引资，…。要抓好森林防火，落实
        # 应急值守…。"): such a sentence is filed where it says. A theme named only in passing in the last
        # clause ("…，带动周边区域…") does not move it.
        return own
    return paragraph_area


def _segment_headings(shadows: list[str], flags: list[bool]) -> list[tuple[int, int]]:
    """(sentence index of each heading inside the paragraph, end of the segment it heads)."""
    if len(shadows) < 2:
        return []
    starts = [0] + [i for i in range(1, len(shadows)) if opens_segment(shadows[i]) or shadows[i].startswith("会议")]
    found = []
    for number, head in enumerate(starts):
        stop = starts[number + 1] if number + 1 < len(starts) else len(shadows)
        if stop - head < 2:
            continue
        if head == 0 and paragraph_heading(shadows, flags):
            found.append((head, stop))
        elif is_segment_heading(shadows[head]) and not _parallel(shadows[head], shadows[head + 1]) and any(
                flags[i] or not (shadows[i].startswith("会议") or is_attendance(shadows[i]))
                for i in range(head + 1, stop)):
            found.append((head, stop))
    return found


def _parallel(first: str, second: str) -> bool:
    """"会议强调，要抓好防汛备汛，…。要抓好招商引资，…。": sentences that open alike are items of one list, siblings,
    not a theme and its elaboration."""
    a, b = core_of(first)[0], core_of(second)[0]
    return len(a) >= 3 and a[:3] == b[:3]


def _localise(name: str, level: str | None) -> str:
    """The default list names city units (市…); a county communique gets 县… names."""
    if level in ("县", "区") and name.startswith(("市", "团市")):
        return name.replace("市", level, 1)
    return name


@dataclass(frozen=True)
class _Scanner:
    """Area and unit keywords in one table, so each sentence is scanned once (the scan is most of the cost).

    A word of one list may hide a word of the other ("市生态环境局" holds "生态环境"), so each word of the joint
    table carries the area words and unit words found inside it.
    """

    table: KeywordTable
    area_hits: dict  # word -> indices of the areas whose keywords it holds
    unit_words: dict  # word -> unit words it holds

    @classmethod
    def build(cls, areas: AreaList, units: UnitList) -> "_Scanner":
        words = set(areas.owner) | set(units.terms)
        return cls(KeywordTable.build(words),
                   {word: tuple(areas.owner[found] for _, found in areas.table.finditer(word)) for word in words},
                   {word: tuple(found for _, found in units.table.finditer(word)) for word in words})

    def scan(self, text: str) -> tuple[dict, list[str]]:
        """(hits per area index, unit words in order of appearance) in one pass. findall, not finditer: building
        a match object per hit cost more than the scan itself. Plain dicts, not Counters: a Counter's constructor
        and its missing-key hook are Python code, and a sentence holds only a few hits."""
        area_counts: dict[int, int] = {}
        unit_found: list[str] = []
        if self.table.pattern is None:
            return area_counts, unit_found
        area_hits, unit_words = self.area_hits, self.unit_words
        for word in self.table.pattern.findall(text):
            for index in area_hits[word]:
                # A compound term ("安全生产", "疫情防控") says more than a bare word ("安全"): it counts twice.
                area_counts[index] = area_counts.get(index, 0) + (2 if len(word) >= 4 else 1)
            inner = unit_words[word]
            if inner:
                unit_found += inner
        return area_counts, unit_found


_SCANNERS: dict = {}


def _scanner(areas: AreaList, units: UnitList) -> _Scanner:
    key = (id(areas), id(units))
    if key not in _SCANNERS:
        _SCANNERS.clear()  # one configuration at a time in practice; do not keep old lists alive
        _SCANNERS[key] = (areas, units, _Scanner.build(areas, units))
    return _SCANNERS[key][2]


def extract_text(text: str, *, year: int | None = None, meeting_date: dt.date | None = None,
                 areas: AreaList | None = None, units: UnitList | None = None, calendar: Calendar | None = None,
                 encoding: str = "utf-8", document_date: dt.date | None = None) -> Extraction:
    """Extract meeting facts, headings, directives and phrases. Offsets index `result.text` (newlines normalised)."""
    # Extraction makes no reference cycles, but on a 10 MB text the cyclic collector's full passes over its
    # millions of small objects made the run about 15% slower per megabyte than on 1 MB; pause it for the call.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _extract(text, year=year, meeting_date=meeting_date, areas=areas, units=units, calendar=calendar,
                        encoding=encoding, document_date=document_date)
    finally:
        if collecting:
            gc.enable()


def _extract(text: str, *, year, meeting_date, areas, units, calendar, encoding, document_date) -> Extraction:
    text = normalise_newlines(text)
    view = View(text)
    source, text = text, view.text  # the rules read the view; what is output is sliced from the source
    areas = areas or default_areas()
    units = units or default_units()
    calendar = calendar or default_calendar()
    scanner = _scanner(areas, units)
    shadow = make_shadow(text)
    facts = find_meeting(text, shadow, year=year, document_date=document_date, meeting_date=meeting_date)
    level = level_of(make_shadow(facts.meeting.body)) if facts.meeting.body else None

    meeting_area = areas.classify(make_shadow(facts.meeting.body)) if facts.meeting.body else areas.fallback
    headings: list[Heading] = []
    directives: list[Directive] = []
    section: tuple[int, str] | None = None  # (heading index, area) carried over paragraphs by a title line

    paragraphs = split_paragraphs(text)
    for number, paragraph in enumerate(paragraphs):
        sentences = paragraph.sentences
        shadows = [shadow[s.start:s.end] for s in sentences]
        first = sentences[0]

        following = paragraphs[number + 1] if number + 1 < len(paragraphs) else None
        if len(shadows) == 1 and following and (is_title_line(shadows[0]) or (
                # "要守牢安全底线。" alone on its line heads the paragraphs below it, as a numbered title does,
                # unless the next line is as short (a list of one-line requests, not a title and its body).
                is_heading_sentence(shadows[0]) and not shadow.startswith("会议", following.start)
                and not is_heading_sentence(shadow[following.sentences[0].start:following.sentences[0].end]))):
            section = (len(headings), areas.best(areas.score(shadows[0])
                                                 or areas.score(shadow[following.start:following.end])))
            headings.append(Heading(first.start, first.end, first.text, section[1]))
            continue
        if shadows[0].startswith("会议"):
            section = None  # a new agenda item ends the section a title line opened

        flags = [is_directive(sh, opening=s.start < _OPENING_REACH) for s, sh in zip(sentences, shadows)]
        for index in range(1, len(flags)):
            if not flags[index] and flags[index - 1] and continues_list(shadows[index]):
                flags[index] = True
        if not any(flags):
            continue

        # Headings inside the paragraph: its first sentence, or a sentence where someone speaks or a numbered item
        # starts, when it is a short theme sentence and its segment goes on with work. Every sentence of such a
        # segment that is not an agenda record or an attendance line elaborates the heading: a directive under it.
        owner = [None] * len(flags)  # sentence index -> index (in `sentences`) of the heading it falls under
        segment_heads = _segment_headings(shadows, flags)
        for head, stop in segment_heads:
            flags[head] = False
            for index in range(head + 1, stop):
                owner[index] = head
                if not flags[index] and not shadows[index].startswith("会议") and not is_attendance(shadows[index]):
                    flags[index] = True
        if not any(flags):
            continue
        # A heading sentence needs no keyword scan: the directives under it take the heading's area.
        scans = {i: scanner.scan(shadows[i]) for i in range(len(flags)) if flags[i]}
        heading_of: dict[int, tuple[int, str]] = {}  # sentence index of a heading -> (heading index, area)
        for head, stop in segment_heads:
            # The heading's theme: its own words, else its segment's, else its paragraph's, else the meeting's.
            counts = (areas.score(shadows[head]) or areas.score(shadow[sentences[head].start:sentences[stop - 1].end])
                      or areas.score(shadow[paragraph.start:paragraph.end]))
            heading_of[head] = (len(headings), areas.best(counts) if counts else meeting_area)
            headings.append(Heading(sentences[head].start, sentences[head].end, sentences[head].text,
                                    heading_of[head][1]))
        # The theme of a paragraph is what it asks for: its facts ("会议指出，…平稳有序") often speak of
        # something else. When the requests name no area ("会议要求，各相关部门要抓紧细化配套措施…"), the
        # agenda item they follow ("会议审议通过了《…城市更新…》") does.
        total: Counter = Counter()
        for area_counts, _ in scans.values():
            total.update(area_counts)
        top = max(total.values()) if total else 0
        tied = top and list(total.values()).count(top) > 1
        # The paragraph's own words are read only when the requests leave the theme open (a scan costs).
        paragraph_counts = areas.score(shadow[paragraph.start:paragraph.end]) if top <= 2 or tied else Counter()
        if total and paragraph_counts and tied:
            # Requests that name two themes equally ("要做好疫情监测预警，…降低对经济发展的影响") are
            # filed under the one their agenda item names ("会议传达了全省疫情防控工作会议精神").
            top = max(total.values())
            total = Counter({index: top * 100 + paragraph_counts.get(index, 0)
                             for index, count in total.items() if count == top})
        if total and paragraph_counts and top <= 2 and max(paragraph_counts.values()) > 2 * top:
            # Requests that name a theme only in passing ("…带动周边区域…") under an agenda item that names its
            # own theme again and again ("老旧小区改造是…补齐城市功能短板的关键") belong to the agenda item.
            total = paragraph_counts
        paragraph_area = areas.best(total or paragraph_counts)
        if paragraph_area == areas.fallback:
            # Nothing in the paragraph names a theme: minutes of a meeting held on one subject
            # ("…集镇风貌提升工作调度会") are about that subject.
            paragraph_area = meeting_area

        previous_leads: tuple[UnitSuggestion, ...] = ()  # the named leads of the directive before, in this paragraph
        for index, (area_counts, unit_words) in scans.items():  # the directives, in order
            sentence = sentences[index]
            if owner[index] is not None:
                heading_index, area = heading_of[owner[index]]
            elif section is not None:
                heading_index, area = section
            elif segment_heads:
                # A paragraph that holds several headed segments changes theme with them: a request outside them
                # is filed by its own words, else under the meeting's theme, not the paragraph's mixture.
                heading_index, area = None, areas.best(area_counts) if area_counts else meeting_area
            else:
                heading_index, area = None, _area_for_sentence(areas, area_counts, paragraph_area,
                                                                   shadows[index].rsplit("，", 1)[0])
            offset = sentence.start
            named = named_units(shadows[index])
            suggestions = units.named(named, shadows[index],
                                      lambda start, end, offset=offset: view.slice(offset + start, offset + end)) if named else ()
            if is_continuation(shadows[index]) and previous_leads:
                # "同时，做好…" goes on from the numbered item above and takes its unit; "同时，协助X完成…" makes
                # that unit the partner of X's work.
                if not suggestions:
                    suggestions = previous_leads
                elif helps(shadows[index]):
                    suggestions = (*suggestions, *(dataclasses.replace(unit, role="coop") for unit in previous_leads))
            if suggestions:
                if not is_continuation(shadows[index]):
                    previous_leads = tuple(unit for unit in suggestions if unit.role == "lead")
            else:
                # Suggestions from keywords only where the text names no unit.
                previous_leads = ()
                suggestions = units.suggest_from(unit_words, area, sentence.text, shadows[index])
            if level in ("县", "区"):
                suggestions = tuple(dataclasses.replace(s, name=_localise(s.name, level)) if s.in_list else s
                                    for s in suggestions)
            directives.append(Directive(
                start=sentence.start, end=sentence.end, text=sentence.text, area=area, heading=heading_index,
                units=suggestions, deadline=find_deadline(shadows[index], facts.date, calendar, source=sentence.text),
            ))

    if text is not source:
        headings = [_in_source(view, heading) for heading in headings]
        directives = [_in_source(view, directive) for directive in directives]
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    return Extraction(
        source=Source(digest, len(source), encoding),
        meeting=facts.meeting,
        headings=tuple(headings),
        directives=tuple(directives),
        phrases=find_phrases(source),
        text=source,
    )


def _in_source(view: View, item):
    """A heading or directive found in the view, with the offsets and text of the source."""
    start, end = view.span(item.start, item.end)
    return dataclasses.replace(item, start=start, end=end, text=view.source[start:end])


def resolve_deadline(text: str, meeting_date: dt.date, calendar: Calendar | None = None) -> dt.date | None:
    """The date of a deadline as the text states it ("国庆前", "10月底前", "限期5个工作日") for a meeting held on
    `meeting_date`; None when it cannot be dated."""
    found = find_deadline(make_shadow(text), meeting_date, calendar or default_calendar(), source=text)
    return dt.date.fromisoformat(found.date) if found is not None and found.date else None


def extract_file(path: str | os.PathLike, *, year: int | None = None, meeting_date: dt.date | None = None,
                 areas: AreaList | None = None, units: UnitList | None = None, calendar: Calendar | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> Extraction:
    """Read a .txt (UTF-8, GB18030/GBK, UTF-16 with BOM) or .docx and extract. Raises ExtractionError on bad input."""
    decoded = read_path(path, max_bytes=max_bytes)
    return extract_text(decoded.text, year=year, meeting_date=meeting_date, areas=areas, units=units,
                        calendar=calendar, encoding=decoded.encoding, document_date=decoded.document_date)
