"""The campaign's database: one SQLite file, every save one committed transaction.

A campaign is opened from an instance (:meth:`Campaign.open`); its file holds

- ``meta``: the campaign id, the instance as JSON, when it was opened, its closing time;
- ``tokens``: one per interne, the SHA-256 of a 128-bit random token (the token itself is
  shown once, in ``liens.csv``, and never stored);
- ``lists``: the **append-only** history of every saved wish list, each row with its receipt
  (:mod:`affectation.voeux.receipt`) chained to the interne's previous one; triggers refuse an
  ``UPDATE`` or a ``DELETE``;
- ``procurations``: append-only too, the latest row of an interne wins;
- ``consents`` (schema 2): append-only, each interne's word on the anonymised publication of
  the simulation (named or anonymous; the latest row wins, no row: anonymous);
- ``couple_lists`` (schema 2): append-only, the joint lists of pairs of the couples (R-ORD-2):
  one member proposes a list, the other confirms that very proposal; the latest confirmed
  proposal is the couple's list (:meth:`Campaign.couple_list`);
- ``publications`` (schema 2): append-only, each simulation the organiser published, kept
  with ids and rendered anonymised at every read (:mod:`affectation.voeux.publication`), so a
  withdrawn consent takes effect at once.

The file is in WAL mode with ``synchronous=FULL``: :meth:`Campaign.save` returns (and the
server acknowledges) only after the transaction is committed and synced, so a crash, even a
``kill -9``, loses no acknowledged save. The schema version is ``PRAGMA user_version``
(:data:`SCHEMA`); a file of version 1 is migrated in place (one transaction) when opened, a
file of another version is refused. :meth:`Campaign.backup` copies the
file while it is in use through SQLite's online backup API.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from affectation.errors import AffectationError
from affectation.io import instance_from_dict, instance_to_dict
from affectation.model import Instance
from affectation.rules.reasons import Reason
from affectation.rules.turn import reach
from affectation.voeux.receipt import Receipt, digest

__all__ = ["SCHEMA", "Campaign", "CampaignError", "CoupleList", "Procuration", "Saved",
           "hash_token", "now_utc"]

SCHEMA = 2
"""``PRAGMA user_version`` of a campaign file this code reads and writes."""

MAX_WISHES = 500
"""Longest wish list accepted."""

_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tokens (interne TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, issued TEXT NOT NULL);
CREATE TABLE lists (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    interne TEXT NOT NULL,
    voeux TEXT NOT NULL,
    time TEXT NOT NULL,
    previous TEXT NOT NULL,
    receipt TEXT NOT NULL UNIQUE
);
CREATE INDEX lists_interne ON lists (interne, seq);
CREATE TRIGGER lists_no_update BEFORE UPDATE ON lists
    BEGIN SELECT RAISE(ABORT, 'lists is append-only'); END;
CREATE TRIGGER lists_no_delete BEFORE DELETE ON lists
    BEGIN SELECT RAISE(ABORT, 'lists is append-only'); END;
CREATE TABLE procurations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    interne TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('present', 'liste', 'mandataire')),
    mandataire TEXT NOT NULL,
    time TEXT NOT NULL
);
CREATE TRIGGER procurations_no_update BEFORE UPDATE ON procurations
    BEGIN SELECT RAISE(ABORT, 'procurations is append-only'); END;
CREATE TRIGGER procurations_no_delete BEFORE DELETE ON procurations
    BEGIN SELECT RAISE(ABORT, 'procurations is append-only'); END;
"""

