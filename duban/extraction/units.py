"""Responsibility list (职责清单) and suggesting lead and cooperating units for a directive."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .errors import ExtractionError
from .trie import KeywordTable
from .model import UnitSuggestion

MAX_COOPERATING = 3
_NAMED = 10  # a unit the sentence names outranks any number of keyword hits


@dataclass(frozen=True)
class Unit:
    name: str
    full_name: str
    aliases: tuple[str, ...]
    keywords: tuple[str, ...]
    areas: tuple[str, ...]


@dataclass(frozen=True)
class UnitList:
    units: tuple[Unit, ...]
    table: KeywordTable
    terms: dict  # term -> tuple of (unit index, weight)
    area_lead: dict  # area name -> unit index of its default lead
    made: dict = field(default_factory=dict, compare=False, repr=False)  # cache of immutable suggestions

    @classmethod
    def build(cls, units: tuple[Unit, ...]) -> "UnitList":
        terms: dict[str, dict[int, int]] = {}
        area_lead: dict[str, int] = {}
        for index, unit in enumerate(units):
            for word in (unit.name, unit.full_name, *unit.aliases):
                if word:
                    terms.setdefault(word, {})[index] = _NAMED
            for word in unit.keywords:
                if word:
                    terms.setdefault(word, {}).setdefault(index, 1)
            for area in unit.areas:
                area_lead.setdefault(area, index)
        owners = {word: tuple(units_of.items()) for word, units_of in terms.items()}
        return cls(units, KeywordTable.build(terms), owners, area_lead)

    def suggest(self, text: str, area: str | None = None, *, source: str | None = None
                ) -> tuple[UnitSuggestion, ...]:
        """At most one lead and MAX_COOPERATING cooperating units, each with the word that matched.

        `text` is what is matched (the shadow); `source`, of the same length, is what the reason is quoted from.
        """
        source = source if source is not None and len(source) == len(text) else text
        return self.suggest_from(self.table.findall(text), area, source, text)

    def suggest_from(self, words: list[str], area: str | None, source: str, text: str | None = None
                     ) -> tuple[UnitSuggestion, ...]:
        """The same, from the words of this list already found in `text` (the shadow of `source`), in order."""
        text = source if text is None else text
        if not words:  # the common case, skipped cheaply
            return self._area_default(area)
        scores: dict[int, int] = {}
        reasons: dict[int, str] = {}
        first: dict[int, int] = {}
        terms = self.terms
        # A word repeated in one sentence counts once; dict.fromkeys keeps the first occurrences in order.
        for order, word in enumerate(dict.fromkeys(words)):
            owners = terms.get(word)
            if owners is None:
                continue
            for index, weight in owners:
                previous = scores.get(index)
                if previous is None:
                    scores[index] = weight
                    reasons[index] = word
                    first[index] = order
                else:
                    scores[index] = previous + weight
                    if weight == _NAMED and previous < _NAMED:  # the unit's own name is the better reason
                        reasons[index] = word
        if not scores:
            return self._area_default(area)
        ranked = sorted((-score, first[index], index) for index, score in scores.items())
        same = source is text or source == text
        return tuple(self._suggestion(index, "lead" if rank == 0 else "coop",
                                      reasons[index] if same else _quoted(reasons[index], text, source))
                     for rank, (_, _, index) in enumerate(ranked[:1 + MAX_COOPERATING]))

    def named(self, found: list[tuple[int, int, str]], shadow: str, written_of) -> tuple[UnitSuggestion, ...]:
        """Suggestions for the units a sentence names (see `named_units`): the list's unit when the name or an
        alias matches (a county text's "县应急管理局" matches the list's "市应急管理局"), else the text's own name, flagged
        as not in the list. `written_of(start, end)` gives the name as the source writes it."""
        suggestions = []
        for start, end, role in found:
            written = written_of(start, end)
            index = self.by_name().get(_unlevelled(shadow[start:end]))
            if index is None:
                suggestions.append(UnitSuggestion(written, role, "文中点名", written, False))
            else:
                suggestions.append(UnitSuggestion(self.units[index].name, role, "文中点名", written, True))
        return tuple(suggestions)

    def by_name(self) -> dict:
        """Names, full names and aliases without their level (市/县/区) -> unit index; built once."""
        table = self.made.get("by_name")
        if table is None:
            table = {}
            for index, unit in enumerate(self.units):
                for word in (unit.name, unit.full_name, *unit.aliases):
                    if word:
                        table.setdefault(_unlevelled(word), index)
            self.made["by_name"] = table
        return table

    def _area_default(self, area: str | None) -> tuple[UnitSuggestion, ...]:
        """No unit named: the default lead of the directive's area, when the list gives one."""
        lead = self.area_lead.get(area)
        return () if lead is None else (self._suggestion(lead, "lead", area),)

    def _suggestion(self, index: int, role: str, reason: str) -> UnitSuggestion:
        # The same few hundred (unit, role, reason) triples recur in every text; build each frozen object once.
        key = (index, role, reason)
        found = self.made.get(key)
        if found is None:
            found = self.made[key] = UnitSuggestion(self.units[index].name, role, reason)
        return found


