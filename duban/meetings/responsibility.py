"""The responsibility list (职责清单) as data: cleaning entries, reading and writing the TOML exchange format, the
extraction engine's ``UnitList`` built from a version, and which suggestions a change would alter on a text. No
state changes here (``duban.meetings.actions`` saves versions)."""

from __future__ import annotations

import re
import tomllib

import tomli_w

from duban import extraction
from duban.core.errors import InvalidInput
from duban.extraction.units import parse_units

FIELDS = ("aliases", "keywords", "areas")
MAX_ENTRIES = 2000
MAX_WORD = 50
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def words(raw) -> list[str]:
    """A list of words from a list or from text separated by commas, 、, semicolons or spaces; order kept,
    duplicates and blanks dropped."""
    items = raw if isinstance(raw, (list, tuple)) else _SEPARATORS.split(str(raw or ""))
    return list(dict.fromkeys(str(w).strip() for w in items if str(w).strip()))


def clean_entries(entries) -> list[dict]:
    """Entries as stored: every field present, words trimmed and unique; ``InvalidInput`` (both languages,
    naming the entry) for anything the extraction engine could not use."""
    if not isinstance(entries, list) or not entries:
        raise InvalidInput("职责清单不能为空", "the responsibility list must not be empty")
    if len(entries) > MAX_ENTRIES:
        raise InvalidInput(f"职责清单最多 {MAX_ENTRIES} 个单位", f"at most {MAX_ENTRIES} units")
    out, seen = [], set()
    for number, item in enumerate(entries, start=1):
        if not isinstance(item, dict):
            raise InvalidInput(f"第 {number} 项格式不正确", f"entry {number} is malformed")
        name = str(item.get("name") or "").strip()
        if not name:
            raise InvalidInput(f"第 {number} 项缺少单位名称", f"entry {number} has no name")
        if name in seen:
            raise InvalidInput(f"单位“{name}”重复", f"the unit {name} is listed twice")
        seen.add(name)
        entry = {"name": name, "full_name": str(item.get("full_name") or name).strip()}
        for key in FIELDS:
            entry[key] = words(item.get(key, []))
        too_long = [w for key in FIELDS for w in entry[key] if len(w) > MAX_WORD] + (
            [name] if len(name) > MAX_WORD else [])
        if too_long:
            raise InvalidInput(f"“{too_long[0][:20]}…”过长（每个词最多 {MAX_WORD} 字）",
                               f"a word of {name} is longer than {MAX_WORD} characters")
        out.append(entry)
    return out


def entries_from_unit_list(units) -> list[dict]:
    return [{"name": u.name, "full_name": u.full_name, "aliases": list(u.aliases), "keywords": list(u.keywords),
             "areas": list(u.areas)} for u in units.units]


_LEVEL_PREFIX = re.compile(r"^[\u4e00-\u9fff]{0,3}?[省市县区州旗]")


def _function(name: str) -> str:
    """A unit's name without its place: 市民政局, 县民政局 and 南县民政局 are all 民政局."""
    return _LEVEL_PREFIX.sub("", name, count=1) or name


def entries_from_units(units, current: list[dict]) -> list[dict]:
    """The list built from the units of 单位管理 (``units``: (name, short name, aliases) in order): one entry per
    unit, named as the unit, its short name and aliases as aliases. Keywords and areas come from the entry in
    ``current`` for the same unit (by any of its names), else from the entry for the same function at another
    level (市民政局's for 县民政局), else none; entries of ``current`` for no unit are left out."""
    by_name: dict[str, dict] = {}
    by_function: dict[str, dict] = {}
    for entry in current:
        for name in (entry["name"], entry.get("full_name") or "", *entry.get("aliases", ())):
            if name:
                by_name.setdefault(name, entry)
                by_function.setdefault(_function(name), entry)
    out = []
    for name, short_name, aliases in units:
        names = [name, *([short_name] if short_name else []), *(aliases or ())]
        known = next((by_name[n] for n in names if n in by_name), None) or next(
            (by_function[_function(n)] for n in names if _function(n) in by_function), None)
        out.append({"name": name, "full_name": name, "aliases": [n for n in names[1:] if n != name],
                    "keywords": list(known["keywords"]) if known else [],
                    "areas": list(known["areas"]) if known else []})
    return clean_entries(out)


def entries_from_toml(raw: bytes) -> list[dict]:
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InvalidInput(f"不是有效的 UTF-8 TOML 文件：{error}", f"not a valid UTF-8 TOML file: {error}") from None
    items = data.get("unit")
    if not isinstance(items, list):
        raise InvalidInput("文件中没有 [[unit]] 条目", "the file has no [[unit]] entries")
    return clean_entries(items)


def entries_to_toml(entries: list[dict]) -> str:
    header = ("# 职责清单 (responsibility list), exported from duban. Each [[unit]]: name, full_name, aliases,\n"
              "# keywords, areas. Import it on the 职责清单 page or pass it with --units / DUBAN_UNITS_FILE.\n\n")
    return header + tomli_w.dumps({"unit": entries})


_BUILT: dict[int, object] = {}


def unit_list(entries: list[dict], version_id: int | None = None):
    """The extraction engine's ``UnitList`` for these entries, built once per saved version."""
    if version_id is not None and version_id in _BUILT:
        return _BUILT[version_id]
    try:
        built = parse_units({"unit": entries})
    except extraction.ExtractionError as exc:
        raise InvalidInput(exc.message_zh, exc.message_en) from None
    if version_id is not None:
        _BUILT[version_id] = built
    return built


def suggestion_changes(text: str, before, after, *, year: int | None = None) -> list[dict]:
    """The directives of ``text`` whose suggested units differ between the lists ``before`` and ``after``, with
    both suggestions: what saving the change would alter on that text."""
    if not (text or "").strip():
        return []
    try:
        old = extraction.extract_text(text, year=year, units=before)
        new = extraction.extract_text(text, year=year, units=after)
    except extraction.ExtractionError as exc:
        raise InvalidInput(exc.message_zh, exc.message_en) from None

    def shown(units):
        return [f"{u.name}（{'牵头' if u.role == 'lead' else '配合'}，{u.reason}）" for u in units]

    changes = []
    for a, b in zip(old.directives, new.directives):
        if [(u.name, u.role) for u in a.units] != [(u.name, u.role) for u in b.units]:
            changes.append({"text": a.text, "before": shown(a.units), "after": shown(b.units)})
    return changes
