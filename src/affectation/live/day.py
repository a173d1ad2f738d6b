"""The choice day run live, turn by turn, every entry in a journal (issue 9, item 2).

``ChoiceDay`` calls the internes in the order of R-ORD (couples together at the later turn,
R-ORD-2), round after round (R-ROUND-1); a round with its own ranking calls the internes it
lists by it, and no one else (R-ROUND-2, the kernel's ``Round.order``). At each turn the
operator records what the interne announces in the room (:meth:`ChoiceDay.choose`), plays
their procuration (:meth:`ChoiceDay.by_procuration`, R-VOE-1), records that they take nothing
(:meth:`ChoiceDay.pass_`) or the imposition R-IMP requires (:meth:`ChoiceDay.impose`), and may
undo the last entry (:meth:`ChoiceDay.undo`, itself a journal entry). The rules are the
functions of ``affectation.rules``; the mandatory fill is the same running count the serial
engine uses, so a day played entirely by procuration is the serial dictatorship.

Every entry is written to the journal and fsynced before the call returns; ``resume`` replays
the journal through the same rules and refuses one that does not replay (naming its line).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import attrs

from affectation.errors import AffectationError
from affectation.live.journal import Head, Journal, JournalError, read_journal
from affectation.live.procurations import Procuration
from affectation.model import Instance, Interne, Terrain
from affectation.result import Affectation, Refusal, Result, SolveInfo, SolveStatus, Turn
from affectation.rules.order import choice_order
from affectation.rules.reasons import Reason
from affectation.rules.turn import Round, imposed, partner_now, why_imposed
from affectation.rules.voeux import no_poste_reason, own_rank

__all__ = ["Caller", "ChoiceDay", "ChoiceRefused", "Option"]

ANNOUNCED = (Reason.FULL, Reason.NOT_ELIGIBLE, Reason.WOULD_LOWER_FILL, Reason.NOT_IN_ROUND,
             Reason.PAIR_UNAVAILABLE)
"""Refusals of a terrain the interne announced: kept in the journal (R-IMP, in the room)."""

ACTION_RULE = {"unknown_terrain": "FORMAT.md", "not_allowed": "", "day_over": "R-ORD"}
"""Rule ids of the refusals that are not a terrain's (a mistyped id, an action out of turn)."""


class ChoiceRefused(AffectationError, ValueError):
    """A choice the rules forbid: ``reason`` (a :class:`~affectation.rules.reasons.Reason`,
    or ``unknown_terrain``, ``not_allowed``, ``day_over``), the ``rule`` id and a French
    sentence; ``record`` is the journal entry of a refused announcement (``None`` if not
    journalled)."""

    code = "E-CHOIX-REFUSE"

    def __init__(self, reason: str, message: str, *, terrain: str | None = None,
                 taken_by: Mapping[str, Any] | None = None, rule: str | None = None) -> None:
        self.reason = reason
        if rule is None:
            rule = Reason(reason).rule if reason in Reason._value2member_map_ else (
                ACTION_RULE.get(reason, ""))
        self.rule = rule
        self.terrain = terrain
        self.taken_by = dict(taken_by) if taken_by else None
        self.record: dict[str, Any] | None = None
        super().__init__(message)


@attrs.frozen
class Option:
    """One terrain of the round as the caller sees it now."""

    terrain: str
    free: int
    """Free postes (surnombre postes never count)."""
    reason: Reason | None = None
    """``None``: may be taken now; else why not."""
    slot: str | None = None
    """The maquette slot it would fill."""
    voeu: int | None = None
    """Its place in the caller's wish list."""
    taken_by: Mapping[str, Any] | None = None
    """For a full terrain: who took its last poste (interne, position, entry)."""

    @property
    def open(self) -> bool:
        return self.reason is None

    @property
    def rule(self) -> str | None:
        return self.reason.rule if self.reason else None

    @property
    def raison(self) -> str | None:
        """Why not, in French."""
        return self.reason.words if self.reason else None


@attrs.frozen
class Caller:
    """Who is called now: one interne, or a couple choosing together (R-ORD-2)."""

    internes: tuple[str, ...]
    round: str
    position: int
    """1-based position of the (first) interne in the round's call order (the order of
    choice, or the round's own ranking, R-ROUND-2)."""

    @property
    def couple(self) -> bool:
        return len(self.internes) == 2

    def __str__(self) -> str:
        return " + ".join(self.internes)


class _Placement(NamedTuple):
    interne: str
    terrain: str
    slot: str | None
    rank: int | None
    impose: bool
    why: str | None
    surnombre: str | None
    joint: bool


