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
``maquettes``    no        ``maquette,semestres,id,categories,premier_semestre,dernier_semestre``:
                           the other inline maquettes (R-MAQ-5), one row per slot, ``semestres``
                           the same on every row of a maquette; an interne names theirs in the
                           ``maquette`` column of ``internes`` (empty: the instance's)
``classements``  no        ``round,interne,rang``: a round's own ranking (R-ROUND-2), one row
                           per interne it lists
===============  ========  =====================================================================

Cells: CSV files are read as French Excel writes them (``,`` or ``;``, UTF-8 with or without
BOM, or Windows-1252; :mod:`affectation.io._sheets`), workbooks cell by cell; file, sheet,
column and parametre names match without regard to case, accents or surrounding spaces. An
empty cell means the key is absent (its FORMAT.md default; ``surnombre`` empty = null). List
cells (``categories``, ``valides``, ``derogations``, ``obligatoires``) are ``;``-separated;
``*`` stands for every category. Booleans are ``true/false``, ``1/0`` or ``oui/non`` (any
case); integers ``2``, ``2.0`` or ``2,0``. Only ``id``, ``categories`` and ``postes``
(terrains), ``id``, ``rang`` and ``semestres_valides`` (internes) and the voeux columns are
required; the other columns may be left out. The writers use ``,`` and UTF-8 and escape texts
that a spreadsheet would run as formulas (:mod:`affectation.io._cells`).

``parametres`` keys: ``format`` (default ``affectation-instance/1``), ``nom``, ``maquette``
(a built-in name, or the nom of the inline maquette when the ``maquette`` table is given),
``maquette_semestres`` (the inline maquette's number of semesters), ``obligatoires``
(``urgences;praticien_n1``; an empty value = none), ``interclassement`` (``rang`` or
``percentile``), ``consolidation`` (``appariement`` or ``choix``, R-MAQ-4) and ``rounds``
encoded as ``nom:cat1;cat2|nom2:*``.

Any other ``.csv`` file in the folder, sheet in the workbook, column or parametre is refused:
a misspelled ``couple.csv`` must not silently drop the couples.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from affectation.errors import InstanceError
from affectation.io._cells import csv_bytes, write_workbook
from affectation.io._files import atomic_write, atomic_write_folder
from affectation.io._sheets import RawTable, norm_name, read_csv_table, read_workbook
from affectation.io.bounds import MAX_SHOWN_CHARS
from affectation.io.json_format import (
    INSTANCE_FORMAT,
    INTERNE_KEYS,
    TERRAIN_KEYS,
    instance_from_dict,
    instance_to_dict,
    show,
)
from affectation.model import ALL, DEFAULT_ROUND, Instance

__all__ = [
    "COLUMNS",
    "PARAMETRES",
    "REQUIRED_COLUMNS",
    "TABLES",
    "csv_files",
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
    "maquettes": ("maquette", "semestres", "id", "categories", "premier_semestre",
                  "dernier_semestre"),
    "classements": ("round", "interne", "rang"),
}
"""The columns of each table, in the order the writers use."""

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "parametres": ("parametre", "valeur"),
    "terrains": ("id", "categories", "postes"),
    "internes": ("id", "rang", "semestres_valides"),
    "voeux": ("interne", "rang_voeu", "terrain"),
    "couples": ("interne_a", "interne_b", "rang_voeu", "terrain_a", "terrain_b"),
    "maquette": ("id", "categories", "premier_semestre", "dernier_semestre"),
    "maquettes": COLUMNS["maquettes"],
    "classements": COLUMNS["classements"],
}

TABLES = tuple(COLUMNS)
REQUIRED_TABLES = ("terrains", "internes", "voeux")

PARAMETRES = (
    "format", "nom", "maquette", "maquette_semestres", "consolidation", "obligatoires",
    "date_choix", "interclassement", "rounds",
)
"""The keys of the ``parametres`` table."""

_INT_COLUMNS = frozenset({
    "postes", "rang", "effectif_promotion", "semestres_valides", "semestres_effectues",
    "rang_voeu", "premier_semestre", "dernier_semestre", "agrement", "semestres",
})
_BOOL_COLUMNS = frozenset({"ambulatoire", "impose", "dernier_de_son_semestre", "voeux_connus"})
_LIST_COLUMNS = frozenset({"categories", "valides", "derogations"})
_TRUE = frozenset({"true", "1", "oui", "vrai", "yes"})
_FALSE = frozenset({"false", "0", "non", "faux", "no"})
_INT_RE = re.compile(r"-?[0-9]{1,20}([.,]0+)?")
"""The integers of a cell as documented: ``2``, ``2.0``, ``2,0`` (ASCII digits; a minus sign
so that the checks say what was expected); ``+3``, ``3.``, other scripts' digits stay text."""


# --- cells ----------------------------------------------------------------------------------


def _int_cell(text: str) -> int | str:
    """An integer, or the text unchanged so that the JSON checks say what was expected."""
    return int(re.split("[.,]", text)[0]) if _INT_RE.fullmatch(text) else text


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
            place = f"feuille {self.name}" if self.excel else None
        else:
            place = f"feuille {self.name}, ligne {line}" if self.excel else f"ligne {line}"
        if ident:
            place = f"{place} ({ident})" if place else ident
        return place

    def error(
        self, message: str, line: int | None = None, ident: str | None = None,
        key: str | None = None,
    ) -> InstanceError:
        return InstanceError(message, entity=self.where(line, ident), key=key, file=self.file)

    @classmethod
    def from_raw(cls, name: str, raw: RawTable) -> _Table:
        """The rows of a raw table under the canonical column names (matched without case,
        accents or surrounding spaces); unknown, duplicated and missing columns refused."""
        excel = raw.sheet is not None
        table = cls(name, raw.file, excel)
        if not raw.header:
            raise table.error("la feuille est vide (attendu une ligne d'en-tête)")
        columns: list[str | None] = []
        seen: dict[str, int] = {}
        problems: list[InstanceError] = []
        for index, given in enumerate(raw.header):
            if not given:
                columns.append(None)  # no name: every cell below must be empty
                continue
            column = norm_name(given)
            if column not in COLUMNS[name]:
                hint = (" ; le fichier mélange les séparateurs (cellules séparées par ';' ou ',')"
                        if "," in given or LIST_SEP in given else _close(column, COLUMNS[name]))
                problems.append(table.error(
                    f"colonne inconnue (attendu : {', '.join(COLUMNS[name])}){hint}",
                    line=1, key=_short(given),
                ))
                columns.append(None)
                continue
            if column in seen:
                problems.append(table.error(
                    f"la colonne apparaît deux fois (colonnes {seen[column] + 1} et {index + 1})",
                    line=1, key=column))
                columns.append(None)
                continue
            seen[column] = index
            columns.append(column)
        for column in REQUIRED_COLUMNS[name]:
            if column not in seen:
                problems.append(table.error("colonne obligatoire absente", line=1, key=column))
        if problems and sum(1 for given in raw.header if given) == 1 and raw.rows:
            # one text alone on the first row: a title above the header
            problems = [table.error(
                f"la première ligne ne contient qu'un texte "
                f"({_short(next(g for g in raw.header if g))}), un titre : supprimez cette "
                "ligne, les noms de colonnes doivent être la première ligne", line=1)]
        if problems:
            raise InstanceError.of(problems)
        for line, values in raw.rows:
            cells = {}
            for column, value in zip(columns, values, strict=True):
                if column is None:
                    if value:
                        problems.append(table.error(
                            f"une valeur ({_short(value)}) dans une colonne sans nom", line))
                    continue
                cells[column] = value
            if any(cells.values()):
                table.rows.append((line, cells))
        if problems:
            raise InstanceError.of(problems)
        return table


def _short(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_CHARS else f"{text[: MAX_SHOWN_CHARS - 1]}…"


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
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv":
            continue
        name = norm_name(path.stem)
        if name not in TABLES:
            raise InstanceError(
                f"table inconnue (attendu : {', '.join(f'{t}.csv' for t in TABLES)})",
                file=str(path),
            )
        if name in files:
            raise InstanceError(f"deux fichiers pour la table {name} ({files[name].name} aussi)",
                                file=str(path))
        files[name] = path
    tables: dict[str, _Table] = {}
    problems: list[InstanceError] = []
    for name in TABLES:
        path = files.get(name)
        if path is None:
            if name in REQUIRED_TABLES:
                raise InstanceError(
                    "fichier absent : un dossier CSV demande "
                    + ", ".join(f"{t}.csv" for t in REQUIRED_TABLES),
                    file=str(folder / f"{name}.csv"),
                )
            continue
        try:
            tables[name] = _Table.from_raw(name, read_csv_table(path))
        except InstanceError as err:
            problems.extend(err.problems)
    if problems:
        raise InstanceError.of(problems)
    return _Source(tables, lambda name: _Table(name, str(folder / f"{name}.csv"), False))


def _excel_source(path: Path) -> _Source:
    file = str(path)
    raw_tables = read_workbook(path)
    by_name: dict[str, RawTable] = {}
    for title, raw in raw_tables.items():
        name = norm_name(title)
        if name not in TABLES:
            raise InstanceError(
                f"feuille inconnue {_short(title)!r} (attendu : {', '.join(TABLES)})", file=file
            )
        if name in by_name:
            raise InstanceError(f"deux feuilles pour la table {name} ({show(by_name[name].sheet)} "
                                f"et {show(title)})", file=file)
        by_name[name] = raw
    for name in REQUIRED_TABLES:
        if name not in by_name:
            raise InstanceError(
                f"feuille absente (un classeur demande les feuilles "
                f"{', '.join(REQUIRED_TABLES)})",
                entity=f"feuille {name}",
                file=file,
            )
    tables = {}
    problems: list[InstanceError] = []
    for name, raw in by_name.items():
        try:
            tables[name] = _Table.from_raw(name, raw)
        except InstanceError as err:
            problems.extend(err.problems)
    if problems:
        raise InstanceError.of(problems)
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
    interne_lines: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[InstanceError] = field(default_factory=list)
    """Problems found in the tables themselves (voeux lines, duplicate ids), all kept."""


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
                f"attendu un entier >= 1, reçu {show(rank)}", line, owner, key="rang_voeu"
            )
    seen: dict[int, int] = {}
    for line, rank, _ in entries:
        if rank in seen:
            raise table.error(
                f"le rang {rank} apparaît deux fois pour {owner} (ligne {seen[rank]} aussi)",
                line, owner, key="rang_voeu",
            )
        seen[rank] = line  # type: ignore[index]
    ordered = sorted(entries, key=lambda e: e[1])
    for expected, (line, rank, _) in enumerate(ordered, start=1):
        if rank != expected:
            raise table.error(
                f"les rangs de {owner} vont de 1 à {len(entries)} sans trou ; "
                f"attendu le rang {expected}, reçu {rank}",
                line, owner, key="rang_voeu",
            )
    return [value for _, _, value in ordered]


def _parametres(source: _Source, doc: dict[str, Any], places: _Places) -> None:
    table = places.parametres
    for line, cells in table.rows:
        key, value = norm_name(cells.get("parametre", "")), cells.get("valeur", "")
        if key not in PARAMETRES:
            raise table.error(
                f"paramètre inconnu (attendu l'un de : {', '.join(PARAMETRES)})",
                line, key=_short(key) or "parametre",
            )
        if key in places.parametre_lines:
            raise table.error(
                f"donné deux fois (ligne {places.parametre_lines[key]} aussi)", line, key=key
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
                "maquette_semestres est pour une maquette décrite dans le fichier : ajoutez la "
                "table maquette",
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
                f"attendu nom:cat1;cat2|nom2:* pour chaque tour, reçu {show(part.strip())}",
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
        places.interne_lines.append((line, record))
        doc["internes"].append(record)

    voeux = _voeux(source.get_or_empty("voeux"), doc, terrain_ids, places)
    for record in doc["internes"]:
        record["voeux"] = voeux.get(record.get("id"), [])

    couples_table = source.get("couples")
    doc["couples"] = [] if couples_table is None else _couples(couples_table, places)
    maquettes_table = source.get("maquettes")
    if maquettes_table is not None:
        doc["maquettes"] = _maquettes(maquettes_table, places)
    classements_table = source.get("classements")
    if classements_table is not None:
        _classements(classements_table, doc, places)
    return doc, places


def _maquettes(table: _Table, places: _Places) -> list[dict[str, Any]]:
    """The other inline maquettes (R-MAQ-5), one row per slot, grouped by ``maquette``."""
    maquettes: dict[str, dict[str, Any]] = {}
    for line, record in _records(table):
        nom = record.pop("maquette", None)
        if not nom:
            raise table.error("nom de maquette manquant", line, key="maquette")
        semestres = record.pop("semestres", None)
        maquette = maquettes.setdefault(nom, {"nom": nom, "semestres": semestres, "stages": []})
        if semestres != maquette["semestres"]:
            raise table.error(
                f"semestres {show(semestres)} ; la maquette {nom} en a "
                f"{show(maquette['semestres'])} sur une ligne précédente", line, nom,
                key="semestres")
        index = len(maquette["stages"])
        places.rows[f"maquettes[{len(maquettes) - 1}].stages[{index}]"] = (table, line, nom)
        places.rows.setdefault(f"maquettes[{len(maquettes) - 1}]", (table, line, nom))
        first, last = record.pop("premier_semestre", None), record.pop("dernier_semestre", None)
        record["semestres"] = [first, last]
        maquette["stages"].append(record)
    return [{k: v for k, v in m.items() if v is not None} for m in maquettes.values()]


def _classements(table: _Table, doc: dict[str, Any], places: _Places) -> None:
    """Each round's own ranking (R-ROUND-2), one row per interne listed."""
    rounds = doc.setdefault("rounds", [{"nom": DEFAULT_ROUND.nom, "categories": ALL}])
    names = [r.get("nom") for r in rounds] if isinstance(rounds, list) else []
    for line, cells in table.rows:
        nom, interne = cells.get("round", ""), cells.get("interne", "")
        if nom not in names:
            raise table.error(
                f"tour inconnu {show(nom)} (tours : {', '.join(map(str, names)) or 'aucun'})",
                line, interne or None, key="round")
        if not interne:
            raise table.error("interne manquant", line, key="interne")
        rank = _int_cell(cells.get("rang", ""))
        round_ = rounds[names.index(nom)]
        classement = round_.setdefault("classement", {})
        if interne in classement:
            raise table.error(f"{interne} figure deux fois dans le classement du tour {nom}",
                              line, interne, key="interne")
        classement[interne] = rank
        places.rows.setdefault(f"classements:{nom}", (table, line, None))


def _voeux(
    table: _Table, doc: dict[str, Any], terrain_ids: set[Any], places: _Places
) -> dict[str, list[str]]:
    """Wish lists from the long table, checked line by line (R-VOE-1)."""
    places.voeux = table
    interne_ids = {i.get("id") for i in doc["internes"]}
    entries: dict[str, list[tuple[int, int | str, str]]] = {}
    seen: dict[tuple[str, str], int] = {}
    broken: set[str] = set()  # internes with a bad line: their ranks are not checked
    unknown: dict[str, list[int]] = {}  # unknown interne -> their lines, one problem each
    for line, cells in table.rows:
        interne, terrain = cells["interne"], cells["terrain"]
        if not interne:
            places.problems.append(table.error("interne absent", line, key="interne"))
            continue
        if interne not in interne_ids:
            unknown.setdefault(interne, []).append(line)
            continue
        problem = None
        if not terrain:
            problem = table.error("terrain absent", line, interne, key="terrain")
        elif terrain not in terrain_ids:
            problem = table.error(
                f"terrain inconnu {show(terrain)} dans la liste de vœux"
                f"{_close(terrain, terrain_ids)}", line, interne, key="terrain")
        else:
            earlier = seen.setdefault((interne, terrain), line)
            if earlier != line:
                problem = table.error(
                    f"{show(terrain)} apparaît deux fois dans la liste de vœux "
                    f"(ligne {earlier} aussi)",
                    line, interne, key="terrain")
        if problem is not None:
            places.problems.append(problem)
            broken.add(interne)
            continue
        places.voeux_lines.setdefault(interne, line)
        entries.setdefault(interne, []).append((line, _int_cell(cells["rang_voeu"]), terrain))
    repeated = [(line, record.get("id")) for line, record in places.interne_lines
                if [r.get("id") for _, r in places.interne_lines].count(record.get("id")) > 1]
    for interne, lines in unknown.items():
        where = f" ({len(lines)} lignes : de {lines[0]} à {lines[-1]})" if len(lines) > 1 else ""
        hint = (f" ; la table internes répète un identifiant (ligne {repeated[-1][0]}, "
                f"{show(repeated[-1][1])}) : cette ligne était-elle celle de {show(interne)} ?"
                if repeated else _close(interne, interne_ids))
        places.problems.append(table.error(f"interne inconnu {show(interne)}{where}{hint}",
                                           lines[0], interne, key="interne"))
    ranked = {}
    for interne, wishes in entries.items():
        if interne in broken:
            continue
        try:
            ranked[interne] = _ranked(table, interne, wishes)
        except InstanceError as err:
            places.problems.extend(err.problems)
    return ranked


def _couples(table: _Table, places: _Places) -> list[dict[str, Any]]:
    """Couples from the long table: one row per joint wish (R-ORD-2)."""
    entries: dict[tuple[str, str], list[tuple[int, int | str, list[str]]]] = {}
    first_line: dict[tuple[str, str], int] = {}
    for line, cells in table.rows:
        members = (cells["interne_a"], cells["interne_b"])
        ident = ", ".join(members)
        for column, member in zip(("interne_a", "interne_b"), members, strict=True):
            if not member:
                raise table.error("interne absent", line, ident, key=column)
        first_line.setdefault(members, line)
        entries.setdefault(members, [])
        pair = [cells["terrain_a"], cells["terrain_b"]]
        if not any(pair) and not cells["rang_voeu"]:
            continue  # a couple without joint wishes
        for column, terrain in zip(("terrain_a", "terrain_b"), pair, strict=True):
            if not terrain:
                raise table.error("terrain absent", line, ident, key=column)
        entries[members].append((line, _int_cell(cells["rang_voeu"]), pair))
    couples = []
    for index, (members, wishes) in enumerate(entries.items()):
        places.rows[f"couples[{index}]"] = (table, first_line[members], ", ".join(members))
        couples.append(
            {"internes": list(members), "voeux": _ranked(table, ", ".join(members), wishes)}
        )
    return couples


_FIRST = re.compile(r"\(((?:terrains|internes)\[\d+\]) l'a déjà\)")
_ENTITY_RE = re.compile(
    r"^(terrains|internes|couples|rounds|maquette\.stages|maquettes\[\d+\]\.stages|maquettes)"
    r"\[(\d+)\]")
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
            _FIRST.sub(first_line, err.message), entity=table.where(line, ident), key=key,
            file=table.file,
        )

    def first_line(match: re.Match[str]) -> str:
        place = places.rows.get(match.group(1))
        return f"(déjà en {place[0].where(place[1])})" if place else match.group(0)

    if kind == "internes" and key == "voeux" and places.voeux is not None and ident:
        return located(places.voeux, places.voeux_lines.get(ident), ident, "terrain")
    if kind == "rounds" and key == "classement" and ident and f"classements:{ident}" in \
            places.rows:
        table, line, _ = places.rows[f"classements:{ident}"]
        return located(table, None, ident, "classement")
    if match and kind != "rounds" and match.group(0) in places.rows:
        table, line, row_ident = places.rows[match.group(0)]
        key = {"couples": _COUPLE_KEYS, "maquette.stages": _SLOT_KEYS}.get(
            kind if not kind.startswith("maquettes[") else "maquette.stages", {}
        ).get(key or "", key)
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
    problems = list(places.problems)
    try:
        instance = instance_from_dict(doc)
    except InstanceError as err:
        problems += [_place(problem, places) for problem in err.problems]
    if problems:
        raise InstanceError.of(sorted(_unique(problems), key=_reading_order))
    return instance


_LINE = re.compile(r"\bligne (\d+)")


def _reading_order(problem: InstanceError) -> tuple[int, str, int]:
    """Problems in the order a person reads the tables: by table (terrains before internes
    before voeux), then by line."""
    name = norm_name(Path(problem.file or "").stem)
    match = _LINE.search(problem.entity or "")
    table = TABLES.index(name) if name in TABLES else len(TABLES)
    return (table, problem.file or "", int(match.group(1)) if match else 0)


def _unique(problems: list[InstanceError]) -> list[InstanceError]:
    """Each problem once (a duplicate id is found by the table and by the JSON checks)."""
    seen: set[str] = set()
    kept = []
    for problem in problems:
        text = problem.line()
        if text not in seen:
            seen.add(text)
            kept.append(problem)
    return kept


def _close(wanted: str, known: Any) -> str:
    """``"; did you mean 'X'?"`` for the known name closest to ``wanted``, else nothing."""
    import difflib

    close = difflib.get_close_matches(wanted, [k for k in known if isinstance(k, str)], n=1)
    return f" ; vouliez-vous dire {close[0]!r} ?" if close else ""


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
            raise ValueError(f"{what} {item!r} contient {LIST_SEP!r} : impossible à écrire "
                             "dans une cellule")
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
            raise ValueError(f"le nom de tour {round_['nom']!r} ne peut pas s'écrire dans "
                             "parametres")
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
    if doc.get("consolidation") is not None:
        parametres.append(["consolidation", doc["consolidation"]])
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
    if doc.get("maquettes"):
        tables["maquettes"] = [
            [m["nom"], str(m["semestres"]), s["id"], _join(s["categories"], "category"),
             *map(str, s["semestres"])]
            for m in doc["maquettes"] for s in m["stages"]
        ]
    classements = [[r["nom"], interne, str(rank)] for r in doc["rounds"]
                   for interne, rank in r.get("classement", {}).items()]
    if classements:
        tables["classements"] = classements
    if not isinstance(maquette, str):
        tables["maquette"] = [
            [s["id"], _join(s["categories"], "category"), *map(str, s["semestres"])]
            for s in maquette["stages"]
        ]
    return tables


def _typed(name: str, rows: list[list[str]]) -> list[list[str | int | None]]:
    """Numbers as numbers (and empty cells empty) in a workbook."""
    columns = COLUMNS[name]
    return [
        [(int(v) if v else None) if c in _INT_COLUMNS else v for c, v in zip(columns, row,
                                                                               strict=True)]
        for row in rows
    ]


TABLE_FILES = frozenset(f"{name}.csv" for name in TABLES)
"""The files a CSV folder may hold; ``save_csv`` replaces a folder holding only these."""


def csv_files(instance: Instance, dialect: str = "plain") -> dict[str, bytes]:
    """The files of the CSV folder of ``instance`` (see :func:`save_csv`), by name."""
    options = {"plain": {"sep": ",", "bom": False}, "excel-fr": {"sep": ";", "bom": True}}
    if dialect not in options:
        raise ValueError(f"dialecte CSV inconnu {dialect!r} (connus : plain, excel-fr)")
    return {f"{name}.csv": csv_bytes(COLUMNS[name], rows, **options[dialect])
            for name, rows in _tables(instance).items()}


def save_csv(instance: Instance, folder: str | os.PathLike[str], *,
             dialect: str = "plain") -> None:
    """Write ``instance`` as a CSV folder, the whole folder atomically: ``dialect="plain"``
    (comma-separated UTF-8) or ``"excel-fr"`` (``;`` and UTF-8 with a BOM, what French Excel
    opens by a double click); both are read back the same.

    The folder is written beside and renamed into place; an existing folder is replaced only
    if it holds nothing but table files (``OutputError`` otherwise), so a stale
    ``maquette.csv`` never survives. Text cells are formula-escaped (io/_cells.py).
    """
    files = csv_files(instance, dialect)

    def write(temp: Path) -> None:
        for name, data in files.items():
            (temp / name).write_bytes(data)

    atomic_write_folder(folder, write, replaceable=TABLE_FILES)


def save_excel(instance: Instance, path: str | os.PathLike[str]) -> None:
    """Write ``instance`` as an ``.xlsx`` workbook, atomically; texts never become formulas."""
    tables = _tables(instance)
    sheets = {name: (COLUMNS[name], _typed(name, rows)) for name, rows in tables.items()}
    atomic_write(path, lambda temp: write_workbook(temp, sheets))
