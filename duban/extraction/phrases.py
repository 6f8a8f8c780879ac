"""Quoted policy formulations (提法): the words inside “”, "" or 「」, every occurrence. 《》 titles are not phrases."""

from __future__ import annotations

import re

from .model import Phrase

# A formulation is short; a long quotation or one holding a full stop is a quoted speech, not a 提法.
MAX_PHRASE = 40
_QUOTED = re.compile(r"“([^“”\n]{1,%d})”|「([^「」\n]{1,%d})」|\"([^\"\n]{1,%d})\"" % ((MAX_PHRASE,) * 3))
_SPEECH = re.compile(r"[。！？]")


def find_phrases(text: str) -> tuple[Phrase, ...]:
    phrases = []
    for match in _QUOTED.finditer(text):
        group = match.lastindex  # each kind of quote has its one group
        inner = match.group(group)
        if not inner.strip() or _SPEECH.search(inner):
            continue
        phrases.append(Phrase(inner, match.start(group), match.end(group)))
    return tuple(phrases)
