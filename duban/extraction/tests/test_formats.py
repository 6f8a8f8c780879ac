"""Reading what offices receive: PDF (text layer and scans), OFD, old Word, page images. The documents are built
by the tests from the demo communique and from real texts in ../shared (read there, never copied), rendered by
LibreOffice and pypdfium2; each is read back through ``decode_document`` and scored: character accuracy of the
recovered text, and extraction on it against the gold, beside extraction on the original."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from duban import extraction
from duban.extraction import formats
from duban.extraction.chars import is_traditional
from duban.extraction.decoding import decode_document
from duban.extraction.errors import ExtractionError
from duban.extraction.tests import documents
from duban.extraction.tests.golds import CORPUS, load, require_shared
from duban.extraction.tests.scoring import score_directives

pytestmark = pytest.mark.nodb


def _documents() -> list[tuple[str, dict, str]]:
    """(name, gold, text): the demo communique and the first two real texts in simplified characters."""
    gold, source = load(CORPUS / "jiangzhou-2026-11-10-demo.gold.json")
    found = [("demo", gold, source.read_text(encoding="utf-8"))]
    for path in sorted(require_shared().glob("realworld/*.gold.json")):
        gold, source = load(path)
        text = source.read_text(encoding="utf-8")
        if not is_traditional(text):
            found.append((path.name.removesuffix(".gold.json"), gold, text))
        if len(found) == 3:
            break
    return found


def _f1(text: str, gold: dict, reference: str) -> float:
    """Directive F1 of extraction on ``text`` against the gold, whose spans index ``reference`` (mapped)."""
    where = documents.offset_map(reference, text)
    mapped = [{**d, "start": where(d["start"]), "end": where(d["end"])} for d in gold["directives"]]
    found = extraction.extract_text(text, year=gold.get("year")).to_dict()["directives"]
    return score_directives(found, mapped).f1


def _check(read_text: str, gold: dict, original: str, *, accuracy: float) -> None:
    assert documents.char_accuracy(original, read_text.replace(documents.RED_HEAD, "")
                                   .replace(documents.DOC_NUMBER, "")) >= accuracy
    assert _f1(read_text, gold, original) >= _f1(original, gold, original) - 0.03


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Each document as .docx and PDF (LibreOffice), and OFD."""
    documents.soffice()
    out = {}
    for name, gold, text in _documents():
        folder = tmp_path_factory.mktemp(name)
        docx = documents.text_to_docx(text, folder / f"{name}.docx")
        out[name] = {"gold": gold, "text": text, "docx": docx, "pdf": documents.convert(docx, "pdf"),
                     "ofd": documents.text_to_ofd(text)}
    return out


def test_pdf_text_layer(built):
    for name, doc in built.items():
        read = decode_document(doc["pdf"].read_bytes(), suffix=".pdf")
        assert read.encoding == "pdf" and not read.recognised, name
        assert read.doc_number == documents.DOC_NUMBER, name  # the 红头's 发文字号
        assert "— 1 —" not in read.text and "—1—" not in read.text, name  # page numbers dropped
        _check(read.text, doc["gold"], doc["text"], accuracy=0.99)


def test_pdf_paragraphs_survive_page_breaks(built):
    """Every paragraph of the original is one line of the recovered text, also those a page break cut."""
    doc = built["demo"]
    read = decode_document(doc["pdf"].read_bytes(), suffix=".pdf")
    recovered = {_bare(line) for line in read.text.split("\n")}
    paragraphs = [_bare(p) for p in doc["text"].split("\n") if p.strip()]
    assert sum(p in recovered for p in paragraphs) >= len(paragraphs) - 1


def _bare(text: str) -> str:
    return "".join(text.split())


def test_ofd(built):
    for name, doc in built.items():
        read = decode_document(doc["ofd"], suffix=".ofd")
        assert read.encoding == "ofd", name
        assert "— 1 —" not in read.text, name
        _check(read.text, doc["gold"], doc["text"], accuracy=0.99)
        recovered = {_bare(line) for line in read.text.split("\n")}
        assert all(_bare(p) in recovered for p in doc["text"].split("\n") if p.strip()), name


def test_old_word_is_converted(built):
    doc = built["demo"]
    old = documents.convert(doc["docx"], "doc")
    read = decode_document(old.read_bytes(), suffix=".doc")
    _check(read.text, doc["gold"], doc["text"], accuracy=0.99)
    rtf = documents.convert(doc["docx"], "rtf")
    assert documents.char_accuracy(doc["text"], decode_document(rtf.read_bytes(), suffix=".rtf").text
                                   .replace(documents.RED_HEAD, "").replace(documents.DOC_NUMBER, "")) >= 0.99


