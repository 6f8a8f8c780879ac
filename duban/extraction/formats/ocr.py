"""Text from page images (scans, phone photos, PDFs without a text layer): PP-OCR models run by RapidOCR on
onnxruntime, on the CPU, with the models its wheel ships (nothing is fetched at run time).

A photo is turned upright by its EXIF orientation, a line upside down by the engine's direction classifier, and
a page scanned a few degrees askew is read line by line from the detector's rotated boxes. The lines are then
ordered top to bottom and joined into paragraphs like a PDF's (``layout``)."""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Callable, Iterable

from ..errors import ExtractionError
from . import Limits
from .layout import Line, Page, paragraphs

_ENGINE = None
_ENGINE_LOCK = threading.Lock()
ENGINE_NAME = "RapidOCR (PP-OCRv4, onnxruntime)"


def engine(threads: int = 0):
    """The OCR engine, loaded once per process (about 1 s). ``threads`` 0 lets onnxruntime choose."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError:
                raise ExtractionError("ocr_missing", "未安装文字识别组件（rapidocr-onnxruntime）",
                                      "the OCR engine (rapidocr-onnxruntime) is not installed") from None
            options = {"intra_op_num_threads": threads} if threads else {}
            _ENGINE = RapidOCR(**options)
        return _ENGINE


def _opened(data: bytes, limits: Limits):
    """``data`` opened (its header read, nothing decoded); refused when it has too many pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # PIL's own bomb warning: the limit below is ours, in settings
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        width, height = image.size
    except Image.DecompressionBombError:
        width, height = limits.max_pixels + 1, 1
    except (UnidentifiedImageError, OSError, ValueError):
        raise ExtractionError("bad_image", "图片已损坏或无法识别", "the image is damaged or unreadable") from None
    if width * height > limits.max_pixels:
        raise ExtractionError("too_many_pixels",
                              f"图片过大（{width}×{height}，上限{limits.max_pixels // 1_000_000}百万像素）",
                              f"the image is {width}x{height}; at most {limits.max_pixels // 1_000_000} MP are read")
    return image


def open_image(data: bytes, limits: Limits):
    """A PIL image of ``data``, upright, in RGB; refused before decoding when it has too many pixels."""
    from PIL import Image, ImageOps

    image = _opened(data, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = ImageOps.exif_transpose(image)
            return image.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ExtractionError("bad_image", "图片已损坏或无法识别", "the image is damaged or unreadable") from None


def check_image(data: bytes, limits: Limits) -> None:
    """Refuse an image that cannot be decoded or has too many pixels, without decoding all of it."""
    from PIL import Image

    image = _opened(data, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.verify()
    except Exception:  # PIL raises many types for a damaged image
        raise ExtractionError("bad_image", "图片已损坏或无法识别", "the image is damaged or unreadable") from None


def image_lines(image, *, threads: int = 0) -> Page:
    """One page's recognised lines: the detector's boxes grouped into lines by vertical overlap."""
    import numpy

    result, _elapsed = engine(threads)(numpy.asarray(image))
    boxes = []
    for points, text, _score in result or ():
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        boxes.append((min(ys), max(ys), min(xs), max(xs), text))
    boxes.sort()
    lines: list[Line] = []
    group: list = []
    for box in boxes:
        if group:
            top = min(b[0] for b in group)
            bottom = max(b[1] for b in group)
            middle = (box[0] + box[1]) / 2
            if not top <= middle <= bottom:
                lines.append(_line(group))
                group = []
        group.append(box)
    if group:
        lines.append(_line(group))
    return Page(width=float(image.width), height=float(image.height), lines=tuple(lines))


def _line(group: list) -> Line:
    group = sorted(group, key=lambda b: b[2])
    return Line(text="".join(b[4] for b in group), x0=group[0][2], x1=max(b[3] for b in group),
                top=min(b[0] for b in group), bottom=max(b[1] for b in group))


def recognise(images: Iterable, *, progress: Callable[[int], None] | None = None, threads: int = 0) -> str:
    """The text of page images, as paragraphs; ``progress(n)`` after each page."""
    pages = []
    for n, image in enumerate(images, start=1):
        pages.append(image_lines(image, threads=threads))
        if progress is not None:
            progress(n)
    text = paragraphs(pages)
    if not text.strip():
        raise ExtractionError("no_text", "未能从图片中识别出文字", "no text could be recognised in the image")
    return text