class _Plan(NamedTuple):
    """What an action does, computed before it is journalled, executed after."""

    kind: str
    placements: tuple[_Placement, ...]
    refusals: tuple[tuple[str, tuple[Refusal, ...]], ...]
    """(interne, refusals) for the trace of a turn with no poste, or the couple's pairs."""
    fallback: bool = False
    """A couple's turn ends without a pair: the members choose alone."""
    announced: tuple[str, Reason] | None = None
    """For a refused announcement (kind ``refused``): the terrain and why."""


class ChoiceDay:
    """The state of a choice day, kept in step with its journal."""

    def __init__(self, instance: Instance, journal: Journal | None) -> None:
        self.instance = instance
        self.journal = journal
        self.order = choice_order(instance)
        """The order of choice (R-ORD): the result's ``ordre``; each round calls by its own
        :attr:`calls` (R-ROUND-2)."""
        self.procurations: dict[str, Procuration] = {}
        """Who said they will be absent (:meth:`set_procurations`): an input of the day, like
        the instance, not an entry of its journal."""
        self._reset()

    # --- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, instance: Instance, journal: str | os.PathLike[str] | None = None, *,
             operator: str = "", key: bytes | None = None) -> ChoiceDay:
        """Start the day; ``journal`` is a new file (``None``: a day kept in memory only, for
        rehearsals and simulations), held exclusively until :meth:`close`; ``key``: every line
        carries its HMAC under it."""
        book = (None if journal is None
                else Journal.create(journal, instance, operator=operator, key=key))
        return cls(instance, book)

    @classmethod
    def resume(cls, instance: Instance, journal: str | os.PathLike[str], *,
               key: bytes | None = None) -> ChoiceDay:
        """Rebuild the day from its journal: exactly the state of the last acknowledged entry,
        the journal reopened (and held exclusively) for the next entries (a torn last line is
        cut, and the cut recorded)."""
        book = Journal.resume(journal, instance, key=key)
        try:
            day = cls._replayed(instance, book.entries, str(journal))
        except BaseException:
            book.close()
            raise
        day.journal = book
        return day

    @classmethod
    def replay(cls, instance: Instance, journal: str | os.PathLike[str], *,
               key: bytes | None = None) -> ChoiceDay:
        """The day of a journal, read only: the file is not opened for writing, and the day
        returned has no journal (further entries stay in memory)."""
        records, _ = read_journal(journal, instance, key=key)
        return cls._replayed(instance, records[1:], str(journal))

    @classmethod
    def _replayed(cls, instance: Instance, entries: list[dict[str, Any]], file: str
                  ) -> ChoiceDay:
        day = cls(instance, None)
        for line, record in enumerate(entries, start=2):
            try:
                day._replay(record)
            except (ChoiceRefused, KeyError, TypeError, ValueError) as error:
                raise JournalError(f"l'entrée {record.get('seq')} ne se rejoue pas sur cette "
                                   f"instance : {error}", file=file, line=line) from None
        return day

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()

    def _reset(self) -> None:
        self._free = {t.id: t.postes for t in self.instance.terrains}
        self.surnombre = {t.id: 0 for t in self.instance.terrains}
        self.placed: dict[str, Affectation] = {}
        self.refused: dict[str, list[Refusal]] = {}
        self.trace: list[Turn] = []
        self.takers: dict[str, list[dict[str, Any]]] = {t.id: [] for t in self.instance.terrains}
        self.passed: dict[str, int] = {}
        self._history: list[tuple[dict[str, Any], _Plan]] = []
        """Entries in effect, in order: actions and the refused announcements before them."""
        self._records: list[dict[str, Any]] = []
        self._announced: list[tuple[str, Reason | None]] = []
        """The called interne's announcements in this turn: (terrain, refusal reason)."""
        self._round = 0
        self._pos = 0
        self._fell_back: int | None = None
        self._rnd = self._start_round()
        self._settle()

    # --- the cursor -------------------------------------------------------------------------

    def _start_round(self) -> Round | None:
        """The kernel of the round about to start, its call order (R-ROUND-2: the round's
        own ranking, if any) and the wishes of those it leaves out, refused for that."""
        if self._round >= len(self.instance.rounds):
            self.calls: tuple[str, ...] = ()
            self._position_of: dict[str, int] = {}
            return None
        rnd = Round(self.instance, self._round, self._free, self.placed)
        self.calls = rnd.order
        self._position_of = {i: p for p, i in enumerate(rnd.order)}
        for interne_id, refusals in rnd.left_out(self.placed):
            self.refused.setdefault(interne_id, []).extend(Refusal(*r) for r in refusals)
        return rnd

    @property
    def _kernel(self) -> Round:
        assert self._rnd is not None
        return self._rnd

    def _settle(self) -> None:
        """Move the cursor to the next interne to call (skipping the placed)."""
        while self._round < len(self.instance.rounds):
            while self._pos < len(self.calls) and self.calls[self._pos] in self.placed:
                self._pos += 1
            if self._pos < len(self.calls):
                return
            self._round += 1
            self._pos = 0
            self._fell_back = None
            self._rnd = self._start_round()

    @property
    def done(self) -> bool:
        """Every interne has had their turn in every round."""
        return self._round >= len(self.instance.rounds)

    @property
    def round_name(self) -> str | None:
        return None if self.done else self.instance.rounds[self._round].nom

    @property
    def current(self) -> Caller | None:
        """The interne, or the couple, called now (R-ORD; ``None`` when the day is over)."""
        if self.done:
            return None
        first = self.calls[self._pos]
        partner = None if self._fell_back == self._pos else partner_now(
            self.calls, self._pos, self.instance.couple_of, self.placed)
        internes = (first, partner) if partner else (first,)
        return Caller(internes, self.round_name, self._pos + 1)  # type: ignore[arg-type]

    def _require_turn(self) -> None:
        if self.done:
            raise ChoiceRefused("day_over", "la journée est terminée : chaque interne a eu son "
                                "tour")

    # --- state ------------------------------------------------------------------------------

    def free(self, terrain_id: str) -> int:
        """Free postes of a terrain now (surnombre aside)."""
        return self._free[terrain_id]

    @property
    def taken(self) -> dict[str, int]:
        """Postes taken per terrain (surnombre aside)."""
        return {t.id: t.postes - self._free[t.id] for t in self.instance.terrains}

    def _terrain(self, terrain_id: str) -> Terrain:
        try:
            return self.instance.terrain(terrain_id)
        except KeyError:
            raise ChoiceRefused("unknown_terrain", f"aucun terrain {terrain_id!r} dans "
                                "l'instance", terrain=terrain_id) from None

    def last_taker(self, terrain_id: str) -> dict[str, Any] | None:
        """Who took the last poste of a terrain (interne, position, entry), if anyone did."""
        takers = self.takers[terrain_id]
        return dict(takers[-1]) if takers else None

    def _option(self, interne: Interne, terrain: Terrain) -> Option:
        reason, slot = self._kernel.status(interne, terrain)
        return Option(
            terrain.id, self.free(terrain.id), reason, slot, own_rank(interne, terrain.id),
            self.last_taker(terrain.id) if reason is Reason.FULL else None,
        )

    def options(self, interne_id: str | None = None) -> list[Option]:
        """The terrains of the round for the interne called now (or one member of the called
        couple), in file order: each with its free postes, and the reason when refused."""
        self._require_turn()
        caller = self.current
        assert caller is not None
        interne = self.instance.interne(interne_id or caller.internes[0])
        rnd = self._kernel
        return [self._option(interne, t) for t in self.instance.terrains
                if rnd.in_round(t.id)]

    def pair_options(self) -> list[tuple[int, str, str, str | None]]:
        """The called couple's joint list: ``(rank, terrain of the first called, terrain of
        the second, reason)``, in call order like :meth:`choose` takes a pair."""
        self._require_turn()
        caller = self.current
        assert caller is not None
        if not caller.couple:
            return []
        couple = self.instance.couple_of[caller.internes[0]]
        a, b = (self.instance.interne(m) for m in couple.internes)
        out = []
        for rank, (ta, tb) in enumerate(couple.voeux, start=1):
            reason = self._kernel.pair_status(a, b, ta, tb)
            by_member = dict(zip(couple.internes, (ta, tb), strict=True))
            out.append((rank, by_member[caller.internes[0]], by_member[caller.internes[1]],
                        reason))
        return out

    # --- actions ----------------------------------------------------------------------------

    def choose(self, terrain: str | tuple[str, str], *, operator: str = "") -> dict[str, Any]:
        """Record the terrain the called interne announces (a pair for a couple choosing
        together); refused with :class:`ChoiceRefused` when the rules forbid it, the refused
        announcement kept in the journal (R-IMP, in the room)."""
        return self._act("choice", terrain, operator)

    def by_procuration(self, *, operator: str = "") -> dict[str, Any]:
        """Play the called interne's (or couple's) wish list: R-VOE-1, with the imposition
        R-IMP requires; exactly the serial engine's turn."""
        return self._act("procuration", None, operator)

    def set_procurations(self, procurations: Mapping[str, Procuration]) -> None:
        """The procurations of the day (:func:`affectation.live.procurations.
        load_procurations`, from the wishes campaign's export)."""
        unknown = [i for i in procurations if i not in self.instance.interne_by_id]
        if unknown:
            raise ValueError(f"procuration d'un interne inconnu : {unknown[0]!r}")
        self.procurations = dict(procurations)

    def procuration_of(self, interne_id: str) -> Procuration | None:
        """What ``interne_id`` said of the day, or ``None`` (nothing said: present)."""
        return self.procurations.get(interne_id)

    def absent_by_list(self, caller: Caller | None = None) -> bool:
        """The called interne (a couple: both) is absent with their list standing."""
        caller = caller or self.current
        return caller is not None and all(
            (p := self.procurations.get(i)) is not None and p.mode == "liste"
            for i in caller.internes)

    def play_procurations(self, *, operator: str = "") -> list[dict[str, Any]]:
        """Play by procuration (:meth:`by_procuration`) every called interne or couple absent
        with their list standing, one after the other, until someone present or represented by
        a mandataire is called, or the day ends; the entries written."""
        played = []
        while self.absent_by_list():
            before = self.current
            played.append(self.by_procuration(operator=operator))
            if self.current == before:  # never loop on a turn that did not move
                break
        return played

    def pass_(self, *, operator: str = "") -> dict[str, Any]:
        """The called interne takes nothing in this round (a couple: each chooses alone);
        refused when taking nothing would leave a mandatory poste empty (R-IMP)."""
        return self._act("pass", None, operator)

    def impose(self, terrain: str | None = None, *, operator: str = "") -> dict[str, Any]:
        """R-IMP Reading, step 4: give the called T1 a mandatory poste when taking nothing
        would lower the fill (default: the first such terrain in file order)."""
        return self._act("imposition", terrain, operator)

    def undo(self, *, operator: str = "") -> dict[str, Any]:
        """Cancel the last action still in effect; the journal keeps both (a correction).
        The refused announcements of the turn it reopens stay; those made after it go."""
        target = self._last_action()
        if target is None:
            raise ChoiceRefused("not_allowed", "rien à annuler")
        record = self._write("undo", {"undoes": target["seq"], "interne": target.get("interne"),
                                      "terrain": target.get("terrain")}, operator)
        self._undo_last()
        return record

    def _last_action(self) -> dict[str, Any] | None:
        for record, plan in reversed(self._history):
            if plan.kind != "refused":
                return record
        return None

    def _act(self, kind: str, arg: Any, operator: str) -> dict[str, Any]:
        self._require_turn()
        caller = self.current
        assert caller is not None
        try:
            plan = self._plan(kind, arg)
        except ChoiceRefused as refused:
            if kind == "choice" and refused.reason in ANNOUNCED:
                refused.record = self._write("refused", {
                    "interne": "+".join(caller.internes), "round": caller.round,
                    "asked": list(arg) if isinstance(arg, tuple) else arg,
                    "reason": str(refused.reason), "rule": refused.rule}, operator)
                self._execute(_Plan("refused", (), (), announced=(
                    "+".join(arg) if isinstance(arg, tuple) else arg, refused.reason)),
                    refused.record)
            raise
        fields = {
            "interne": "+".join(caller.internes),
            "terrain": self._terrain_field(plan, caller),
            "round": caller.round,
            "impose": any(p.impose for p in plan.placements),
        }
        if kind == "choice" and arg is not None:
            fields["asked"] = list(arg) if isinstance(arg, tuple) else arg
        record = self._write(kind, fields, operator)
        self._execute(plan, record)
        return record

    @staticmethod
    def _terrain_field(plan: _Plan, caller: Caller) -> Any:
        by = {p.interne: p.terrain for p in plan.placements}
        if caller.couple and not plan.fallback:
            return [by.get(m) for m in caller.internes]
        return by.get(caller.internes[0])

    def _write(self, kind: str, fields: dict[str, Any], operator: str) -> dict[str, Any]:
        if self.journal is None:
            record = {"seq": len(self._records) + 1, "kind": kind, **fields,
                      "operator": operator}
        else:
            record = self.journal.append(kind, **fields, operator=operator)
        self._records.append(record)
        return record

    def _replay(self, record: dict[str, Any]) -> None:
        kind = record["kind"]
        self._records.append(record)
        if kind == "resume":  # a torn line cut at restart: nothing happened in the room
            return
        if kind == "undo":
            target = self._last_action()
            if target is None or target["seq"] != record["undoes"]:
                raise ChoiceRefused("not_allowed", f"annule l'entrée {record['undoes']}, qui "
                                    "n'est pas la dernière action en vigueur")
            self._undo_last()
            return
        caller = self.current
        if caller is None:
            raise ChoiceRefused("day_over", "la journée était déjà terminée")
        if record["interne"] != "+".join(caller.internes):
            raise ChoiceRefused("not_allowed", f"inscrit {record['interne']!r} alors que "
                                f"{caller} est appelé à ce moment")
        if kind == "refused":
            self._replay_refused(record)
            return
        plan = self._plan(kind, self._argument(record))
        if self._terrain_field(plan, caller) != record.get("terrain"):
            raise ChoiceRefused("not_allowed", f"donne {self._terrain_field(plan, caller)!r} "
                                f"maintenant, le journal dit {record.get('terrain')!r}")
        self._execute(plan, record)

    def _replay_refused(self, record: dict[str, Any]) -> None:
        arg = self._argument(record)
        try:
            self._plan("choice", arg)
        except ChoiceRefused as refused:
            if str(refused.reason) != record.get("reason"):
                raise ChoiceRefused("not_allowed", f"refus pour {refused.reason!s}, le journal "
                                    f"dit {record.get('reason')!r}") from None
            announced = "+".join(arg) if isinstance(arg, tuple) else arg
            self._execute(_Plan("refused", (), (), announced=(announced, refused.reason)),
                          record)
            return
        raise ChoiceRefused("not_allowed", f"{arg!r} serait accepté maintenant, le journal dit "
                            "qu'il a été refusé")

    @staticmethod
    def _argument(record: dict[str, Any]) -> Any:
        arg = record.get("terrain") if record["kind"] == "imposition" else record.get("asked")
        return tuple(arg) if isinstance(arg, list) else arg

    def _undo_last(self) -> None:
        target = self._last_action()
        assert target is not None
        cut = next(k for k, (record, _) in enumerate(self._history) if record is target)
        kept = self._history[:cut]
        records = self._records
        self._reset()
        self._records = records
        for record, _plan in kept:
            if record["kind"] == "refused":
                arg = self._argument(record)
                announced = "+".join(arg) if isinstance(arg, tuple) else arg
                self._execute(_Plan("refused", (), (), announced=(
                    announced, Reason(record["reason"]))), record)
                continue
            self._execute(self._plan(record["kind"], self._argument(record)), record)

    # --- planning: the kernel's answers at one turn -------------------------------------------

    def _plan(self, kind: str, arg: Any) -> _Plan:
        caller = self.current
        assert caller is not None
        if caller.couple:
            return self._plan_couple(kind, arg, caller)
        interne = self.instance.interne(caller.internes[0])
        if kind == "choice":
            return self._plan_choice(interne, arg)
        if kind == "procuration":
            return self._plan_procuration(interne)
        if kind == "pass":
            if self._kernel.must_take(interne):
                raise ChoiceRefused(
                    "not_allowed",
                    f"{interne.libelle} ne peut pas rester sans poste dans ce tour : un poste "
                    "obligatoire resterait vide ; imposez-en un (R-IMP, étape 4)", rule="R-IMP")
            return _Plan("pass", (), ((interne.id, ()),))
        if kind == "imposition":
            return self._plan_imposition(interne, arg)
        raise ValueError(f"unknown action {kind!r}")

    def _plan_choice(self, interne: Interne, terrain_id: Any) -> _Plan:
        if not isinstance(terrain_id, str):
            raise ChoiceRefused("not_allowed", f"{interne.libelle} choisit seul(e) : donnez un "
                                "seul terrain", rule="R-ORD-2")
        terrain = self._terrain(terrain_id)
        reason, slot = self._kernel.status(interne, terrain)
        if reason is not None:
            taken_by = self.last_taker(terrain_id) if reason is Reason.FULL else None
            raise ChoiceRefused(reason, self._refusal_sentence(interne, terrain_id, reason,
                                                               taken_by),
                                terrain=terrain_id, taken_by=taken_by)
        # R-IMP, in the room: the announcements stand for the list; imposed when an earlier
        # announcement was eligible and free (refused only because it would lower the fill)
        first_open = next((k for k, (_, why) in enumerate(self._announced, start=1)
                           if why is None or why is Reason.WOULD_LOWER_FILL), None)
        impose = imposed(self.instance, interne, len(self._announced) + 1, first_open)
        placement = _Placement(interne.id, terrain_id, slot, own_rank(interne, terrain_id),
                               impose, why_imposed(interne, False) if impose else None,
                               interne.surnombre, False)
        return _Plan("choice", (placement,), ())

    def _refusal_sentence(self, interne: Interne, terrain_id: str, reason: Reason,
                          taken_by: Mapping[str, Any] | None) -> str:
        terrain = self.instance.terrain(terrain_id)
        name = f"{terrain.nom} ({terrain_id})" if terrain.nom else terrain_id
        if reason is Reason.FULL and taken_by:
            who = self.instance.interne(taken_by["interne"]).libelle
            return (f"{name} est complet : son dernier poste a été pris par {who} (rang "
                    f"{taken_by['rang']}, position {taken_by['position']}, entrée "
                    f"{taken_by['seq']}) ({reason.rule})")
        if reason is Reason.FULL:
            return f"{name} est complet : aucun poste n'y restait ({reason.rule})"
        if reason is Reason.NOT_IN_ROUND:
            return f"{name} n'est pas proposé dans le tour « {self.round_name} » ({reason.rule})"
        return f"{interne.libelle} ne peut pas prendre {name} : {reason.words}"

    def _plan_procuration(self, interne: Interne) -> _Plan:
        """The kernel's procuration (R-VOE-1, R-IMP Reading steps 2-5, R-SUR)."""
        out = self._kernel.procuration(interne)
        refusals = tuple(Refusal(*r) for r in out.refusals or ())
        if out.terrain is None:
            return _Plan("procuration", (), ((interne.id, refusals),))
        placement = _Placement(interne.id, out.terrain, out.slot, out.voeu, out.imposed,
                               why_imposed(interne, out.outside) if out.imposed else None,
                               interne.surnombre, False)
        return _Plan("procuration", (placement,), ((interne.id, refusals),))

    def _plan_imposition(self, interne: Interne, terrain_id: str | None) -> _Plan:
        rnd = self._kernel
        if not rnd.must_take(interne):
            raise ChoiceRefused(
                "not_allowed", f"pas d'imposition pour {interne.libelle} maintenant : ne rien "
                "prendre ne laisserait aucun poste obligatoire vide (R-IMP, étape 4)",
                rule="R-IMP")
        if terrain_id is None:
            found = rnd.outside_list(interne)
            if found is None:
                raise ChoiceRefused("not_allowed", "aucun terrain obligatoire ne peut être "
                                    f"imposé à {interne.libelle}", rule="R-IMP")
            terrain, slot = found
        else:
            terrain = self._terrain(terrain_id)
            if not rnd.may_impose(interne, terrain):
                raise ChoiceRefused(
                    "not_allowed", f"{terrain_id} ne peut pas être imposé à {interne.libelle} : "
                    "il faut un terrain obligatoire du tour avec un poste libre, dans un stage "
                    "qu'il ou elle n'a pas validé, qui garde le remplissage (R-IMP, étape 4)",
                    terrain=terrain_id, rule="R-IMP")
            slot = rnd.slot(interne, terrain.id)
        placement = _Placement(interne.id, terrain.id, slot, own_rank(interne, terrain.id),
                               True, why_imposed(interne, True), None, False)
        return _Plan("imposition", (placement,), ())

    def _plan_couple(self, kind: str, arg: Any, caller: Caller) -> _Plan:
        """R-ORD-2 Reading: the couple takes a pair open to both, or each chooses alone."""
        members: tuple[str, str] = caller.internes  # type: ignore[assignment]
        couple = self.instance.couple_of[members[0]]
        a, b = (self.instance.interne(m) for m in couple.internes)
        rnd = self._kernel
        if kind == "choice":
            if not (isinstance(arg, tuple) and len(arg) == 2):
                raise ChoiceRefused("not_allowed", f"le couple {caller} choisit ensemble : "
                                    "donnez deux terrains, un chacun, ou passez pour que "
                                    "chacun choisisse seul", rule="R-ORD-2")
            for terrain_id in arg:
                self._terrain(terrain_id)
            ta, tb = self._in_couple_order(couple, members, arg)
            reason = rnd.pair_status(a, b, ta, tb)
            if reason is not None:
                raise ChoiceRefused(reason, f"la paire {arg[0]} + {arg[1]} n'est pas ouverte aux "
                                    f"deux : {reason.words}", terrain="+".join(arg))
            return self._pair_plan("choice", members, arg, None, ())
        if kind == "pass":
            return _Plan("pass", (), (), fallback=True)
        if kind == "procuration":
            pair, rank, refusals = rnd.pair_turn(a, b, couple.voeux)
            found = tuple(Refusal(*r) for r in refusals)
            if pair is None:
                return _Plan("procuration", (), ((couple.internes[0], found),), fallback=True)
            by_member = dict(zip(couple.internes, pair, strict=True))
            return self._pair_plan("procuration", members,
                                   (by_member[members[0]], by_member[members[1]]), rank, found)
        raise ChoiceRefused("not_allowed", f"un couple qui choisit ensemble ne peut recevoir "
                            f"« {kind} » ; passez pour que chacun choisisse seul",
                            rule="R-ORD-2")

    @staticmethod
    def _in_couple_order(couple: Any, members: tuple[str, str], pair: tuple[str, str]
                         ) -> tuple[str, str]:
        """``pair`` is given in call order (members); the file's couple order may differ."""
        by_member = dict(zip(members, pair, strict=True))
        return by_member[couple.internes[0]], by_member[couple.internes[1]]

    def _pair_plan(self, kind: str, members: tuple[str, str], pair: tuple[str, str],
                   rank: int | None, refusals: tuple[Refusal, ...]) -> _Plan:
        placements = []
        for interne_id, terrain_id in zip(members, pair, strict=True):
            interne = self.instance.interne(interne_id)
            slot = self._kernel.slot(interne, terrain_id)
            placements.append(_Placement(interne_id, terrain_id, slot, rank, False, None,
                                         None, True))
        return _Plan(kind, tuple(placements), ((members[0], refusals),))

    # --- execution --------------------------------------------------------------------------

    def _execute(self, plan: _Plan, record: dict[str, Any]) -> None:
        rnd = self._kernel
        caller = self.current
        assert caller is not None
        round_name = caller.round
        seq = record["seq"]
        self._history.append((record, plan))
        if plan.kind == "refused":
            self._announced.append(plan.announced)  # type: ignore[arg-type]
            return
        self._announced = []
        if caller.couple:
            if plan.fallback:
                members = self.instance.couple_of[caller.internes[0]].internes
                _, refusals = plan.refusals[0] if plan.refusals else (None, ())
                self.refused.setdefault(members[0], []).extend(refusals)
                if refusals:
                    self.trace.append(Turn(members[0], round_name, None, None, None,
                                           refusals=refusals, joint=True))
                self._fell_back = self._pos
                return
            _, refusals = plan.refusals[0]
            for k, p in enumerate(plan.placements):
                self._place(p, round_name, refusals if k == 0 else (), seq)
            self._pos += 2
            self._settle()
            return
        interne = self.instance.interne(caller.internes[0])
        rnd.end_turn(interne)  # their turn in this round is over
        if plan.placements:
            refusals = plan.refusals[0][1] if plan.refusals else ()
            self._place(plan.placements[0], round_name, refusals, seq)
        else:
            refusals = plan.refusals[0][1] if plan.refusals else ()
            self.refused.setdefault(interne.id, []).extend(refusals)
            self.trace.append(Turn(interne.id, round_name, None, None, None, refusals=refusals))
            if plan.kind == "pass":
                self.passed[interne.id] = seq
        self._pos += 1
        self._settle()

    def _place(self, p: _Placement, round_name: str, refusals: Iterable[Refusal],
               seq: int) -> None:
        interne = self.instance.interne(p.interne)
        terrain = self.instance.terrain(p.terrain)
        self._kernel.place(interne, terrain.id)
        if p.surnombre is None:  # R-SUR Reading: a surnombre's poste is added
            self.takers[terrain.id].append(
                {"interne": p.interne, "rang": interne.rang,
                 "position": self._position_of[p.interne] + 1, "seq": seq,
                 "round": round_name})
        else:
            self.surnombre[terrain.id] += 1
        self.passed.pop(p.interne, None)
        self.placed[p.interne] = Affectation(
            interne=p.interne, terrain=terrain.id, stage=p.slot,
            voeu=own_rank(interne, terrain.id) if p.joint else p.rank,
            impose=p.impose, surnombre=interne.surnombre, round=round_name)
        self.trace.append(Turn(p.interne, round_name, terrain.id, p.rank,
                               self.free(terrain.id), impose=p.impose, why_imposed=p.why,
                               refusals=tuple(refusals), joint=p.joint))

    # --- views ------------------------------------------------------------------------------

    def __repr__(self) -> str:
        from affectation.views import day_repr

        return day_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter: who is called, the last choices and the free postes, in French."""
        from affectation.views import day_html

        return day_html(self)

    @property
    def entries(self) -> list[dict[str, Any]]:
        """Every entry of the day, undone ones and undos included (the record)."""
        return list(self._records)

    @property
    def seq(self) -> int:
        """Number of the last entry (0 before the first)."""
        return self._records[-1]["seq"] if self._records else 0

    @property
    def head(self) -> Head | None:
        """The journal's head (``seq`` and SHA-256 of its last line); ``None`` in memory."""
        return None if self.journal is None else self.journal.head

    @property
    def unavailable(self) -> str | None:
        """Why the journal refuses writes now (French), or ``None``: the day is read-only
        until :meth:`recover`."""
        return None if self.journal is None else self.journal.unavailable

    def recover(self) -> bool:
        """Accept writes again once the journal is whole (see ``Journal.recover``)."""
        return True if self.journal is None else self.journal.recover()

    @property
    def undoable(self) -> dict[str, Any] | None:
        """The entry :meth:`undo` would cancel now (the last one in effect), if any."""
        return self._last_action()

    def state(self) -> dict[str, Any]:
        """The état des postes: per terrain opened / taken / free, who chose what, who is
        called (plain data, the public page's JSON)."""
        caller = self.current
        terrains = []
        taken = self.taken
        for t in self.instance.terrains:
            terrains.append({
                "id": t.id, "nom": t.nom or t.id, "ville": t.ville,
                "categories": list(t.categories),
                "round": self.instance.rounds[self.instance.terrain_round[t.id]].nom,
                "postes": t.postes, "pris": taken[t.id], "libres": self.free(t.id),
                "surnombre": self.surnombre[t.id],
            })
        effective = {record["seq"] for record, _ in self._history}
        choices = []
        for record in self._records:
            if record["kind"] in ("undo", "refused", "resume"):
                continue
            choices.append({
                "seq": record["seq"], "kind": record["kind"], "interne": record["interne"],
                "terrain": record.get("terrain"), "impose": record.get("impose", False),
                "round": record.get("round"), "time": record.get("time"),
                "undone": record["seq"] not in effective,
            })
        head = self.head
        return {
            "instance": self.instance.nom,
            "seq": self.seq,
            "journal": None if head is None else head.to_dict(),
            "done": self.done,
            "round": self.round_name,
            "current": None if caller is None else {
                "internes": list(caller.internes), "position": caller.position,
                "of": len(self.calls), "round": caller.round},
            "placed": len(self.placed),
            "internes": len(self.order),
            "terrains": terrains,
            "choices": choices,
        }

    def result(self) -> Result:
        """The allocation so far, as the engines give it (``Result``, methode ``live``)."""
        affectations = []
        for i in self.order:
            if i in self.placed:
                affectations.append(self.placed[i])
                continue
            interne = self.instance.interne(i)
            if i in self.passed:
                raison = (f"n'a pris aucun poste à son tour (entrée {self.passed[i]} du "
                          "journal, passe)")
            elif not self.done and not any(t.interne == i for t in self.trace):
                raison = "pas encore appelé(e)"
            else:
                raison = no_poste_reason(interne, self.refused.get(i, []))
            affectations.append(Affectation(interne=i, terrain=None,
                                            surnombre=interne.surnombre, raison=raison))
        vacants = [(t.id, self.free(t.id)) for t in self.instance.terrains if self.free(t.id) > 0]
        impositions = [a.interne for a in affectations if a.impose]
        status = SolveStatus.FEASIBLE if self.done else SolveStatus.UNKNOWN
        return Result("live", self.order, affectations, vacants, impositions, self.trace,
                      info=SolveInfo(status, optimal=False))

    def why_not(self, interne_id: str) -> list[str]:
        """For each better wish refused at the interne's turns: why, in French, naming who took
        the last poste of a full terrain (interne, position, entry) or the rule."""
        lines = []
        for turn in self.trace:
            if turn.interne != interne_id:
                continue
            for refusal in turn.refusals:
                reason = Reason(refusal.reason)
                head = f"vœu {refusal.voeu} ({refusal.terrain}) : {reason.short}"
                if reason is Reason.FULL:
                    taker = next(reversed(self.takers.get(refusal.terrain, [])), None)
                    who = (f"son dernier poste a été pris par "
                           f"{self.instance.interne(taker['interne']).libelle} (rang "
                           f"{taker['rang']}, position {taker['position']}, entrée "
                           f"{taker['seq']})" if taker
                           else "aucun poste n'y était ouvert")
                    lines.append(f"{head}, {who}")
                else:
                    lines.append(f"{head} : {reason.words}")
        return lines