_DDL_2 = """
CREATE TABLE consents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    interne TEXT NOT NULL,
    nominatif INTEGER NOT NULL CHECK (nominatif IN (0, 1)),
    time TEXT NOT NULL
);
CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
    BEGIN SELECT RAISE(ABORT, 'consents is append-only'); END;
CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
    BEGIN SELECT RAISE(ABORT, 'consents is append-only'); END;
CREATE TABLE publications (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    simulation TEXT NOT NULL
);
CREATE TRIGGER publications_no_update BEFORE UPDATE ON publications
    BEGIN SELECT RAISE(ABORT, 'publications is append-only'); END;
CREATE TRIGGER publications_no_delete BEFORE DELETE ON publications
    BEGIN SELECT RAISE(ABORT, 'publications is append-only'); END;
CREATE TABLE couple_lists (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    couple TEXT NOT NULL,
    interne TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('propose', 'confirme')),
    voeux TEXT NOT NULL,
    proposal INTEGER NOT NULL,
    time TEXT NOT NULL
);
CREATE TRIGGER couple_lists_no_update BEFORE UPDATE ON couple_lists
    BEGIN SELECT RAISE(ABORT, 'couple_lists is append-only'); END;
CREATE TRIGGER couple_lists_no_delete BEFORE DELETE ON couple_lists
    BEGIN SELECT RAISE(ABORT, 'couple_lists is append-only'); END;
"""

MIGRATIONS = {1: _DDL_2}
"""``{version: the script that takes a file of this version to the next}``."""


_STATUS = {"refused": 400, "unknown": 404, "closed": 409, "stale": 409}


class CampaignError(AffectationError, ValueError):
    """A campaign file that cannot be used, or a write it refuses: a French sentence.

    ``code`` is the library's stable code (``E-CAMPAGNE``); ``motif`` says which refusal,
    stable too (``refused``, ``closed``, ``stale``, ``unknown``): what a program matches, never
    the sentence; ``status`` the HTTP status the server answers with."""

    code = "E-CAMPAGNE"

    def __init__(self, message: str, *, motif: str = "refused") -> None:
        super().__init__(message)
        self.motif = motif

    @property
    def status(self) -> int:
        return _STATUS.get(self.motif, 400)


def now_utc() -> str:
    """The time now, UTC, ISO 8601 with microseconds and a ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hash_token(token: str) -> str:
    """What the file keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@attrs.frozen
class Saved:
    """One saved list of the history."""

    seq: int
    interne: str
    voeux: tuple[str, ...] = attrs.field(converter=tuple)
    time: str
    """UTC, ISO 8601 (:func:`now_utc`)."""
    previous: str
    """The interne's previous receipt (``""`` for the first)."""
    receipt: str
    """SHA-256 hex of (campaign, interne, list, time, previous) (:func:`digest`)."""


@attrs.frozen
class CoupleList:
    """A joint list proposed by one member of a couple, and whether the other confirmed it."""

    seq: int
    """The proposal's number (what the confirmation names)."""
    couple: tuple[str, str]
    """The couple's internes, in the instance's order (each pair's order)."""
    auteur: str
    voeux: tuple[tuple[str, str], ...]
    time: str
    confirmed: str | None
    """When the other member confirmed it, or ``None``."""


@attrs.frozen
class Procuration:
    """What an interne said of the choice day: present, absent with their list standing
    (``liste``), or absent with a mandataire who chooses for them."""

    interne: str
    mode: str
    """``present``, ``liste`` or ``mandataire``."""
    mandataire: str
    time: str


