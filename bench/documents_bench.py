"""Reading documents offices receive, on one core: pages per second of the text-layer PDF reader and of OCR, each
beside its engine alone in the same run (what the layout work and the limits cost on top), and the character
accuracy of each against the source text. Also a second PDF engine (pypdfium2's own text) and, where Debian's
tesseract-ocr-chi-sim is installed, Tesseract on the same page images, for the choice of engine.

The document is built at run time: the demo communique (and the shared realworld texts, read from ../shared,
never copied) as a 公文-style .docx, rendered to PDF by LibreOffice and to page images by pypdfium2.
Usage: python bench/documents_bench.py [--ocr-pages 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")

from duban.extraction.formats import DEFAULT_LIMITS  # noqa: E402
from duban.extraction.formats.ocr import engine, recognise  # noqa: E402
from duban.extraction.formats.pdf import read_pdf_text  # noqa: E402
from duban.extraction.tests import documents  # noqa: E402


def source_text() -> str:
    shared = Path(os.environ.get("DUBAN_SHARED_DIR") or REPO_ROOT.parent / "shared") / "samples" / "realworld"
    texts = [(REPO_ROOT / "duban/demo/communique.txt").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted(shared.glob("*.txt"))]
    return "\n".join(texts)


def best(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ocr-pages", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    text = source_text()
    with tempfile.TemporaryDirectory() as tmp:
        docx = documents.text_to_docx(text, Path(tmp) / "bench.docx", red_head=False)
        pdf = documents.convert(docx, "pdf")
        data = pdf.read_bytes()
        import pdfplumber
        import pypdfium2

        with pdfplumber.open(str(pdf)) as document:
            pages = len(document.pages)

        def plumber_alone():
            with pdfplumber.open(str(pdf)) as document:
                return "\n".join(page.extract_text() or "" for page in document.pages)

        def pdfium_alone():
            document = pypdfium2.PdfDocument(data)
            try:
                return "\n".join(document[i].get_textpage().get_text_bounded() for i in range(len(document)))
            finally:
                document.close()

        rows = []
        for name, fn in (("pdfplumber alone", plumber_alone), ("pypdfium2 text alone", pdfium_alone),
                         ("duban PDF reader (pdfplumber + layout)", lambda: read_pdf_text(data, DEFAULT_LIMITS)[0])):
            seconds, out = best(fn, args.runs)
            rows.append((name, pages, seconds, documents.char_accuracy(text, out)))

        images = documents.pdf_to_images(pdf, dpi=200)[: args.ocr_pages]
        reference = "\n".join(_page_text(pdf, i) for i in range(len(images)))
        import numpy

        engine(threads=1)(numpy.asarray(images[0]))  # load and warm the models before timing either row

        def rapid_alone():
            return "\n".join("".join(r[1] for r in (engine(threads=1)(numpy.asarray(im))[0] or ())) for im in images)

        for name, fn in (("RapidOCR engine alone", rapid_alone),
                         ("duban OCR (RapidOCR + layout)", lambda: recognise(images, threads=1))):
            seconds, out = best(fn, 1)
            rows.append((name, len(images), seconds, documents.char_accuracy(reference, out)))
        if shutil.which("tesseract"):
            def tesseract():
                outs = []
                for n, image in enumerate(images):
                    path = Path(tmp) / f"page{n}.png"
                    image.save(path)
                    outs.append(subprocess.run(["tesseract", str(path), "-", "-l", "chi_sim"], capture_output=True,
                                               text=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"}).stdout)
                return "\n".join(outs)

            seconds, out = best(tesseract, 1)
            rows.append(("Tesseract 4 chi_sim (Debian)", len(images), seconds, documents.char_accuracy(reference, out)))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (pinned to one), "
          f"Python {platform.python_version()}")
    print(f"{'reader':42} {'pages':>5} {'seconds':>8} {'pages/s':>8} {'accuracy':>8}")
    for name, n, seconds, accuracy in rows:
        print(f"{name:42} {n:5d} {seconds:8.2f} {n / seconds:8.2f} {accuracy:8.4f}")
    return 0


def _page_text(pdf: Path, index: int) -> str:
    import pdfplumber

    with pdfplumber.open(str(pdf)) as document:
        return document.pages[index].extract_text() or ""


if __name__ == "__main__":
    raise SystemExit(main())
