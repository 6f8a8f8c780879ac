"""One rule for every cell a CSV or .xlsx export writes: text that a spreadsheet would read as a formula is
neutralised.

Excel, WPS and LibreOffice evaluate a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (and strip a leading
tab or carriage return before looking), so a task titled ``=HYPERLINK("http://…","点此")`` would become a live link
or a call in the office's spreadsheet. The usual defence (OWASP, "CSV Injection") is a leading apostrophe, which
every spreadsheet shows as a plain-text marker; ``restore_text`` takes it off again when a ledger is imported, so
an exported ledger reads back as it was written.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"


def _marked(text: str) -> bool:
    """Text that gets (or, read back, has) a mark: it starts like a formula once its leading apostrophes are
    set aside. Text that itself begins with apostrophes before a formula start gets one more, so that taking one
    off on the way back always gives the text that was written."""
    return text.lstrip(TEXT_MARK).startswith(FORMULA_STARTS)


def safe_cell(value):
    """``value`` ready for a CSV or .xlsx cell: text starting like a formula gets a leading apostrophe; numbers,
    dates and everything else are unchanged (a negative number is a number, not a formula)."""
    if isinstance(value, str) and _marked(value):
        return TEXT_MARK + value
    return value


def restore_text(value):
    """The text ``safe_cell`` was given, for a value read back from an exported file."""
    if isinstance(value, str) and value.startswith(TEXT_MARK) and _marked(value):
        return value[1:]
    return value