def _unlevelled(name: str) -> str:
    return name[1:] if len(name) > 2 and name[0] in "市县区州" else name


def _quoted(word: str, text: str, source: str) -> str:
    """The reason as written in the source (a traditional-character text keeps its characters)."""
    if source is text or source == text:
        return word
    position = text.find(word)
    return source[position:position + len(word)] if position >= 0 else word


def _strings(item: dict, key: str) -> tuple[str, ...]:
    value = item.get(key, ())
    if isinstance(value, str):
        return (value,)
    return tuple(str(word) for word in value)


def parse_units(data: dict) -> UnitList:
    try:
        units = tuple(Unit(name=str(item["name"]), full_name=str(item.get("full_name", item["name"])),
                           aliases=_strings(item, "aliases"), keywords=_strings(item, "keywords"),
                           areas=_strings(item, "areas"))
                      for item in data["unit"])
    except (KeyError, TypeError, AttributeError) as error:
        raise ExtractionError("bad_units", "职责清单格式不正确（需要 [[unit]] name、aliases、keywords、areas）",
                              "the responsibility list is malformed (needs [[unit]] with name, aliases, keywords, areas)"
                              ) from error
    if not units:
        raise ExtractionError("bad_units", "职责清单为空", "the responsibility list is empty")
    return UnitList.build(units)


def load_units(path: str | Path | None = None) -> UnitList:
    """Load a responsibility list from TOML; None loads the packaged default (data/units.toml)."""
    if path is None:
        raw = resources.files(__package__).joinpath("data/units.toml").read_bytes()
    else:
        try:
            raw = Path(path).read_bytes()
        except OSError as error:
            raise ExtractionError("bad_units", f"无法读取职责清单：{path}",
                                  f"cannot read the responsibility list: {path}") from error
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ExtractionError("bad_units", f"职责清单不是有效的 UTF-8 TOML：{error}",
                              f"the responsibility list is not valid UTF-8 TOML: {error}") from error
    return parse_units(data)


_DEFAULT: UnitList | None = None


def default_units() -> UnitList:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_units()
    return _DEFAULT


# --- Units the text names --------------------------------------------------------------------------------------
# A unit's name ends in the word for its kind (局, 委, 办, 公司, 中心, 镇 …). Generic groups ("各级各部门",
# "有关部门", "相关单位") name nobody and are left out, as the gold conventions say.
_KIND = (r"(?:管委会|指挥部|办公室|分局|公司|集团|中心|协会|街道|政府|公署|党委|党工委|局|委|办|部|厅|镇|乡|组|院|所|站|队|处"
         r"|署|区|县)")
# "各县（区）": a level in brackets may follow the name.
# A name never starts with a preposition ("由县水利局负责": the unit is 县水利局).
_NAME = rf"(?!由)[\u4e00-\u9fff]{{1,16}}?{_KIND}(?:（[\u4e00-\u9fff]{{1,4}}）)?"
_LIST = rf"{_NAME}(?:[、和]{_NAME})*"
_TRAILER = r"(?:等(?:[0-9一二三四五六七八九十]+个)?(?:相关)?(?:单位|部门|镇街|乡镇)?)?"
_CLAUSE = r"(?:^|(?<=[，；：。]))"
# Who is to act: "由X负责/牵头", "X牵头", "X要…" at the start of a clause, "同意X提出的《…》" (the submitter).
_LEAD_PATTERNS = (
    # "由X负责", "由X会同Y…", "由城投公司按程序组织实施": whoever 由 names carries the work out.
    re.compile(rf"由(?!于)(?P<names>{_LIST}){_TRAILER}(?=负责|牵头|会同|联合|组织|按|根据|抓紧|尽快|做好|对|在|于)"),
    re.compile(rf"{_CLAUSE}(?:[一二三四五六七八九十]+[是要]|（[一二三四五六七八九十0-9]+）|其[一二三四五六七八九十]是)?"
               rf"(?P<names>{_LIST}){_TRAILER}(?:要|务必|必须|须|应当|负责|牵头|抓紧|尽快)"),
    re.compile(rf"同意(?P<names>{_LIST}){_TRAILER}(?:提出|提交|报送|上报)"),
)
# Who helps: "会同X", "协同X", "与X共同/完成…": X is the partner of the unit that acts.
_COOP_PATTERN = re.compile(rf"(?:会同|协同|联合|与)(?P<names>{_LIST}){_TRAILER}")
# "（A）协助/配合X完成…": the work is X's, and the unit that helps (A, when named) is its partner.
_HELPED_PATTERN = re.compile(rf"(?:协助|配合)(?P<names>{_LIST}){_TRAILER}")
_GENERIC = re.compile(r"^(?:各|有关|相关|全|本|该|这|其|我|此|上级|下级|主管|职能|责任|牵头|配合|参会|与会|其他|其它)"
                      r"|^(?:部门|单位|政府|党委|乡镇|街道)$")


