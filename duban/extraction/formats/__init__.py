"""Documents offices receive, read into plain text for extraction: PDF (text layer or scanned), OFD, old Word
(.doc, .wps, .rtf), and page images (PNG, JPEG, TIFF).

Every reader takes bytes, enforces the limits in ``Limits`` before it spends memory or time (pages, pixels,
unpacked size, members of a zip package, the converter's time) and raises ``ExtractionError`` with a bilingual
message for anything it cannot read. Like the rest of ``duban.extraction`` it imports nothing from Django.

The kind of a file is told by its first bytes, never by its name alone: a ``.pdf`` that is a zip is refused as
what it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ExtractionError


@dataclass(frozen=True)
class Limits:
    """What one document may cost. The defaults fit a long communique with room to spare."""

    max_pages: int = 300                    # pages of a PDF or OFD read (text layer or OCR)
    max_pixels: int = 40_000_000            # one image or rendered page (a 40 MP phone photo)
    max_unpacked_bytes: int = 200 * 1024 * 1024  # everything inside a zip package (OFD, DOCX) once unpacked
    max_members: int = 5_000                # files inside a zip package
    convert_seconds: int = 60               # LibreOffice converting an old Word / WPS / RTF file
    ocr_dpi: int = 200                      # resolution scanned PDF pages are rendered at for OCR


DEFAULT_LIMITS = Limits()

# Kinds, by magic bytes. OFD and DOCX are both zip packages: told apart by their members (``zip_kind``).
PDF, OFD, DOCX, OLE, RTF, PNG, JPEG, TIFF, ZIP = "pdf", "ofd", "docx", "ole", "rtf", "png", "jpeg", "tiff", "zip"
IMAGE_KINDS = (PNG, JPEG, TIFF)
_MAGIC = (
    (b"%PDF-", PDF),
    (b"PK\x03\x04", ZIP),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),  # .doc, .wps (and .xls/.ppt, refused later by the converter)
    (b"{\\rtf", RTF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)

# What each file name ending claims; a file whose bytes say otherwise is refused (a renamed file is a mistake or
# an attack, and either way the clerk should know).
SUFFIX_KINDS = {
    ".pdf": {PDF}, ".ofd": {OFD}, ".docx": {DOCX}, ".doc": {OLE, RTF, DOCX}, ".wps": {OLE},
    ".rtf": {RTF}, ".png": {PNG}, ".jpg": {JPEG}, ".jpeg": {JPEG}, ".tif": {TIFF}, ".tiff": {TIFF},
}
SUFFIXES = tuple(SUFFIX_KINDS)


def sniff(data: bytes) -> str | None:
    """The kind of ``data`` by its first bytes (``zip`` for any zip package), or None for anything else."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def check_claim(kind: str | None, suffix: str) -> None:
    """Refuse a file whose name claims one kind while its bytes are another."""
    allowed = SUFFIX_KINDS.get(suffix)
    if allowed is not None and kind not in allowed:
        raise ExtractionError("type_mismatch", f"文件内容与扩展名“{suffix}”不符，请确认文件类型",
                              f"the file's content does not match its '{suffix}' name")


class NeedsOcr(ExtractionError):
    """The document is a scan or a photo: its text must be recognised, which takes seconds a page, so a web
    request hands it to the worker instead of waiting (``read_document(..., ocr=False)`` raises this)."""

    def __init__(self, kind: str):
        super().__init__("needs_ocr", "该文件是扫描件或图片，需要文字识别", "the file is a scan or image and needs OCR")
        self.kind = kind


@dataclass(frozen=True)
class Read:
    text: str
    kind: str          # pdf, ofd, docx (converted from .doc/.wps/.rtf), ocr
    doc_number: str = ""
    recognised: bool = False  # OCR: the clerk should check the text against the image


def kind_of(data: bytes, suffix: str = "") -> str | None:
    """The document kind of ``data`` (a zip package as ``ofd`` or ``docx``), after checking the name's claim."""
    kind = sniff(data)
    allowed = SUFFIX_KINDS.get(suffix.lower())
    if kind == ZIP and allowed is not None and not allowed & {OFD, DOCX}:
        check_claim(kind, suffix.lower())  # a zip package named .pdf: refused before it is opened
    if kind == ZIP:
        from .zipsafe import open_zip

        docx_claimed = suffix.lower() == ".docx"  # a damaged .docx keeps its own error code
        names = open_zip(data, max_unpacked_bytes=DEFAULT_LIMITS.max_unpacked_bytes,
                         max_members=DEFAULT_LIMITS.max_members, what=" .docx " if docx_claimed else "压缩包",
                         code="bad_docx" if docx_claimed else "bad_package").namelist()
        from .ofd import is_ofd

        kind = OFD if is_ofd(names) else DOCX if "word/document.xml" in names else ZIP
    check_claim(kind, suffix.lower())
    return kind


def read_document(data: bytes, *, suffix: str = "", limits: Limits = DEFAULT_LIMITS, ocr: bool = True,
                  progress=None) -> Read:
    """The text of a PDF, OFD, .doc/.wps/.rtf or page image. With ``ocr`` False a scan raises ``NeedsOcr``."""
    kind = kind_of(data, suffix)
    if kind == PDF:
        from .pdf import doc_number, read_pdf_text, render_pages

        text, has_text = read_pdf_text(data, limits)
        if has_text:
            return Read(text=text, kind=PDF, doc_number=doc_number(text))
        if not ocr:
            raise NeedsOcr(PDF)
        from .ocr import recognise

        text = recognise(render_pages(data, limits), progress=progress)
        return Read(text=text, kind="ocr", doc_number=doc_number(text), recognised=True)
    if kind == OFD:
        from .ofd import read_ofd
        from .pdf import doc_number

        text = read_ofd(data, limits)
        return Read(text=text, kind=OFD, doc_number=doc_number(text))
    if kind in (OLE, RTF):
        from .office import convert_to_docx

        return Read(text=_docx_paragraphs(convert_to_docx(data, kind, limits), limits), kind=DOCX)
    if kind in IMAGE_KINDS:
        if not ocr:
            from .ocr import check_image

            check_image(data, limits)  # a broken or oversized image is refused now, not in the worker
            raise NeedsOcr(kind)
        from .ocr import open_image, recognise
        from .pdf import doc_number

        text = recognise([open_image(data, limits)], progress=progress)
        return Read(text=text, kind="ocr", doc_number=doc_number(text), recognised=True)
    raise ExtractionError("unsupported", "不支持的文件类型：请上传 .txt、.docx、.doc、.wps、.rtf、.pdf、.ofd 或图片",
                          "unsupported file type: upload .txt, .docx, .doc, .wps, .rtf, .pdf, .ofd or an image")


def _docx_paragraphs(data: bytes, limits: Limits) -> str:
    from .docx import read_docx
    from .zipsafe import open_zip

    open_zip(data, max_unpacked_bytes=limits.max_unpacked_bytes, max_members=limits.max_members, what=" DOCX ")
    return read_docx(data)[0]
