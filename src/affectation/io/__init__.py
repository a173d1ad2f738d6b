"""Reading and writing instances and results: the file contract of FORMAT.md.

``load_instance`` reads a JSON document (FORMAT.md), a CSV folder or an ``.xlsx`` workbook
(:mod:`affectation.io.tabular`); every error is an :class:`~affectation.errors.InstanceError`
naming the file, the entity and the key (FORMAT.md, Errors). Writers are atomic: a file is
written whole or not at all, and an input file is never modified. JSON is written as UTF-8,
two-space indented, keys in the order of FORMAT.md, with a trailing newline: the same value
always gives the same bytes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from affectation.errors import InstanceError
from affectation.io._files import atomic_write_bytes
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
    "INSTANCE_FORMAT",
    "RESULT_FORMAT",
    "dumps",
    "instance_from_dict",
    "instance_to_dict",
    "load_csv",
    "load_excel",
    "load_instance",
    "load_result",
    "result_from_dict",
    "result_to_dict",
    "save_csv",
    "save_excel",
    "save_instance",
    "save_result",
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
            "expected a JSON document, an .xlsx workbook or a folder of CSV files "
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
    doc = _read_json(source, "result")
    try:
        return result_from_dict(doc)
    except InstanceError as err:
        raise _in_file(err, source) from None


def save_result(result: Result, path: PathLike) -> None:
    """Write ``result`` as a JSON document, whole or not at all (FORMAT.md, Errors)."""
    atomic_write_bytes(path, dumps(result_to_dict(result)))
