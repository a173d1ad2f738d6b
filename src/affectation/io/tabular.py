"""Instances as a folder of CSV files or an Excel workbook, one table per entity.

The tables become the FORMAT.md document and go through
:func:`~affectation.io.json_format.instance_from_dict`, so the checks and the messages are
those of the JSON contract; only the place is translated: ``file`` is the CSV file (or the
workbook) and ``entity`` the line (``line 4 (URG-CHU)``, or ``sheet terrains, row 4 (URG-CHU)``
in a workbook; line 1 is the header).

Encoding (a CSV folder holds ``<table>.csv`` files; a workbook holds sheets of the same names):

===============  ========  =====================================================================
table            required  columns
===============  ========  =====================================================================
``parametres``   no        ``parametre,valeur``: one row per instance-level setting (below)
``terrains``     yes       ``id,nom,ville,categories,postes,ambulatoire``
``internes``     yes       ``id,rang,effectif_promotion,semestres_valides,semestres_effectues,
                           valides,impose,surnombre,derogations,dernier_de_son_semestre``
``voeux``        yes       ``interne,rang_voeu,terrain``: one row per wish, ranks 1..n per interne
``couples``      no        ``interne_a,interne_b,rang_voeu,terrain_a,terrain_b``: one row per
                           joint wish (a couple without joint wishes: one row, ranks left empty)
``maquette``     no        ``id,categories,premier_semestre,dernier_semestre``: an inline maquette
===============  ========  =====================================================================

Cells: CSV files are comma-separated UTF-8 (a BOM is accepted); an empty cell means the key is
absent (its FORMAT.md default; ``surnombre`` empty = null). List cells (``categories``,
``valides``, ``derogations``, ``obligatoires``) are ``;``-separated; ``*`` stands for every
category. Booleans are ``true/false``, ``1/0`` or ``oui/non`` (any case). Only ``id``,
``categories`` and ``postes`` (terrains), ``id``, ``rang`` and ``semestres_valides``
(internes) and the voeux columns are required; the other columns may be left out.

``parametres`` keys: ``format`` (default ``affectation-instance/1``), ``nom``, ``maquette``
(a built-in name, or the nom of the inline maquette when the ``maquette`` table is given),
``maquette_semestres`` (the inline maquette's number of semesters), ``obligatoires``
(``urgences;praticien_n1``; an empty value = none), ``interclassement`` (``rang`` or
``percentile``) and ``rounds`` encoded as ``nom:cat1;cat2|nom2:*``.

Any other ``.csv`` file in the folder, sheet in the workbook, column or parametre is refused:
a misspelled ``couple.csv`` must not silently drop the couples.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from affectation.errors import InstanceError
from affectation.io._files import atomic_write, atomic_write_bytes
from affectation.io.json_format import (
    INSTANCE_FORMAT,
    INTERNE_KEYS,
    TERRAIN_KEYS,
    instance_from_dict,
    instance_to_dict,
)
from affectation.model import ALL, Instance

__all__ = [
    "COLUMNS",
    "PARAMETRES",
    "REQUIRED_COLUMNS",
    "TABLES",
    "load_csv",
    "load_excel",
    "save_csv",
    "save_excel",
]

LIST_SEP = ";"
ROUND_SEP = "|"
ROUND_NAME_SEP = ":"

COLUMNS: dict[str, tuple[str, ...]] = {
    "parametres": ("parametre", "valeur"),
    "terrains": TERRAIN_KEYS,
    "internes": tuple(k for k in INTERNE_KEYS if k != "voeux"),
    "voeux": ("interne", "rang_voeu", "terrain"),
    "couples": ("interne_a", "interne_b", "rang_voeu", "terrain_a", "terrain_b"),
    "maquette": ("id", "categories", "premier_semestre", "dernier_semestre"),
}
"""The columns of each table, in the order the writers use."""

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "parametres": ("parametre", "valeur"),
    "terrains": ("id", "categories", "postes"),
    "internes": ("id", "rang", "semestres_valides"),
    "voeux": ("interne", "rang_voeu", "terrain"),
    "couples": ("interne_a", "interne_b", "rang_voeu", "terrain_a", "terrain_b"),
    "maquette": ("id", "categories", "premier_semestre", "dernier_semestre"),
}

TABLES = tuple(COLUMNS)
REQUIRED_TABLES = ("terrains", "internes", "voeux")

PARAMETRES = (
    "format", "nom", "maquette", "maquette_semestres", "obligatoires", "date_choix",
    "interclassement", "rounds",
)
"""The keys of the ``parametres`` table."""

_INT_COLUMNS = frozenset({
    "postes", "rang", "effectif_promotion", "semestres_valides", "semestres_effectues",
    "rang_voeu", "premier_semestre", "dernier_semestre", "agrement",
})
_BOOL_COLUMNS = frozenset({"ambulatoire", "impose", "dernier_de_son_semestre", "voeux_connus"})
_LIST_COLUMNS = frozenset({"categories", "valides", "derogations"})
_TRUE = frozenset({"true", "1", "oui", "vrai", "yes"})
_FALSE = frozenset({"false", "0", "non", "faux", "no"})
_INT_RE = re.compile(r"[+-]?\d+(\.0*)?")


# --- cells ----------------------------------------------------------------------------------


def _int_cell(text: str) -> int | str:
    """An integer, or the text unchanged so that the JSON checks say what was expected."""
    return int(text.split(".")[0]) if _INT_RE.fullmatch(text) else text


def _bool_cell(text: str) -> bool | str:
    lowered = text.lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else text


def _list_cell(text: str) -> list[str]:
    return [item.strip() for item in text.split(LIST_SEP) if item.strip()]


def _categories_cell(text: str) -> list[str] | str:
    return ALL if text == ALL else _list_cell(text)


def _cell(column: str, text: str) -> Any:
    if column in _INT_COLUMNS:
        return _int_cell(text)
    if column in _BOOL_COLUMNS:
        return _bool_cell(text)
    if column == "categories":
        return _categories_cell(text)
    if column in _LIST_COLUMNS:
        return _list_cell(text)
    return text


# --- tables ---------------------------------------------------------------------------------


@dataclass
class _Table:
    """One CSV file or sheet: its rows as ``(line, {column: stripped text})``."""

    name: str
    file: str
    excel: bool
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def where(self, line: int | None, ident: str | None = None) -> str | None:
        if line is None:
            place = f"sheet {self.name}" if self.excel else None
        else:
            place = f"sheet {self.name}, row {line}" if self.excel else f"line {line}"
        if ident:
            place = f"{place} ({ident})" if place else ident
        return place

    def error(
        self, message: str, line: int | None = None, ident: str | None = None,
        key: str | None = None,
    ) -> InstanceError:
        return InstanceError(message, entity=self.where(line, ident), key=key, file=self.file)

    @classmethod
    def from_frame(cls, name: str, file: str, excel: bool, frame: pd.DataFrame) -> _Table:
        table = cls(name, file, excel)
        columns = [str(c).strip() for c in frame.columns]
        for column in columns:
            if column not in COLUMNS[name]:
                hint = "; columns are separated by commas, not ';'" if LIST_SEP in column else ""
                raise table.error(
                    f"unknown column (expected: {', '.join(COLUMNS[name])}){hint}",
                    line=1, key=column,
                )
        for column in REQUIRED_COLUMNS[name]:
            if column not in columns:
                raise table.error("missing required column", line=1, key=column)
        for index, values in enumerate(frame.itertuples(index=False, name=None)):
            cells = {
                c: ("" if pd.isna(v) else str(v).strip())
                for c, v in zip(columns, values, strict=True)
            }
            if any(cells.values()):
                table.rows.append((index + 2, cells))
        return table


class _Source:
    """The tables of a CSV folder or of a workbook."""

    def __init__(self, tables: dict[str, _Table], make_empty: Callable[[str], _Table]) -> None:
        self.tables = tables
        self.make_empty = make_empty

    def get(self, name: str) -> _Table | None:
        return self.tables.get(name)

    def get_or_empty(self, name: str) -> _Table:
        return self.tables.get(name) or self.make_empty(name)


def _csv_source(folder: Path) -> _Source:
    if not folder.is_dir():
        raise InstanceError("no such folder", file=str(folder))
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() == ".csv" and path.stem not in TABLES:
            raise InstanceError(
                f"unknown table (expected: {', '.join(f'{t}.csv' for t in TABLES)})",
                file=str(path),
            )
    tables: dict[str, _Table] = {}
    for name in TABLES:
        path = folder / f"{name}.csv"
        if not path.exists():
            if name in REQUIRED_TABLES:
                raise InstanceError(
                    "missing file: a CSV folder needs "
                    + ", ".join(f"{t}.csv" for t in REQUIRED_TABLES),
                    file=str(path),
                )
            continue
        tables[name] = _Table.from_frame(name, str(path), False, _read_csv(path))
    return _Source(tables, lambda name: _Table(name, str(folder / f"{name}.csv"), False))


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, skip_blank_lines=False,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        raise InstanceError("the file is empty (expected a header line)", file=str(path)) from None
    except UnicodeDecodeError as err:
        raise InstanceError(f"not UTF-8 text ({err.reason})", file=str(path)) from None
    except (pd.errors.ParserError, ValueError) as err:
        raise InstanceError(f"not a valid CSV file: {err}", file=str(path)) from None


def _excel_source(path: Path) -> _Source:
    file = str(path)
    if not path.is_file():
        raise InstanceError("no such file", file=file)
    try:
        frames = pd.read_excel(
            path, sheet_name=None, dtype=str, keep_default_na=False, engine="openpyxl"
        )
    except Exception as err:  # openpyxl raises many kinds on a broken workbook
        raise InstanceError(f"not a readable Excel workbook ({err})", file=file) from None
    for sheet in frames:
        if sheet not in TABLES:
            raise InstanceError(
                f"unknown sheet {sheet!r} (expected: {', '.join(TABLES)})", file=file
            )
    for name in REQUIRED_TABLES:
        if name not in frames:
            raise InstanceError(
                f"missing sheet (a workbook needs the sheets {', '.join(REQUIRED_TABLES)})",
                entity=f"sheet {name}",
                file=file,
            )
    tables = {
        name: _Table.from_frame(name, file, True, frame) for name, frame in frames.items()
    }
    return _Source(tables, lambda name: _Table(name, file, True))


# --- tables -> document ---------------------------------------------------------------------


@dataclass
class _Places:
    """Where each entity of the document came from, to place the errors of the JSON checks."""

    parametres: _Table
    rows: dict[str, tuple[_Table, int, str | None]] = field(default_factory=dict)
    """``"terrains[0]"`` → (table, line, the row's name when the document has none)."""
    parametre_lines: dict[str, int] = field(default_factory=dict)
    voeux_lines: dict[str, int] = field(default_factory=dict)
    """Interne id → first line of their wishes in the voeux table."""
    voeux: _Table | None = None
    maquette: _Table | None = None


def _records(table: _Table) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows as document entries: empty cells left out, cells typed as far as they parse."""
    for line, cells in table.rows:
        yield line, {c: _cell(c, text) for c, text in cells.items() if text}


def _ranked(
    table: _Table, owner: str, entries: list[tuple[int, int | str, Any]]
) -> list[Any]:
    """Wishes of one owner sorted by ``rang_voeu``, which must run 1..n without gaps."""
    for line, rank, _ in entries:
        if not isinstance(rank, int) or rank < 1:
            raise table.error(
                f"expected an integer >= 1, got {rank!r}", line, owner, key="rang_voeu"
            )
    seen: dict[int, int] = {}
    for line, rank, _ in entries:
        if rank in seen:
            raise table.error(
                f"rank {rank} appears twice for {owner} (line {seen[rank]} too)",
                line, owner, key="rang_voeu",
            )
        seen[rank] = line  # type: ignore[index]
    ordered = sorted(entries, key=lambda e: e[1])
    for expected, (line, rank, _) in enumerate(ordered, start=1):
        if rank != expected:
            raise table.error(
                f"ranks of {owner} must run 1..{len(entries)} without gaps; "
                f"expected rank {expected}, got {rank}",
                line, owner, key="rang_voeu",
            )
    return [value for _, _, value in ordered]


def _parametres(source: _Source, doc: dict[str, Any], places: _Places) -> None:
    table = places.parametres
    for line, cells in table.rows:
        key, value = cells.get("parametre", ""), cells.get("valeur", "")
        if key not in PARAMETRES:
            raise table.error(
                f"unknown parametre (expected one of: {', '.join(PARAMETRES)})",
                line, key=key or "parametre",
            )
        if key in places.parametre_lines:
            raise table.error(
                f"given twice (line {places.parametre_lines[key]} too)", line, key=key
            )
        places.parametre_lines[key] = line
        if key == "obligatoires":
            doc[key] = _list_cell(value)
        elif key == "rounds":
            doc[key] = _rounds_cell(table, line, value)
        elif key == "maquette_semestres":
            doc[key] = _int_cell(value)
        else:
            doc[key] = value
    doc.setdefault("format", INSTANCE_FORMAT)
    semestres = doc.pop("maquette_semestres", None)
    maquette = source.get("maquette")
    if maquette is None:
        if semestres is not None:
            raise table.error(
                "maquette_semestres is for an inline maquette: add the maquette table",
                places.parametre_lines["maquette_semestres"], key="maquette_semestres",
            )
        return
    places.maquette = maquette
    stages = []
    for index, (line, record) in enumerate(_records(maquette)):
        places.rows[f"maquette.stages[{index}]"] = (maquette, line, None)
        first, last = record.pop("premier_semestre", None), record.pop("dernier_semestre", None)
        record["semestres"] = [first, last]
        stages.append(record)
    inline: dict[str, Any] = {"nom": doc.pop("maquette", None), "stages": stages}
    if semestres is not None:
        inline["semestres"] = semestres
    doc["maquette"] = {k: v for k, v in inline.items() if v is not None}


def _rounds_cell(table: _Table, line: int, text: str) -> list[dict[str, Any]]:
    rounds = []
    for part in text.split(ROUND_SEP):
        nom, sep, categories = part.partition(ROUND_NAME_SEP)
        if not sep:
            raise table.error(
                f"expected nom:cat1;cat2|nom2:* for each round, got {part.strip()!r}",
                line, key="rounds",
            )
        rounds.append({"nom": nom.strip(), "categories": _categories_cell(categories.strip())})
    return rounds


def _document(source: _Source) -> tuple[dict[str, Any], _Places]:
    """The FORMAT.md document of the tables, and where each entity came from."""
    places = _Places(parametres=source.get_or_empty("parametres"))
    doc: dict[str, Any] = {}
    _parametres(source, doc, places)

    terrains_table = source.get_or_empty("terrains")
    doc["terrains"] = []
    for index, (line, record) in enumerate(_records(terrains_table)):
        places.rows[f"terrains[{index}]"] = (terrains_table, line, None)
        doc["terrains"].append(record)
    terrain_ids = {t.get("id") for t in doc["terrains"]}

    internes_table = source.get_or_empty("internes")
    doc["internes"] = []
    for index, (line, record) in enumerate(_records(internes_table)):
        places.rows[f"internes[{index}]"] = (internes_table, line, None)
        doc["internes"].append(record)

    voeux = _voeux(source.get_or_empty("voeux"), doc, terrain_ids, places)
    for record in doc["internes"]:
        record["voeux"] = voeux.get(record.get("id"), [])

    couples_table = source.get("couples")
    doc["couples"] = [] if couples_table is None else _couples(couples_table, places)
    return doc, places


def _voeux(
    table: _Table, doc: dict[str, Any], terrain_ids: set[Any], places: _Places
) -> dict[str, list[str]]:
    """Wish lists from the long table, checked line by line (R-VOE-1)."""
    places.voeux = table
    interne_ids = {i.get("id") for i in doc["internes"]}
    entries: dict[str, list[tuple[int, int | str, str]]] = {}
    for line, cells in table.rows:
        interne, terrain = cells["interne"], cells["terrain"]
        if not interne:
            raise table.error("missing interne", line, key="interne")
        if interne not in interne_ids:
            raise table.error(f"unknown interne {interne!r}", line, interne, key="interne")
        if not terrain:
            raise table.error("missing terrain", line, interne, key="terrain")
        if terrain not in terrain_ids:
            raise table.error(
                f"unknown terrain {terrain!r} in the wish list", line, interne, key="terrain"
            )
        earlier = [ln for ln, _, t in entries.get(interne, []) if t == terrain]
        if earlier:
            raise table.error(
                f"{terrain!r} appears twice in the wish list (line {earlier[0]} too)",
                line, interne, key="terrain",
            )
        places.voeux_lines.setdefault(interne, line)
        entries.setdefault(interne, []).append((line, _int_cell(cells["rang_voeu"]), terrain))
    return {
        interne: _ranked(table, interne, wishes) for interne, wishes in entries.items()
    }


def _couples(table: _Table, places: _Places) -> list[dict[str, Any]]:
    """Couples from the long table: one row per joint wish (R-ORD-2)."""
    entries: dict[tuple[str, str], list[tuple[int, int | str, list[str]]]] = {}
    first_line: dict[tuple[str, str], int] = {}
    for line, cells in table.rows:
        members = (cells["interne_a"], cells["interne_b"])
        ident = ", ".join(members)
        for column, member in zip(("interne_a", "interne_b"), members, strict=True):
            if not member:
                raise table.error("missing interne", line, ident, key=column)
        first_line.setdefault(members, line)
        entries.setdefault(members, [])
        pair = [cells["terrain_a"], cells["terrain_b"]]
        if not any(pair) and not cells["rang_voeu"]:
            continue  # a couple without joint wishes
        for column, terrain in zip(("terrain_a", "terrain_b"), pair, strict=True):
            if not terrain:
                raise table.error("missing terrain", line, ident, key=column)
        entries[members].append((line, _int_cell(cells["rang_voeu"]), pair))
    couples = []
    for index, (members, wishes) in enumerate(entries.items()):
        places.rows[f"couples[{index}]"] = (table, first_line[members], ", ".join(members))
        couples.append(
            {"internes": list(members), "voeux": _ranked(table, ", ".join(members), wishes)}
        )
    return couples


_ENTITY_RE = re.compile(r"^(terrains|internes|couples|rounds|maquette\.stages)\[(\d+)\]")
_COUPLE_KEYS = {"internes": "interne_a/interne_b", "voeux": "terrain_a/terrain_b"}
_SLOT_KEYS = {"semestres": "premier_semestre/dernier_semestre"}
_MAQUETTE_KEYS = {"nom": "maquette", "semestres": "maquette_semestres"}


def _place(err: InstanceError, places: _Places) -> InstanceError:
    """The error of the JSON checks, placed in the table and line it came from."""
    entity = err.entity or "instance"
    ident_match = re.search(r"\((.*)\)$", entity)
    ident = ident_match.group(1) if ident_match else None
    match = _ENTITY_RE.match(entity)
    kind = match.group(1) if match else entity
    key = err.key

    def located(table: _Table, line: int | None, ident: str | None, key: str | None):
        return InstanceError(
            err.message, entity=table.where(line, ident), key=key, file=table.file
        )

    if kind == "internes" and key == "voeux" and places.voeux is not None and ident:
        return located(places.voeux, places.voeux_lines.get(ident), ident, "terrain")
    if match and kind != "rounds":
        table, line, row_ident = places.rows[match.group(0)]
        key = {"couples": _COUPLE_KEYS, "maquette.stages": _SLOT_KEYS}.get(kind, {}).get(
            key or "", key
        )
        return located(table, line, row_ident or ident, key)
    if kind == "maquette" and key == "stages" and places.maquette is not None:
        return located(places.maquette, None, None, None)
    if kind == "rounds":
        key = "rounds"
    elif kind == "maquette":
        key = _MAQUETTE_KEYS.get(key or "", key)
    else:
        ident = None
    return located(places.parametres, places.parametre_lines.get(key or ""), ident, key)


def _load(source: _Source) -> Instance:
    doc, places = _document(source)
    try:
        return instance_from_dict(doc)
    except InstanceError as err:
        raise _place(err, places) from None


def load_csv(folder: str | os.PathLike[str]) -> Instance:
    """The instance of a CSV folder (see the module docstring for the encoding)."""
    return _load(_csv_source(Path(folder)))


def load_excel(path: str | os.PathLike[str]) -> Instance:
    """The instance of an ``.xlsx`` workbook with the sheets of the CSV folder."""
    return _load(_excel_source(Path(path)))


# --- document -> tables ---------------------------------------------------------------------


def _join(items: Any, what: str) -> str:
    if items == ALL:
        return ALL
    for item in items:
        if LIST_SEP in item:
            raise ValueError(f"{what} {item!r} contains {LIST_SEP!r}: cannot be written in a cell")
    return LIST_SEP.join(items)


def _text(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | str) and column in _LIST_COLUMNS:
        return _join(value, column)
    return str(value)


def _rounds_text(rounds: list[Mapping[str, Any]]) -> str:
    parts = []
    for round_ in rounds:
        if any(sep in round_["nom"] for sep in (ROUND_SEP, ROUND_NAME_SEP)):
            raise ValueError(f"round nom {round_['nom']!r} cannot be written in parametres")
        parts.append(f"{round_['nom']}{ROUND_NAME_SEP}{_join(round_['categories'], 'category')}")
    return ROUND_SEP.join(parts)


def _tables(instance: Instance) -> dict[str, list[list[str]]]:
    """The rows of every table of ``instance`` (header excluded), as text."""
    doc = instance_to_dict(instance)
    maquette = doc["maquette"]
    parametres = [["format", doc["format"]], ["nom", doc["nom"]]]
    if isinstance(maquette, str):
        parametres.append(["maquette", maquette])
    else:
        parametres += [["maquette", maquette["nom"]],
                       ["maquette_semestres", str(maquette["semestres"])]]
    parametres.append(["obligatoires", _join(doc["obligatoires"], "category")])
    if doc.get("date_choix") is not None:
        parametres.append(["date_choix", doc["date_choix"]])
    parametres += [
        ["interclassement", doc["interclassement"]],
        ["rounds", _rounds_text(doc["rounds"])],
    ]
    tables = {
        "parametres": parametres,
        "terrains": [[_text(c, t.get(c)) for c in COLUMNS["terrains"]] for t in doc["terrains"]],
        "internes": [[_text(c, i.get(c)) for c in COLUMNS["internes"]] for i in doc["internes"]],
        "voeux": [
            [i["id"], str(rank), terrain]
            for i in doc["internes"]
            for rank, terrain in enumerate(i["voeux"], start=1)
        ],
        "couples": [
            row
            for c in doc["couples"]
            for row in (
                [[*c["internes"], str(rank), *pair] for rank, pair in
                 enumerate(c["voeux"], start=1)]
                or [[*c["internes"], "", "", ""]]
            )
        ],
    }
    if not isinstance(maquette, str):
        tables["maquette"] = [
            [s["id"], _join(s["categories"], "category"), *map(str, s["semestres"])]
            for s in maquette["stages"]
        ]
    return tables


def _frame(name: str, rows: list[list[str]], typed: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(COLUMNS[name]), dtype=object)
    if typed:  # numbers as numbers in a workbook
        for column in frame.columns:
            if column in _INT_COLUMNS:
                frame[column] = pd.Series(
                    [int(v) if v else None for v in frame[column]], dtype=object
                )
    return frame


def save_csv(instance: Instance, folder: str | os.PathLike[str]) -> None:
    """Write ``instance`` as a CSV folder, each file atomically; the folder is created.

    A stale ``maquette.csv`` is removed when the maquette is a built-in one.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    tables = _tables(instance)
    for name, rows in tables.items():
        buffer = io.StringIO()
        _frame(name, rows).to_csv(buffer, index=False, lineterminator="\n")
        atomic_write_bytes(target / f"{name}.csv", buffer.getvalue().encode("utf-8"))
    if "maquette" not in tables:
        (target / "maquette.csv").unlink(missing_ok=True)


def save_excel(instance: Instance, path: str | os.PathLike[str]) -> None:
    """Write ``instance`` as an ``.xlsx`` workbook, atomically."""
    tables = _tables(instance)

    def write(temp: Path) -> None:
        with pd.ExcelWriter(temp, engine="openpyxl") as writer:
            for name, rows in tables.items():
                _frame(name, rows, typed=True).to_excel(writer, sheet_name=name, index=False)

    atomic_write(path, write)
