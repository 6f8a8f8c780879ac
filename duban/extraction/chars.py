"""A same-length "shadow" of the text that the rules match against.

Rules and keyword tables are written once, in simplified characters and full-width punctuation. Texts arrive in
traditional characters or with half-width "," ":" ";" "()" (typed on an English keyboard), so every step matches
against a shadow string where each character is mapped one-to-one; offsets found in the shadow are offsets in the
source, and every text we output is sliced from the source, never from the shadow.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from importlib import resources

_PUNCTUATION = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"}
# Traditional characters common enough in government prose that a handful of them mark a traditional text.
_TRADITIONAL_MARKERS = frozenset("會議們這為經進與來說時個對實務區現黨員從設據強當發關級機開體點總選")

_T2S: dict[int, str] | None = None


def _t2s_table() -> dict[int, str]:
    global _T2S
    if _T2S is None:
        table = {}
        for line in resources.files(__package__).joinpath("data/t2s.txt").read_text("utf-8").splitlines():
            if len(line) == 2 and not line.startswith("#"):
                table[ord(line[0])] = line[1]
        _T2S = table
    return _T2S


_PUNCT_TABLE = str.maketrans(_PUNCTUATION)
_BOTH_TABLE: dict[int, str] | None = None


def is_traditional(text: str) -> bool:
    sample = text[:4000]
    hits = sum(1 for char in sample if char in _TRADITIONAL_MARKERS)
    return hits >= 5 and hits * 200 >= len(sample)


def shadow(text: str) -> str:
    """Same length as `text`: simplified characters and full-width punctuation, for matching only."""
    global _BOTH_TABLE
    if not is_traditional(text):
        # Seven str.replace calls run in C at memory speed; translate() with a table is ten times slower.
        for half, full in _PUNCTUATION.items():
            if half in text:
                text = text.replace(half, full)
        return text
    if _BOTH_TABLE is None:
        _BOTH_TABLE = {**_t2s_table(), **_PUNCT_TABLE}
    return text.translate(_BOTH_TABLE)


def to_simplified(text: str) -> str:
    """Every traditional character of ``text`` in its simplified form (punctuation unchanged)."""
    return text.translate(_t2s_table())


_S2T: dict[str, list[str]] | None = None


def spellings(word: str, *, limit: int = 8) -> list[str]:
    """The ways ``word`` may be written in either script, ``word`` itself first: its simplified form and its
    traditional forms (a simplified character may stand for several traditional ones: 发 → 發, 髮), at most
    ``limit`` of them. Search matches any, so a query in one script finds texts written in the other."""
    global _S2T
    if _S2T is None:
        reverse: dict[str, list[str]] = {}
        for trad, simp in _t2s_table().items():
            reverse.setdefault(simp, []).append(chr(trad))
        _S2T = reverse
    simplified = to_simplified(word)
    found = list(dict.fromkeys([word, simplified]))
    forms = [""]
    for char in simplified:
        forms = [f + o for f in forms for o in (_S2T.get(char) or [char])][:limit]
    for form in forms:
        if len(found) >= limit:
            break
        if form not in found:
            found.append(form)
    return found
# Conversion junk of traditional-character mirrors: a pinyin reading in brackets after the character it glosses
# ("區(qū)委", "會(huì)議"). Rules see the text without it; what we output is sliced from the source, junk included.
_PINYIN_GLOSS = re.compile(r"(?<=[\u3400-\u9fff])[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}[)）]")


class View:
    """The text the rules read (`text`, glosses removed) and the way back to the source's offsets."""

    __slots__ = ("source", "text", "_cuts", "_removed")

    def __init__(self, source: str):
        self.source = source
        self._cuts: list[int] = []  # view offsets where a gloss was removed, ascending
        self._removed: list[int] = [0]  # characters removed up to and including each cut
        if "(" not in source and "（" not in source or not _PINYIN_GLOSS.search(source):
            self.text = source  # the usual case: nothing to strip, offsets are the same
            return
        kept, begin = [], 0
        for match in _PINYIN_GLOSS.finditer(source):
            kept.append(source[begin:match.start()])
            self._cuts.append(match.start() - self._removed[-1])
            self._removed.append(self._removed[-1] + match.end() - match.start())
            begin = match.end()
        kept.append(source[begin:])
        self.text = "".join(kept)

    def _source_offset(self, position: int) -> int:
        # A gloss removed at view offset p followed the character before p: offsets from p on move past it.
        return position + self._removed[bisect_right(self._cuts, position)]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Source offsets of the view's [start, end): the end takes in a gloss that follows the last character, as
        a name keeps its junk ("某某鎮(zhèn)")."""
        if not self._cuts:
            return start, end
        return self._source_offset(start), self._source_offset(max(start, end))

    def slice(self, start: int, end: int) -> str:
        left, right = self.span(start, end)
        return self.source[left:right]
