"""Headings: the short directive-shaped sentence that opens a paragraph and names its theme.

"要守牢安全生产生命线。" opens a paragraph whose later sentences are its directives. A heading has no comma (a
request with a comma is a directive in its own right), is short, and is followed in its paragraph by at least one
directive. A line holding only a short numbered title ("一、稳住经济大盘") heads the paragraphs after it.
"""

from __future__ import annotations

import re

from .directives import _PREFIX, core_of, is_directive, mask_quotes, starts_with_cue

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


# Inside a paragraph, a new theme starts where someone speaks ("会议强调，", "张三要求，") or where a numbered item
# starts ("一要…", "二是…", "（三）…"): real communiques put several headings in one paragraph
# ("会议要求，一要确保资金安全规范。严格执行…。二要确保…。").
_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]+[要是]|其[一二三四五六七八九十]是|第[一二三四五六七八九十]+[，、]"
                       r"|（[一二三四五六七八九十0-9]+）)")
MAX_SPOKEN_HEADING = 26  # a heading after a speaker may carry one comma ("要锚定全年目标，一心一意抓落实")


def opens_segment(shadow_sentence: str) -> bool:
    body = shadow_sentence.lstrip(" \u3000")
    prefix = _PREFIX.match(body)
    if prefix:
        body = body[prefix.end():].lstrip("，：、 ")
    return bool(prefix or _NUMBERED.match(body))


def is_segment_heading(shadow_sentence: str) -> bool:
    """A short theme sentence that opens a segment: "一要细化工作方案。", "会议要求，一要确保…规范。",
    "会议强调，要坚持学用结合，深刻把握…要求。" (after a speaker, one comma is allowed)."""
    body = shadow_sentence.strip(" \u3000").rstrip("。！？!?.；; ")
    prefix = _PREFIX.match(body)
    if prefix:
        body = body[prefix.end():].lstrip("，：、 ")
    numbered = _NUMBERED.match(body)
    masked = mask_quotes(body)
    if numbered:
        masked = masked[numbered.end():].lstrip("，、 ")
        core = masked
        if not core.startswith(("要", "是")) and body[numbered.end() - 1] in "要是":
            core = "要" + core  # "一要确保…": the ordinal carries the modal
    else:
        core = masked
    if re.search(r"[；：、]", core) or core.count("，") > (1 if prefix else 0):
        return False
    if not (4 <= len(core) <= (MAX_SPOKEN_HEADING if prefix else MAX_HEADING)):
        return False
    return bool(numbered) or starts_with_cue(core)
