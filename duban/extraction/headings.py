"""Headings: the short directive-shaped sentence that opens a paragraph and names its theme.

"要守牢安全生产生命线。" opens a paragraph whose later sentences are its directives. A heading has no comma (a
request with a comma is a directive in its own right), is short, and is followed in its paragraph by at least one
directive. A line holding only a short numbered title ("一、稳住经济大盘") heads the paragraphs after it.
"""

from __future__ import annotations

import re

from .directives import core_of, is_directive, mask_quotes, starts_with_cue

MAX_HEADING = 24  # characters of the core, without closing punctuation
_INNER_PUNCT = re.compile(r"[，；：、]")
_TITLE_LINE = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|[0-9]+[、．.])")


def is_heading_sentence(shadow_sentence: str) -> bool:
    """Shape alone: short, no inner punctuation, starts like a request."""
    body = shadow_sentence.rstrip("。！？!?.；; ")
    if _INNER_PUNCT.search(mask_quotes(body)):
        return False
    core, verb = core_of(body)
    if verb is not None or not (4 <= len(core) <= MAX_HEADING):
        return False
    return starts_with_cue(core)


def is_title_line(shadow_line: str) -> bool:
    """A paragraph that is only a short numbered title, e.g. "二、守牢安全底线"."""
    body = shadow_line.rstrip("。！？!?. ")
    number = _TITLE_LINE.match(body)
    if not number:
        return False
    rest = body[number.end():]
    return 2 <= len(rest) <= MAX_HEADING and not _INNER_PUNCT.search(mask_quotes(rest))


def paragraph_heading(shadows: list[str], flags: list[bool] | None = None) -> bool:
    """Does the paragraph whose sentence shadows (and directive flags, when known) are given open with a heading?"""
    if len(shadows) < 2 or not is_heading_sentence(shadows[0]):
        return False
    if flags is not None:
        return any(flags[1:])
    return any(is_directive(sentence) for sentence in shadows[1:])