@pytest.mark.slow
def test_ocr_of_scanned_pages(built):
    """A scanned PDF (pages as images, no text layer) and a single photo of a page, read by OCR."""
    doc = built["demo"]
    images = documents.pdf_to_images(doc["pdf"], dpi=200)
    scanned = _images_to_pdf(images)
    read = decode_document(scanned, suffix=".pdf")
    assert read.recognised and read.encoding == "ocr"
    _check(read.text, doc["gold"], doc["text"], accuracy=0.97)
    with pytest.raises(formats.NeedsOcr):  # a web request hands scans to the worker
        decode_document(scanned, suffix=".pdf", ocr=False)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["skewed-3-degrees", "150dpi-noisy"])
def test_ocr_of_poor_photos(built, variant):
    name = next(n for n in built if n != "demo")
    doc = built[name]
    dpi = 150 if variant == "150dpi-noisy" else 200
    image = documents.pdf_to_images(doc["pdf"], dpi=dpi)[0]
    image = documents.noisy(image) if variant == "150dpi-noisy" else documents.skewed(image, 3)
    read = decode_document(documents.png_bytes(image), suffix=".png")
    reference = _page_text(doc["pdf"], 0)
    assert documents.char_accuracy(reference, read.text) >= 0.97


def _page_text(pdf: Path, index: int) -> str:
    import pdfplumber

    with pdfplumber.open(str(pdf)) as document:
        text = document.pages[index].extract_text()
    return "\n".join(line for line in text.split("\n") if not formats.layout.is_page_number(line))


def _images_to_pdf(images) -> bytes:
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=200)
    return out.getvalue()


# --- bad input ------------------------------------------------------------------------------------------------

def _code(data: bytes, suffix: str, **kw) -> str:
    with pytest.raises(ExtractionError) as caught:
        decode_document(data, suffix=suffix, **kw)
    assert caught.value.message_zh and caught.value.message_en
    return caught.value.code


def test_encrypted_pdf_is_refused(tmp_path):
    import pypdfium2  # noqa: F401  (the reader's own dependency)

    docx = documents.text_to_docx("会议要求，要做好防汛工作。", tmp_path / "secret.docx", red_head=False)
    options = ('pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
               '"DocumentOpenPassword":{"type":"string","value":"secret"}}')
    pdf = documents.convert_with(docx, options, "pdf")
    assert _code(pdf.read_bytes(), ".pdf") == "encrypted"


def test_too_many_pages_is_refused_before_reading():
    import pypdfium2

    document = pypdfium2.PdfDocument.new()
    for _ in range(2000):
        document.new_page(595, 842)
    out = io.BytesIO()
    document.save(out)
    document.close()
    assert _code(out.getvalue(), ".pdf") == "too_many_pages"


def test_huge_image_is_refused_before_decoding():
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 megapixels, a few kilobytes
    assert _code(out.getvalue(), ".png") == "too_many_pixels"


def _bomb(members: dict[str, bytes], *, zeros: int, name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, body in members.items():
            archive.writestr(member, body)
        with archive.open(name, "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(zeros >> 20):
                member.write(chunk)
    return out.getvalue()


@pytest.mark.parametrize("suffix, members", [
    (".ofd", {"OFD.xml": b"<OFD/>"}),
    (".docx", {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"}),
])
def test_zip_bombs_are_refused_from_the_directory(suffix, members):
    data = _bomb(members, zeros=8 << 20, name="padding.bin")
    assert len(data) < 100_000
    limits = formats.Limits(max_unpacked_bytes=4 << 20)
    assert _code(data, suffix, limits=limits) == "too_large_unpacked"


@pytest.mark.parametrize("data, suffix", [
    (b"PK\x03\x04" + b"\0" * 100, ".pdf"),        # a zip named .pdf
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, ".pdf"),  # an image named .pdf
    ("会议要求".encode(), ".pdf"),                  # text named .pdf
    (b"%PDF-1.7\n", ".docx"),                      # a PDF named .docx
])
def test_files_whose_name_lies_are_refused(data, suffix):
    assert _code(data, suffix) == "type_mismatch"


def test_damaged_files_are_clear_errors():
    assert _code(b"%PDF-1.7\n garbage", ".pdf") == "bad_pdf"
    assert _code(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".doc") == "convert_failed"
    assert _code(documents.text_to_ofd("会议要求")[:200], ".ofd") == "bad_package"


def test_missing_libreoffice_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ExtractionError) as caught:
        decode_document(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, suffix=".doc")
    assert caught.value.code == "converter_missing" and "libreoffice-writer-nogui" in caught.value.message_zh
