"""Page lines back into paragraphs: what PDF and OFD readers share.

A page of a laid-out document holds lines, not paragraphs. A line that runs to the right edge of the text block
continues in the next line (Chinese prose wraps anywhere, without a hyphen or a space); a line that stops short,
or a next line that starts indented (the two-character indent of 公文 paragraphs), ends a paragraph. Headers and
footers repeat on every page at the top or bottom, page numbers (``— 3 —``, ``- 3 -``, ``第3页``, ``3/12``) stand
alone: both are dropped. A paragraph cut by a page break is joined again, because the last line of the page ran to
the edge.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_PAGE_NUMBER = re.compile(r"^[\s\-—–－_·•]*(第\s*)?\d{1,4}(\s*页)?(\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[\s\-—–－_·•]*$")


@dataclass(frozen=True)
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    lines: tuple[Line, ...]


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text.strip()))


def _margin_key(text: str) -> str:
    # A running header or footer repeats with only its numbers changing (第1页 → 第2页).
    return re.sub(r"\d+", "#", text.strip())


def body_lines(pages: list[Page]) -> list[list[Line]]:
    """Each page's lines without page numbers and without headers and footers (a line in the top or bottom
    eighth of the page that recurs, numbers aside, on at least half the pages of a document of three or more)."""
    margin_counts: Counter[str] = Counter()
    for page in pages:
        seen = {_margin_key(line.text) for line in page.lines
                if line.bottom < page.height / 8 or line.top > page.height * 7 / 8}
        margin_counts.update(seen)
    repeated = {key for key, n in margin_counts.items() if len(pages) >= 3 and n * 2 >= len(pages)}
    out = []
    for page in pages:
        kept = []
        for line in page.lines:
            in_margin = line.bottom < page.height / 8 or line.top > page.height * 7 / 8
            if is_page_number(line.text) and (in_margin or len(line.text.strip()) <= 12):
                continue
            if in_margin and _margin_key(line.text) in repeated:
                continue
            kept.append(line)
        out.append(kept)
    return out


# Renderers set Chinese apart from digits and Latin letters by a little space (LibreOffice's Asian-Latin
# spacing, Word's autospace); a text extractor reads that gap as a space, which Chinese prose never types there.
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[0-9A-Za-z])|(?<=[0-9A-Za-z%])[ \t]+(?=[{_CJK}])")


_SENTENCE_END = tuple("。！？；：:;!?")


def tighten(text: str) -> str:
    """Drop the spaces a renderer put between Chinese and digits or Latin letters."""
    return _CJK_GAP.sub("", text)


def paragraphs(pages: list[Page]) -> str:
    """The text of ``pages`` as paragraphs, one per line."""
    kept = body_lines(pages)
    lines = [line for page in kept for line in page]
    if not lines:
        return ""
    # The text block's edges: the most common left edge, and the right edge most full lines reach.
    left = Counter(round(line.x0) for line in lines).most_common(1)[0][0]
    # A line or two may stick out (a wide Latin word, a table): the edge is where most full lines end.
    ends = sorted(line.x1 for line in lines)
    right = ends[int(len(ends) * 0.8)]
    widths = [(line.x1 - line.x0) / max(1, len(line.text.strip())) for line in lines if line.text.strip()]
    char = sorted(widths)[len(widths) // 2] if widths else 10.0
    out: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        text = tighten(line.text.strip())
        if not text:
            continue
        indented = line.x0 - left > char * 0.8
        if current and indented:
            out.append(current)
            current = ""
        current += text
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        # Left-aligned text ends its lines a character or two short of the edge (a closing mark may not start a
        # line, an opening one may not end it): such a line still continues unless it ends a sentence or stops
        # well short.
        runs_to_edge = right - line.x1 < char * 1.6
        ragged = line.x1 - left > (right - left) * 0.75 and not text.endswith(_SENTENCE_END)
        next_indented = nxt is not None and nxt.x0 - left > char * 0.8
        if not (runs_to_edge or ragged) or next_indented or nxt is None:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return "\n".join(out)
