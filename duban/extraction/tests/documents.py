"""Documents built by the tests from a text, the way offices receive them: a 公文-style .docx (indented
paragraphs, 仿宋 3号, a 红头 line and 发文字号, page numbers in the footer) rendered to PDF and to an old .doc by
LibreOffice, to page images by pypdfium2, and to OFD by ``text_to_ofd`` (our own writer of the format's XML)."""

from __future__ import annotations

import difflib
import io
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

from duban.conftest import require_tool

RED_HEAD = "江州市人民政府办公室文件"
DOC_NUMBER = "江政办〔2026〕12号"


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    require_tool(found is not None, "LibreOffice (apt-get install libreoffice-writer-nogui)")
    return found


def text_to_docx(text: str, path: Path, *, red_head: bool = True) -> Path:
    """A .docx of ``text``: one paragraph per line, first lines indented two characters, a footer with the page
    number as a field (``— N —``)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    style = document.styles["Normal"]
    style.font.size = Pt(16)
    style.font.name = "Noto Serif CJK SC"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Serif CJK SC")
    if red_head:
        for line in (RED_HEAD, DOC_NUMBER):
            paragraph = document.add_paragraph(line)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in text.split("\n"):
        if line.strip():
            paragraph = document.add_paragraph(line.strip())
            paragraph.paragraph_format.first_line_indent = Pt(32)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("— ")
    field = OxmlElement("w:fldSimple")  # a PAGE field: python-docx has no public call for fields
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text_element = OxmlElement("w:t")
    text_element.text = "1"
    run.append(text_element)
    field.append(run)
    footer._p.append(field)
    footer.add_run(" —")
    document.save(path)
    return path


def convert(path: Path, to: str) -> Path:
    """``path`` converted by LibreOffice (``to``: pdf, doc, rtf)."""
    return convert_with(path, to, to)


def convert_with(path: Path, filter_spec: str, suffix: str) -> Path:
    out = path.parent
    subprocess.run([soffice(), "--headless", "--norestore", f"-env:UserInstallation=file://{out / 'profile'}",
                    "--convert-to", filter_spec, "--outdir", str(out), str(path)], check=True,
                   capture_output=True, timeout=120)
    return path.with_suffix("." + suffix)


def pdf_to_images(pdf: Path, dpi: int = 200) -> list:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        return [document[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(document))]
    finally:
        document.close()


def skewed(image, degrees: float):
    return image.rotate(degrees, expand=True, fillcolor=(255, 255, 255))


def noisy(image, amount: float = 0.02, seed: int = 7):
    """Salt-and-pepper noise on a share ``amount`` of the pixels (a poor scan)."""
    import numpy

    pixels = numpy.array(image)
    rng = numpy.random.default_rng(seed)
    mask = rng.random(pixels.shape[:2])
    pixels[mask < amount / 2] = 0
    pixels[mask > 1 - amount / 2] = 255
    from PIL import Image

    return Image.fromarray(pixels)


def png_bytes(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def text_to_ofd(text: str, *, per_line: int = 28, per_page: int = 22, page_numbers: bool = True) -> bytes:
    """An OFD package of ``text`` laid out as 公文 pages: A4, 28 characters a line, 22 lines a page, first lines
    indented two characters, ``— N —`` centred below the text block. One ``TextObject`` a line."""
    size, left, top, pitch = 5.6, 28.0, 37.0, 10.0
    lines: list[tuple[float, str]] = []  # (indent, text)
    for paragraph in (p.strip() for p in text.split("\n")):
        if not paragraph:
            continue
        first, rest = paragraph[:per_line - 2], paragraph[per_line - 2:]
        lines.append((2 * size, first))
        lines += [(0.0, rest[i:i + per_line]) for i in range(0, len(rest), per_line)]
    pages = [lines[i:i + per_page] for i in range(0, len(lines), per_page)] or [[]]
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    members = {
        "OFD.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.0" DocType="OFD"><ofd:DocBody>'
                   f'<ofd:DocInfo><ofd:DocID>test</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml'
                   f'</ofd:DocRoot></ofd:DocBody></ofd:OFD>',
    }
    refs = "".join(f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages)))
    members["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}><ofd:CommonData><ofd:MaxUnitID>9999'
        f'</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
        f'</ofd:CommonData><ofd:Pages>{refs}</ofd:Pages></ofd:Document>')
    for number, page in enumerate(pages):
        objects = []
        for row, (indent, line) in enumerate(page):
            y = top + row * pitch
            objects.append(_text_object(left + indent, y, size, line))
        if page_numbers:
            label = f"— {number + 1} —"
            objects.append(_text_object(105 - len(label) * 1.4, 297 - 20, size / 2 + 1, label))
        members[f"Doc_0/Pages/Page_{number}/Content.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {ns}><ofd:Content><ofd:Layer ID="1">'
            + "".join(objects) + "</ofd:Layer></ofd:Content></ofd:Page>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


def _text_object(x: float, y: float, size: float, text: str) -> str:
    from xml.sax.saxutils import escape

    delta = f' DeltaX="g {len(text) - 1} {size}"' if len(text) > 1 else ""
    return (f'<ofd:TextObject ID="1" Boundary="{x} {y - size} {len(text) * size + 1} {size * 1.5}" Font="1" '
            f'Size="{size}"><ofd:TextCode X="0" Y="{size}"{delta}>{escape(text)}</ofd:TextCode></ofd:TextObject>')


def char_accuracy(reference: str, recovered: str) -> float:
    """The share of the reference's characters recovered in order (white space aside, full- and half-width forms
    folded: "," and "，" are one character to a reader): matched characters of the two texts' alignment over the
    longer text's length, so both lost and invented characters count against it."""
    a, b = ("".join(unicodedata.normalize("NFKC", text).split()) for text in (reference, recovered))
    if not a and not b:
        return 1.0
    matched = sum(block.size for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return matched / max(len(a), len(b))


def offset_map(source: str, target: str):
    """A function taking an offset in ``source`` to the offset of the same place in ``target`` (by the texts'
    character alignment), so gold spans of the original text can score extraction on a recovered text."""
    matcher = difflib.SequenceMatcher(None, source, target, autojunk=False)
    table = [0] * (len(source) + 1)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for k in range(i1, i2 + 1):
            table[k] = j1 + (min(k - i1, j2 - j1) if tag != "insert" else 0)
    table[len(source)] = len(target)
    return lambda offset: table[min(max(offset, 0), len(source))]


