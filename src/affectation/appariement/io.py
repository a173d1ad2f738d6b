"""Appariement files (FORMAT.md "Appariement"): JSON, a CSV folder, a workbook; results.

Readers reuse the project's strict JSON reader (:mod:`affectation.io._strict_json`), CSV
dialect and encoding detection and cell-by-cell Excel reading (:mod:`affectation.io._sheets`)
and bounds (:mod:`affectation.io.bounds`). Unlike the instance loader, which stops at the
first problem, these list **every** problem of the file in one
:class:`~affectation.appariement.model.AppariementError` (file, entity, key, in French), so an
ARS can send a file back once. Writers are atomic (:mod:`affectation.io._files`) and
formula-safe (:mod:`affectation.io._cells`); the same value always gives the same bytes.

CSV folder / workbook tables: ``terrains`` (id, nom, ville, postes, zip, msu), ``classements``
(terrain, dj, groupe: one row per terrain, DJ and group number), ``docteurs_juniors`` (id, nom,
prenom, subdivision, reconduction), ``voeux`` (dj, terrain, rang), and optionally
``parametres`` (parametre, valeur: nom, tour, voeux_min, classement_min, tour2_part_min,
dj_par_msu). Names are matched without case or accents; lists (``msu``) are separated by
``;`` inside a cell.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from affectation.appariement.model import (
    FORMAT,
    RESULTAT_FORMAT,
    Affectation,
    Appariement,
    AppariementError,
    Decision,
    DocteurJunior,
    Regles,
    Resultat,
    Terrain,
    capacite,
)
from affectation.errors import InstanceError
from affectation.io._cells import Cell, csv_bytes, write_workbook
from affectation.io._files import atomic_write, atomic_write_bytes, atomic_write_folder
from affectation.io._sheets import RawTable, norm_name, read_csv_table, read_workbook
from affectation.io._strict_json import read_json, shorten
from affectation.io.bounds import INTEGER_BOUNDS, MAX_COUNT, MAX_ID_CHARS
from affectation.langue import nombre

__all__ = [
    "TABLES",
    "appariement_from_dict",
    "appariement_to_dict",
    "dumps",
    "load_appariement",
    "load_resultat",
    "resultat_from_dict",
    "resultat_to_dict",
    "save_appariement",
    "save_resultat",
]

PathLike = str | os.PathLike[str]

TOP_KEYS = ("format", "nom", "tour", "regles", "terrains", "docteurs_juniors")
REGLES_KEYS = ("voeux_min", "classement_min", "tour2_part_min", "dj_par_msu")
TERRAIN_KEYS = ("id", "nom", "ville", "postes", "zip", "msu", "classement")
DJ_KEYS = ("id", "nom", "prenom", "subdivision", "voeux", "reconduction")
RESULT_KEYS = ("format", "methode", "tour", "taille", "affectations", "vacants", "instables",
               "decisions", "tirage", "solveur")
AFFECTATION_KEYS = ("dj", "terrain", "voeu", "reconduction", "tour")

TABLES: dict[str, tuple[str, ...]] = {
    "terrains": ("id", "nom", "ville", "postes", "zip", "msu"),
    "classements": ("terrain", "dj", "groupe"),
    "docteurs_juniors": ("id", "nom", "prenom", "subdivision", "reconduction"),
    "voeux": ("dj", "terrain", "rang"),
    "parametres": ("parametre", "valeur"),
}
REQUIRED = {"terrains": ("id", "postes"), "classements": ("terrain", "dj", "groupe"),
            "docteurs_juniors": ("id",), "voeux": ("dj", "terrain", "rang"),
            "parametres": ("parametre", "valeur")}
REQUIRED_TABLES = ("terrains", "classements", "docteurs_juniors", "voeux")
PARAMETRES = ("nom", "tour", *REGLES_KEYS)
_TRUE = frozenset({"true", "1", "oui", "vrai", "yes"})
_FALSE = frozenset({"false", "0", "non", "faux", "no"})
_INT = re.compile(r"[+-]?\d{1,20}([.,]0*)?")


def dumps(doc: Any) -> bytes:
    """JSON bytes as the library writes them (deterministic)."""
    from affectation.io import dumps as project_dumps

    return project_dumps(doc)


# --- problems --------------------------------------------------------------------------------


class _Problems:
    """Every problem of one file, in the order found."""

    def __init__(self) -> None:
        self.items: list[InstanceError] = []

    def add(self, message: str, entity: str | None, key: str | None = None) -> None:
        if len(self.items) < 200:  # a file broken everywhere: the first 200 say enough
            self.items.append(InstanceError(message, entity=entity, key=key))

    def raise_if_any(self, file: str | None = None) -> None:
        if self.items:
            raise AppariementError(self.items, file)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "un booléen"
    if isinstance(value, int | float):
        return f"le nombre {value!r}"
    if isinstance(value, str):
        return f"le texte « {shorten(value, 40)} »"
    if isinstance(value, list):
        return "une liste"
    return "un objet"


def _ident(value: Any, p: _Problems, entity: str, key: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        p.add(f"attendu un identifiant (texte non vide), trouvé {_kind(value)}", entity, key)
        return None
    if len(value) > MAX_ID_CHARS:
        p.add(f"identifiant de {len(value)} caractères (au plus {MAX_ID_CHARS})", entity, key)
        return None
    return value


def _text(value: Any, p: _Problems, entity: str, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        p.add(f"attendu un texte, trouvé {_kind(value)}", entity, key)
        return ""
    return value


def _bool(value: Any, p: _Problems, entity: str, key: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        p.add(f"attendu true ou false, trouvé {_kind(value)}", entity, key)
        return default
    return value


def _int(value: Any, p: _Problems, entity: str, key: str, bounds: tuple[int, int],
         default: int) -> int:
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        p.add(f"attendu un entier, trouvé {_kind(value)}", entity, key)
        return default
    low, high = bounds
    if key == "postes" and value < 0:
        p.add(f"postes négatifs ({value}) : attendu un entier ≥ 0", entity, key)
        return default
    if not low <= value <= high:
        p.add(f"attendu un entier entre {low} et {high}, trouvé {value}", entity, key)
        return default
    return value


def _list(value: Any, p: _Problems, entity: str, key: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        p.add(f"attendu une liste, trouvé {_kind(value)}", entity, key)
        return []
    if len(value) > MAX_COUNT:
        p.add(f"une liste de {nombre(len(value))} éléments (au plus {nombre(MAX_COUNT)})",
              entity, key)
        return []
    return value


def _object(value: Any, p: _Problems, entity: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        p.add(f"attendu un objet, trouvé {_kind(value)}", entity)
        return {}
    for key in value:
        if key not in keys:
            p.add(f"clé inconnue (attendu : {', '.join(keys)})", entity, shorten(str(key), 40))
    return value


def _share(value: Any, p: _Problems, entity: str, key: str, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and 0 <= value <= 1):
        p.add(f"attendu une part entre 0 et 1, trouvé {_kind(value)}", entity, key)
        return default
    return float(value)


# --- JSON document -> values ----------------------------------------------------------------


def _regles(doc: Any, p: _Problems) -> Regles:
    if doc is None:
        return Regles()
    doc = _object(doc, p, "regles", REGLES_KEYS)
    base = Regles()
    values: dict[str, Any] = {}
    if "voeux_min" in doc:
        values["voeux_min"] = _int(doc["voeux_min"], p, "regles", "voeux_min", (0, 1000),
                                   base.voeux_min)
    for key in ("classement_min", "tour2_part_min"):
        if key in doc:
            values[key] = _share(doc[key], p, "regles", key, getattr(base, key))
    if "dj_par_msu" in doc:
        values["dj_par_msu"] = (None if doc["dj_par_msu"] is None else
                                _int(doc["dj_par_msu"], p, "regles", "dj_par_msu", (1, 100), 2))
    return Regles(**values)


def _terrain(index: int, doc: Any, p: _Problems) -> Terrain | None:
    ident = doc.get("id") if isinstance(doc, dict) else None
    entity = f"terrains[{index}]" + (f" ({shorten(ident, 40)})" if isinstance(ident, str) else "")
    doc = _object(doc, p, entity, TERRAIN_KEYS)
    if not doc:
        return None
    ident = _ident(doc.get("id"), p, entity, "id")
    if "postes" not in doc:
        p.add("clé obligatoire absente", entity, "postes")
    postes = _int(doc.get("postes"), p, entity, "postes", INTEGER_BOUNDS["postes"], 0) \
        if "postes" in doc else 0
    if "classement" not in doc:
        p.add("clé obligatoire absente (une liste de groupes, [] si le terrain ne classe "
              "personne)", entity, "classement")
    groups = []
    for g, group in enumerate(_list(doc.get("classement"), p, entity, "classement"), start=1):
        if not isinstance(group, list):
            p.add(f"groupe {g} : attendu une liste d'identifiants de DJ, trouvé {_kind(group)}",
                  entity, "classement")
            continue
        members = [m for m in (_ident(m, p, entity, "classement") for m in group) if m]
        groups.append(tuple(members))
    msu = [m for m in (_ident(m, p, entity, "msu")
                       for m in _list(doc.get("msu"), p, entity, "msu")) if m]
    if ident is None:
        return None
    return Terrain(ident, postes, groups, nom=_text(doc.get("nom"), p, entity, "nom"),
                   ville=_text(doc.get("ville"), p, entity, "ville"),
                   zip=_bool(doc.get("zip"), p, entity, "zip", False), msu=msu)


def _dj(index: int, doc: Any, p: _Problems) -> DocteurJunior | None:
    ident = doc.get("id") if isinstance(doc, dict) else None
    entity = f"docteurs_juniors[{index}]" + (
        f" ({shorten(ident, 40)})" if isinstance(ident, str) else "")
    doc = _object(doc, p, entity, DJ_KEYS)
    if not doc:
        return None
    ident = _ident(doc.get("id"), p, entity, "id")
    if "voeux" not in doc:
        p.add("clé obligatoire absente (la liste ordonnée des terrains)", entity, "voeux")
    voeux = [v for v in (_ident(v, p, entity, "voeux")
                         for v in _list(doc.get("voeux"), p, entity, "voeux")) if v]
    renewal = doc.get("reconduction")
    renewal = None if renewal is None else _ident(renewal, p, entity, "reconduction")
    if ident is None:
        return None
    return DocteurJunior(ident, voeux, nom=_text(doc.get("nom"), p, entity, "nom"),
                         prenom=_text(doc.get("prenom"), p, entity, "prenom"),
                         subdivision=_bool(doc.get("subdivision"), p, entity, "subdivision",
                                           True),
                         reconduction=renewal)


def appariement_from_dict(doc: Mapping[str, Any], file: str | None = None) -> Appariement:
    """An :class:`Appariement` from its JSON document; every problem in one
    :class:`AppariementError`."""
    p = _Problems()
    doc = _object(dict(doc), p, "appariement", TOP_KEYS)
    if "format" in doc and doc["format"] != FORMAT:
        p.add(f"attendu « {FORMAT} », trouvé {_kind(doc['format'])}", "appariement", "format")
    tour = _int(doc.get("tour", 1), p, "appariement", "tour", (1, 2), 1)
    regles = _regles(doc.get("regles"), p)
    for key in ("terrains", "docteurs_juniors"):
        if key not in doc:
            p.add("clé obligatoire absente", "appariement", key)
    terrains = [t for i, d in enumerate(_list(doc.get("terrains"), p, "appariement",
                                              "terrains")) if (t := _terrain(i, d, p))]
    djs = [d for i, e in enumerate(_list(doc.get("docteurs_juniors"), p, "appariement",
                                         "docteurs_juniors")) if (d := _dj(i, e, p))]
    nom = _text(doc.get("nom"), p, "appariement", "nom")
    try:
        value = Appariement(terrains, djs, regles, nom=nom, tour=tour)
    except AppariementError as err:
        p.items.extend(err.problems)
        value = None
    p.raise_if_any(file)
    assert value is not None
    return value


def appariement_to_dict(instance: Appariement) -> dict[str, Any]:
    """The JSON document of ``instance`` (FORMAT.md key order)."""
    r = instance.regles
    return {
        "format": FORMAT,
        "nom": instance.nom,
        "tour": instance.tour,
        "regles": {"voeux_min": r.voeux_min, "classement_min": r.classement_min,
                   "tour2_part_min": r.tour2_part_min, "dj_par_msu": r.dj_par_msu},
        "terrains": [{"id": t.id, "nom": t.nom, "ville": t.ville, "postes": t.postes,
                      "zip": t.zip, "msu": list(t.msu),
                      "classement": [list(g) for g in t.classement]} for t in instance.terrains],
        "docteurs_juniors": [{"id": d.id, "nom": d.nom, "prenom": d.prenom,
                              "subdivision": d.subdivision, "voeux": list(d.voeux),
                              "reconduction": d.reconduction}
                             for d in instance.docteurs_juniors],
    }


# --- CSV folder and workbook ----------------------------------------------------------------


def _columns(name: str, raw: RawTable, p: _Problems, where: str) -> list[str | None] | None:
    if not raw.header:
        p.add("table vide (une ligne d'en-tête attendue)", where)
        return None
    columns: list[str | None] = []
    for given in raw.header:
        column = norm_name(given) if given else None
        if column == "rang_voeu":
            column = "rang"
        if column is not None and column not in TABLES[name]:
            p.add(f"colonne inconnue (attendu : {', '.join(TABLES[name])})", where,
                  shorten(given, 40))
            column = None
        elif column is not None and column in columns:
            p.add("colonne en double", where, column)
            column = None
        columns.append(column)
    missing = [c for c in REQUIRED[name] if c not in columns]
    for column in missing:
        p.add("colonne obligatoire absente", where, column)
    return None if missing else columns


def _rows(name: str, raw: RawTable, p: _Problems) -> list[tuple[str, dict[str, str]]]:
    where = f"feuille {raw.sheet}" if raw.sheet is not None else f"table {name}"
    columns = _columns(name, raw, p, where)
    if columns is None:
        return []
    rows = []
    for line, cells in raw.rows:
        entity = (f"feuille {raw.sheet}, ligne {line}" if raw.sheet is not None
                  else f"{Path(raw.file).name}, ligne {line}")
        row = {c: v for c, v in zip(columns, cells, strict=False) if c and v}
        if row:
            rows.append((entity, row))
    return rows


def _cell_int(text: str, p: _Problems, entity: str, key: str) -> int | None:
    if not _INT.fullmatch(text):
        p.add(f"attendu un entier, trouvé « {shorten(text, 40)} »", entity, key)
        return None
    return int(re.split("[.,]", text)[0])


def _cell_bool(text: str, p: _Problems, entity: str, key: str) -> bool | None:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    p.add(f"attendu oui ou non, trouvé « {shorten(text, 40)} »", entity, key)
    return None


def _cell_share(text: str, p: _Problems, entity: str, key: str) -> float | None:
    try:
        value = float(text.replace(",", ".").rstrip("%").strip())
    except ValueError:
        p.add(f"attendu une part (0,8 ou 80 %), trouvé « {shorten(text, 40)} »", entity, key)
        return None
    return value / 100 if text.strip().endswith("%") else value


def _document(tables: dict[str, RawTable], p: _Problems) -> dict[str, Any]:
    """The JSON document the tables stand for; row problems named by file and line."""
    doc: dict[str, Any] = {"format": FORMAT, "regles": {}}
    for entity, row in _rows("parametres", tables["parametres"], p) \
            if "parametres" in tables else []:
        key = norm_name(row.get("parametre", ""))
        value = row.get("valeur", "")
        if key not in PARAMETRES:
            p.add(f"paramètre inconnu (attendu : {', '.join(PARAMETRES)})", entity,
                  shorten(row.get("parametre", ""), 40))
        elif key == "nom":
            doc["nom"] = value
        elif key in ("tour", "voeux_min"):
            number = _cell_int(value, p, entity, key)
            if number is not None:
                (doc if key == "tour" else doc["regles"])[key] = number
        elif key == "dj_par_msu":
            number = None if value.lower() in ("", "aucun", "null") else _cell_int(
                value, p, entity, key)
            doc["regles"][key] = number
        else:
            share = _cell_share(value, p, entity, key)
            if share is not None:
                doc["regles"][key] = share
    terrains: list[dict[str, Any]] = []
    index: dict[str, dict[str, Any]] = {}
    for entity, row in _rows("terrains", tables["terrains"], p):
        item: dict[str, Any] = {"id": row.get("id", ""), "classement": []}
        for key in ("nom", "ville"):
            if key in row:
                item[key] = row[key]
        if "postes" in row:
            number = _cell_int(row["postes"], p, f"{entity} ({item['id']})", "postes")
            item["postes"] = 0 if number is None else number
        else:
            p.add("valeur obligatoire absente", entity, "postes")
            item["postes"] = 0
        if "zip" in row:
            flag = _cell_bool(row["zip"], p, entity, "zip")
            item["zip"] = bool(flag)
        if "msu" in row:
            item["msu"] = [m.strip() for m in row["msu"].split(";") if m.strip()]
        terrains.append(item)
        index.setdefault(item["id"], item)
    seen: dict[tuple[str, str], str] = {}
    groups: dict[str, dict[int, list[str]]] = {}
    for entity, row in _rows("classements", tables["classements"], p):
        terrain, dj = row.get("terrain", ""), row.get("dj", "")
        number = _cell_int(row.get("groupe", ""), p, entity, "groupe")
        if number is None:
            continue
        if number < 1:
            p.add(f"groupe {number} : attendu un entier ≥ 1", entity, "groupe")
            continue
        if terrain not in index:
            p.add(f"terrain inconnu « {shorten(terrain, 40)} »", entity, "terrain")
            continue
        if (terrain, dj) in seen:
            p.add(f"le DJ « {shorten(dj, 40)} » est classé deux fois par le terrain "
                  f"« {terrain} » (déjà {seen[terrain, dj]})", entity, "dj")
            continue
        seen[terrain, dj] = entity
        groups.setdefault(terrain, {}).setdefault(number, []).append(dj)
    for terrain, by_number in groups.items():
        index[terrain]["classement"] = [by_number[n] for n in sorted(by_number)]
    djs: list[dict[str, Any]] = []
    by_dj: dict[str, dict[str, Any]] = {}
    for entity, row in _rows("docteurs_juniors", tables["docteurs_juniors"], p):
        item = {"id": row.get("id", ""), "voeux": []}
        for key in ("nom", "prenom", "reconduction"):
            if key in row:
                item[key] = row[key]
        if "subdivision" in row:
            flag = _cell_bool(row["subdivision"], p, entity, "subdivision")
            item["subdivision"] = True if flag is None else flag
        djs.append(item)
        by_dj.setdefault(item["id"], item)
    wishes: dict[str, dict[int, tuple[str, str]]] = {}
    for entity, row in _rows("voeux", tables["voeux"], p):
        dj, terrain = row.get("dj", ""), row.get("terrain", "")
        rank = _cell_int(row.get("rang", ""), p, entity, "rang")
        if rank is None:
            continue
        if dj not in by_dj:
            p.add(f"DJ inconnu « {shorten(dj, 40)} »", entity, "dj")
            continue
        if rank in wishes.setdefault(dj, {}):
            p.add(f"le rang {rank} est donné deux fois pour ce DJ (déjà "
                  f"{wishes[dj][rank][1]})", entity, "rang")
            continue
        wishes[dj][rank] = (terrain, entity)
    for dj, ranks in wishes.items():
        ordered = sorted(ranks)
        if ordered != list(range(1, len(ordered) + 1)):
            p.add(f"les rangs des vœux doivent aller de 1 à {len(ordered)} sans trou, trouvé "
                  f"{', '.join(map(str, ordered[:10]))}", f"voeux ({dj})", "rang")
        by_dj[dj]["voeux"] = [ranks[r][0] for r in ordered]
    doc["terrains"] = terrains
    doc["docteurs_juniors"] = djs
    return doc


def _load_tables(tables: dict[str, RawTable], file: str, what: str) -> Appariement:
    p = _Problems()
    known: dict[str, RawTable] = {}
    for title, raw in tables.items():
        name = norm_name(title)
        if name not in TABLES:
            p.add(f"{what} inconnue « {shorten(title, 40)} » (attendu : {', '.join(TABLES)})",
                  None)
        elif name in known:
            p.add(f"deux {what}s pour la table {name}", None)
        else:
            known[name] = raw
    for name in REQUIRED_TABLES:
        if name not in known:
            p.add(f"{what} obligatoire absente (il faut : {', '.join(REQUIRED_TABLES)})",
                  name)
    p.raise_if_any(file)
    doc = _document(known, p)
    problems = list(p.items)
    try:
        value = appariement_from_dict(doc, None)
    except AppariementError as err:
        problems += list(err.problems)
    else:
        if not problems:
            return value
    raise AppariementError(problems, file)


def load_appariement(path: PathLike) -> Appariement:
    """The appariement in ``path``: a CSV folder, an ``.xlsx`` workbook, else JSON. Bad input
    is one :class:`AppariementError` listing every problem (file, entity, key)."""
    source = Path(path)
    try:
        if source.is_dir():
            tables = {}
            for item in sorted(source.iterdir()):
                if item.suffix.lower() == ".csv":
                    tables[item.stem] = read_csv_table(item)
            return _load_tables(tables, str(source), "table")
        if source.suffix.lower() == ".xlsx":
            return _load_tables(read_workbook(source), str(source), "feuille")
        doc = read_json(source, "appariement")
        return appariement_from_dict(doc, str(source))
    except AppariementError:
        raise
    except InstanceError as err:
        raise AppariementError([err], str(source)) from None


def _instance_tables(instance: Appariement) -> dict[str, tuple[list[str], list[list[Cell]]]]:
    r = instance.regles
    return {
        "parametres": (["parametre", "valeur"], [
            ["nom", instance.nom], ["tour", instance.tour], ["voeux_min", r.voeux_min],
            ["classement_min", r.classement_min], ["tour2_part_min", r.tour2_part_min],
            ["dj_par_msu", "aucun" if r.dj_par_msu is None else r.dj_par_msu]]),
        "terrains": (list(TABLES["terrains"]), [
            [t.id, t.nom, t.ville, t.postes, "oui" if t.zip else "non", ";".join(t.msu)]
            for t in instance.terrains]),
        "classements": (list(TABLES["classements"]), [
            [t.id, d, g] for t in instance.terrains
            for g, group in enumerate(t.classement, start=1) for d in group]),
        "docteurs_juniors": (list(TABLES["docteurs_juniors"]), [
            [d.id, d.nom, d.prenom, "oui" if d.subdivision else "non", d.reconduction or ""]
            for d in instance.docteurs_juniors]),
        "voeux": (list(TABLES["voeux"]), [
            [d.id, t, rank] for d in instance.docteurs_juniors
            for rank, t in enumerate(d.voeux, start=1)]),
    }


def save_appariement(instance: Appariement, path: PathLike) -> None:
    """Write ``instance`` as JSON, an ``.xlsx`` workbook or (a name without a suffix) a CSV
    folder in the French Excel dialect; atomically."""
    target = Path(path)
    if target.suffix.lower() == ".json":
        atomic_write_bytes(target, dumps(appariement_to_dict(instance)))
    elif target.suffix.lower() == ".xlsx":
        atomic_write(target, lambda temp: write_workbook(temp, _instance_tables(instance)))
    elif target.suffix == "":
        tables = _instance_tables(instance)

        def write(folder: Path) -> None:
            for name, (header, rows) in tables.items():
                (folder / f"{name}.csv").write_bytes(csv_bytes(header, rows, sep=";", bom=True,
                                                               booleans=("oui", "non")))

        atomic_write_folder(target, write, replaceable={f"{n}.csv" for n in tables})
    else:
        raise ValueError(f"{target} : attendu .json, .xlsx ou un nom de dossier")


# --- results --------------------------------------------------------------------------------


def resultat_to_dict(result: Resultat) -> dict[str, Any]:
    """The JSON document of a result; the solver's wall time is left out so that the same
    input gives the same bytes."""
    doc: dict[str, Any] = {
        "format": RESULTAT_FORMAT,
        "methode": result.methode,
        "tour": result.tour,
        "taille": result.taille,
        "affectations": [{"dj": a.dj, "terrain": a.terrain, "voeu": a.voeu,
                          "reconduction": a.reconduction, "tour": a.tour}
                         for a in result.affectations],
        "vacants": dict(result.vacants),
        "instables": [list(pair) for pair in result.instables],
        "decisions": [{"dj": d.dj, "terrain": d.terrain, "motif": d.motif}
                      for d in result.decisions],
        "tirage": None if result.tirage is None else dict(result.tirage),
        "solveur": None if result.solveur is None else {
            k: v for k, v in result.solveur.items() if k != "temps"},
    }
    return doc


def resultat_from_dict(doc: Mapping[str, Any], file: str | None = None) -> Resultat:
    """A :class:`Resultat` from its JSON document (another tool's too); every problem of
    shape listed. Whether it follows the rules is the checker's business."""
    p = _Problems()
    doc = _object(dict(doc), p, "resultat", RESULT_KEYS)
    if doc.get("format") != RESULTAT_FORMAT:
        p.add(f"attendu « {RESULTAT_FORMAT} », trouvé {_kind(doc.get('format'))}", "resultat",
              "format")
    methode = _text(doc.get("methode"), p, "resultat", "methode") or "inconnue"
    tour = _int(doc.get("tour", 1), p, "resultat", "tour", (1, 3), 1)
    affectations = []
    for i, item in enumerate(_list(doc.get("affectations"), p, "resultat", "affectations")):
        entity = f"affectations[{i}]"
        item = _object(item, p, entity, AFFECTATION_KEYS)
        if not item:
            continue
        dj = _ident(item.get("dj"), p, entity, "dj")
        terrain = item.get("terrain")
        terrain = None if terrain is None else _ident(terrain, p, entity, "terrain")
        voeu = item.get("voeu")
        voeu = None if voeu is None else _int(voeu, p, entity, "voeu", INTEGER_BOUNDS["voeu"],
                                              0)
        round_ = item.get("tour")
        round_ = None if round_ is None else _int(round_, p, entity, "tour", (1, 3), 1)
        if dj is not None:
            affectations.append(Affectation(dj, terrain, voeu, _bool(
                item.get("reconduction"), p, entity, "reconduction", False), round_))
    vacants: dict[str, int] = {}
    raw_vacants = doc.get("vacants") or {}
    if not isinstance(raw_vacants, dict):
        p.add(f"attendu un objet terrain → postes, trouvé {_kind(raw_vacants)}", "resultat",
              "vacants")
    else:
        for key, value in raw_vacants.items():
            vacants[key] = _int(value, p, f"vacants ({key})", "postes", (0, 10_000), 0)
    instables = []
    for pair in _list(doc.get("instables"), p, "resultat", "instables"):
        if (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(x, str) for x in pair)):
            instables.append(tuple(pair))
        else:
            p.add(f"attendu une paire [dj, terrain], trouvé {_kind(pair)}", "resultat",
                  "instables")
    decisions = []
    for i, item in enumerate(_list(doc.get("decisions"), p, "resultat", "decisions")):
        entity = f"decisions[{i}]"
        item = _object(item, p, entity, ("dj", "terrain", "motif"))
        dj = _ident(item.get("dj"), p, entity, "dj") if item else None
        terrain = _ident(item.get("terrain"), p, entity, "terrain") if item else None
        if dj and terrain:
            decisions.append(Decision(dj, terrain, _text(item.get("motif"), p, entity,
                                                         "motif")))
    tirage = doc.get("tirage")
    if tirage is not None and not isinstance(tirage, dict):
        p.add(f"attendu un objet, trouvé {_kind(tirage)}", "resultat", "tirage")
        tirage = None
    solveur = doc.get("solveur")
    if solveur is not None and not isinstance(solveur, dict):
        p.add(f"attendu un objet, trouvé {_kind(solveur)}", "resultat", "solveur")
        solveur = None
    p.raise_if_any(file)
    return Resultat(methode, tuple(affectations), vacants, tuple(instables), tour=tour,
                    tirage=tirage, decisions=tuple(decisions), solveur=solveur)


