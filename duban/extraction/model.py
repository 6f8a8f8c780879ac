"""Frozen dataclasses for what extraction finds, and their JSON shape (docs/extraction.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    sha256: str
    chars: int
    encoding: str

    def to_dict(self) -> dict:
        return {"sha256": self.sha256, "chars": self.chars, "encoding": self.encoding}


@dataclass(frozen=True)
class Meeting:
    date: str | None = None
    body: str | None = None
    presider: str | None = None
    presider_title: str | None = None
    reports_heard: tuple[str, ...] | None = None
    # the session number as written in the meeting's name ("第16次"); not in ``to_dict``, whose shape is the one
    # other tools and the held-out evaluation read (docs/extraction.md): the app keeps it apart
    session: str | None = None

    def to_dict(self) -> dict:
        return {
            "date": self.date,
            "body": self.body,
            "presider": self.presider,
            "presider_title": self.presider_title,
            "reports_heard": list(self.reports_heard) if self.reports_heard is not None else None,
        }


@dataclass(frozen=True)
class Heading:
    start: int
    end: int
    text: str
    area: str

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text, "area": self.area}


@dataclass(frozen=True)
class UnitSuggestion:
    name: str  # the responsibility list's name; the text's own name when the list has no such unit
    role: str  # "lead" or "coop"
    reason: str
    written: str | None = None  # the name as the text writes it, when the text names the unit; None for a keyword
    in_list: bool = True  # False: the text names a unit the responsibility list does not hold

    def to_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "reason": self.reason, "written": self.written,
                "in_list": self.in_list}


@dataclass(frozen=True)
class Deadline:
    text: str
    date: str | None  # ISO; None when the meeting date (with its year) is unknown

    def to_dict(self) -> dict:
        return {"text": self.text, "date": self.date}


@dataclass(frozen=True)
class Directive:
    start: int
    end: int
    text: str
    area: str
    heading: int | None = None
    units: tuple[UnitSuggestion, ...] = ()
    deadline: Deadline | None = None

    def to_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "area": self.area,
            "heading": self.heading,
            "units": [unit.to_dict() for unit in self.units],
            "deadline": self.deadline.to_dict() if self.deadline else None,
        }


@dataclass(frozen=True)
class Phrase:
    text: str
    start: int
    end: int

    def to_dict(self) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Extraction:
    source: Source
    meeting: Meeting
    headings: tuple[Heading, ...]
    directives: tuple[Directive, ...]
    phrases: tuple[Phrase, ...]
    # The normalised text every offset indexes; kept out of the JSON, which carries its hash instead.
    text: str = field(default="", repr=False, compare=False)

    def to_dict(self) -> dict:
        return {
            "source": self.source.to_dict(),
            "meeting": self.meeting.to_dict(),
            "headings": [heading.to_dict() for heading in self.headings],
            "directives": [directive.to_dict() for directive in self.directives],
            "phrases": [phrase.to_dict() for phrase in self.phrases],
        }

    def undated(self) -> list[str]:
        """The deadlines the text states that could not be dated (the meeting's year is unknown), in order."""
        return [directive.deadline.text for directive in self.directives
                if directive.deadline is not None and directive.deadline.date is None]

    def to_json(self, *, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)
