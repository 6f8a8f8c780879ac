"""A same-length "shadow" of the text that the rules match against.

Rules and keyword tables are written once, in simplified characters and full-width punctuation. Texts arrive in
traditional characters or with half-width "," ":" ";" "()" (typed on an English keyboard), so every step matches
against a shadow string where each character is mapped one-to-one; offsets found in the shadow are offsets in the
source, and every text we output is sliced from the source, never from the shadow.
"""

from __future__ import annotations

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
