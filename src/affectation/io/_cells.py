"""Spreadsheet cells that are never formulas (formula injection), for every CSV and Excel writer.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as
a formula by Excel and LibreOffice when a CSV file is opened. The writers therefore put an
apostrophe in front of such a text (the mark spreadsheets themselves use for "text, not a
formula"), and of a text that already starts with an apostrophe followed by one of these
characters or another apostrophe, so that the escape is reversible. The readers remove that one
apostrophe: what was written is read back unchanged. In a workbook the cell is also stored as
a string (never a formula) with the quote-prefix style.
"""

from __future__ import annotations

__all__ = ["DANGEROUS", "escape_text", "unescape_text"]

DANGEROUS = frozenset("=+-@\t\r")
"""First characters that make a spreadsheet read a cell as a formula."""

QUOTE = "'"


def _marked(text: str) -> bool:
    return text[:1] == QUOTE and (text[1:2] in DANGEROUS or text[1:2] == QUOTE)


def escape_text(text: str) -> str:
    """``text`` safe to put in a CSV cell: an apostrophe in front when it could be a formula."""
    if text[:1] in DANGEROUS or _marked(text):
        return QUOTE + text
    return text


def unescape_text(text: str) -> str:
    """The inverse of :func:`escape_text` (the readers call it on every text cell)."""
    return text[1:] if _marked(text) else text
