"""Raw tables from CSV files and ``.xlsx`` workbooks, as offices write them, never read wrong.

CSV (docs/formats.md, Spreadsheet variants): UTF-8 with or without a BOM, or Windows-1252
(what French Excel writes for "CSV (séparateur : point-virgule)"); comma or semicolon
separators, detected per file from the header line; a file that mixes them is refused at the
first line that does not fit. A file in neither encoding is refused with the line and byte
that fail. UTF-16 ("Texte Unicode") is refused with the way to fix it.

Excel: read cell by cell with openpyxl in read-only mode. Refused, each with the sheet and the
cell (``internes!D3``) and what to do: a formula without a cached value, a merged range, a date
or time, an error value (``#N/A``), a text longer than Excel's 32,767 characters, a value in a
column without a header. Before anything is parsed, the zip's uncompressed size, and while
reading, the rows and columns, are bounded (io/bounds.py): a decompression bomb gets a
message, and a ``MemoryError`` is reported as such.

Every CSV text cell goes through :func:`~affectation.io._cells.read_csv_cell`, the inverse of
the writers' formula escape (a workbook stores such a text as a string cell: nothing to undo).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from affectation.errors import InstanceError
from affectation.io._cells import read_csv_cell
from affectation.io.bounds import (
    MAX_CELL_CHARS,
    MAX_EXCEL_COLUMNS,
    MAX_EXCEL_ROWS,
    MAX_FILE_BYTES,
    MAX_UNCOMPRESSED_BYTES,
)
from affectation.langue import nombre

__all__ = ["RawTable", "cell_ref", "norm_name", "read_csv_table", "read_workbook"]

_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"})
_SEPARATORS = (";", ",")


def norm_name(text: str) -> str:
    """A sheet, file, column or parametre name as matched: no case, accents or surrounding
    spaces; inner spaces and hyphens read as ``_`` (``Paramètres`` → ``parametres``,
    ``Rang vœu`` → ``rang_voeu``)."""
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold().strip()
    return re.sub(r"[\s\-]+", "_", text)


def cell_ref(sheet: str, row: int, column: int) -> str:
    """``internes!D3`` (1-based row and column)."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{sheet}!{letters}{row}"


@dataclass
class RawTable:
    """The header and the non-blank rows of one CSV file or sheet, as stripped text."""

    file: str
    sheet: str | None
    """The sheet's title as written (``None`` for a CSV file)."""
    header: list[str]
    rows: list[tuple[int, list[str]]]
    """``(line or row number, cells)``; line 1 is the header."""


# --- CSV ------------------------------------------------------------------------------------


def _where(data: bytes, offset: int) -> str:
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    return f"ligne {line}, octet {offset - line_start + 1} de la ligne (0x{data[offset]:02x})"


def _decode(data: bytes, file: str) -> str:
    """The text of a CSV file: UTF-8 (BOM or not), else Windows-1252, else a clear refusal."""
    fix = "enregistrez-le à nouveau depuis Excel en \"CSV UTF-8 (délimité par des virgules)\""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InstanceError(f"le fichier est en UTF-16 (\"Texte Unicode\" d'Excel) : {fix}",
                            file=file)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InstanceError(f"pas un fichier texte : un octet NUL en {_where(data, nul)} ; {fix}",
                            file=file)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        utf8_error = err
    if _UTF8_SEQUENCE.search(data):
        raise InstanceError(
            f"mélange les encodages : la plupart des lettres accentuées sont en UTF-8, "
            f"mais pas {_where(data, utf8_error.start)} ; {fix}", file=file,
        )
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as err:
        raise InstanceError(
            f"ni UTF-8 ni Windows-1252 : {_where(data, err.start)} ; {fix}", file=file
        ) from None


