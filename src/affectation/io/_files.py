"""Whole files or none, and never over an input (FORMAT.md, Errors).

``atomic_write`` writes to a temporary file in the target's directory, then ``os.replace``
puts it in place in one step; on any exception the temporary file is removed and the target is
untouched. An existing target keeps its permission bits. ``atomic_write_folder`` does the same
for a whole folder (write beside, then rename), so a CSV folder is never half old, half new.

``check_output`` is the guard every command with ``--out`` runs *before* any work: the target
may not be an input (same inode, any spelling), may not lie inside an input folder, may not
contain an input, and must be a regular file (or, for a folder output, a folder the library
wrote). ``write_output`` = the guard + the atomic write, every ``OSError`` turned into an
:class:`OutputError` that names the file and says what to do.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from affectation.errors import AffectationError

__all__ = [
    "OutputError",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_folder",
    "check_output",
    "write_output",
]

PathLike = str | os.PathLike[str]


class OutputError(AffectationError, OSError):
    """An output that may not or could not be written; nothing was written."""

    code = "E-SORTIE"

    def __init__(self, path: PathLike, message: str) -> None:
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path} : {message}")

    def __str__(self) -> str:
        return f"{self.path} : {self.message}"


def _temp_path(path: Path, tag: str = "tmp") -> Path:
    # Keep the suffix last: some writers (openpyxl) choose their format by it.
    return path.with_name(f".{path.stem}.{secrets.token_hex(6)}.{tag}{path.suffix}")


def atomic_write(path: PathLike, write: Callable[[Path], None]) -> None:
    """Call ``write(temp)`` then move ``temp`` onto ``path``; nothing is left on failure.

    An existing ``path`` keeps its permission bits (a result file made read-only for the group,
    say, stays so)."""
    target = Path(path)
    temp = _temp_path(target)
    try:
        write(temp)
        with open(temp, "rb") as handle:  # on disk before the rename
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (new files get the usual umask permissions)."""

    def write(temp: Path) -> None:
        with open(temp, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    atomic_write(path, write)


def atomic_write_folder(
    path: PathLike, write: Callable[[Path], None], *, replaceable: Collection[str] = ()
) -> None:
    """Call ``write(temp_folder)``, then put the folder at ``path`` in one rename.

    An existing folder at ``path`` is replaced only if every entry in it is a file named in
    ``replaceable`` (the files the library writes there), so that a user's other files are
    never deleted; it is moved aside, the new folder renamed in, then the old one removed.
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise OutputError(target, "existe et n'est pas un dossier")
    if target.is_dir():
        _check_replaceable(target, replaceable)
    temp = _temp_path(target)
    old = _temp_path(target, "old")
    try:
        temp.mkdir()
        write(temp)
        for entry in temp.iterdir():
            with open(entry, "rb") as handle:
                os.fsync(handle.fileno())
        if target.is_dir():
            os.replace(target, old)
            try:
                os.replace(temp, target)
            except BaseException:
                os.replace(old, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _check_replaceable(folder: Path, replaceable: Collection[str]) -> None:
    others = sorted(
        e.name for e in folder.iterdir() if e.name not in replaceable or not e.is_file()
    )
    if others:
        shown = ", ".join(others[:3]) + ("…" if len(others) > 3 else "")
        raise OutputError(
            folder, f"le dossier contient déjà d'autres fichiers ({shown}) ; il serait remplacé "
                    "en entier : choisissez un dossier nouveau ou vide",
        )


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_output(
    path: PathLike, inputs: Iterable[PathLike] = (), *, folder: bool = False,
    replaceable: Collection[str] = (),
) -> Path:
    """``path`` as a safe output target, else an :class:`OutputError` saying why.

    Refused: an input file itself (same inode or same resolved path, whatever the spelling),
    a path inside an input folder, a folder that contains an input, an existing target that is
    not a regular file (a directory, FIFO or device; for ``folder=True``: not a folder of
    ``replaceable`` files only), a missing parent directory or one we may not write in.
    """
    target = Path(path)
    resolved = target.resolve()
    for given in inputs:
        source = Path(given)
        source_resolved = source.resolve()
        if (target.exists() and _same(target, source)) or resolved == source_resolved:
            raise OutputError(target, f"est l'entrée {str(given)!r} : choisissez un autre --out, "
                                      "une entrée n'est jamais écrasée")
        if source.is_dir() and resolved.is_relative_to(source_resolved):
            raise OutputError(target, f"est dans le dossier d'entrée {str(given)!r} : choisissez "
                                      "un --out en dehors")
        if resolved != source_resolved and source_resolved.is_relative_to(resolved):
            raise OutputError(target, f"contient l'entrée {str(given)!r} : choisissez un "
                                      "autre --out")
    if target.exists() or target.is_symlink():
        try:
            mode = os.stat(target).st_mode
        except OSError as err:
            raise OutputError(target, f"ne peut pas être examiné ({err.strerror})") from None
        if folder:
            if not stat.S_ISDIR(mode):
                raise OutputError(target, "existe et n'est pas un dossier (un résultat CSV "
                                          "est un dossier de fichiers) : autre --out")
            _check_replaceable(target, replaceable)
        elif not stat.S_ISREG(mode):
            kind = ("un dossier" if stat.S_ISDIR(mode) else "un FIFO" if stat.S_ISFIFO(mode)
                    else "un périphérique" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                    else "une socket" if stat.S_ISSOCK(mode) else "autre chose")
            raise OutputError(target, f"existe et est {kind}, pas un fichier ordinaire : "
                                      "choisissez un nom de fichier pour --out")
    parent = resolved.parent
    if not parent.is_dir():
        raise OutputError(target, f"le dossier {str(target.parent)!r} n'existe pas : "
                                  "créez-le d'abord")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(target, f"le dossier {str(target.parent)!r} n'est pas accessible "
                                  "en écriture")
    return target


def describe_os_error(err: OSError) -> str:
    """A short, plain reason for a failed write."""
    if err.errno == errno.ENOSPC:
        return "le disque est plein ; rien n'a été écrit"
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission refusée ; rien n'a été écrit"
    return f"{err.strerror or err} ; rien n'a été écrit"


def write_output(
    path: PathLike, write: Callable[[Path], None], *, inputs: Iterable[PathLike] = (),
    folder: bool = False, replaceable: Collection[str] = (),
) -> Path:
    """The guard of :func:`check_output`, then the atomic write (a file, or a whole folder with
    ``folder=True``); a failure is an :class:`OutputError` and leaves nothing behind."""
    target = check_output(path, inputs, folder=folder, replaceable=replaceable)
    try:
        if folder:
            atomic_write_folder(target, write, replaceable=replaceable)
        else:
            atomic_write(target, write)
    except OutputError:
        raise
    except OSError as err:
        raise OutputError(target, describe_os_error(err)) from None
    except MemoryError:
        raise OutputError(target, "mémoire épuisée pendant l'écriture ; rien n'a été "
                                  "écrit") from None
    return target
