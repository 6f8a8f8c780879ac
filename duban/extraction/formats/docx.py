"""A .docx's paragraphs and its own date, through python-docx."""

from __future__ import annotations

import datetime as dt
import io

from ..errors import ExtractionError


def read_docx(data: bytes) -> tuple[str, dt.date | None]:
    """The text of a .docx's paragraphs, one a line, and the date of its core properties (created, else modified;
    None without either). Raises ExtractionError for a damaged package or a document without text."""
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
    return text, stamp.date() if stamp else None
