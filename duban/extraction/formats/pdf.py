"""PDF: the text layer in reading order (pdfplumber, over pdfminer.six), or page images for OCR when there is
none (pypdfium2 renders them)."""

from __future__ import annotations

import io
import re

from ..errors import ExtractionError
from . import Limits
from .layout import Line, Page, paragraphs

# A page with fewer characters than this in its text layer is taken as a scan (a stamp or a page number may
# sit on top of a scanned page as text).
_SCANNED_CHARS = 20

_DAMAGED = ExtractionError("bad_pdf", "PDF 文件已损坏或无法解析", "the PDF file is damaged or unreadable")
_ENCRYPTED = ExtractionError("encrypted", "PDF 文件已加密，请先取消密码保护再上传",
                             "the PDF is encrypted; remove its password first")

# 发文字号 such as 江州委发〔2026〕12号 or 市政府办〔2026〕3号 (hexagonal, square or round brackets).
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［(（]\s*(?:19|20)\d{2}\s*[〕\]］)）]\s*\d{1,4}\s*号")


def page_count(data: bytes) -> int:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        if "password" in str(error).lower():
            raise _ENCRYPTED from None
        raise _DAMAGED from None
    try:
        return len(document)
    finally:
        document.close()


def _check_pages(n: int, limits: Limits) -> None:
    if n == 0:
        raise ExtractionError("empty", "PDF 文件没有页面", "the PDF has no pages")
    if n > limits.max_pages:
        raise ExtractionError("too_many_pages", f"PDF 页数过多（{n}页，上限{limits.max_pages}页）",
                              f"the PDF has {n} pages; at most {limits.max_pages} are read")


def read_pdf_text(data: bytes, limits: Limits) -> tuple[str, bool]:
    """(text, has_text_layer). The text is the document's paragraphs without headers, footers and page numbers;
    ``has_text_layer`` is False for a scan (the caller then runs OCR)."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    _check_pages(page_count(data), limits)
    pages: list[Page] = []
    chars = 0
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                lines = tuple(Line(text=line["text"], x0=line["x0"], x1=line["x1"], top=line["top"],
                                   bottom=line["bottom"])
                              for line in page.extract_text_lines(return_chars=False, layout=False))
                chars += sum(len(line.text.strip()) for line in lines)
                pages.append(Page(width=float(page.width), height=float(page.height), lines=lines))
                page.close()  # drop the page's parsed objects: memory stays one page deep
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise _ENCRYPTED from None
    except ExtractionError:
        raise
    except Exception:  # pdfminer raises many unrelated types for a damaged file
        raise _DAMAGED from None
    if chars < _SCANNED_CHARS * len(pages):
        return "", False
    return paragraphs(pages), True


def render_pages(data: bytes, limits: Limits):
    """Each page as a PIL image at ``limits.ocr_dpi`` (fewer dots for a page so large it would pass the pixel
    limit), one at a time."""
    import pypdfium2

    n = page_count(data)
    _check_pages(n, limits)
    document = pypdfium2.PdfDocument(data)
    try:
        for index in range(n):
            page = document[index]
            width, height = page.get_size()  # points: 72 a inch
            scale = limits.ocr_dpi / 72
            if width * height * scale * scale > limits.max_pixels:
                scale = (limits.max_pixels / (width * height)) ** 0.5
            bitmap = page.render(scale=scale)
            image = bitmap.to_pil()
            bitmap.close()
            page.close()
            yield image
    finally:
        document.close()


def doc_number(text: str) -> str:
    """The 发文字号 of a document, if its first lines carry one (the 红头 block)."""
    found = DOC_NUMBER.search(text[:400])
    return re.sub(r"\s+", "", found.group(0)) if found else ""
