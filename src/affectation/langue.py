"""The language of what the command line says: French, or English on request.

Everything a person reads is French by default; ``affectation --lang en …`` or the environment
variable ``AFFECTATION_LANG=en`` switches the command line's own sentences (summaries, table
headers, labels, the words around an error) to English. The messages of the library's errors
(:class:`~affectation.errors.InstanceError` and the others) are written once, in French, with a
stable ``code`` a program can test instead of the words.
"""

from __future__ import annotations

import os

__all__ = ["LANGUES", "langue", "nombre", "set_langue", "t"]

LANGUES = ("fr", "en")

_chosen: str | None = None


def langue() -> str:
    """``fr`` or ``en``: the language chosen by :func:`set_langue`, else ``AFFECTATION_LANG``,
    else French."""
    if _chosen is not None:
        return _chosen
    value = os.environ.get("AFFECTATION_LANG", "").strip().lower()[:2]
    return value if value in LANGUES else "fr"


def set_langue(value: str | None) -> None:
    """Choose the language for this process (``None``: back to ``AFFECTATION_LANG``)."""
    global _chosen
    if value is not None and value not in LANGUES:
        raise ValueError(f"langue : attendu {' ou '.join(LANGUES)}, reçu {value!r}")
    _chosen = value


def t(fr: str, en: str) -> str:
    """``fr``, or ``en`` when English was asked for."""
    return en if langue() == "en" else fr


def nombre(value: int) -> str:
    """An integer as French writes it: thousands apart by a no-break space (``10 000``, never
    ``10,000``, which a French reader takes for ten). U+00A0 rather than the narrow U+202F:
    Windows-1252 consoles and files, where an office may redirect the output, have it."""
    return f"{value:,}".replace(",", "\u00a0")
