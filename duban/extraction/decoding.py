"""Bytes and files in, normalised text out.

Offsets everywhere else index the text this module returns: decoded, BOM dropped, CRLF and CR turned into LF,
nothing else changed.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import os
import zipfile
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


def _docx_text(data: bytes) -> Decoded:
    try:
        import docx  # python-docx; imported here so plain-text runs never pay for it
    except ImportError as error:  # pragma: no cover - python-docx is a dependency
        raise ExtractionError("bad_docx", "无法读取 .docx：未安装 python-docx",
                              "cannot read .docx: python-docx is not installed") from error
    try:
        document = docx.Document(io.BytesIO(data))
        text = "\n".join(paragraph.text for paragraph in document.paragraphs)
        properties = document.core_properties
        stamp = properties.created or properties.modified
    except Exception as error:  # python-docx raises many unrelated types for a damaged package
        raise ExtractionError("bad_docx", ".docx 文件已损坏或无法解析", "the .docx file is damaged or unreadable") from error
    if not text.strip():
        raise ExtractionError("empty", "文件为空", "the file is empty")
    return Decoded(normalise_newlines(text), "docx", stamp.date() if stamp else None)


def read_path(path: str | os.PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Decoded:
    """Read a .txt or .docx from disk. Every failure is an ExtractionError with a bilingual message."""
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
    if path.suffix.lower() == ".docx" or (data.startswith(b"PK\x03\x04") and _is_docx_zip(data)):
        if not data:
            raise ExtractionError("empty", "文件为空", "the file is empty")
        return _docx_text(data)
    text, encoding = decode_bytes(data)
    return Decoded(text, encoding)


def _is_docx_zip(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False
