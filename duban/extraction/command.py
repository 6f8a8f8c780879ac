"""`duban extract PATH`: the command-line shell around extract_file. Parses, calls one function, prints."""

from __future__ import annotations

import argparse
import sys

from . import extract_file, load_areas, load_units
from .decoding import DEFAULT_MAX_BYTES
from .errors import ExtractionError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="communique or minutes: .txt (UTF-8, GB18030/GBK, UTF-16), .docx, .doc, .wps, .rtf, .pdf, .ofd, "
                             "or a scan or photo (.png .jpg .tif, read by OCR)")
    parser.add_argument("--year", type=int, default=None,
                        help="year of the meeting when the text gives only month and day")
    parser.add_argument("--units", metavar="FILE", default=None,
                        help="responsibility list (TOML) replacing the default one")
    parser.add_argument("--areas", metavar="FILE", default=None, help="area list (TOML) replacing the default one")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    parser.add_argument("--max-mb", type=float, default=DEFAULT_MAX_BYTES / 1024 / 1024,
                        help="refuse files larger than this many MB (default 10)")


def _summary(extraction) -> str:
    meeting = extraction.meeting
    lines = [
        f"会议 meeting: {meeting.date or '-'}  {meeting.body or '-'}  "
        f"{(meeting.presider_title or '') + (meeting.presider or '') or '-'}",
    ]
    if meeting.reports_heard:
        lines.append("听取汇报 reports heard: " + "、".join(meeting.reports_heard))
    lines.append(f"来源 source: {extraction.source.chars} chars, {extraction.source.encoding}, "
                 f"sha256 {extraction.source.sha256[:12]}…")
    undated = extraction.undated()
    if undated:
        lines.append("无法推算（缺会议年份，请用 --year）undated without the year: " + "、".join(undated))
    lines.append(f"标题 headings: {len(extraction.headings)}   事项 directives: {len(extraction.directives)}   "
                 f"提法 phrases: {len(extraction.phrases)}")
    for number, directive in enumerate(extraction.directives, 1):
        lead = next((unit.name for unit in directive.units if unit.role == "lead"), "-")
        deadline = f"  期限 {directive.deadline.date or directive.deadline.text}" if directive.deadline else ""
        text = directive.text if len(directive.text) <= 60 else directive.text[:59] + "…"
        lines.append(f"{number:3d}. [{directive.area}] {text}  牵头 {lead}{deadline}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Exit 0 on success; 2 with one bilingual line on stderr for bad input."""
    try:
        units = load_units(args.units) if args.units else None
        areas = load_areas(args.areas) if getattr(args, "areas", None) else None
        max_bytes = int(getattr(args, "max_mb", DEFAULT_MAX_BYTES / 1024 / 1024) * 1024 * 1024)
        extraction = extract_file(args.path, year=args.year, units=units, areas=areas, max_bytes=max_bytes)
        if not extraction.directives:
            raise ExtractionError("no_directive", "文中没有找到任何交办事项", "no directive was found in the text")
    except ExtractionError as error:
        _write(sys.stderr, error.one_line())
        return 2
    _write(sys.stdout, extraction.to_json(indent=1) if args.json else _summary(extraction))
    return 0


def _write(stream, text: str) -> None:
    """UTF-8 whatever the locale says: a clerk's Windows console or a C locale must not turn 错误 into an error."""
    stream.flush()
    if hasattr(stream, "buffer"):
        stream.buffer.write((text + "\n").encode("utf-8"))
        stream.buffer.flush()
    else:  # a replaced stream (pytest's capsys) takes text
        stream.write(text + "\n")
