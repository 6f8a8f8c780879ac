"""Areas (工作领域): a configurable list of names with keywords, and scoring text against it."""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import ExtractionError
from .trie import KeywordTable


@dataclass(frozen=True)
class Area:
    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class AreaList:
    areas: tuple[Area, ...]
    fallback: str
    table: KeywordTable  # the longest keyword at a position wins
    owner: dict  # keyword -> index of the first area that lists it

    @classmethod
    def build(cls, areas: tuple[Area, ...], fallback: str) -> "AreaList":
        owner: dict[str, int] = {}
        for index, area in enumerate(areas):
            for keyword in area.keywords:
                owner.setdefault(keyword, index)
        return cls(areas, fallback, KeywordTable.build(owner), owner)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(area.name for area in self.areas)

    def score(self, text: str) -> Counter:
        """Keyword hits per area index."""
        return self.count(self.table.findall(text))

    def count(self, words) -> Counter:
        """Hits per area index for words already found (words that are not area keywords are ignored); a keyword
        of four characters or more counts twice."""
        owner = self.owner
        counts: Counter = Counter()
        for word in words:
            index = owner.get(word)
            if index is not None:
                counts[index] += 2 if len(word) >= 4 else 1  # a compound term says more than a bare word
        return counts

    def best(self, counts: Counter) -> str:
        if not counts:
            return self.fallback
        if len(counts) == 1:  # the usual case for one sentence
            return self.areas[next(iter(counts))].name
        top = max(counts.values())
        return self.areas[min(index for index, count in counts.items() if count == top)].name

    def classify(self, text: str) -> str:
        return self.best(self.score(text))


def parse_areas(data: dict) -> AreaList:
    try:
        areas = tuple(Area(str(item["name"]), tuple(str(word) for word in item.get("keywords", ()) if str(word)))
                      for item in data["area"])
        fallback = str(data.get("fallback", "其他"))
    except (KeyError, TypeError) as error:
        raise ExtractionError("bad_areas", "领域清单格式不正确（需要 [[area]] name、keywords）",
                              "the area list is malformed (needs [[area]] with name and keywords)") from error
    if not areas:
        raise ExtractionError("bad_areas", "领域清单为空", "the area list is empty")
    return AreaList.build(areas, fallback)


def load_areas(path: str | Path | None = None) -> AreaList:
    """Load an area list from TOML; None loads the packaged default."""
    if path is None:
        raw = resources.files(__package__).joinpath("data/areas.toml").read_bytes()
    else:
        try:
            raw = Path(path).read_bytes()
        except OSError as error:
            raise ExtractionError("bad_areas", f"无法读取领域清单：{path}", f"cannot read the area list: {path}") from error
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ExtractionError("bad_areas", f"领域清单不是有效的 TOML：{error}", f"the area list is not valid TOML: {error}") from error
    return parse_areas(data)


_DEFAULT: AreaList | None = None


def default_areas() -> AreaList:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_areas()
    return _DEFAULT
