"""The journal of a choice day: append-only JSON Lines, hash-chained, fsynced per entry.

Line 1 is the ``open`` record: the journal format, the instance's name and the SHA-256 of its
canonical JSON document (FORMAT.md bytes), so a journal is never replayed on another instance.
Every later line is one entry of the day (``choice``, ``procuration``, ``imposition``,
``pass``, ``undo``) with its sequence number, UTC time, operator, interne and terrain, and
``prev``: the SHA-256 of the previous line's bytes. An entry is acknowledged only after its line
is written, flushed and ``fsync``-ed, so a ``kill -9`` at any moment loses at most the entry
being written, which nobody was told had been recorded.

Reading checks the whole chain. A last line without its newline is the trace of a write cut by
a crash before its acknowledgement: it is dropped (and cut from the file when reopened for
writing). Anything else wrong (bad JSON, a broken chain, a sequence out of order, another
instance) is a :class:`JournalError` naming the line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from affectation.errors import AffectationError
from affectation.model import Instance

__all__ = [
    "ENTRY_KINDS",
    "JOURNAL_FORMAT",
    "Journal",
    "JournalError",
    "instance_hash",
    "read_journal",
]

JOURNAL_FORMAT = "affectation-journal/1"
ENTRY_KINDS = ("choice", "procuration", "imposition", "pass", "undo", "refused")
"""What an entry records; ``open`` is the first line only."""


class JournalError(AffectationError, ValueError):
    """A journal that cannot be trusted: names the file and the line at fault."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None):
        self.message = message
        self.file = file
        self.line = line
        where = [part for part in (file, f"line {line}" if line else None) if part]
        super().__init__((": ".join(where) + ": " if where else "") + message)


def instance_hash(instance: Instance) -> str:
    """SHA-256 of the instance's canonical document (the bytes ``save_instance`` writes)."""
    from affectation.io import dumps, instance_to_dict

    return hashlib.sha256(dumps(instance_to_dict(instance))).hexdigest()


def _line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def _encode(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode(
        "utf-8"
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_journal(path: str | os.PathLike[str], instance: Instance | None = None
                 ) -> tuple[list[dict[str, Any]], int]:
    """The records of a journal, checked, and the byte length of its acknowledged part.

    ``instance``: refuse the journal if its ``open`` record names another instance.
    """
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise JournalError(f"cannot read the journal ({error.strerror})", file=file) from None
    good = data.rfind(b"\n") + 1  # a torn last line was never acknowledged
    records: list[dict[str, Any]] = []
    prev: str | None = None
    offset = 0
    for number, line in enumerate(data[:good].split(b"\n")[:-1], start=1):
        offset += len(line) + 1
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise JournalError("not a JSON record", file=file, line=number) from None
        if not isinstance(record, dict):
            raise JournalError("not a JSON object", file=file, line=number)
        if number == 1:
            if record.get("kind") != "open" or record.get("format") != JOURNAL_FORMAT:
                raise JournalError(
                    f"the first record must be the 'open' record of {JOURNAL_FORMAT}",
                    file=file, line=1)
            if instance is not None and record.get("instance_sha256") != instance_hash(instance):
                raise JournalError(
                    "this journal was opened on another instance (instance_sha256 differs): "
                    "resume it with the instance file it was started with", file=file, line=1)
        else:
            if record.get("prev") != prev:
                raise JournalError(
                    "broken chain: 'prev' is not the hash of line "
                    f"{number - 1} (the journal was edited or a line is missing)",
                    file=file, line=number)
            if record.get("seq") != number - 1:
                raise JournalError(f"sequence {record.get('seq')!r}, expected {number - 1}",
                                   file=file, line=number)
            if record.get("kind") not in ENTRY_KINDS:
                raise JournalError(f"unknown kind {record.get('kind')!r}", file=file,
                                   line=number)
        prev = _line_hash(line)
        records.append(record)
    if not records:
        raise JournalError("empty journal: no 'open' record", file=file, line=1)
    return records, good


class Journal:
    """An open journal file, written one fsynced line per entry."""

    def __init__(self, path: Path, records: list[dict[str, Any]], prev: str,
                 clock: Callable[[], str] = _now) -> None:
        self.path = path
        self.records = records
        self._prev = prev
        self._clock = clock
        self._handle = open(path, "ab")  # noqa: SIM115 - kept open for the day

    @classmethod
    def create(cls, path: str | os.PathLike[str], instance: Instance, *, operator: str = "",
               clock: Callable[[], str] = _now) -> Journal:
        """Start a new journal; refuses to overwrite an existing file."""
        target = Path(path)
        record = {
            "kind": "open",
            "format": JOURNAL_FORMAT,
            "seq": 0,
            "time": clock(),
            "operator": operator,
            "instance": instance.nom,
            "instance_sha256": instance_hash(instance),
        }
        line = _encode(record)
        try:
            with open(target, "xb") as handle:
                handle.write(line + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
        except FileExistsError:
            raise JournalError("the journal already exists: resume it instead of opening a "
                               "new day over it", file=str(target)) from None
        _fsync_dir(target)
        return cls(target, [record], _line_hash(line), clock)

    @classmethod
    def resume(cls, path: str | os.PathLike[str], instance: Instance, *,
               clock: Callable[[], str] = _now) -> Journal:
        """Reopen an existing journal for writing, after checking it (torn tail cut)."""
        target = Path(path)
        records, good = read_journal(target, instance)
        if good != target.stat().st_size:
            with open(target, "r+b") as handle:
                handle.truncate(good)
                handle.flush()
                os.fsync(handle.fileno())
        last = target.read_bytes()[:good].split(b"\n")[-2]
        return cls(target, records, _line_hash(last), clock)

    @property
    def entries(self) -> list[dict[str, Any]]:
        """Every record after ``open``."""
        return self.records[1:]

    def append(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Write one entry, fsync it, and only then return it (the acknowledgement)."""
        if kind not in ENTRY_KINDS:
            raise ValueError(f"unknown journal kind {kind!r}")
        record = {"seq": len(self.records), "time": self._clock(), "kind": kind, **fields,
                  "prev": self._prev}
        line = _encode(record)
        self._handle.write(line + b"\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._prev = _line_hash(line)
        self.records.append(record)
        return record

    def close(self) -> None:
        self._handle.close()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.entries)


def _fsync_dir(path: Path) -> None:
    """Make the new file's directory entry durable too."""
    try:
        fd = os.open(path.parent or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
