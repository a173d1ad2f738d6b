"""The choice day run live, turn by turn, every entry in a journal (issue 9, item 2).

``ChoiceDay`` calls the internes in the order of R-ORD (couples together at the later turn,
R-ORD-2), round after round (R-ROUND-1). At each turn the operator records what the interne
announces in the room (:meth:`ChoiceDay.choose`), plays their procuration
(:meth:`ChoiceDay.by_procuration`, R-VOE-1), records that they take nothing
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
from typing import Any, Literal, NamedTuple

import attrs

from affectation.errors import AffectationError
from affectation.live.journal import Head, Journal, JournalError, read_journal
from affectation.model import Instance, Interne, Terrain
from affectation.result import Affectation, Refusal, Result, SolveInfo, SolveStatus, Turn
from affectation.rules.couples import pair_open
from affectation.rules.eligibility import eligible_slot
from affectation.rules.mandatory import RoundFill, is_imposition
from affectation.rules.order import choice_order
from affectation.rules.surnombre import access
from affectation.rules.voeux import no_poste_reason, own_rank

__all__ = ["Caller", "ChoiceDay", "ChoiceRefused", "Option"]

Reason = Literal["full", "not_eligible", "would_leave_mandatory_empty"]

RULE_OF: dict[str, str] = {
    "full": "R-POS-1",
    "not_eligible": "R-ELI",
    "would_leave_mandatory_empty": "R-IMP",
    "pair_unavailable": "R-ORD-2",
    "not_in_round": "R-ROUND-1",
    "unknown_terrain": "FORMAT.md",
    "not_allowed": "",
    "day_over": "R-ORD",
}

WORDS_FR: dict[str, str] = {
    "full": "complet",
    "not_eligible": "non éligible (maquette, R-ELI)",
    "would_leave_mandatory_empty": "laisserait un poste obligatoire vide (R-IMP)",
    "pair_unavailable": "paire indisponible pour les deux (R-ORD-2)",
}


class ChoiceRefused(AffectationError, ValueError):
    """A choice the rules forbid: ``reason`` (``full``, ``not_eligible``,
    ``would_leave_mandatory_empty``, ``pair_unavailable``, ``not_in_round``,
    ``unknown_terrain``, ``not_allowed``, ``day_over``), the ``rule`` id and a sentence."""

    def __init__(self, reason: str, message: str, *, terrain: str | None = None,
                 taken_by: Mapping[str, Any] | None = None, rule: str | None = None) -> None:
        self.reason = reason
        self.rule = rule if rule is not None else RULE_OF.get(reason, "")
        self.terrain = terrain
        self.taken_by = dict(taken_by) if taken_by else None
        super().__init__(message)


@attrs.frozen
class Option:
    """One terrain of the round as the caller sees it now."""

    terrain: str
    free: int
    """Free postes (surnombre postes never count)."""
    reason: str | None = None
    """``None``: may be taken now; else why not (``full``, ``not_eligible``,
    ``would_leave_mandatory_empty``)."""
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
        return RULE_OF.get(self.reason) if self.reason else None


@attrs.frozen
class Caller:
    """Who is called now: one interne, or a couple choosing together (R-ORD-2)."""

    internes: tuple[str, ...]
    round: str
    position: int
    """1-based position of the (first) interne in the order of choice."""

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


class ChoiceDay:
    """The state of a choice day, kept in step with its journal."""

    def __init__(self, instance: Instance, journal: Journal | None) -> None:
        self.instance = instance
        self.journal = journal
        self.order = choice_order(instance)
        self._position_of = {i: p for p, i in enumerate(self.order)}
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
                raise JournalError(f"entry {record.get('seq')} does not replay on this "
                                   f"instance: {error}", file=file, line=line) from None
        return day

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()

    def _reset(self) -> None:
        self.taken = {t.id: 0 for t in self.instance.terrains}
        self.surnombre = {t.id: 0 for t in self.instance.terrains}
        self.placed: dict[str, Affectation] = {}
        self.refused: dict[str, list[Refusal]] = {}
        self.trace: list[Turn] = []
        self.takers: dict[str, list[dict[str, Any]]] = {t.id: [] for t in self.instance.terrains}
        self.passed: dict[str, int] = {}
        self._history: list[tuple[dict[str, Any], _Plan]] = []
        self._records: list[dict[str, Any]] = []
        self._round = 0
        self._pos = 0
        self._fell_back: int | None = None
        self._fill = self._start_round()
        self._settle()

    # --- the cursor -------------------------------------------------------------------------

    def _start_round(self) -> RoundFill | None:
        if self._round >= len(self.instance.rounds):
            return None
        free = {t.id: self.free(t.id) for t in self.instance.terrains}
        waiting = [i for i in self.instance.internes if i.id not in self.placed]
        return RoundFill.start(self.instance, self._round, free, waiting)

    def _settle(self) -> None:
        """Move the cursor to the next interne to call (skipping the placed)."""
        while self._round < len(self.instance.rounds):
            while self._pos < len(self.order) and self.order[self._pos] in self.placed:
                self._pos += 1
            if self._pos < len(self.order):
                return
            self._round += 1
            self._pos = 0
            self._fell_back = None
            self._fill = self._start_round()

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
        first = self.order[self._pos]
        partner = self._partner()
        internes = (first, partner) if partner else (first,)
        return Caller(internes, self.round_name, self._pos + 1)  # type: ignore[arg-type]

    def _partner(self) -> str | None:
        """The later member when the couple chooses together now (R-ORD-2 Reading)."""
        p = self._pos
        first = self.order[p]
        couple = self.instance.couple_of.get(first)
        if (couple is None or self._fell_back == p or p + 1 >= len(self.order)
                or self.order[p + 1] not in couple.internes
                or self.order[p + 1] in self.placed):
            return None
        return self.order[p + 1]

    def _require_turn(self) -> None:
        if self.done:
            raise ChoiceRefused("day_over", "the day is over: every interne has had their turn")

    # --- state ------------------------------------------------------------------------------

    def free(self, terrain_id: str) -> int:
        """Free postes of a terrain now (surnombre aside)."""
        return self.instance.terrain(terrain_id).postes - self.taken[terrain_id]

    def _terrain(self, terrain_id: str) -> Terrain:
        try:
            return self.instance.terrain(terrain_id)
        except KeyError:
            raise ChoiceRefused("unknown_terrain", f"no terrain {terrain_id!r} in the instance",
                                terrain=terrain_id) from None

    def _in_round(self, terrain: Terrain) -> bool:
        return self.instance.terrain_round[terrain.id] == self._round

    def last_taker(self, terrain_id: str) -> dict[str, Any] | None:
        """Who took the last poste of a terrain (interne, position, entry), if anyone did."""
        takers = self.takers[terrain_id]
        return dict(takers[-1]) if takers else None

    def _status(self, interne: Interne, terrain: Terrain) -> tuple[str | None, str | None]:
        """``(reason, slot)``: why ``interne`` may not take ``terrain`` now, and the slot
        (R-ELI, R-SUR through ``rules.surnombre.access``, R-IMP through the round's fill)."""
        fill = self._fill
        assert fill is not None
        slot = (eligible_slot(self.instance.maquette, interne, terrain)
                if interne.surnombre != "non_validant" else None)
        how = access(interne, terrain, slot)
        if how == "no":
            return "not_eligible", None  # R-ELI, R-SUR-4
        if how == "free" and self.free(terrain.id) <= 0:
            return "full", slot  # R-SUR-2: a surnombre validant needs a free poste too
        if fill.lowers(interne, terrain):
            return "would_leave_mandatory_empty", slot
        return None, slot

    def _option(self, interne: Interne, terrain: Terrain) -> Option:
        reason, slot = self._status(interne, terrain)
        return Option(
            terrain.id, self.free(terrain.id), reason, slot, own_rank(interne, terrain.id),
            self.last_taker(terrain.id) if reason == "full" else None,
        )

    def options(self, interne_id: str | None = None) -> list[Option]:
        """The terrains of the round for the interne called now (or one member of the called
        couple), in file order: each with its free postes, and the reason when refused."""
        self._require_turn()
        caller = self.current
        assert caller is not None
        interne = self.instance.interne(interne_id or caller.internes[0])
        return [self._option(interne, t) for t in self.instance.terrains if self._in_round(t)]

    def pair_options(self) -> list[tuple[int, str, str, str | None]]:
        """The called couple's joint list: ``(rank, terrain of the first called, terrain of
        the second, reason)``, in call order like :meth:`choose` takes a pair."""
        self._require_turn()
        caller = self.current
        assert caller is not None
        if not caller.couple:
            return []
        couple = self.instance.couple_of[caller.internes[0]]
        out = []
        for rank, (ta, tb) in enumerate(couple.voeux, start=1):
            reason = self._pair_reason(couple.internes, ta, tb)
            by_member = dict(zip(couple.internes, (ta, tb), strict=True))
            out.append((rank, by_member[caller.internes[0]], by_member[caller.internes[1]],
                        reason))
        return out

    def _pair_reason(self, members: tuple[str, str], ta_id: str, tb_id: str
                     ) -> str | None:
        """``None`` when the pair is open to both now (R-ORD-2 Reading), else a reason."""
        ta, tb = self._terrain(ta_id), self._terrain(tb_id)
        if not (self._in_round(ta) and self._in_round(tb)):
            return "not_in_round"
        a, b = (self.instance.interne(m) for m in members)
        slot_a = eligible_slot(self.instance.maquette, a, ta)
        slot_b = eligible_slot(self.instance.maquette, b, tb)
        if not pair_open(ta_id, tb_id, self.free(ta_id), self.free(tb_id), slot_a is not None,
                         slot_b is not None):
            return "pair_unavailable"
        return None

    # --- actions ----------------------------------------------------------------------------

    def choose(self, terrain: str | tuple[str, str], *, operator: str = "") -> dict[str, Any]:
        """Record the terrain the called interne announces (a pair for a couple choosing
        together); refused with :class:`ChoiceRefused` when the rules forbid it."""
        return self._act("choice", terrain, operator)

    def by_procuration(self, *, operator: str = "") -> dict[str, Any]:
        """Play the called interne's (or couple's) wish list: R-VOE-1, with the imposition
        R-IMP requires; exactly the serial engine's turn."""
        return self._act("procuration", None, operator)

    def pass_(self, *, operator: str = "") -> dict[str, Any]:
        """The called interne takes nothing in this round (a couple: each chooses alone);
        refused when taking nothing would leave a mandatory poste empty (R-IMP)."""
        return self._act("pass", None, operator)

    def impose(self, terrain: str | None = None, *, operator: str = "") -> dict[str, Any]:
        """R-IMP Reading, step 4: give the called T1 a mandatory poste when taking nothing
        would lower the fill (default: the first such terrain in file order)."""
        return self._act("imposition", terrain, operator)

    def undo(self, *, operator: str = "") -> dict[str, Any]:
        """Cancel the last entry still in effect; the journal keeps both (a correction)."""
        if not self._history:
            raise ChoiceRefused("not_allowed", "nothing to undo")
        target = self._history[-1][0]
        record = self._write("undo", {"undoes": target["seq"], "interne": target.get("interne"),
                                      "terrain": target.get("terrain")}, operator)
        self._undo_last()
        return record

    def _act(self, kind: str, arg: Any, operator: str) -> dict[str, Any]:
        self._require_turn()
        plan = self._plan(kind, arg)
        caller = self.current
        assert caller is not None
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
            if not self._history or self._history[-1][0]["seq"] != record["undoes"]:
                raise ChoiceRefused("not_allowed", f"undoes entry {record['undoes']}, which is "
                                    "not the last one in effect")
            self._undo_last()
            return
        caller = self.current
        if caller is None:
            raise ChoiceRefused("day_over", "the day was already over")
        if record["interne"] != "+".join(caller.internes):
            raise ChoiceRefused("not_allowed", f"records {record['interne']!r} but "
                                f"{caller} is called at this point")
        arg = record.get("asked")
        if kind == "imposition":
            arg = record.get("terrain")
        if isinstance(arg, list):
            arg = tuple(arg)
        plan = self._plan(kind, arg)
        if self._terrain_field(plan, caller) != record.get("terrain"):
            raise ChoiceRefused("not_allowed", f"gives {self._terrain_field(plan, caller)!r} "
                                f"now, the journal says {record.get('terrain')!r}")
        self._execute(plan, record)

    def _undo_last(self) -> None:
        kept = self._history[:-1]
        records = self._records
        self._reset()
        self._records = records
        for record, _plan in kept:
            caller = self.current
            assert caller is not None
            arg = record.get("asked")
            if record["kind"] == "imposition":
                arg = record.get("terrain")
            if isinstance(arg, list):
                arg = tuple(arg)
            self._execute(self._plan(record["kind"], arg), record)

    # --- planning: the rules at one turn ----------------------------------------------------

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
            if self._fill.lowers(interne, None):  # type: ignore[union-attr]
                raise ChoiceRefused(
                    "not_allowed",
                    f"{interne.id} may not leave without a poste in this round: a mandatory "
                    "poste would stay empty; impose one (R-IMP Reading, step 4)", rule="R-IMP")
            return _Plan("pass", (), ((interne.id, ()),))
        if kind == "imposition":
            return self._plan_imposition(interne, arg)
        raise ValueError(f"unknown action {kind!r}")

    def _plan_choice(self, interne: Interne, terrain_id: Any) -> _Plan:
        if not isinstance(terrain_id, str):
            raise ChoiceRefused("not_allowed", f"{interne.id} chooses alone: give one terrain",
                                rule="R-ORD-2")
        terrain = self._terrain(terrain_id)
        if not self._in_round(terrain):
            raise ChoiceRefused(
                "not_in_round", f"{terrain_id} is not in the round '{self.round_name}' "
                "(R-ROUND-1)", terrain=terrain_id)
        reason, slot = self._status(interne, terrain)
        if reason is not None:
            taken_by = self.last_taker(terrain_id) if reason == "full" else None
            raise ChoiceRefused(reason, self._refusal_sentence(interne, terrain_id, reason,
                                                               taken_by),
                                terrain=terrain_id, taken_by=taken_by)
        impose = False
        why = None
        if interne.surnombre is None:
            held = [t.id for t in self.instance.terrains if self._in_round(t)
                    and self._status(interne, t)[0] == "would_leave_mandatory_empty"]
            if held:
                impose = True
                why = (f"{', '.join(held)} would have left a mandatory poste empty, and "
                       f"{interne.id} is a T1 never imposed who can fill it (R-IMP-2, R-IMP-3)")
        placement = _Placement(interne.id, terrain_id, slot, own_rank(interne, terrain_id),
                               impose, why, interne.surnombre, False)
        return _Plan("choice", (placement,), ())

    def _refusal_sentence(self, interne: Interne, terrain_id: str, reason: str,
                          taken_by: Mapping[str, Any] | None) -> str:
        if reason == "full":
            if taken_by:
                return (f"{terrain_id} is full: its last poste was taken by "
                        f"{taken_by['interne']} (rang {taken_by['rang']}, position "
                        f"{taken_by['position']}, entry {taken_by['seq']}) (R-POS-1)")
            return f"{terrain_id} is full: no poste was opened there (R-POS-1)"
        if reason == "not_eligible":
            return (f"{interne.id} may not take {terrain_id}: it does not fit their maquette "
                    "(already validated, outside its window, or leaving it incompletable; "
                    "R-ELI) or is ambulatory for a surnombre (R-SUR-4)")
        return (f"{interne.id} may not take {terrain_id}: it would leave a mandatory poste "
                "empty that only they can still fill (R-IMP)")

    def _plan_procuration(self, interne: Interne) -> _Plan:
        """The serial engine's individual turn (R-VOE-1, R-IMP Reading steps 2-5, R-SUR)."""
        fill = self._fill
        assert fill is not None
        refusals: list[Refusal] = []
        first_open: int | None = None
        chosen: tuple[int | None, Terrain, str | None] | None = None
        for rank, t in enumerate(interne.voeux, start=1):
            if self.instance.terrain_round[t] != self._round:
                continue
            terrain = self.instance.terrain(t)
            reason, slot = self._status(interne, terrain)
            if reason in ("not_eligible", "full"):
                refusals.append(Refusal(terrain.id, rank, reason))  # type: ignore[arg-type]
                continue
            if first_open is None:
                first_open = rank
            if reason is not None:
                refusals.append(Refusal(terrain.id, rank, reason))  # type: ignore[arg-type]
                continue
            chosen = (rank, terrain, slot)
            break
        if chosen is None and fill.lowers(interne, None):
            terrain = self._outside_list(interne)  # R-IMP Reading, step 4
            if terrain is not None:
                chosen = (None, terrain, eligible_slot(self.instance.maquette, interne, terrain))
        if chosen is None:
            return _Plan("procuration", (), ((interne.id, tuple(refusals)),))
        rank, terrain, slot = chosen
        imposed = interne.surnombre is None and is_imposition(rank, first_open)
        why = None
        if imposed:
            what = ("no wish could be granted and leaving them without a poste"
                    if rank is None else "every better wish still open")
            why = (f"{what} would have left a mandatory poste empty, and {interne.id} is a T1 "
                   "never imposed who can fill it while the later-ranked ones cannot, or were "
                   "imposed before (R-IMP-2, R-IMP-3)")
        placement = _Placement(interne.id, terrain.id, slot, rank, imposed, why,
                               interne.surnombre, False)
        return _Plan("procuration", (placement,), ((interne.id, tuple(refusals)),))

    def _outside_list(self, interne: Interne) -> Terrain | None:
        """The first mandatory terrain of the round in file order that is open, that the
        interne can be imposed on, and that keeps the fill (R-IMP Reading, step 4)."""
        fill = self._fill
        assert fill is not None
        for terrain in self.instance.terrains:
            if (self.free(terrain.id) > 0 and fill.imposable_on(interne, terrain)
                    and not fill.lowers(interne, terrain)):
                return terrain
        return None

    def _plan_imposition(self, interne: Interne, terrain_id: str | None) -> _Plan:
        fill = self._fill
        assert fill is not None
        if not fill.lowers(interne, None):
            raise ChoiceRefused(
                "not_allowed", f"no imposition on {interne.id} now: taking nothing would leave "
                "no mandatory poste empty (R-IMP Reading, step 4)", rule="R-IMP")
        if terrain_id is None:
            terrain = self._outside_list(interne)
            if terrain is None:
                raise ChoiceRefused("not_allowed", f"no mandatory terrain can be imposed on "
                                    f"{interne.id}", rule="R-IMP")
        else:
            terrain = self._terrain(terrain_id)
            if not (self.free(terrain.id) > 0 and fill.imposable_on(interne, terrain)
                    and not fill.lowers(interne, terrain)):
                raise ChoiceRefused(
                    "not_allowed", f"{terrain_id} cannot be imposed on {interne.id}: it must be "
                    "a mandatory terrain of the round with a free poste, in a slot they have "
                    "not validated, that keeps the fill (R-IMP Reading, step 4)",
                    terrain=terrain_id, rule="R-IMP")
        slot = eligible_slot(self.instance.maquette, interne, terrain)
        why = ("taking nothing would have left a mandatory poste empty, and "
               f"{interne.id} is a T1 never imposed who can fill it (R-IMP-2, R-IMP-3)")
        placement = _Placement(interne.id, terrain.id, slot, own_rank(interne, terrain.id),
                               True, why, None, False)
        return _Plan("imposition", (placement,), ())

    def _plan_couple(self, kind: str, arg: Any, caller: Caller) -> _Plan:
        """R-ORD-2 Reading: the couple takes a pair open to both, or each chooses alone."""
        members: tuple[str, str] = caller.internes  # type: ignore[assignment]
        couple = self.instance.couple_of[members[0]]
        first, second = members
        if kind == "choice":
            if not (isinstance(arg, tuple) and len(arg) == 2):
                raise ChoiceRefused("not_allowed", f"the couple {caller} chooses together: give "
                                    "two terrains, one each, or pass to choose alone",
                                rule="R-ORD-2")
            reason = self._pair_reason(couple.internes, *self._in_couple_order(couple, members,
                                                                              arg))
            if reason is not None:
                raise ChoiceRefused(reason, f"the pair {arg[0]} + {arg[1]} is not open to both "
                                    f"(R-ORD-2): {reason}", terrain="+".join(arg))
            return self._pair_plan("choice", members, arg, None, ())
        if kind == "pass":
            return _Plan("pass", (), (), fallback=True)
        if kind == "procuration":
            refusals: list[Refusal] = []
            for rank, (ta, tb) in enumerate(couple.voeux, start=1):
                reason = self._pair_reason(couple.internes, ta, tb)
                if reason == "not_in_round":
                    continue
                if reason is not None:
                    refusals.append(Refusal(f"{ta}+{tb}", rank, "pair_unavailable"))
                    continue
                by_member = dict(zip(couple.internes, (ta, tb), strict=True))
                pair = (by_member[first], by_member[second])
                return self._pair_plan("procuration", members, pair, rank, tuple(refusals))
            return _Plan("procuration", (), ((couple.internes[0], tuple(refusals)),),
                         fallback=True)
        raise ChoiceRefused("not_allowed", f"a couple choosing together cannot be given "
                            f"'{kind}'; pass to let each choose alone", rule="R-ORD-2")

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
            terrain = self.instance.terrain(terrain_id)
            slot = eligible_slot(self.instance.maquette, interne, terrain)
            placements.append(_Placement(interne_id, terrain_id, slot, rank, False, None,
                                         None, True))
        return _Plan(kind, tuple(placements), ((members[0], refusals),))

    # --- execution --------------------------------------------------------------------------

    def _execute(self, plan: _Plan, record: dict[str, Any]) -> None:
        fill = self._fill
        assert fill is not None
        caller = self.current
        assert caller is not None
        round_name = caller.round
        seq = record["seq"]
        if caller.couple:
            if plan.fallback:
                members = self.instance.couple_of[caller.internes[0]].internes
                _, refusals = plan.refusals[0] if plan.refusals else (None, ())
                self.refused.setdefault(members[0], []).extend(refusals)
                if refusals:
                    self.trace.append(Turn(members[0], round_name, None, None, None,
                                           refusals=refusals, joint=True))
                self._fell_back = self._pos
                self._history.append((record, plan))
                return
            _, refusals = plan.refusals[0]
            for k, p in enumerate(plan.placements):
                self._place(p, round_name, refusals if k == 0 else (), seq)
            self._history.append((record, plan))
            self._pos += 2
            self._settle()
            return
        interne = self.instance.interne(caller.internes[0])
        fill.done(interne)  # their turn in this round is over
        if plan.placements:
            refusals = plan.refusals[0][1] if plan.refusals else ()
            self._place(plan.placements[0], round_name, refusals, seq)
        else:
            refusals = plan.refusals[0][1] if plan.refusals else ()
            self.refused.setdefault(interne.id, []).extend(refusals)
            self.trace.append(Turn(interne.id, round_name, None, None, None, refusals=refusals))
            if plan.kind == "pass":
                self.passed[interne.id] = seq
        self._history.append((record, plan))
        self._pos += 1
        self._settle()

    def _place(self, p: _Placement, round_name: str, refusals: Iterable[Refusal],
               seq: int) -> None:
        interne = self.instance.interne(p.interne)
        terrain = self.instance.terrain(p.terrain)
        if p.surnombre is None:  # R-SUR Reading: a surnombre's poste is added
            self.taken[terrain.id] += 1
            self._fill.take(terrain)  # type: ignore[union-attr]
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
        return self._history[-1][0] if self._history else None

    def state(self) -> dict[str, Any]:
        """The état des postes: per terrain opened / taken / free, who chose what, who is
        called (plain data, the public page's JSON)."""
        caller = self.current
        terrains = []
        for t in self.instance.terrains:
            terrains.append({
                "id": t.id, "nom": t.nom or t.id, "ville": t.ville,
                "categories": list(t.categories),
                "round": self.instance.rounds[self.instance.terrain_round[t.id]].nom,
                "postes": t.postes, "pris": self.taken[t.id], "libres": self.free(t.id),
                "surnombre": self.surnombre[t.id],
            })
        effective = {record["seq"] for record, _ in self._history}
        choices = []
        for record in self._records:
            if record["kind"] in ("undo", "resume"):
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
                "of": len(self.order), "round": caller.round},
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
                raison = (f"took no poste at their turn (journal entry {self.passed[i]}, "
                          "pass)")
            elif not self.done and not any(t.interne == i for t in self.trace):
                raison = "not called yet"
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
        """For each better wish refused at the interne's turns: why, naming who took the last
        poste of a full terrain (interne, position, entry) or the rule (issue 9, item 6)."""
        lines = []
        for turn in self.trace:
            if turn.interne != interne_id:
                continue
            for refusal in turn.refusals:
                if refusal.reason == "full":
                    taker = next((t for t in reversed(self.takers.get(refusal.terrain, []))),
                                 None)
                    who = (f"its last poste was taken by {taker['interne']} (rang "
                           f"{taker['rang']}, position {taker['position']}, entry "
                           f"{taker['seq']})" if taker
                           else "no poste was opened there")
                    lines.append(f"wish {refusal.voeu} ({refusal.terrain}): full, {who}")
                else:
                    lines.append(f"wish {refusal.voeu} ({refusal.terrain}): "
                                 f"{WORDS_FR.get(refusal.reason, refusal.reason)} "
                                 f"({RULE_OF.get(refusal.reason, '')})")
        return lines