class Campaign:
    """One campaign file, opened for reading and writing (one connection, one lock)."""

    def __init__(self, path: str | os.PathLike[str], *, _create: Instance | None = None,
                 fermeture: str | None = None) -> None:
        self.path = Path(path)
        if _create is None and not self.path.is_file():
            raise CampaignError(f"{self.path} : base introuvable (créez-la avec "
                                "affectation voeux ouvrir)")
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False,
                                       isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise CampaignError(f"{self.path} : ce n'est pas une base de vœux lisible "
                                f"({error})") from None
        self._lock = threading.RLock()
        if _create is not None:
            if version != 0:
                self._db.close()
                raise CampaignError(f"{self.path} : une campagne existe déjà dans cette base")
            self._create(_create, fermeture)
        elif 0 < version < SCHEMA:
            self._migrate(version)
        elif version != SCHEMA:
            self._db.close()
            raise CampaignError(f"{self.path} : version de base {version} inconnue (attendue "
                                f"{SCHEMA})")
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        self.campaign_id: str = meta["campagne"]
        self.opened: str = meta["ouverture"]
        self.instance: Instance = instance_from_dict(json.loads(meta["instance"]))
        self._version = self._count()
        self._eligibility: dict[str, dict[str, str | None]] = {}

    # --- creation -----------------------------------------------------------------------

    @classmethod
    def open(cls, instance: Instance, path: str | os.PathLike[str], *,
             fermeture: str | None = None) -> Campaign:
        """A new campaign for ``instance`` in a new file at ``path``."""
        target = Path(path)
        if target.exists():
            raise CampaignError(f"{target} : le fichier existe déjà (une campagne par base)")
        try:
            return cls(target, _create=instance, fermeture=fermeture)
        except BaseException:
            for suffix in ("", "-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            raise

    def _create(self, instance: Instance, fermeture: str | None) -> None:
        doc = json.dumps(instance_to_dict(instance), ensure_ascii=False)
        with self._lock:
            self._db.executescript("BEGIN IMMEDIATE;" + _DDL + _DDL_2)
            try:
                rows = [("campagne", str(uuid.uuid4())), ("ouverture", now_utc()),
                        ("instance", doc)]
                if fermeture is not None:
                    rows.append(("fermeture", fermeture))
                self._db.executemany("INSERT INTO meta VALUES (?, ?)", rows)
                self._db.execute(f"PRAGMA user_version={SCHEMA}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _migrate(self, version: int) -> None:
        """Take a file of an older schema to :data:`SCHEMA`, in one transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                while version < SCHEMA:
                    for statement in _statements(MIGRATIONS[version]):
                        self._db.execute(statement)
                    version += 1
                self._db.execute(f"PRAGMA user_version={SCHEMA}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Campaign:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- meta ---------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    @property
    def closed_at(self) -> str | None:
        """When the lists were frozen (``fermer``), or ``None``."""
        return self._meta("fermee")

    @property
    def fermeture(self) -> str | None:
        """The planned closing time (``AAAA-MM-JJTHH:MM``, UTC), or ``None``."""
        return self._meta("fermeture")

    def is_closed(self, at: str | None = None) -> bool:
        """Frozen by ``fermer``, or past the planned closing time."""
        if self.closed_at is not None:
            return True
        planned = self.fermeture
        return planned is not None and (at or now_utc()) >= planned

    def close_lists(self) -> str:
        """Freeze the lists now; the time it took effect (idempotent)."""
        with self._lock:
            done = self.closed_at
            if done is not None:
                return done
            when = now_utc()
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT INTO meta VALUES ('fermee', ?)", (when,))
            self._db.execute("COMMIT")
            return when

    # --- tokens -------------------------------------------------------------------------

    def issued(self) -> frozenset[str]:
        """Internes who have a token."""
        return frozenset(r[0] for r in self._db.execute("SELECT interne FROM tokens"))

    def issue_tokens(self, interne_ids: Sequence[str]) -> dict[str, str]:
        """New tokens for these internes (replacing any they had), in one transaction:
        ``{interne: token}``; only their hashes are stored."""
        unknown = [i for i in interne_ids if i not in self.instance.interne_by_id]
        if unknown:
            raise CampaignError(f"interne inconnu : {unknown[0]!r}")
        tokens = {i: secrets.token_urlsafe(16) for i in interne_ids}  # 128 bits each
        when = now_utc()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO tokens VALUES (?, ?, ?)",
                    [(i, hash_token(t), when) for i, t in tokens.items()])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return tokens

    def interne_of(self, token: str) -> str | None:
        """The interne whose token this is, or ``None``."""
        row = self._db.execute("SELECT interne FROM tokens WHERE hash = ?",
                               (hash_token(token),)).fetchone()
        return None if row is None else row[0]

    # --- lists --------------------------------------------------------------------------

    @property
    def version(self) -> int:
        """How many lists and procurations were saved (changes at every save)."""
        return self._version

    def _count(self) -> int:
        a = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM lists").fetchone()[0]
        b = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM procurations").fetchone()[0]
        c = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM couple_lists").fetchone()[0]
        return int(a) + int(b) + int(c)

    def save(self, interne_id: str, voeux: Sequence[str], *,
             previous: str | None = None) -> Saved:
        """Append ``voeux`` as ``interne_id``'s list; committed and synced before it returns.

        ``previous``: the receipt the caller last saw; a different latest receipt (another tab
        saved meanwhile) refuses the save. Checks: the campaign open, the terrains known and
        distinct (:meth:`check_list`)."""
        voeux = tuple(voeux)
        self.check_list(interne_id, voeux)
        with self._lock:
            if self.is_closed():
                raise CampaignError("la campagne est fermée : les listes sont figées",
                                    motif="closed")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT receipt FROM lists WHERE interne = ? ORDER BY seq DESC LIMIT 1",
                    (interne_id,)).fetchone()
                last = "" if row is None else row[0]
                if previous is not None and previous != last:
                    raise CampaignError("une autre page a enregistré une liste entre-temps : "
                                        "rechargez la page pour la voir", motif="stale")
                when = now_utc()
                receipt = digest(self.campaign_id, interne_id, voeux, when, last)
                cursor = self._db.execute(
                    "INSERT INTO lists (interne, voeux, time, previous, receipt) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (interne_id, json.dumps(list(voeux), ensure_ascii=False), when, last,
                     receipt))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._version += 1
            return Saved(int(cursor.lastrowid or 0), interne_id, voeux, when, last, receipt)

    def check_list(self, interne_id: str, voeux: Sequence[str]) -> None:
        """Refuse (French) a list naming an unknown terrain, a terrain twice, or too long."""
        if interne_id not in self.instance.interne_by_id:
            raise CampaignError(f"interne inconnu : {interne_id!r}")
        if len(voeux) > MAX_WISHES:
            raise CampaignError(f"liste trop longue ({len(voeux)} vœux, au plus {MAX_WISHES})")
        seen: set[str] = set()
        for rank, terrain in enumerate(voeux, start=1):
            if terrain not in self.instance.terrain_by_id:
                raise CampaignError(f"vœu {rank} : terrain inconnu {terrain[:60]!r}")
            if terrain in seen:
                raise CampaignError(f"vœu {rank} : le terrain {terrain} est déjà dans la liste")
            seen.add(terrain)
        closed = self.eligibility(interne_id)
        for rank, terrain in enumerate(voeux, start=1):
            if closed[terrain] is not None:
                raise CampaignError(f"vœu {rank} : {self._terrain_label(terrain)} ne vous est "
                                    f"pas accessible ({closed[terrain]})")

    def _terrain_label(self, terrain_id: str) -> str:
        t = self.instance.terrain(terrain_id)
        return f"{t.nom} ({t.id})" if t.nom else t.id

    def eligibility(self, interne_id: str) -> dict[str, str | None]:
        """``{terrain id: None if the interne may take it, else why not (French, rule)}``,
        every terrain in file order; asked of the turn kernel (:func:`rules.turn.reach`),
        free postes aside."""
        cached = self._eligibility.get(interne_id)
        if cached is None:
            interne = self.instance.interne(interne_id)
            cached = {}
            for terrain in self.instance.terrains:
                how, _slot = reach(self.instance, interne, terrain)
                cached[terrain.id] = None if how != "no" else Reason.NOT_ELIGIBLE.words
            self._eligibility[interne_id] = cached
        return cached

    def history(self, interne_id: str | None = None) -> list[Saved]:
        """Every saved list, oldest first (one interne's, or everyone's)."""
        query = "SELECT seq, interne, voeux, time, previous, receipt FROM lists"
        args: tuple[Any, ...] = ()
        if interne_id is not None:
            query += " WHERE interne = ?"
            args = (interne_id,)
        return [Saved(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4], r[5])
                for r in self._db.execute(query + " ORDER BY seq", args)]

    def latest(self) -> dict[str, Saved]:
        """Each interne's latest saved list."""
        rows = self._db.execute(
            "SELECT seq, interne, voeux, time, previous, receipt FROM lists WHERE seq IN "
            "(SELECT MAX(seq) FROM lists GROUP BY interne)")
        return {r[1]: Saved(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4], r[5])
                for r in rows}

    def latest_of(self, interne_id: str) -> Saved | None:
        row = self._db.execute(
            "SELECT seq, interne, voeux, time, previous, receipt FROM lists WHERE interne = ? "
            "ORDER BY seq DESC LIMIT 1", (interne_id,)).fetchone()
        return None if row is None else Saved(row[0], row[1], tuple(json.loads(row[2])),
                                              row[3], row[4], row[5])

    def find_receipt(self, receipt: str) -> Saved | None:
        row = self._db.execute(
            "SELECT seq, interne, voeux, time, previous, receipt FROM lists WHERE receipt = ?",
            (receipt,)).fetchone()
        return None if row is None else Saved(row[0], row[1], tuple(json.loads(row[2])),
                                              row[3], row[4], row[5])

    # --- procurations -------------------------------------------------------------------

    def set_procuration(self, interne_id: str, mode: str, mandataire: str = "") -> Procuration:
        """Record what ``interne_id`` said of the day (committed before it returns)."""
        if interne_id not in self.instance.interne_by_id:
            raise CampaignError(f"interne inconnu : {interne_id!r}")
        if mode not in ("present", "liste", "mandataire"):
            raise CampaignError(f"mode {mode[:30]!r} inconnu (attendus : present, liste, "
                                "mandataire)")
        mandataire = mandataire.strip()
        if mode == "mandataire" and not mandataire:
            raise CampaignError("nommez votre mandataire (nom et prénom)")
        if mode != "mandataire":
            mandataire = ""
        with self._lock:
            if self.is_closed():
                raise CampaignError("la campagne est fermée : les procurations sont figées",
                                    motif="closed")
            when = now_utc()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT INTO procurations (interne, mode, mandataire, time) "
                                 "VALUES (?, ?, ?, ?)", (interne_id, mode, mandataire, when))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._version += 1
        return Procuration(interne_id, mode, mandataire, when)

    def procurations(self) -> dict[str, Procuration]:
        """Each interne's latest word on the day."""
        rows = self._db.execute(
            "SELECT interne, mode, mandataire, time FROM procurations WHERE seq IN "
            "(SELECT MAX(seq) FROM procurations GROUP BY interne)")
        return {r[0]: Procuration(*r) for r in rows}

    # --- the couples' joint lists (R-ORD-2) ---------------------------------------------------

    def _couple(self, interne_id: str) -> tuple[str, str]:
        couple = self.instance.couple_of.get(interne_id)
        if couple is None:
            raise CampaignError("vous n'êtes pas inscrit(e) en couple dans cette campagne",
                                motif="unknown")
        return couple.internes

    def propose_couple_list(self, interne_id: str,
                            voeux: Sequence[Sequence[str]]) -> CoupleList:
        """``interne_id`` proposes their couple's joint list (pairs in the order of the
        couple's internes); it stands once the other member confirms it
        (:meth:`confirm_couple_list`). Committed before it returns."""
        members = self._couple(interne_id)
        pairs = tuple((str(a), str(b)) for a, b in voeux)
        if len(pairs) > MAX_WISHES:
            raise CampaignError(f"liste trop longue ({len(pairs)} paires, au plus "
                                f"{MAX_WISHES})")
        closed = [self.eligibility(m) for m in members]
        seen: set[tuple[str, str]] = set()
        for rank, pair in enumerate(pairs, start=1):
            for member, terrain, why in zip(members, pair, closed, strict=True):
                if terrain not in self.instance.terrain_by_id:
                    raise CampaignError(f"paire {rank} : terrain inconnu {terrain[:60]!r}")
                if why[terrain] is not None:
                    raise CampaignError(
                        f"paire {rank} : {self._terrain_label(terrain)} n'est pas accessible à "
                        f"{self.instance.interne(member).libelle} ({why[terrain]})")
            if pair in seen:
                raise CampaignError(f"paire {rank} : cette paire est déjà dans la liste")
            seen.add(pair)
        with self._lock:
            if self.is_closed():
                raise CampaignError("la campagne est fermée : les listes sont figées",
                                    motif="closed")
            when = now_utc()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(
                    "INSERT INTO couple_lists (couple, interne, kind, voeux, proposal, time) "
                    "VALUES (?, ?, 'propose', ?, 0, ?)",
                    ("+".join(members), interne_id, json.dumps([list(p) for p in pairs]),
                     when))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._version += 1
        return CoupleList(int(cursor.lastrowid or 0), members, interne_id, pairs, when, None)

    def confirm_couple_list(self, interne_id: str, proposal: int) -> CoupleList:
        """The other member confirms the proposal ``proposal``, which must be the couple's
        latest (a newer one: refused, ``stale``). Committed before it returns."""
        members = self._couple(interne_id)
        with self._lock:
            if self.is_closed():
                raise CampaignError("la campagne est fermée : les listes sont figées",
                                    motif="closed")
            latest = self.couple_proposal(interne_id)
            if latest is None or latest.seq != proposal:
                raise CampaignError("cette proposition n'est plus la dernière : rechargez la "
                                    "page pour voir la liste commune proposée", motif="stale")
            if latest.auteur == interne_id:
                raise CampaignError("c'est votre propre proposition : l'autre membre du couple "
                                    "doit la confirmer")
            if latest.confirmed is not None:
                return latest
            when = now_utc()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO couple_lists (couple, interne, kind, voeux, proposal, time) "
                    "VALUES (?, ?, 'confirme', '[]', ?, ?)",
                    ("+".join(members), interne_id, proposal, when))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._version += 1
        return attrs.evolve(latest, confirmed=when)

    def _proposals(self, members: tuple[str, str], where: str) -> CoupleList | None:
        key = "+".join(members)
        row = self._db.execute(
            "SELECT p.seq, p.interne, p.voeux, p.time, c.time FROM couple_lists p "
            "LEFT JOIN couple_lists c ON c.kind = 'confirme' AND c.proposal = p.seq "
            f"WHERE p.couple = ? AND p.kind = 'propose' {where} ORDER BY p.seq DESC LIMIT 1",
            (key,)).fetchone()
        if row is None:
            return None
        return CoupleList(row[0], members, row[1],
                          tuple((a, b) for a, b in json.loads(row[2])), row[3], row[4])

    def couple_proposal(self, interne_id: str) -> CoupleList | None:
        """The latest joint list proposed in ``interne_id``'s couple (confirmed or not)."""
        return self._proposals(self._couple(interne_id), "")

    def couple_list(self, interne_id: str) -> CoupleList | None:
        """The joint list in effect for ``interne_id``'s couple: the latest confirmed
        proposal, or ``None``."""
        return self._proposals(self._couple(interne_id), "AND c.time IS NOT NULL")

    # --- the anonymised publication ---------------------------------------------------------

    def set_consent(self, interne_id: str, nominatif: bool) -> str:
        """Record whether ``interne_id`` may appear by name in the published simulation
        (committed before it returns); the time it was recorded. Allowed after the closing
        too: it concerns the publication, not the lists."""
        if interne_id not in self.instance.interne_by_id:
            raise CampaignError(f"interne inconnu : {interne_id!r}", motif="unknown")
        with self._lock:
            when = now_utc()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT INTO consents (interne, nominatif, time) "
                                 "VALUES (?, ?, ?)", (interne_id, int(bool(nominatif)), when))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return when

    def consents(self) -> frozenset[str]:
        """The internes who agreed, at their latest word, to appear by name."""
        rows = self._db.execute(
            "SELECT interne FROM consents WHERE nominatif = 1 AND seq IN "
            "(SELECT MAX(seq) FROM consents GROUP BY interne)")
        return frozenset(r[0] for r in rows)

    def publish(self, simulation: dict[str, Any]) -> tuple[int, str]:
        """Keep ``simulation`` (:func:`affectation.voeux.publication.simulation`) as the
        published one; ``(its number, its time)``."""
        with self._lock:
            when = now_utc()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(
                    "INSERT INTO publications (time, simulation) VALUES (?, ?)",
                    (when, json.dumps(simulation, ensure_ascii=False)))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return int(cursor.lastrowid or 0), when

    def published(self) -> tuple[int, str, dict[str, Any]] | None:
        """The latest published simulation ``(number, time, simulation)``, or ``None``."""
        row = self._db.execute("SELECT seq, time, simulation FROM publications "
                               "ORDER BY seq DESC LIMIT 1").fetchone()
        return None if row is None else (row[0], row[1], json.loads(row[2]))

    # --- what comes out -----------------------------------------------------------------

    def current_instance(self) -> Instance:
        """The instance with each interne's latest saved list; those who never saved get an
        empty list marked ``voeux_connus=False`` (a pré-choix guesses it); each couple with
        its confirmed joint list (:meth:`couple_list`; none confirmed: the instance's)."""
        latest = self.latest()
        internes = []
        for interne in self.instance.internes:
            saved = latest.get(interne.id)
            internes.append(attrs.evolve(interne, voeux=saved.voeux, voeux_connus=True)
                            if saved is not None
                            else attrs.evolve(interne, voeux=(), voeux_connus=False))
        couples = []
        for couple in self.instance.couples:
            joint = self.couple_list(couple.internes[0])
            couples.append(couple if joint is None else attrs.evolve(couple, voeux=joint.voeux))
        return attrs.evolve(self.instance, internes=internes, couples=couples)

    def procurations_document(self) -> dict[str, Any]:
        """The procurations as the export's side file (``affectation-procurations/1``)."""
        return {
            "format": "affectation-procurations/1",
            "campagne": self.campaign_id,
            "procurations": [
                {"interne": p.interne, "absent": p.mode != "present",
                 "mode": p.mode, "mandataire": p.mandataire or None, "heure": p.time}
                for p in sorted(self.procurations().values(), key=lambda p: p.interne)],
        }

    def receipt_of(self, saved: Saved) -> Receipt:
        interne = self.instance.interne(saved.interne)
        return Receipt(campagne=self.campaign_id, interne=saved.interne,
                       libelle=interne.libelle, voeux=saved.voeux, heure=saved.time,
                       precedent=saved.previous, empreinte=saved.receipt)

    def backup(self, target: str | os.PathLike[str]) -> Path:
        """A consistent copy of the file, taken while it is in use (SQLite's backup API)."""
        out = Path(target)
        if out.exists():
            raise CampaignError(f"{out} : le fichier existe déjà")
        dest = sqlite3.connect(out)
        try:
            with self._lock:
                self._db.backup(dest)
        finally:
            dest.close()
        return out


def _statements(script: str) -> list[str]:
    """The statements of a DDL script (triggers kept whole), for ``execute`` one by one inside
    a transaction (``executescript`` would commit first)."""
    out: list[str] = []
    buffer = ""
    for line in script.strip().splitlines():
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    return out
