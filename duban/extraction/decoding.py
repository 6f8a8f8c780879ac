"""Bytes and files in, normalised text out.

Offsets everywhere else index the text this module returns: decoded, BOM dropped, CRLF and CR turned into LF,
nothing else changed.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ExtractionError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

_BINARY = ExtractionError("binary", "文件不是可识别的文本（二进制或未知编码）",
                          "the file is not readable text (binary or unknown encoding)")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # "utf-8", "gb18030", "utf-16" or "docx"
    document_date: dt.date | None = None  # a .docx's own core-properties date
    doc_number: str = ""  # 发文字号 found in a laid-out document's head (PDF, OFD)
    recognised: bool = False  # the text came from OCR: the clerk checks it against the image first


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_binary(text: str) -> bool:
    # GB18030 accepts many byte strings that are not text; such decodings are full of control characters and
    # private-use code points, which real communiques never contain.
    if not text:
        return False
    odd = 0
    for char in text:
        code = ord(char)
        if (code < 32 and char not in "\n\r\t\f\v") or 0x7F <= code < 0xA0 or 0xE000 <= code <= 0xF8FF:
            odd += 1
    return odd > max(2, len(text) // 100)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a .txt's bytes; return (text, encoding). Raises ExtractionError for empty or non-text input."""
    if not data.strip():
        raise ExtractionError("empty", "文件为空", "the file is empty")
    if data.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8", data[len(codecs.BOM_UTF8):])]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", data)]
    elif b"\x00" in data:
        raise _BINARY
    else:
        candidates = [("utf-8", data), ("gb18030", data)]
    for encoding, payload in candidates:
        try:
            text = payload.decode(encoding)
        except UnicodeDecodeError:
            continue
        text = text.removeprefix("\ufeff")
        if _looks_binary(text):
            raise _BINARY
        if not text.strip():
            raise ExtractionError("empty", "文件为空", "the file is empty")
        return normalise_newlines(text), encoding
    raise _BINARY


def docx_text(data: bytes) -> Decoded:
    from .formats.docx import read_docx

    text, date = read_docx(data)
    return Decoded(normalise_newlines(text), "docx", date)


def read_path(path: str | os.PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES, ocr: bool = True) -> Decoded:
    """Read a document from disk (``decode_document``). Every failure is an ExtractionError with a bilingual
    message."""
    path = Path(path)
    if not path.exists():
        raise ExtractionError("not_found", f"文件不存在：{path}", f"no such file: {path}")
    if path.is_dir():
        raise ExtractionError("is_directory", f"这是一个目录，不是文件：{path}", f"this is a directory, not a file: {path}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            limit = f"{max_bytes / 1024 / 1024:g} MB"
            raise ExtractionError("too_large", f"文件过大（超过 {limit}）", f"the file is larger than {limit}")
        data = path.read_bytes()
    except OSError as error:
        raise ExtractionError("unreadable", f"无法读取文件：{error.strerror}", f"cannot read the file: {error.strerror}") from error
    if len(data) > max_bytes:  # the file grew between stat and read
        raise ExtractionError("too_large", "文件过大", "the file is too large")
    return decode_document(data, suffix=path.suffix.lower(), ocr=ocr)


def decode_document(data: bytes, *, suffix: str = "", ocr: bool = True, limits=None, progress=None) -> Decoded:
    """Any document an office receives, as text: .txt (UTF-8/GBK/UTF-16), .docx, and through ``formats`` PDF,
    OFD, .doc/.wps/.rtf and page images (OCR; with ``ocr`` False a scan raises ``formats.NeedsOcr``)."""
    from . import formats
    from .formats.zipsafe import open_zip

    if not data:
        raise ExtractionError("empty", "文件为空", "the file is empty")
    limits = limits or formats.DEFAULT_LIMITS
    kind = formats.kind_of(data, suffix)
    if kind == formats.DOCX:
        open_zip(data, max_unpacked_bytes=limits.max_unpacked_bytes, max_members=limits.max_members, what=" DOCX ")
        return docx_text(data)
    if kind is None or kind == formats.ZIP:
        if kind == formats.ZIP:
            raise ExtractionError("unsupported", "不支持的文件类型：请上传 .txt、.docx、.doc、.wps、.rtf、.pdf、.ofd 或图片",
                                  "unsupported file type: upload .txt, .docx, .doc, .wps, .rtf, .pdf, .ofd or an image")
        text, encoding = decode_bytes(data)
        return Decoded(text, encoding)
    read = formats.read_document(data, suffix=suffix, limits=limits, ocr=ocr, progress=progress)
    return Decoded(normalise_newlines(read.text), read.kind, doc_number=read.doc_number,
                   recognised=read.recognised)
