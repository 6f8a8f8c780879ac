"""OFD (GB/T 33190-2016, the layout format government document systems export): a zip package of XML. The text
sits in each page's ``TextObject``s as ``TextCode`` runs with positions in millimetres; the runs are grouped into
lines by their baseline and the lines into paragraphs like a PDF's (``layout``). Read with lxml, through the
package's own references: ``OFD.xml`` → ``DocBody/DocRoot`` (``Document.xml``) → ``Pages/Page/@BaseLoc``."""

from __future__ import annotations

import posixpath

from lxml import etree

from ..errors import ExtractionError
from . import Limits
from .layout import Line, Page, paragraphs
from .zipsafe import open_zip, read_member

_WHAT = " OFD "
_DAMAGED = ExtractionError("bad_ofd", "OFD 文件已损坏或无法解析", "the OFD file is damaged or unreadable")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
A4 = (210.0, 297.0)


def is_ofd(names: list[str]) -> bool:
    return "OFD.xml" in names or "ofd.xml" in names


def _xml(archive, name: str):
    try:
        return etree.fromstring(read_member(archive, name, what=_WHAT), _PARSER)
    except etree.XMLSyntaxError:
        raise _DAMAGED from None


def _local(element) -> str:
    return etree.QName(element).localname


def _children(element, name: str):
    return [child for child in element if isinstance(child.tag, str) and _local(child) == name]


def _first(element, *path: str):
    for name in path:
        found = _children(element, name) if element is not None else []
        element = found[0] if found else None
    return element


def _resolve(base: str, location: str) -> str:
    location = location.strip()
    if location.startswith("/"):
        return location.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), location))


def _numbers(text: str | None) -> list[float]:
    try:
        return [float(v) for v in (text or "").split()]
    except ValueError:
        raise _DAMAGED from None


def _advance(delta: str | None, count: int, size: float) -> float:
    """The width of a run of ``count`` glyphs: its ``DeltaX`` (with the ``g N v`` shorthand for N repeats of v)
    plus one glyph, or ``count`` glyphs of the font size when it has none."""
    if count <= 0:
        return 0.0
    if not delta:
        return count * size
    parts, total, i = delta.split(), 0.0, 0
    try:
        while i < len(parts):
            if parts[i] == "g":
                total += int(parts[i + 1]) * float(parts[i + 2])
                i += 3
            else:
                total += float(parts[i])
                i += 1
    except (IndexError, ValueError):
        raise _DAMAGED from None
    return total + size


def _page_lines(root, page_box: tuple[float, float]) -> Page:
    runs = []
    for text_object in root.iter():
        if not isinstance(text_object.tag, str) or _local(text_object) != "TextObject":
            continue
        box = _numbers(text_object.get("Boundary"))
        if len(box) != 4:
            raise _DAMAGED
        size = float(text_object.get("Size") or 3.5)
        for code in _children(text_object, "TextCode"):
            text = "".join(code.itertext())
            if not text.strip():
                continue
            x = box[0] + float(code.get("X") or 0)
            y = box[1] + float(code.get("Y") or 0)
            runs.append((y, x, x + _advance(code.get("DeltaX"), len(text) - 1, size), size, text))
    runs.sort()
    lines: list[Line] = []
    group: list = []
    for run in runs:
        if group and abs(run[0] - group[0][0]) > group[0][3] * 0.5:
            lines.append(_line(group))
            group = []
        group.append(run)
    if group:
        lines.append(_line(group))
    return Page(width=page_box[0], height=page_box[1], lines=tuple(lines))


def _line(group: list) -> Line:
    group = sorted(group, key=lambda run: run[1])
    baseline, size = group[0][0], group[0][3]
    return Line(text="".join(run[4] for run in group), x0=group[0][1], x1=max(run[2] for run in group),
                top=baseline - size, bottom=baseline)


def _page_box(area, default: tuple[float, float]) -> tuple[float, float]:
    """Width and height of a ``PageArea``/``Area`` element's ``PhysicalBox`` (mm), else ``default``."""
    physical = _first(area, "PhysicalBox") if area is not None else None
    box = _numbers(physical.text) if physical is not None else []
    return (box[2], box[3]) if len(box) == 4 else default


def read_ofd(data: bytes, limits: Limits) -> str:
    archive = open_zip(data, max_unpacked_bytes=limits.max_unpacked_bytes, max_members=limits.max_members,
                       what=_WHAT)
    names = archive.namelist()
    entry = "OFD.xml" if "OFD.xml" in names else "ofd.xml"
    root = _xml(archive, entry)
    doc_root = _first(root, "DocBody", "DocRoot")
    if doc_root is None or not (doc_root.text or "").strip():
        raise _DAMAGED
    document_name = _resolve(entry, doc_root.text)
    document = _xml(archive, document_name)
    default_box = _page_box(_first(document, "CommonData", "PageArea"), A4)
    pages_element = _first(document, "Pages")
    page_refs = _children(pages_element, "Page") if pages_element is not None else []
    if not page_refs:
        raise ExtractionError("empty", "OFD 文件没有页面", "the OFD has no pages")
    if len(page_refs) > limits.max_pages:
        raise ExtractionError("too_many_pages", f"OFD 页数过多（{len(page_refs)}页，上限{limits.max_pages}页）",
                              f"the OFD has {len(page_refs)} pages; at most {limits.max_pages} are read")
    pages = []
    for ref in page_refs:
        location = ref.get("BaseLoc")
        if not location:
            raise _DAMAGED
        page_root = _xml(archive, _resolve(document_name, location))
        pages.append(_page_lines(page_root, _page_box(_first(page_root, "Area"), default_box)))
    text = paragraphs(pages)
    if not text.strip():
        raise ExtractionError("no_text", "OFD 文件中没有文字（可能是扫描件），请上传图片或 PDF 以识别文字",
                              "the OFD holds no text (a scan?); upload it as an image or PDF for recognition")
    return text
