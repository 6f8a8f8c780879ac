"""Responsibility list (职责清单) and suggesting lead and cooperating units for a directive."""

from __future__ import annotations

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