def load_resultat(path: PathLike) -> Resultat:
    """A result file (JSON), strictly read."""
    try:
        return resultat_from_dict(read_json(Path(path), "resultat"), str(path))
    except AppariementError:
        raise
    except InstanceError as err:
        raise AppariementError([err], str(path)) from None


def resultat_tables(result: Resultat, instance: Appariement
                    ) -> dict[str, tuple[list[str], list[list[Cell]]]]:
    """The workbook of a result: names beside ids, French headers."""
    terrains = instance.terrain_by_id
    djs = instance.dj_by_id
    rows: list[list[Cell]] = []
    for a in result.affectations:
        dj = djs.get(a.dj)
        t = terrains.get(a.terrain) if a.terrain else None
        how = ("reconduction" if a.reconduction else
               {1: "tour 1", 2: "tour 2", 3: "décision ARS"}.get(a.tour or 0, "non placé"))
        rows.append([a.dj, dj.nom if dj else "", dj.prenom if dj else "", a.terrain or "",
                     t.nom if t else "", t.ville if t else "", ("oui" if t.zip else "non")
                     if t else "", a.voeu, how])
    placed: dict[str, int] = {}
    for a in result.affectations:
        if a.terrain:
            placed[a.terrain] = placed.get(a.terrain, 0) + 1
    postes = [[t.id, t.nom, t.ville, "oui" if t.zip else "non", t.postes,
               capacite(instance.regles, t), placed.get(t.id, 0),
               result.vacants.get(t.id, 0)] for t in instance.terrains]
    zip_terrains = [t for t in instance.terrains if t.zip]
    summary: list[list[Cell]] = [
        ["méthode", result.methode], ["tour", result.tour],
        ["DJ", len(result.affectations)], ["DJ placés par l'appariement", result.taille],
        ["DJ reconduits", sum(1 for a in result.affectations if a.reconduction)],
        ["DJ non placés", sum(1 for a in result.affectations if a.terrain is None)],
        ["somme des rangs de vœu", result.somme_rangs],
        ["postes vacants", sum(result.vacants.values())],
        ["postes ZIP pourvus", sum(placed.get(t.id, 0) for t in zip_terrains)],
        ["postes ZIP vacants", sum(result.vacants.get(t.id, 0) for t in zip_terrains)],
        ["paires bloquantes", len(result.instables)],
    ]
    if result.tirage is not None:
        summary.append(["graine du tirage (ex aequo)", result.tirage.get("graine")])
    sheets = {
        "affectations": (["dj", "nom", "prénom", "terrain", "terrain (nom)", "ville", "ZIP",
                          "rang du vœu", "mode"], rows),
        "terrains": (["terrain", "nom", "ville", "ZIP", "postes", "capacité (MSU)",
                      "pourvus", "vacants"], postes),
        "résumé": (["indicateur", "valeur"], summary),
    }
    if result.decisions:
        sheets["décisions ARS"] = (["dj", "terrain", "motif"],
                                   [[d.dj, d.terrain, d.motif] for d in result.decisions])
    return sheets


def result_writer(result: Resultat, instance: Appariement, suffix: str
                  ) -> Callable[[Path], None]:
    """``write(temp)`` for a ``.json`` or ``.xlsx`` result (ValueError for another suffix)."""
    if suffix == ".json":
        data = dumps(resultat_to_dict(result))
        return lambda temp: temp.write_bytes(data)
    if suffix == ".xlsx":
        sheets = resultat_tables(result, instance)
        return lambda temp: write_workbook(temp, sheets)
    raise ValueError(f"attendu un résultat .json ou .xlsx, reçu {suffix!r}")


def save_resultat(result: Resultat, path: PathLike, instance: Appariement | None = None
                  ) -> None:
    """Write a result atomically: ``.json`` (the contract) or ``.xlsx`` (needs ``instance``
    for the names)."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".xlsx" and instance is None:
        raise ValueError("a workbook result needs the instance (names)")
    atomic_write(target, result_writer(result, instance, suffix))  # type: ignore[arg-type]
