"""Strict JSON: what Python's ``json`` accepts but the file contract refuses.

``json.loads`` keeps the last of duplicated keys (``"postes": -1, "postes": 2`` reads as 2),
reads ``NaN`` and ``Infinity``, converts integers of thousands of digits, keeps lone
surrogates (which then fail when the result is written) and recurses without limit. Here each
is refused with an :class:`~affectation.errors.InstanceError` naming the file, the entity and
the key; the bounds are those of :mod:`affectation.io.bounds`.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from affectation.errors import InstanceError
from affectation.io.bounds import (
    MAX_CELL_CHARS,
    MAX_FILE_BYTES,
    MAX_INT_DIGITS,
    MAX_JSON_DEPTH,
    MAX_SHOWN_CHARS,
)

__all__ = ["read_json", "shorten"]

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def shorten(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` cut to about ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… ({len(text):,} characters)"


class _Refused(Exception):
    """Raised by the parser hooks; becomes an InstanceError naming the file."""


class _Object(dict):
    """A JSON object that had a duplicated key (the first one is remembered)."""

    duplicate: str


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    duplicate = None
    for key, value in pairs:
        if key in doc and duplicate is None:
            duplicate = key
        doc[key] = value
    if duplicate is None:
        return doc
    marked = _Object(doc)
    marked.duplicate = duplicate
    return marked


def _int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _Refused(f"an integer of {digits:,} digits ({shorten(text, 24)}): numbers are "
                       "bounded (docs/formats.md, Bounds)")
    return int(text)


def _float(text: str) -> float:
    if len(text) > 64:
        raise _Refused(f"a number of {len(text):,} characters ({shorten(text, 24)})")
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {shorten(text, 24)} is too large")
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a number in the file contract (strict JSON)")


def _entity(path: list[str | int], doc: dict[str, Any], top: str) -> str:
    if not path:
        return top
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    for key in ("id", "nom", "interne"):
        ident = doc.get(key)
        if isinstance(ident, str) and ident:
            return f"{name} ({shorten(ident, 40)})"
    return name


def _walk(value: Any, path: list[str | int], top: str, owner: tuple[str, str | None]) -> None:
    """Depth, duplicated keys and strings, everywhere in the document."""
    if len(path) > MAX_JSON_DEPTH:
        raise InstanceError(f"nested more than {MAX_JSON_DEPTH} levels deep", entity=owner[0],
                            key=owner[1])
    if isinstance(value, dict):
        entity = _entity(path, value, top)
        if isinstance(value, _Object):
            raise InstanceError(
                "the key appears twice in the same object (strict JSON: each key once)",
                entity=entity, key=value.duplicate,
            )
        for key, item in value.items():
            _string(key, (entity, None), what="key")
            _walk(item, [*path, key], top, (entity, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, [*path, index], top, owner)
    elif isinstance(value, str):
        _string(value, owner)


def _string(text: str, owner: tuple[str, str | None], what: str = "text") -> None:
    entity, key = owner
    if _SURROGATE.search(text):
        raise InstanceError(f"the {what} {shorten(repr(text))} holds a lone surrogate "
                            "(\\ud800-\\udfff), which is not a character", entity=entity, key=key)
    if _CONTROL.search(text):
        raise InstanceError(f"the {what} {shorten(repr(text))} holds a control character",
                            entity=entity, key=key)
    if len(text) > MAX_CELL_CHARS:
        raise InstanceError(f"a {what} of {len(text):,} characters (at most {MAX_CELL_CHARS:,})",
                            entity=entity, key=key)


def read_json(path: Path, top: str) -> dict[str, Any]:
    """The top-level object of a JSON file, strictly read; ``top`` names it in errors."""
    file = str(path)
    try:
        if path.is_dir():
            raise InstanceError("is a folder, not a JSON file", file=file)
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InstanceError(f"the file is {size:,} bytes, more than the {MAX_FILE_BYTES:,} "
                                "read (docs/formats.md, Bounds)", file=file)
        data = path.read_bytes()
    except FileNotFoundError:
        raise InstanceError("no such file", file=file) from None
    except OSError as err:
        raise InstanceError(f"cannot read the file ({err.strerror})", file=file) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InstanceError(
            f"not UTF-8 text: byte {err.start} (line {line}) is 0x{data[err.start]:02x}; "
            "save the file as UTF-8", file=file,
        ) from None
    if not text.strip():
        raise InstanceError("the file is empty (expected a JSON object)", file=file)
    try:
        doc = json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_float=_float,
                         parse_constant=_constant)
    except _Refused as err:
        raise InstanceError(str(err), file=file) from None
    except json.JSONDecodeError as err:
        raise InstanceError(
            f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}", file=file
        ) from None
    except RecursionError:
        raise InstanceError(f"nested more than {MAX_JSON_DEPTH} levels deep", file=file) from None
    except MemoryError:
        raise InstanceError("too large to read in memory", file=file) from None
    except ValueError as err:  # e.g. Python's own integer-digit limit
        raise InstanceError(f"not valid JSON: {shorten(str(err))}", file=file) from None
    if not isinstance(doc, dict):
        kind = "a list" if isinstance(doc, list) else f"{type(doc).__name__} {shorten(repr(doc))}"
        raise InstanceError(f"expected a JSON object at the top level, got {kind}", file=file)
    try:
        _walk(doc, [], top, (top, None))
    except InstanceError as err:
        raise err.with_file(file) from None
    return doc
