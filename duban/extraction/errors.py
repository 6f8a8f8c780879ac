"""The one error type extraction raises for bad input."""

from __future__ import annotations


class ExtractionError(Exception):
    """Bad input, reported to office staff in Chinese and to scripts in English.

    ``code`` is stable and meant for programs (``empty``, ``binary``, ``too_large``, ``not_found``,
    ``is_directory``, ``bad_docx``, ``no_directive``, ``bad_units``, ``bad_areas``, ``unreadable``).
    """

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"错误：{message_zh} / error: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

    def one_line(self) -> str:
        return f"错误：{self.message_zh} / error: {self.message_en}"
