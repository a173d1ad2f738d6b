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
from affectation.langue import nombre

__all__ = ["read_json", "shorten"]

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def shorten(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` cut to about ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… ({nombre(len(text))} caractères)"


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
        raise _Refused(f"un entier de {nombre(digits)} chiffres ({shorten(text, 24)}) : les "
                       "nombres sont bornés (docs/formats.md, Bounds)")
    return int(text)


def _float(text: str) -> float:
    if len(text) > 64:
        raise _Refused(f"un nombre de {nombre(len(text))} caractères ({shorten(text, 24)})")
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"le nombre {shorten(text, 24)} est trop grand")
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"{name} n'est pas un nombre du contrat de fichier (JSON strict)")


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
        raise InstanceError(f"plus de {MAX_JSON_DEPTH} niveaux d'imbrication", entity=owner[0],
                            key=owner[1])
    if isinstance(value, dict):
        entity = _entity(path, value, top)
        if isinstance(value, _Object):
            raise InstanceError(
                "la clé apparaît deux fois dans le même objet (JSON strict : chaque clé une fois)",
                entity=entity, key=value.duplicate,
            )
        for key, item in value.items():
            _string(key, (entity, None), what="la clé")
            _walk(item, [*path, key], top, (entity, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, [*path, index], top, owner)
    elif isinstance(value, str):
        _string(value, owner)


def _string(text: str, owner: tuple[str, str | None], what: str = "le texte") -> None:
    entity, key = owner
    if _SURROGATE.search(text):
        raise InstanceError(f"{what} {shorten(repr(text))} contient une moitié de paire de "
                            "substitution (\\ud800-\\udfff), qui n'est pas un caractère",
                            entity=entity, key=key)
    if _CONTROL.search(text):
        raise InstanceError(f"{what} {shorten(repr(text))} contient un caractère de contrôle",
                            entity=entity, key=key)
    if len(text) > MAX_CELL_CHARS:
        raise InstanceError(f"{what} fait {nombre(len(text))} caractères "
                            f"(au plus {nombre(MAX_CELL_CHARS)})",
                            entity=entity, key=key)


def read_json(path: Path, top: str) -> dict[str, Any]:
    """The top-level object of a JSON file, strictly read; ``top`` names it in errors."""
    file = str(path)
    try:
        if path.is_dir():
            raise InstanceError("est un dossier, pas un fichier JSON", file=file)
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InstanceError(f"le fichier fait {nombre(size)} octets, plus que les "
                                f"{nombre(MAX_FILE_BYTES)} lus (docs/formats.md, Bounds)",
                                file=file)
        data = path.read_bytes()
    except FileNotFoundError:
        raise InstanceError("fichier introuvable", file=file) from None
    except OSError as err:
        raise InstanceError(f"impossible de lire le fichier ({err.strerror})", file=file) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InstanceError(
            f"pas du texte UTF-8 : l'octet {err.start} (ligne {line}) vaut "
            f"0x{data[err.start]:02x} ; enregistrez le fichier en UTF-8", file=file,
        ) from None
    if not text.strip():
        raise InstanceError("le fichier est vide (attendu un objet JSON)", file=file)
    try:
        doc = json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_float=_float,
                         parse_constant=_constant)
    except _Refused as err:
        raise InstanceError(str(err), file=file) from None
    except json.JSONDecodeError as err:
        raise InstanceError(
            f"JSON invalide : {err.msg} à la ligne {err.lineno}, colonne {err.colno}", file=file
        ) from None
    except RecursionError:
        raise InstanceError(f"plus de {MAX_JSON_DEPTH} niveaux d'imbrication", file=file) from None
    except MemoryError:
        raise InstanceError("trop grand pour être lu en mémoire", file=file) from None
    except ValueError as err:  # e.g. Python's own integer-digit limit
        raise InstanceError(f"JSON invalide : {shorten(str(err))}", file=file) from None
    if not isinstance(doc, dict):
        kind = ("une liste" if isinstance(doc, list)
                else f"{type(doc).__name__} {shorten(repr(doc))}")
        raise InstanceError(f"attendu un objet JSON au premier niveau, reçu {kind}", file=file)
    try:
        _walk(doc, [], top, (top, None))
    except InstanceError as err:
        raise err.with_file(file) from None
    return doc
