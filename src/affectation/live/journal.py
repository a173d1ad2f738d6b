"""The journal of a choice day: append-only JSON Lines, hash-chained, fsynced per entry.

Line 1 is the ``open`` record: the journal format, the instance's name and the SHA-256 of its
canonical JSON document (FORMAT.md bytes), so a journal is never replayed on another instance.
Every later line is one entry of the day (``choice``, ``procuration``, ``imposition``,
``pass``, ``undo``, ``resume``) with its sequence number, UTC time, operator, interne and
terrain, and ``prev``: the SHA-256 of the previous line's bytes. An entry is acknowledged only
after its line is written (``os.write``, no user-space buffer) and ``fsync``-ed, so a
``kill -9`` at any moment loses at most the entry being written, which nobody was told had been
recorded.

**Nothing refused is ever written.** Every line is written at the offset just after the last
acknowledged line. If ``write`` or ``fsync`` fails (a full disk, a file-size limit, an I/O
error) the file is cut back to that offset and the journal turns *unavailable*
(:class:`JournalUnavailable`): every later append is refused until :meth:`Journal.recover`
finds the file whole again (the operator's "reprendre" once the cause is fixed).

**One writer.** The file is held with an exclusive ``flock`` for as long as it is open for
writing; a second writer (another server, another ``ChoiceDay``) is refused with
:class:`JournalLocked` naming the process holding it.

**A key (optional).** Opened with a key (HMAC-SHA256, a file the ARS holds), every line ends
with ``"mac"``: the HMAC of the line's bytes without that field. The ``open`` record names the
key by its ``cle`` (the first 16 hex digits of a hash of it), so a journal rewritten by someone
without the key is refused (:mod:`affectation.live.verify`).

**The head** is the ``seq`` of the last line and the SHA-256 of its bytes: published during the
day (``/api/state``, the screens), it lets anyone prove later that the journal they are shown
contains what the room saw.

Reading checks the whole chain. A last line without its newline is the trace of a write cut by
a crash before its acknowledgement: it is dropped (and, when reopened for writing, cut from the
file and recorded by a ``resume`` entry naming the bytes cut). Anything else wrong (bad JSON, a
broken chain, a sequence out of order, another instance, a bad MAC) is a :class:`JournalError`
naming the line.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from affectation.errors import AffectationError
from affectation.model import Instance

__all__ = [
    "ENTRY_KINDS",
    "JOURNAL_FORMAT",
    "Head",
    "Journal",
    "JournalError",
    "JournalLocked",
    "JournalUnavailable",
    "instance_hash",
    "key_id",
    "read_journal",
    "read_key",
]

JOURNAL_FORMAT = "affectation-journal/1"
ENTRY_KINDS = ("choice", "procuration", "imposition", "pass", "undo", "refused", "resume")
"""What an entry records; ``open`` is the first line only. ``refused`` keeps an announcement
the rules refused; ``resume`` records a torn last line cut when the journal was reopened."""

MAC_SUFFIX_LEN = len(',"mac":""}') + 64
"""Bytes of ``,"mac":"<64 hex>"}`` that end a keyed line."""

KEY_MIN_BYTES = 16
MIN_FREE = 4096
"""Free bytes the journal's filesystem must have before writes resume after a failure."""


class JournalError(AffectationError, ValueError):
    """A journal that cannot be trusted: names the file and the line at fault (French, for
    the operator: ``jour.jsonl: ligne 4: chaîne rompue …``)."""

    code = "E-JOURNAL"

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None):
        self.message = message
        self.file = file
        self.line = line
        where = [part for part in (file, f"ligne {line}" if line else None) if part]
        super().__init__((": ".join(where) + ": " if where else "") + message)


class JournalLocked(JournalError):
    """Another process (or another open journal in this one) writes this journal."""

    code = "E-JOURNAL-VERROUILLE"

    def __init__(self, message: str, *, file: str | None = None, pid: int | None = None):
        self.pid = pid
        super().__init__(message, file=file)


class JournalUnavailable(JournalError):
    """A write or an ``fsync`` failed: the entry was not recorded, the file was cut back to its
    last acknowledged line, and the journal refuses writes until :meth:`Journal.recover`."""

    code = "E-JOURNAL-INDISPONIBLE"


@attrs.frozen
class Head:
    """The head of a journal: the ``seq`` of its last line and the SHA-256 of that line."""

    seq: int
    tete: str
    """SHA-256 (hex) of the last line's bytes, newline excluded."""

    def __str__(self) -> str:
        return f"{self.seq}:{self.tete}"

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "tete": self.tete}


