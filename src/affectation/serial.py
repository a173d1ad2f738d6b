"""The serial dictatorship: the choice day replayed turn by turn, with its audit trail.

Internes choose one after another in the order of :func:`~affectation.rules.order.choice_order`
(R-ORD-1 … R-ORD-6), round after round (R-ROUND-1). At their turn each gets the first terrain
of their wish list (R-VOE-1) that is in the round, has a free poste, is eligible (R-ELI-1,
-2, -3) and keeps the mandatory fill (R-IMP Reading,
:class:`~affectation.rules.mandatory.RoundFill`); a surnombre takes nobody's poste (R-SUR-2,
-3, -4, :mod:`affectation.rules.surnombre`); a couple takes the first pair of its joint list
open to both (R-ORD-2, :mod:`affectation.rules.couples`). Every refusal of a better wish is
recorded with its reason.

Built for speed, because sweeps and careers replay the day thousands of times: the tables that
depend only on the instance are computed once per instance (``Instance.memo``); a turn reads
the wish list with look-ups only and stops at the first wish it grants; the trace is kept as
plain tuples, and the :class:`~affectation.result.Affectation`, :class:`~affectation.result.Turn`
and :class:`~affectation.result.Refusal` objects are built on first access
(:class:`~affectation.result.Lazy`), with ``explain`` and ``to_frame`` unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from affectation.model import Instance, Interne, Terrain
from affectation.result import (
    Affectation,
    Lazy,
    Refusal,
    Result,
    SolveInfo,
    SolveStatus,
    Turn,
)
from affectation.rules.couples import pair_open
from affectation.rules.eligibility import profile, slot_for
from affectation.rules.mandatory import RoundFill, imposables, is_imposition
from affectation.rules.order import cached_choice_order
from affectation.rules.surnombre import access
from affectation.rules.voeux import no_poste_reason, own_rank

__all__ = ["serial_dictatorship"]

_UNKNOWN = object()

WHY_IMPOSED = {
    True: "no wish could be granted and leaving them without a poste",
    False: "every better wish still open",
}


def _why_imposed(interne_id: str, outside: bool) -> str:
    return (
        f"{WHY_IMPOSED[outside]} would have left a mandatory poste empty, and {interne_id} is a "
        "T1 never imposed who can fill it while the later-ranked ones cannot, or were imposed "
        "before (R-IMP-2, R-IMP-3)"
    )


def slot_tables(instance: Instance) -> dict[str, dict[str, str | None]]:
    """One ``{terrain id: slot or None}`` table per interne, shared by equal eligibility
    profiles and filled lazily (R-ELI), kept on the instance."""
    memo = instance.memo
    if "slot_tables" not in memo:
        tables: dict = {}
        maquette = instance.maquette
        memo["slot_tables"] = {
            i.id: tables.setdefault(profile(maquette, i), {}) for i in instance.internes
        }
    return memo["slot_tables"]


class _Day:
    """The mutable state of one replay; private to :func:`serial_dictatorship`."""

    inline = True
    """Take the inlined turns (common and imposable) where they apply; ``False`` sends every
    turn through :meth:`individual_turn`, which the tests compare against."""

    def __init__(self, instance: Instance) -> None:
        self.started = time.perf_counter()
        self.instance = instance
        self.order = cached_choice_order(instance)
        self.free = {t.id: t.postes for t in instance.terrains}
        self.placed: dict[str, tuple] = {}
        """interne id -> (terrain, slot, voeu, imposed, round name)"""
        self.trace: list[tuple] = []
        """(interne, round, terrain, voeu, postes left, imposed, outside, refusals, joint)"""
        self.refused: dict[str, list[tuple[str, int, str]] | None] = {}
        """Refused wishes of the internes left without a poste; ``None``: derived from the
        slot tables (the inlined common turn, where a refusal is not eligible or full)."""
        self.tables = slot_tables(instance)
        self.single_round = len(instance.rounds) == 1

    # --- state queries ----------------------------------------------------------------------

    def slot(self, interne: Interne, terrain: Terrain) -> str | None:
        table = self.tables[interne.id]
        slot = table.get(terrain.id, _UNKNOWN)
        if slot is _UNKNOWN:
            slot = table[terrain.id] = slot_for(
                profile(self.instance.maquette, interne), terrain.category_set
            )
        return slot  # type: ignore[return-value]

    # --- one round ----------------------------------------------------------------------------

    def run_round(self, r: int) -> None:
        instance = self.instance
        self.round_index = r
        self.round_name = round_name = instance.rounds[r].nom
        placed = self.placed
        self.fill = fill = RoundFill.start(
            instance, r, self.free, (i for i in imposables(instance) if i.id not in placed)
        )
        order = self.order
        couple_of = instance.couple_of
        interne_by_id = instance.interne_by_id
        counted = fill.counted
        mandatory = fill.classes.class_of
        free, tables, trace, refused = self.free, self.tables, self.trace, self.refused
        terrain_by_id, maquette = instance.terrain_by_id, instance.maquette
        fast_round = self.single_round and self.inline
        skip_next = False
        for position, interne_id in enumerate(order):
            if skip_next:
                skip_next = False
                continue
            if interne_id in placed:
                continue
            couple = couple_of.get(interne_id) if couple_of else None
            if couple is not None and (
                position + 1 < len(order)
                and order[position + 1] in couple.internes
                and order[position + 1] not in placed
            ):
                skip_next = self.couple_turn(couple.internes, couple.voeux)
                if skip_next:
                    continue
            interne = interne_by_id[interne_id]
            if not fast_round or interne.surnombre is not None:
                self.individual_turn(interne)
                continue
            if interne_id in counted:
                self.imposable_turn(interne)
                continue
            # The common turn, inlined for speed: one round, no surnombre, not counted in the
            # mandatory fill (so no wish can lower it): the first eligible wish with a free
            # poste (R-VOE-1, R-ELI), exactly what individual_turn does for them. Every wish
            # before it was refused as not eligible or full; which one is told by the slot
            # table, so the refusals are derived when the trace is read (``None`` below).
            table = tables[interne_id]
            for rank, terrain_id in enumerate(interne.voeux, start=1):
                slot = table.get(terrain_id, _UNKNOWN)
                if slot is _UNKNOWN:
                    slot = table[terrain_id] = slot_for(
                        profile(maquette, interne), terrain_by_id[terrain_id].category_set
                    )
                if slot is not None and free[terrain_id] > 0:
                    free[terrain_id] -= 1
                    if terrain_id in mandatory:
                        fill.take(terrain_id)
                    placed[interne_id] = (terrain_id, slot, rank, False, round_name)
                    trace.append((interne_id, round_name, terrain_id, rank, free[terrain_id],
                                  False, False, None, False))
                    break
            else:
                refused[interne_id] = None  # type: ignore[assignment]
                trace.append((interne_id, round_name, None, None, None, False, False, None,
                              False))

    def wishes_in_round(self, interne: Interne) -> Iterator[tuple[int, Terrain]]:
        """The interne's wishes in this round, lazily: a turn reads only until it grants."""
        terrain_by_id = self.instance.terrain_by_id
        if self.single_round:
            for rank, t in enumerate(interne.voeux, start=1):
                yield rank, terrain_by_id[t]
            return
        terrain_round = self.instance.terrain_round
        r = self.round_index
        for rank, t in enumerate(interne.voeux, start=1):
            if terrain_round[t] == r:
                yield rank, terrain_by_id[t]

    def couple_turn(self, members: tuple[str, str], pairs: tuple[tuple[str, str], ...]) -> bool:
        """R-ORD-2 Reading: the first pair open to both at the later turn; ``False`` to fall
        back to the individual lists, better-ranked first."""
        instance = self.instance
        a, b = (instance.interne(m) for m in members)
        refusals = []
        for rank, (ta_id, tb_id) in enumerate(pairs, start=1):
            if not (
                instance.terrain_round[ta_id] == self.round_index == instance.terrain_round[tb_id]
            ):
                continue
            ta, tb = instance.terrain(ta_id), instance.terrain(tb_id)
            slot_a, slot_b = self.slot(a, ta), self.slot(b, tb)
            if not pair_open(ta_id, tb_id, self.free[ta_id], self.free[tb_id],
                             slot_a is not None, slot_b is not None):
                refusals.append((f"{ta_id}+{tb_id}", rank, "pair_unavailable"))
                continue
            first, second = sorted(((a, ta, slot_a), (b, tb, slot_b)),
                                   key=lambda m: self.order.index(m[0].id))
            self.take(first[0], first[1], first[2], rank, refusals, joint=True)
            self.take(second[0], second[1], second[2], rank, [], joint=True)
            return True
        self.refused.setdefault(members[0], []).extend(refusals)
        if refusals:
            self.trace.append(
                (members[0], self.round_name, None, None, None, False, False, refusals, True)
            )
        return False

    def individual_turn(self, interne: Interne) -> None:
        fill = self.fill
        refusals: list[tuple[str, int, str]] = []
        first_open: int | None = None
        chosen: tuple[int | None, Terrain, str | None] | None = None
        free = self.free
        counted = fill.mask(interne) != 0  # only an imposable still to choose can lower it
        plain = interne.surnombre is None
        non_validant = interne.surnombre == "non_validant"
        table = self.tables[interne.id]
        for rank, terrain in self.wishes_in_round(interne):
            slot = None
            if not non_validant:
                slot = table.get(terrain.id, _UNKNOWN)
                if slot is _UNKNOWN:
                    slot = self.slot(interne, terrain)
            how = ("free" if slot is not None else "no") if plain else access(
                interne, terrain, slot)
            if how == "no":  # R-ELI, R-SUR-4
                refusals.append((terrain.id, rank, "not_eligible"))
                continue
            if how == "free" and free[terrain.id] <= 0:  # R-SUR-2: a surnombre needs one too
                refusals.append((terrain.id, rank, "full"))
                continue
            if first_open is None:
                first_open = rank
            if counted and fill.lowers(interne, terrain):
                refusals.append((terrain.id, rank, "would_leave_mandatory_empty"))
                continue
            chosen = (rank, terrain, slot)
            break
        if chosen is None and counted and fill.lowers(interne, None):
            chosen = self.imposed_outside_list(interne)  # R-IMP Reading, step 4
        if counted:
            fill.done(interne)  # their turn in this round is over
        if chosen is None:
            self.refused.setdefault(interne.id, []).extend(refusals)
            self.trace.append(
                (interne.id, self.round_name, None, None, None, False, False, refusals, False)
            )
            return
        rank, terrain, slot = chosen
        imposed = plain and is_imposition(rank, first_open)
        self.take(interne, terrain, slot, rank, refusals, imposed=imposed)

    def imposable_turn(self, interne: Interne) -> None:
        """:meth:`individual_turn` for an imposable interne in a one-round day, written as a
        tight loop (the same steps 2-5 of R-IMP Reading): the first eligible wish with a free
        poste that keeps the fill; imposed when it is not the first open one; outside the list
        when nothing keeps it."""
        fill = self.fill
        free = self.free
        table = self.tables[interne.id]
        terrain_by_id = self.instance.terrain_by_id
        refusals: list[tuple[str, int, str]] = []
        first_open: int | None = None
        chosen: tuple[int | None, Terrain, str | None] | None = None
        for rank, terrain_id in enumerate(interne.voeux, start=1):
            slot = table.get(terrain_id, _UNKNOWN)
            if slot is _UNKNOWN:
                slot = self.slot(interne, terrain_by_id[terrain_id])
            if slot is None:
                refusals.append((terrain_id, rank, "not_eligible"))
            elif free[terrain_id] <= 0:
                refusals.append((terrain_id, rank, "full"))
            else:
                if first_open is None:
                    first_open = rank
                if fill.lowers(interne, terrain_id):
                    refusals.append((terrain_id, rank, "would_leave_mandatory_empty"))
                    continue
                chosen = (rank, terrain_by_id[terrain_id], slot)
                break
        if chosen is None and fill.lowers(interne, None):
            chosen = self.imposed_outside_list(interne)  # R-IMP Reading, step 4
        fill.done(interne)
        if chosen is None:
            self.refused.setdefault(interne.id, []).extend(refusals)
            self.trace.append(
                (interne.id, self.round_name, None, None, None, False, False, refusals, False)
            )
            return
        rank, terrain, slot = chosen
        self.take(interne, terrain, slot, rank, refusals,
                  imposed=is_imposition(rank, first_open))

    def imposed_outside_list(self, interne: Interne) -> tuple[None, Terrain, str] | None:
        """The first mandatory terrain of the round in file order that is open, that the
        interne can be imposed on (eligible through a slot not yet validated) and that keeps
        the fill (R-IMP Reading, step 4)."""
        fill = self.fill
        for terrain in self.instance.terrains:
            if self.free[terrain.id] <= 0 or not fill.imposable_on(interne, terrain):
                continue
            if not fill.lowers(interne, terrain):
                return (None, terrain, self.slot(interne, terrain))  # type: ignore[return-value]
        return None  # cannot happen when taking nothing lowers the fill (docs/rules.md)

    def take(
        self,
        interne: Interne,
        terrain: Terrain,
        slot: str | None,
        rank: int | None,
        refusals: list,
        *,
        imposed: bool = False,
        joint: bool = False,
    ) -> None:
        if interne.surnombre is None:  # R-SUR Reading: a surnombre's poste is added
            self.free[terrain.id] -= 1
            self.fill.take(terrain)
        voeu = own_rank(interne, terrain.id) if joint else rank
        self.placed[interne.id] = (terrain.id, slot, voeu, imposed, self.round_name)
        self.trace.append((interne.id, self.round_name, terrain.id, rank,
                           self.free[terrain.id], imposed, rank is None, refusals, joint))

    # --- the end -------------------------------------------------------------------------------

    def derived_refusals(self, interne: Interne, upto: int | None) -> list[tuple[str, int, str]]:
        """The refusals of an inlined common turn, before wish ``upto`` (``None``: all): each
        wish the interne was not eligible for, else full (the only two reasons there)."""
        table = self.tables[interne.id]
        wishes = interne.voeux if upto is None else interne.voeux[: upto - 1]
        return [
            (t, rank, "not_eligible" if table[t] is None else "full")
            for rank, t in enumerate(wishes, start=1)
        ]

    def result(self) -> Result:
        instance = self.instance
        placed, refused, order, trace = self.placed, self.refused, self.order, self.trace

        def affectations() -> tuple[Affectation, ...]:
            out = []
            for i in order:
                interne = instance.interne(i)
                got = placed.get(i)
                if got is None:
                    mine = refused.get(i, ())
                    if mine is None:
                        mine = self.derived_refusals(interne, None)
                    reasons = [Refusal(*r) for r in mine]
                    out.append(Affectation(interne=i, terrain=None, surnombre=interne.surnombre,
                                           raison=no_poste_reason(interne, reasons)))
                else:
                    terrain, slot, voeu, imposed, round_name = got
                    out.append(Affectation(interne=i, terrain=terrain, stage=slot, voeu=voeu,
                                           impose=imposed, surnombre=interne.surnombre,
                                           round=round_name))
            return tuple(out)

        def turns() -> tuple[Turn, ...]:
            out = []
            for i, rnd, t, voeu, left, imp, outside, refusals, joint in trace:
                if refusals is None:
                    refusals = self.derived_refusals(instance.interne(i), voeu)
                out.append(Turn(i, rnd, t, voeu, left, impose=imp,
                                why_imposed=_why_imposed(i, outside) if imp else None,
                                refusals=tuple(Refusal(*r) for r in refusals), joint=joint))
            return tuple(out)

        vacants = [(t.id, self.free[t.id]) for t in instance.terrains if self.free[t.id] > 0]
        impositions = [i for i in order if i in placed and placed[i][3]]
        info = SolveInfo(SolveStatus.OPTIMAL, wall_time=time.perf_counter() - self.started)
        lazy = Lazy(affectations)
        compact = {i: (got[0], got[2], got[3]) for i, got in placed.items()}
        return Result("serial", order, lazy, vacants, impositions, Lazy(turns),
                      info=info, compact=(lazy, compact))


def serial_dictatorship(instance: Instance) -> Result:
    """Replay the choice day: the sequential procedure of RULES.md, round by round."""
    day = _Day(instance)
    for r in range(len(instance.rounds)):
        day.run_round(r)
    return day.result()
