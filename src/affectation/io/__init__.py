"""Reading and writing instances and results: the file contract of FORMAT.md.

``load_instance`` reads a JSON document (FORMAT.md), a CSV folder or an ``.xlsx`` workbook
(:mod:`affectation.io.tabular`); every error is an :class:`~affectation.errors.InstanceError`
naming the file, the entity and the key (FORMAT.md, Errors); JSON is read strictly
(:mod:`affectation.io._strict_json`) and every number is bounded (:mod:`affectation.io.bounds`).
Writers are atomic: a file, or a CSV folder, is written whole or not at all, and an input file
is never modified (:mod:`affectation.io._files`). JSON is written as UTF-8, two-space indented,
keys in the order of FORMAT.md, with a trailing newline: the same value always gives the same
bytes. Results are also written as spreadsheets (:func:`save_result` by extension).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from affectation.errors import InstanceError
from affectation.io._cells import csv_bytes, write_workbook
from affectation.io._files import OutputError, atomic_write_bytes, check_output, write_output
from affectation.io._strict_json import read_json
from affectation.io.json_format import (
    INSTANCE_FORMAT,
    RESULT_FORMAT,
    instance_from_dict,
    instance_to_dict,
    result_from_dict,
    result_to_dict,
)
from affectation.io.tabular import load_csv, load_excel, save_csv, save_excel
from affectation.model import Instance
from affectation.result import Result

__all__ = [
    "CSV_DIALECTS",
    "INSTANCE_FORMAT",
    "RESULT_FILES",
    "RESULT_FORMAT",
    "dumps",
    "instance_from_dict",
    "instance_to_dict",
    "load_csv",
    "load_excel",
    "load_instance",
    "load_result",
    "result_from_dict",
    "result_kind",
    "result_to_dict",
    "save_csv",
    "save_excel",
    "save_instance",
    "save_result",
    "write_result",
]

PathLike = str | os.PathLike[str]


def dumps(doc: Any) -> bytes:
    """The bytes of a JSON document as the library writes it (deterministic)."""
    return (json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")


def _read_json(path: Path, top: str = "instance") -> dict[str, Any]:
    """The top-level object of a JSON file, strictly read (io/_strict_json.py)."""
    return read_json(path, top)


def _in_file(err: InstanceError, path: Path) -> InstanceError:
    return err if err.file else err.with_file(str(path))


def load_instance(path: PathLike) -> Instance:
    """The instance in ``path``: a CSV folder, an ``.xlsx`` workbook, else a JSON document."""
    source = Path(path)
    if source.is_dir():
        return load_csv(source)
    suffix = source.suffix.lower()
    if suffix == ".xlsx":
        return load_excel(source)
    if suffix in (".csv", ".xls", ".ods"):
        raise InstanceError(
            "attendu un document JSON, un classeur .xlsx ou un dossier de fichiers CSV "
            "(terrains.csv, internes.csv, voeux.csv…)",
            file=str(source),
        )
    doc = _read_json(source)
    try:
        return instance_from_dict(doc)
    except InstanceError as err:
        raise _in_file(err, source) from None


def save_instance(instance: Instance, path: PathLike) -> None:
    """Write ``instance`` to ``path``: an existing folder gets CSV files, ``.xlsx`` a workbook,
    anything else a JSON document; atomically."""
    target = Path(path)
    if target.is_dir():
        save_csv(instance, target)
    elif target.suffix.lower() == ".xlsx":
        save_excel(instance, target)
    else:
        atomic_write_bytes(target, dumps(instance_to_dict(instance)))


def load_result(path: PathLike) -> Result:
    """The result in the JSON document ``path`` (FORMAT.md, Result)."""
    source = Path(path)
    if source.suffix.lower() in (".xlsx", ".csv", ".xls", ".ods") or source.is_dir():
        raise InstanceError("un résultat se lit dans son document JSON FORMAT.md (les "
                            "classeurs sont écrits pour les personnes) : donnez le .json",
                            file=str(source))
    doc = _read_json(source, "result")
    try:
        return result_from_dict(doc)
    except InstanceError as err:
        raise _in_file(err, source) from None


CSV_DIALECTS: dict[str, dict[str, Any]] = {
    "excel-fr": {"sep": ";", "bom": True},
    "plain": {"sep": ",", "bom": False},
}
"""``excel-fr`` (default for results): what French Excel opens by a double click, ``;`` and
UTF-8 with a BOM; ``plain``: comma-separated UTF-8 without BOM, for scripts."""

RESULT_FILES = ("affectations.csv", "par_terrain.csv", "postes.csv", "impositions.csv")
"""The files of a result written as a CSV folder."""


def result_kind(path: PathLike) -> str:
    """How a result goes to ``path``: ``json``, ``xlsx``, ``csv`` (the affectations table
    alone) or ``folder`` (an existing folder, a path ending in a separator, or no suffix);
    any other extension is an :class:`OutputError` (never a silent JSON)."""
    text = os.fspath(path)
    target = Path(text)
    suffix = target.suffix.lower()
    if suffix in (".json", ".xlsx", ".csv") and not text.endswith(("/", os.sep)):
        return suffix[1:]  # an existing folder of that name is refused by check_output
    if target.is_dir() or text.endswith(("/", os.sep)):
        return "folder"
    if not suffix:
        if target.exists() or target.is_symlink():
            check_output(target)  # a device, FIFO…: says which
            raise OutputError(text, "est un fichier existant sans extension : nommez le "
                                    "résultat .json, .xlsx ou .csv")
        return "folder"
    raise OutputError(text, f"extension inconnue {suffix!r} : un résultat s'écrit en .json "
                            "(FORMAT.md), .xlsx, .csv ou dans un dossier de fichiers CSV")


def write_result(
    result: Result, temp: Path, kind: str, *, instance: Instance | None = None,
    csv_dialect: str = "excel-fr",
) -> None:
    """Write ``result`` to ``temp`` (a file, or an existing empty folder for ``folder``)."""
    if kind == "json":
        temp.write_bytes(dumps(result_to_dict(result)))
        return
    from affectation.io.arrete import result_sheets, result_tables

    if kind == "xlsx":
        write_workbook(temp, result_sheets(result, instance))
        return
    tables = result_tables(result, instance)
    dialect = CSV_DIALECTS[csv_dialect]
    def encode(table: Any) -> bytes:
        return csv_bytes(*table, booleans=("oui", "non"), **dialect)
    if kind == "csv":
        temp.write_bytes(encode(tables["affectations"]))
        return
    for name, table in tables.items():
        (temp / f"{name}.csv").write_bytes(encode(table))


def save_result(
    result: Result, path: PathLike, *, instance: Instance | None = None,
    csv_dialect: str = "excel-fr", inputs: Iterable[PathLike] = (),
) -> Path:
    """Write ``result`` by the extension of ``path``, whole or not at all (FORMAT.md, Errors).

    ``.json``: the FORMAT.md result document. ``.xlsx``: the arrêté workbook
    (:mod:`affectation.io.arrete`): a title block, then the sheets ``affectations`` (one row
    per interne in the order of choice), ``par terrain``, ``postes`` (the état des postes) and
    ``impositions``, French headers, the SHA-256 of the result in the footer. ``.csv``: the
    affectations table alone. A folder (existing, or a path without suffix): the four tables
    as CSV files, the folder written whole. Spreadsheets give the internes' names and ranks
    and the terrains' names when ``instance`` is given.
    CSV is in the French Excel dialect unless ``csv_dialect="plain"``. ``inputs``: files the
    output must not replace (the command line passes the instance); an unsafe target, an
    unknown extension or a failed write is an :class:`OutputError`, and nothing is written.
    """
    if csv_dialect not in CSV_DIALECTS:
        raise ValueError(f"unknown CSV dialect {csv_dialect!r} (known: {', '.join(CSV_DIALECTS)})")
    kind = result_kind(path)
    folder = kind == "folder"
    return write_output(
        path, lambda temp: write_result(result, temp, kind, instance=instance,
                                        csv_dialect=csv_dialect),
        inputs=inputs, folder=folder, replaceable=RESULT_FILES if folder else (),
    )