def _separator(header_line: str, file: str) -> str:
    """``;`` or ``,``: the one the header line uses (outside quotes)."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    found = [sep for sep in _SEPARATORS if sep in outside]
    if len(found) == 2:
        raise InstanceError("ligne 1 : l'en-tête mélange ';' et ',' comme séparateurs : "
                            "utilisez l'un des deux dans tout le fichier", file=file)
    if not found:
        hint = " (tabulations : enregistrez en CSV, pas en texte)" if "\t" in outside else ""
        raise InstanceError(f"ligne 1 : ni ';' ni ',' entre les noms de colonnes{hint} ; "
                            "attendu un en-tête comme id;categories;postes", file=file)
    return found[0]


def read_csv_table(path: Path) -> RawTable:
    """The header and rows of one CSV file (see the module docstring for the variants)."""
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InstanceError(f"le fichier fait {nombre(size)} octets, plus que les "
                                f"{nombre(MAX_FILE_BYTES)} lus (docs/formats.md, Bounds)",
                                file=file)
        data = path.read_bytes()
    except OSError as err:
        raise InstanceError(f"impossible de lire le fichier ({err.strerror})", file=file) from None
    text = _decode(data, file)
    if not text.strip():
        raise InstanceError("le fichier est vide (attendu une ligne d'en-tête)", file=file)
    header_line = text.lstrip("\r\n").splitlines()[0]
    sep = _separator(header_line, file)
    other = "," if sep == ";" else ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not "".join(record).strip():
                continue
            if len(rows) >= MAX_EXCEL_ROWS:
                raise InstanceError(f"plus de {nombre(MAX_EXCEL_ROWS)} lignes (docs/formats.md, "
                                    "Bounds)", file=file)
            cells = [read_csv_cell(cell) for cell in record]
            for cell in cells:
                if len(cell) > MAX_CELL_CHARS:
                    raise InstanceError(f"ligne {line} : une cellule de {nombre(len(cell))} "
                                        f"caractères (au plus {nombre(MAX_CELL_CHARS)})",
                                        file=file)
            if header is None:
                header = cells
                continue
            width = len(header)
            if len(cells) > width and not any(cells[width:]):
                cells = cells[:width]
            if len(cells) != width:
                raw = sep.join(record)
                if len(raw.split(other)) >= min(width, 3):
                    raise InstanceError(
                        f"la ligne {line} est séparée par {other!r} mais l'en-tête par {sep!r} : "
                        "le fichier mélange les séparateurs ; utilisez-en un seul partout",
                        file=file)
                if len(cells) > width:
                    raise InstanceError(
                        f"la ligne {line} a {len(cells)} cellules, l'en-tête {width} (un ';' ou "
                        f"',' dans une cellule demande des guillemets : \"a{sep}b\")", file=file)
                cells += [""] * (width - len(cells))  # trailing empty cells left out
            rows.append((line, cells))
    except csv.Error as err:
        raise InstanceError(f"ligne {reader.line_num} : pas une ligne CSV valide ({err})",
                            file=file) from None
    assert header is not None
    return RawTable(file, None, header, rows)


# --- Excel ----------------------------------------------------------------------------------

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')


def _zip_guard(path: Path, file: str) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InstanceError(f"le classeur fait {nombre(size)} octets, plus que les "
                            f"{nombre(MAX_FILE_BYTES)} lus (docs/formats.md, Bounds)", file=file)
    if not zipfile.is_zipfile(path):
        raise InstanceError("pas un classeur Excel lisible (un fichier .xlsx est une archive zip, "
                            "celui-ci non : enregistrez-le depuis Excel en \"Classeur Excel "
                            "(.xlsx)\")",
                            file=file)
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
    if len(members) > 10_000 or total > MAX_UNCOMPRESSED_BYTES:
        raise InstanceError(
            f"le classeur se décompresse en {nombre(total)} octets et "
            f"{nombre(len(members))} parties, plus que les {nombre(MAX_UNCOMPRESSED_BYTES)} "
            "octets lus (docs/formats.md, Bounds) : pas une liste de choix, ou une bombe de "
            "décompression", file=file)


_FILLED_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]+)"[^>]*(?<!/)>(?!</)')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _scan_sheet(sheet_path: str, path: Path, title: str, file: str) -> None:
    """Refuse, from the sheet's XML, a merged range or a filled cell beyond the columns read
    (the cell-by-cell reader stops at column MAX_EXCEL_COLUMNS + 1, so that a bogus
    dimension such as A1:XFD1048576 cannot make it walk 17 billion empty cells)."""
    with zipfile.ZipFile(path) as archive:
        try:
            data = archive.read(sheet_path.lstrip("/"))
        except KeyError:
            return
    for ref in _MERGE.findall(data):
        ref_text = ref.decode()
        rows = {int(re.sub("[A-Z]", "", corner)) for corner in ref_text.split(":")}
        if rows == {min(rows)} and min(rows) == _first_filled_row(data):
            raise InstanceError(
                f"{title}!{ref_text.split(':')[0]} : un titre fusionné sur les colonnes "
                f"({ref_text}) au-dessus de l'en-tête : supprimez cette ligne, les noms de "
                "colonnes doivent être la première ligne de la feuille", file=file)
        raise InstanceError(f"{title}!{ref_text.split(':')[0]} : cellules fusionnées "
                            f"({ref_text}) : annulez la fusion et donnez à chaque ligne sa "
                            "valeur", file=file)
    for letters, row in _FILLED_CELL.findall(data):
        if len(letters) >= 2 and _column_number(letters) > MAX_EXCEL_COLUMNS:
            raise InstanceError(f"{title}!{letters.decode()}{row.decode()} : une valeur "
                                f"au-delà de la colonne {MAX_EXCEL_COLUMNS}", file=file)


def _first_filled_row(data: bytes) -> int | None:
    rows = [int(row) for _, row in _FILLED_CELL.findall(data)]
    return min(rows) if rows else None


def _text(value: object, where: tuple[str, int, int], file: str) -> str:
    """A cell's value as text, or a refusal for what would be read wrong; ``where`` is
    (sheet, row, column), turned into ``internes!D3`` only for a message."""
    if value is None:
        return ""
    if isinstance(value, str):
        if len(value) >= MAX_CELL_CHARS:  # openpyxl cuts longer texts to the limit
            raise InstanceError(f"{cell_ref(*where)} : un texte de {nombre(MAX_CELL_CHARS)} "
                                "caractères ou plus (la limite d'Excel), peut-être coupé : "
                                "raccourcissez-le",
                                file=file)
        # spaces around a value are typing noise; a tab or carriage return is kept, as the
        # writers store it (a text starting with one is never a formula: io/_cells.py)
        return value.strip(" \u00a0\n")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time |
                  datetime.timedelta):
        raise InstanceError(
            f"{cell_ref(*where)} : une date ou une heure ({value}) où un nombre ou un texte est "
            "attendu : mettez la colonne au format Nombre ou Texte et retapez la valeur",
            file=file)
    raise InstanceError(f"{cell_ref(*where)} : une valeur illisible ({type(value).__name__})",
                        file=file)


def _width(sheet) -> int | None:
    """The columns to read: the rows as stored (``None``), unless the sheet declares more
    than MAX_EXCEL_COLUMNS (a bogus A1:XFD1048576 would make the reader pad every row to
    16,384 cells): then MAX_EXCEL_COLUMNS + 1, the XML scan having refused any filled cell
    beyond. The declared number of rows is never used."""
    declared = sheet.max_column
    sheet.reset_dimensions()
    return MAX_EXCEL_COLUMNS + 1 if declared and declared > MAX_EXCEL_COLUMNS + 1 else None


def _sheet_rows(sheet, width: int | None, title: str, file: str,
                formulas: dict[str, object] | None) -> Iterator[tuple[int, list[str]]]:
    """Rows of one read-only sheet; with ``formulas`` (cached values by ref), formula cells
    take their cached value, or are refused when there is none."""
    for row_index, row in enumerate(sheet.iter_rows(max_col=width), start=1):
        if row_index > MAX_EXCEL_ROWS:
            raise InstanceError(f"feuille {title} : plus de {nombre(MAX_EXCEL_ROWS)} lignes",
                                file=file)
        cells = []
        for column, cell in enumerate(row, start=1):
            value = getattr(cell, "value", None)
            if value is None:
                cells.append("")
                continue
            if column > MAX_EXCEL_COLUMNS:
                raise InstanceError(f"{cell_ref(title, row_index, column)} : une valeur au-delà "
                                    f"de la colonne {MAX_EXCEL_COLUMNS}", file=file)
            kind = getattr(cell, "data_type", None)
            if kind == "e":
                raise InstanceError(f"{cell_ref(title, row_index, column)} : une valeur d'erreur "
                                    f"({value}) : corrigez la cellule ou collez les valeurs",
                                    file=file)
            if kind == "f":
                if formulas is None:
                    raise _HasFormulas
                cached = formulas.get(cell_ref(title, row_index, column))
                if cached is None:
                    raise InstanceError(
                        f"{cell_ref(title, row_index, column)} : une formule ({str(value)[:40]}) "
                        "sans valeur enregistrée : ouvrez le classeur dans Excel et "
                        "enregistrez-le, ou copiez la colonne et collez les valeurs", file=file)
                value = cached
            cells.append(_text(value, (title, row_index, column), file))
        yield row_index, cells


class _HasFormulas(Exception):
    """The sheet has formula cells: read the cached values too."""


def _cached_values(path: Path, title: str) -> dict[str, object]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        values = {}
        sheet = book[title]
        for row_index, row in enumerate(sheet.iter_rows(max_col=_width(sheet)), start=1):
            for column, cell in enumerate(row, start=1):
                value = getattr(cell, "value", None)
                if value is not None:
                    values[cell_ref(title, row_index, column)] = value
        return values
    finally:
        book.close()


def read_workbook(path: Path) -> dict[str, RawTable]:
    """Every sheet of an ``.xlsx`` workbook by title: header and non-blank rows."""
    import openpyxl

    file = str(path)
    if not path.is_file():
        raise InstanceError("fichier introuvable", file=file)
    try:
        _zip_guard(path, file)
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        except MemoryError:
            raise
        except Exception as err:  # openpyxl raises many kinds on a broken workbook
            raise InstanceError(f"pas un classeur Excel lisible ({str(err)[:80]})",
                                file=file) from None
        try:
            tables = {}
            for sheet in book.worksheets:
                title = sheet.title
                _scan_sheet(getattr(sheet, "_worksheet_path", ""), path, title, file)
                width = _width(sheet)
                try:
                    rows = list(_sheet_rows(sheet, width, title, file, None))
                except _HasFormulas:
                    rows = list(_sheet_rows(sheet, width, title, file,
                                            _cached_values(path, title)))
                tables[title] = _raw_table(file, title, rows)
            return tables
        finally:
            book.close()
    except MemoryError:
        raise InstanceError("le classeur est trop grand pour la mémoire disponible "
                            "(docs/formats.md, Bounds)", file=file) from None
    except (OSError, zipfile.BadZipFile) as err:
        raise InstanceError(f"impossible de lire le classeur ({str(err)[:80]})",
                            file=file) from None


def _raw_table(file: str, title: str, rows: list[tuple[int, list[str]]]) -> RawTable:
    filled = [(n, cells) for n, cells in rows if any(cells)]
    if not filled:
        return RawTable(file, title, [], [])
    (first, header), body = filled[0], filled[1:]
    if (sum(1 for cell in header if cell) == 1 and body
            and sum(1 for cell in body[0][1] if cell) > 1):
        raise InstanceError(f"{cell_ref(title, first, 1)} : la première ligne ne contient qu'un "
                            f"texte ({next(c for c in header if c)[:40]!r}), un titre : "
                            "supprimez cette ligne, les noms de colonnes doivent être la "
                            "première ligne", file=file)
    width = len(header)
    while width and not header[width - 1]:
        width -= 1
    table_rows = []
    for line, cells in body:
        for column in range(width, len(cells)):
            if cells[column]:
                raise InstanceError(f"{cell_ref(title, line, column + 1)} : une valeur dans "
                                    f"une colonne sans nom à la ligne {first}", file=file)
        table_rows.append((line, (cells + [""] * width)[:width]))
    return RawTable(file, title, header[:width], table_rows)
