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

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "DANGEROUS", "csv_bytes", "escape_text", "read_csv_cell", "unescape_text", "write_workbook",
]

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
    """The inverse of :func:`escape_text`."""
    return text[1:] if _marked(text) else text


def read_csv_cell(cell: str) -> str:
    """A CSV cell as the readers take it: spaces around it removed, the writers' escape
    undone; an escaped cell is taken exactly as written after its apostrophe (what follows it,
    a tab say, is part of the text)."""
    left = cell.lstrip()
    return left[1:] if _marked(left) else cell.strip()


# --- writers --------------------------------------------------------------------------------

Cell = str | int | float | bool | None


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]], *, sep: str = ",",
              bom: bool = False, booleans: tuple[str, str] = ("true", "false")) -> bytes:
    """A CSV file as bytes: UTF-8 (with a BOM for French Excel), ``\\n`` line ends, every text
    cell formula-escaped; the same rows always give the same bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    # csv quotes a cell holding "\n" but not one holding a lone "\r": quote such rows whole
    quoted = csv.writer(buffer, delimiter=sep, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for cells in ([escape_text(h) for h in header],
                  *([_csv_cell(value, booleans) for value in row] for row in rows)):
        (quoted if any("\r" in cell for cell in cells) else writer).writerow(cells)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def _csv_cell(value: Cell, booleans: tuple[str, str]) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return booleans[0] if value else booleans[1]
    if isinstance(value, int | float):
        return str(value)
    return escape_text(str(value))


def write_workbook(path: Path, sheets: Mapping[str, tuple[Sequence[str], Iterable[Sequence[Cell]]]]
                   ) -> None:
    """An ``.xlsx`` workbook, one sheet per entry (header in bold, frozen); numbers and
    booleans as such, every text stored as a string with the quote prefix, never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, (header, rows) in sheets.items():
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        head = []
        for name in header:
            cell = _text_cell(sheet, WriteOnlyCell, name)
            cell.font = bold
            head.append(cell)
        sheet.append(head)
        for row in rows:
            sheet.append([
                _text_cell(sheet, WriteOnlyCell, value) if isinstance(value, str) else value
                for value in row
            ])
    book.save(path)
    _deterministic(path)


_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _deterministic(path: Path) -> None:
    """The same workbook, byte for byte, for the same cells: openpyxl stamps the zip entries
    and docProps/core.xml with the time of writing; both are set to a fixed date (the file's
    own modification time still says when it was written)."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _STAMP.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def _text_cell(sheet: Any, make: Any, text: str) -> Any:
    cell = make(sheet, value=text)
    cell.data_type = "s"  # a text, even if it starts with '=': never a formula
    if text[:1] in DANGEROUS:
        cell.quotePrefix = True
    return cell