def instance_hash(instance: Instance) -> str:
    """SHA-256 of the instance's canonical document (the bytes ``save_instance`` writes);
    computed once per instance (``Instance.tables``)."""
    known = instance.tables
    if known.document_sha256 is None:
        from affectation.io import dumps, instance_to_dict

        known.document_sha256 = hashlib.sha256(dumps(instance_to_dict(instance))).hexdigest()
    return known.document_sha256


def key_id(key: bytes) -> str:
    """The public name of a key (written in the ``open`` record): never the key itself."""
    return hashlib.sha256(b"affectation-journal-key\x00" + key).hexdigest()[:16]


def read_key(path: str | os.PathLike[str]) -> bytes:
    """A key file's bytes (surrounding whitespace stripped), at least 16 bytes."""
    try:
        key = Path(path).read_bytes().strip()
    except OSError as error:
        raise JournalError(f"clé illisible ({error.strerror})", file=str(path)) from None
    if len(key) < KEY_MIN_BYTES:
        raise JournalError(f"clé trop courte ({len(key)} octets, au moins {KEY_MIN_BYTES})",
                           file=str(path))
    return key


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


_line_hash = line_hash


def _encode(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode(
        "utf-8"
    )


def _mac(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _seal(record: dict[str, Any], key: bytes | None) -> bytes:
    """The line of ``record``: with a key, ``"mac"`` closes it (HMAC of the bytes before)."""
    body = _encode(record)
    if key is None:
        return body
    return body[:-1] + b',"mac":"' + _mac(key, body).encode() + b'"}'


def mac_ok(line: bytes, key: bytes) -> bool:
    """Whether a keyed line's ``mac`` is the HMAC of the rest of the line under ``key``."""
    if len(line) <= MAC_SUFFIX_LEN or not line.endswith(b'"}'):
        return False
    suffix = line[-MAC_SUFFIX_LEN:]
    if not suffix.startswith(b',"mac":"'):
        return False
    given = suffix[len(b',"mac":"'):-2].decode("ascii", "replace")
    body = line[:-MAC_SUFFIX_LEN] + b"}"
    return hmac.compare_digest(given, _mac(key, body))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_journal(path: str | os.PathLike[str], instance: Instance | None = None, *,
                 key: bytes | None = None, data: bytes | None = None
                 ) -> tuple[list[dict[str, Any]], int]:
    """The records of a journal, checked, and the byte length of its acknowledged part.

    ``instance``: refuse the journal if its ``open`` record names another instance. ``key``:
    check every line's MAC (and that the journal was opened with this key). ``data``: the
    journal's bytes when already read.
    """
    file = str(path)
    if data is None:
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise JournalError(f"journal illisible ({error.strerror})",
                               file=file) from None
    good = data.rfind(b"\n") + 1  # a torn last line was never acknowledged
    records: list[dict[str, Any]] = []
    prev: str | None = None
    offset = 0
    for number, line in enumerate(data[:good].split(b"\n")[:-1], start=1):
        offset += len(line) + 1
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise JournalError("ligne qui n'est pas du JSON", file=file, line=number) from None
        if not isinstance(record, dict):
            raise JournalError("ligne qui n'est pas un objet JSON", file=file, line=number)
        if number == 1:
            if record.get("kind") != "open" or record.get("format") != JOURNAL_FORMAT:
                raise JournalError(
                    f"la première ligne doit être l'ouverture ('open') d'un {JOURNAL_FORMAT}",
                    file=file, line=1)
            if instance is not None and record.get("instance_sha256") != instance_hash(instance):
                raise JournalError(
                    "ce journal a été ouvert sur une autre instance (instance_sha256 diffère) : "
                    "reprenez-le avec le fichier d'instance de son ouverture", file=file, line=1)
            if key is not None and record.get("cle") != key_id(key):
                raise JournalError(
                    "ce journal n'a pas été ouvert avec cette clé (cle "
                    f"{record.get('cle')!r}, la clé donnée est {key_id(key)!r})",
                    file=file, line=1)
        else:
            if record.get("prev") != prev:
                raise JournalError(
                    f"chaîne rompue : 'prev' n'est pas l'empreinte de la ligne {number - 1} "
                    "(journal modifié, ou une ligne manque)", file=file, line=number)
            if record.get("seq") != number - 1:
                raise JournalError(f"numéro {record.get('seq')!r}, attendu {number - 1}",
                                   file=file, line=number)
            if record.get("kind") not in ENTRY_KINDS:
                raise JournalError(f"nature d'entrée inconnue {record.get('kind')!r}",
                                   file=file, line=number)
        if key is not None and not mac_ok(line, key):
            raise JournalError("MAC invalide : la ligne n'a pas été écrite avec la clé du "
                               "journal (modifiée ou forgée)", file=file, line=number)
        prev = line_hash(line)
        records.append(record)
    if not records:
        raise JournalError("journal vide : pas de ligne d'ouverture ('open')", file=file,
                           line=1)
    return records, good


def _lock(fd: int, path: Path) -> None:
    """Hold ``path`` exclusively (``flock``), or raise :class:`JournalLocked` naming the
    holder."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise
        pid = lock_holder(fd)
        who = (f"le processus {pid}" + (f" ({_cmdline(pid)})" if _cmdline(pid) else "")
               if pid else "un autre processus")
        if pid == os.getpid():
            who = f"ce même processus ({pid}), par une autre ouverture du journal"
        raise JournalLocked(
            f"journal déjà ouvert en écriture par {who} : un seul serveur par journal. "
            "Arrêtez l'autre serveur (ou attendez qu'il se termine) avant de reprendre.",
            file=str(path), pid=pid) from None


def lock_holder(fd: int) -> int | None:
    """The PID holding a ``flock`` on the file of ``fd``, from ``/proc/locks`` (Linux)."""
    st = os.fstat(fd)
    ident = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if "->" in parts:  # a waiter, not the holder
            continue
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5].lower() == ident:
            try:
                return int(parts[4])
            except ValueError:
                return None
    return None


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(part.decode("utf-8", "replace") for part in raw.split(b"\0") if part)[:120]


def _why(error: OSError) -> str:
    known = {errno.ENOSPC: "disque plein", errno.EFBIG: "fichier trop grand",
             errno.EDQUOT: "quota dépassé", errno.EIO: "erreur d'entrée-sortie",
             errno.EROFS: "système de fichiers en lecture seule"}
    return known.get(error.errno or 0, error.strerror or str(error))


class Journal:
    """An open journal file, held exclusively, written one fsynced line per entry."""

    def __init__(self, path: Path, fd: int, records: list[dict[str, Any]], last: bytes,
                 size: int, *, key: bytes | None = None, clock: Callable[[], str] = _now
                 ) -> None:
        self.path = path
        self.records = records
        self._fd = fd
        self._last = last
        self._prev = line_hash(last)
        self._size = size
        self._key = key
        self._clock = clock
        self.unavailable: str | None = None
        """Why the journal refuses writes (French, for the operator), or ``None``."""
        self.cut = 0
        """Bytes of a torn last line cut when the journal was resumed."""

    @classmethod
    def create(cls, path: str | os.PathLike[str], instance: Instance, *, operator: str = "",
               key: bytes | None = None, clock: Callable[[], str] = _now) -> Journal:
        """Start a new journal; refuses to overwrite an existing file."""
        target = Path(path)
        record: dict[str, Any] = {
            "kind": "open",
            "format": JOURNAL_FORMAT,
            "seq": 0,
            "time": clock(),
            "operator": operator,
            "instance": instance.nom,
            "instance_sha256": instance_hash(instance),
        }
        if key is not None:
            record["cle"] = key_id(key)
        line = _seal(record, key)
        try:
            fd = os.open(target, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        except FileExistsError:
            raise JournalError("le journal existe déjà : reprenez-le au lieu d'ouvrir une "
                               "nouvelle journée par-dessus", file=str(target)) from None
        except OSError as error:
            raise JournalError(f"impossible de créer le journal ({_why(error)})",
                               file=str(target)) from None
        try:
            _lock(fd, target)
            _write_all(fd, line + b"\n", 0)
            os.fsync(fd)
        except OSError as error:
            os.close(fd)
            target.unlink(missing_ok=True)
            raise JournalError(f"impossible d'écrire le journal ({_why(error)})",
                               file=str(target)) from None
        except BaseException:
            os.close(fd)
            raise
        _fsync_dir(target)
        return cls(target, fd, [record], line, len(line) + 1, key=key, clock=clock)

    @classmethod
    def resume(cls, path: str | os.PathLike[str], instance: Instance, *,
               key: bytes | None = None, clock: Callable[[], str] = _now) -> Journal:
        """Reopen an existing journal for writing, after taking its lock and checking it; a
        torn last line is cut and the cut recorded by a ``resume`` entry."""
        target = Path(path)
        try:
            fd = os.open(target, os.O_RDWR | os.O_CLOEXEC)
        except OSError as error:
            raise JournalError(f"journal illisible ({error.strerror})",
                               file=str(target)) from None
        try:
            _lock(fd, target)
            data = _read_all(fd)
            records, good = read_journal(target, instance, key=key, data=data)
            declared = records[0].get("cle")
            if declared and key is None:
                raise JournalError(
                    f"ce journal a été ouvert avec une clé (cle {declared}) : reprenez-le avec "
                    "la même clé (--cle FICHIER)", file=str(target), line=1)
            if key is not None and not declared:
                raise JournalError("ce journal a été ouvert sans clé : reprenez-le sans --cle",
                                   file=str(target), line=1)
            last = data[:good].split(b"\n")[-2]
            journal = cls(target, fd, records, last, good, key=key, clock=clock)
            if good != len(data):
                torn = data[good:]
                os.ftruncate(fd, good)
                os.fsync(fd)
                journal.cut = len(torn)
                journal.append("resume", cut_bytes=len(torn), cut_sha256=line_hash(torn),
                               operator="")
        except BaseException:
            os.close(fd)
            raise
        return journal

    @property
    def entries(self) -> list[dict[str, Any]]:
        """Every record after ``open``."""
        return self.records[1:]

    @property
    def head(self) -> Head:
        """The ``seq`` of the last acknowledged line and the SHA-256 of its bytes."""
        return Head(len(self.records) - 1, self._prev)

    @property
    def keyed(self) -> bool:
        return self._key is not None

    def append(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Write one entry, fsync it, and only then return it (the acknowledgement).

        Raises :class:`JournalUnavailable` (nothing recorded, the file cut back to its last
        acknowledged line) when the journal is unavailable or the write or fsync fails."""
        if kind not in ENTRY_KINDS:
            raise ValueError(f"unknown journal kind {kind!r}")
        if self.unavailable is not None:
            raise JournalUnavailable(self.unavailable, file=str(self.path))
        record = {"seq": len(self.records), "time": self._clock(), "kind": kind, **fields,
                  "prev": self._prev}
        line = _seal(record, self._key)
        try:
            _write_all(self._fd, line + b"\n", self._size)
            os.fsync(self._fd)
        except OSError as error:
            self._fail(error)
        self._size += len(line) + 1
        self._prev = line_hash(line)
        self._last = line
        self.records.append(record)
        return record

    def _fail(self, error: OSError) -> None:
        cut = True
        try:
            os.ftruncate(self._fd, self._size)
            os.fsync(self._fd)
        except OSError:
            cut = False
        self.unavailable = (
            f"journal indisponible ({_why(error)}) : l'entrée n'a pas été enregistrée"
            + ("" if cut else ", et le fichier n'a pas pu être ramené à sa dernière entrée")
            + ". Corrigez la cause (place disque, droits) puis reprenez.")
        raise JournalUnavailable(self.unavailable, file=str(self.path)) from None

    def recover(self) -> bool:
        """After a failed write: cut the file back to its last acknowledged line, check it
        ends with that line, and accept writes again. ``False`` (still unavailable) if the
        file cannot be made whole."""
        if self.unavailable is None:
            return True
        try:
            os.ftruncate(self._fd, self._size)
            os.fsync(self._fd)
            size = os.fstat(self._fd).st_size
            tail = os.pread(self._fd, len(self._last) + 1, self._size - len(self._last) - 1)
        except OSError as error:
            self.unavailable = (f"journal toujours indisponible ({_why(error)}) : corrigez la "
                                "cause puis reprenez.")
            return False
        if size != self._size or tail != self._last + b"\n":
            self.unavailable = ("journal toujours indisponible : le fichier ne finit pas par "
                                "la dernière entrée acquittée (modifié pendant l'arrêt ?)")
            return False
        free = _free_bytes(self._fd)
        if free is not None and free < MIN_FREE:
            self.unavailable = (f"journal toujours indisponible : disque plein ({free} octets "
                                "libres) ; libérez de la place puis reprenez.")
            return False
        self.unavailable = None
        return True

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # releases the lock
            self._fd = -1

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.entries)


def _free_bytes(fd: int) -> int | None:
    try:
        st = os.fstatvfs(fd)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def _write_all(fd: int, data: bytes, offset: int) -> None:
    """Write ``data`` at ``offset`` with ``os.write`` (no buffer), however many calls it
    takes."""
    os.lseek(fd, offset, os.SEEK_SET)
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, "short write")
        view = view[written:]


def _read_all(fd: int) -> bytes:
    chunks = []
    offset = 0
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


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