_SERVES = re.compile(r"为[^，；。]{1,12}?(?:想办法|出主意|解难题|提供|服务)|^要?(?:积极|全力|主动)?(?:支持|配合|服务)")


_CLAUSE_END = re.compile(r"[，；。]")


def _clause_end(text: str, start: int) -> int:
    found = _CLAUSE_END.search(text, start)
    return found.start() if found else len(text)


_ONE_NAME = re.compile(_NAME)
_KIND_CHAR = re.compile("[局委办司心会道府署组院所站队处部厅镇乡区县集]")


def _split(names: str) -> list[str]:
    """"A、B和C" -> A, B, C; but "县住房和城乡建设局" is one name: 和 separates only whole names."""
    pieces = []
    for piece in names.split("、"):
        while True:
            cut = next((i for i, char in enumerate(piece) if char == "和" and _ONE_NAME.fullmatch(piece[:i])
                        and _ONE_NAME.fullmatch(piece[i + 1:])), None)
            if cut is None:
                break
            pieces.append(piece[:cut])
            piece = piece[cut + 1:]
        pieces.append(piece)
    return pieces


def _names(match, role: str):
    names = match.group("names")
    position = match.start("names")
    for name in _split(names):
        start = position
        position += len(name) + 1
        if not _GENERIC.search(name) and len(name) >= 2:
            yield start, start + len(name), role


def named_units(shadow: str) -> list[tuple[int, int, str]]:
    """(start, end, role) of each unit the sentence names, leads first, in order of appearance, each name once.
    A sentence that only helps ("协助X完成…") names its lead; the caller adds the helper from the item above."""
    if _KIND_CHAR.search(shadow) is None:  # most requests name no unit: one scan in C says so
        return []
    masked = mask_titles(shadow)
    found: dict[str, tuple[int, int, str]] = {}
    leads = sorted(item for pattern in _LEAD_PATTERNS for match in pattern.finditer(masked)
                   for item in _names(match, "lead"))
    coops = sorted(item for match in _COOP_PATTERN.finditer(masked) for item in _names(match, "coop"))
    helped = sorted(item for match in _HELPED_PATTERN.finditer(masked) for item in _names(match, "lead"))
    # "市财政局、市税务局等要主动…为基层和企业解难题": units whose clause serves others' work are their partners.
    leads = [(start, end, "coop" if _SERVES.search(masked, end, _clause_end(masked, end)) else role)
             for start, end, role in leads]
    if helped:
        # The helpers become partners of the work they help with.
        leads, coops = helped, [(start, end, "coop") for start, end, _ in leads] + coops
    # A unit named twice keeps the role of its first mention ("由X会同市财政局…；市财政局要…" is X's work).
    for start, end, role in sorted({*leads, *coops}):
        found.setdefault(shadow[start:end], (start, end, role))
    ordered = sorted(found.values(), key=lambda item: (item[2] != "lead", item[0]))
    return ordered


def mask_titles(text: str) -> str:
    """Titles 《…》 and quotations name documents and slogans, not units (same length)."""
    if "《" not in text and "“" not in text:
        return text
    return re.sub(r"《[^《》]*》|“[^“”]*”", lambda match: "□" * len(match.group()), text)


def helps(shadow: str) -> bool:
    """Does the sentence help another unit's work ("协助X完成…", "配合X做好…")?"""
    return _HELPED_PATTERN.search(mask_titles(shadow)) is not None
