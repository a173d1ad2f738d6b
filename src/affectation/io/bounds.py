"""The one table of bounds every reader enforces (docs/formats.md, Bounds).

Why bounds: no accepted instance may overflow CP-SAT's 64-bit integers or exhaust memory
before a message can be printed, and a typo (``"postes": 20000``) should be caught on input.
The largest sum the model builds is a count of postes over terrains (at most
``postes × terrains`` = 10⁹), far from 2⁶³; ``rang`` and ``effectif_promotion`` only order the
internes and never enter the model as coefficients.
"""

from __future__ import annotations

__all__ = [
    "INTEGER_BOUNDS",
    "MAX_CELL_CHARS",
    "MAX_COUNT",
    "MAX_EXCEL_COLUMNS",
    "MAX_EXCEL_ROWS",
    "MAX_FILE_BYTES",
    "MAX_ID_CHARS",
    "MAX_INT_DIGITS",
    "MAX_JSON_DEPTH",
    "MAX_SHOWN_CHARS",
    "MAX_UNCOMPRESSED_BYTES",
]

INTEGER_BOUNDS: dict[str, tuple[int, int]] = {
    "postes": (0, 10_000),
    "agrement": (0, 10_000),
    "rang": (1, 1_000_000),
    "effectif_promotion": (1, 1_000_000),
    "semestres_valides": (0, 50),
    "semestres_effectues": (0, 100),
    "semestres": (1, 50),  # a maquette's length
    "rang_voeu": (1, 100_000),
    "voeu": (1, 100_000),  # in a result
    "variables": (0, 10**12),
    "constraints": (0, 10**12),
}
"""Key → (least, greatest) accepted integer, for every integer key of the file contract."""

MAX_COUNT = 100_000
"""Most internes, terrains, couples, wishes in one list, slots or rounds in one instance."""

MAX_ID_CHARS = 80
"""Longest id (interne, terrain, slot): an id always fits in an error message."""

MAX_CELL_CHARS = 32_767
"""Longest text anywhere: Excel's limit for one cell, applied to CSV and JSON too."""

MAX_SHOWN_CHARS = 80
"""Error messages quote at most this many characters of a bad value."""

MAX_FILE_BYTES = 256 * 2**20
"""Largest JSON or CSV file read (a 5,000-interne instance with 300 wishes each is ~20 MB)."""

MAX_UNCOMPRESSED_BYTES = 512 * 2**20
"""Largest total uncompressed size of an ``.xlsx`` (a zip): the decompression-bomb guard."""

MAX_EXCEL_ROWS = 1_048_576
"""Most rows in a sheet or a CSV file (Excel's own limit)."""

MAX_EXCEL_COLUMNS = 100
"""Most columns in a sheet (the widest table has 12)."""

MAX_JSON_DEPTH = 32
"""Deepest nesting of JSON arrays and objects (the contract needs 5)."""

MAX_INT_DIGITS = 20
"""Longest integer literal in JSON; longer ones are refused before being converted."""
