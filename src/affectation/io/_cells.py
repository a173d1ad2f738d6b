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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DANGEROUS", "Sheet", "csv_bytes", "escape_text", "frame_sheet", "read_csv_cell",
    "unescape_text", "write_workbook",
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


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook for people: an optional title block above a header, the rows,
    and how it prints (landscape, header repeated on every page, ``footer`` at the bottom)."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    heading: Sequence[str] = ()
    """Lines of the title block, above the header (the first one in large bold)."""
    footer: str = ""


def write_workbook(path: Path, sheets: Mapping[str, tuple[Sequence[str], Iterable[Sequence[Cell]]]]
                   | Sequence[Sheet]) -> None:
    """An ``.xlsx`` workbook, one sheet per entry: header in bold and frozen, a filter on it,
    columns as wide as their content, landscape print with the header on every page, a
    dimension record (so that read-only readers size the sheets). Numbers and booleans are
    typed cells; every text is stored as a string with the quote prefix, never a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if isinstance(sheets, Mapping):
        sheets = [Sheet(title, header, list(rows)) for title, (header, rows) in sheets.items()]
    book = Workbook()
    book.remove(book.active)
    bold, large = Font(bold=True), Font(bold=True, size=14)
    for spec in sheets:
        sheet = book.create_sheet(spec.title)
        for number, line in enumerate(spec.heading, start=1):
            cell = _put(sheet, number, 1, line)
            cell.font = large if number == 1 else bold
        top = len(spec.heading) + (1 if spec.heading else 0) + 1  # a blank line after the block
        widths = [len(str(name)) for name in spec.header]
        for column, name in enumerate(spec.header, start=1):
            _put(sheet, top, column, name).font = bold
        for offset, row in enumerate(spec.rows, start=1):
            for column, value in enumerate(row, start=1):
                _put(sheet, top + offset, column, value)
                if value is not None and column <= len(widths):
                    widths[column - 1] = max(widths[column - 1], len(str(value)))
        last = get_column_letter(max(len(spec.header), 1))
        sheet.freeze_panes = f"A{top + 1}"
        sheet.auto_filter.ref = f"A{top}:{last}{top + len(spec.rows)}"
        for column, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = min(max(width, 6), 60) + 2
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_title_rows = f"{top}:{top}"
        if spec.footer:
            sheet.oddFooter.left.text = _footer_text(spec.footer)
        sheet.oddFooter.right.text = "Page &P / &N"
    book.save(path)
    _deterministic(path)


def frame_sheet(title: str, frame: Any, *, index: bool = False,
                heading: Sequence[str] = ()) -> Sheet:
    """A pandas DataFrame as a :class:`Sheet` (its index as the first column with
    ``index=True``); missing values become empty cells, numpy scalars Python numbers."""
    import math

    def plain(value: Any) -> Cell:
        if value is None:
            return None
        if hasattr(value, "item") and not isinstance(value, str):
            value = value.item()  # numpy scalar
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, str | int | float | bool):
            return value
        return str(value)

    header = [str(c) for c in frame.columns]
    rows = [[plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    if index:
        header = [str(frame.index.name or ""), *header]
        rows = [[plain(i), *row] for i, row in zip(frame.index, rows, strict=True)]
    return Sheet(title, header, rows, heading=heading)


def _footer_text(text: str) -> str:
    # '&' starts a code in a header or footer (&P, &N…): a literal one is written twice
    return text.replace("&", "&&")


def _put(sheet: Any, row: int, column: int, value: Cell) -> Any:
    """Set one cell: a text is stored as a string with the quote prefix, never a formula."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value[:1] in DANGEROUS:
            cell.quotePrefix = True
    return cell


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
