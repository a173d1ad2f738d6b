"""Atomic writes: a file is written whole or not at all (FORMAT.md, Errors).

The data goes to a temporary file in the target's directory, then ``os.replace`` puts it in
place in one step; on any exception the temporary file is removed and the target is untouched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "atomic_write_bytes"]


def _temp_path(path: Path) -> Path:
    # Keep the suffix last: some writers (openpyxl) choose their format by it.
    return path.with_name(f".{path.stem}.{secrets.token_hex(6)}.tmp{path.suffix}")


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> None:
    """Call ``write(temp)`` then move ``temp`` onto ``path``; nothing is left on failure."""
    target = Path(path)
    temp = _temp_path(target)
    try:
        write(temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (created with the usual umask permissions)."""

    def write(temp: Path) -> None:
        with open(temp, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    atomic_write(path, write)
