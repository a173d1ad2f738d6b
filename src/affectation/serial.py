"""The serial dictatorship: the choice day replayed turn by turn, with its audit trail.

Internes choose one after another in the order of :func:`~affectation.rules.order.choice_order`
(R-ORD-1 … R-ORD-6), round after round (R-ROUND-1); a round with its own ranking calls the
internes it lists by it (R-ROUND-2, :func:`~affectation.rules.order.round_order`). At their
turn each gets the first terrain of their wish list (R-VOE-1) that is in the round, has a free
poste, is eligible (R-ELI-1, -2, -3) and keeps the mandatory fill (R-IMP Reading,
:class:`~affectation.rules.mandatory.RoundFill`); a surnombre takes nobody's poste (R-SUR-2,
-3, -4, :mod:`affectation.rules.surnombre`); a couple takes the first pair of its joint list
open to both (R-ORD-2, :mod:`affectation.rules.couples`). Every refusal of a better wish is
recorded with its reason.

The turn itself lives in :mod:`affectation.rules.turn` (:class:`~affectation.rules.turn.Round`):
this module walks the order, asks the round for each turn and keeps the record. Built for
speed, because sweeps and careers replay the day thousands of times: the tables that depend
only on the instance are computed once per instance; the kernel's tight paths read the wish
list with look-ups only and stop at the first wish they grant; the trace is kept as plain
tuples, and the :class:`~affectation.result.Affectation`, :class:`~affectation.result.Turn`
and :class:`~affectation.result.Refusal` objects are built on first access
(:class:`~affectation.result.Lazy`), with ``explain`` and ``to_frame`` unchanged.
"""

from __future__ import annotations

import time

from affectation.model import Instance
from affectation.result import (
    Affectation,
    Lazy,
    LazyMapping,
    Refusal,
    Result,
    SolveInfo,
    SolveStatus,
    Turn,
)
from affectation.rules.order import cached_choice_order
from affectation.rules.turn import Derived, Round, expand_trace, why_imposed
from affectation.rules.voeux import no_poste_reason

__all__ = ["serial_dictatorship"]


class _Day:
    """The record of one replay; private to :func:`serial_dictatorship`."""

    def __init__(self, instance: Instance) -> None:
        self.started = time.perf_counter()
        self.instance = instance
        self.order = cached_choice_order(instance)
        self.free = {t.id: t.postes for t in instance.terrains}
        self.placed: dict[str, tuple] = {}
        """interne id -> (terrain, slot, voeu, imposed, round name)"""
        self.trace: list[tuple | str] = []
        """(interne, round, terrain, voeu, postes left, imposed, outside, refusals, joint), or
        the interne id of a common turn (``rules.turn.expand_trace``)"""
        self.refused: dict[str, list[tuple[str, int, str]] | None] = {}
        """Refused wishes of the internes left without a poste; ``None``: derived from the
        slot tables (the kernel's common path)."""
        self.rounds: dict[str, Round] = {}
        """Round name -> the round as played, for the refusals derived when read."""

    def run_round(self, r: int) -> None:
        rnd = self.rounds[self.instance.rounds[r].nom] = Round(self.instance, r, self.free,
                                                               self.placed)
        rnd.play(rnd.order, self.placed, self.trace, self.refused)  # R-ROUND-2: its order
        for interne_id, refusals in rnd.left_out(self.placed):
            self.refused.setdefault(interne_id, []).extend(refusals)  # type: ignore[union-attr]

    # --- the end -------------------------------------------------------------------------------

    def derived_refusals(self, interne_id: str, upto: int | None, lowered: Derived | None,
                         round_name: str | None = None) -> list[tuple[str, int, str]]:
        """The refusals a tight path left to derive, in the round named (default: the one
        round of a one-round day, the only day where an interne's whole record is derived)."""
        rnd = self.rounds[round_name] if round_name else next(iter(self.rounds.values()))
        return rnd.derived_refusals(self.instance.interne(interne_id), upto, lowered or ())

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
                    if mine is None or type(mine) is Derived:
                        mine = self.derived_refusals(i, None, mine)
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
            postes = {t.id: t.postes for t in instance.terrains}
            for i, rnd, t, voeu, left, imp, outside, refusals, joint in expand_trace(
                    trace, placed, postes):
                if refusals is None or type(refusals) is Derived:
                    refusals = self.derived_refusals(i, voeu, refusals, rnd)
                out.append(Turn(i, rnd, t, voeu, left, impose=imp,
                                why_imposed=why_imposed(instance.interne(i), outside)
                                if imp else None,
                                refusals=tuple(Refusal(*r) for r in refusals), joint=joint))
            return tuple(out)

        vacants = [(t.id, self.free[t.id]) for t in instance.terrains if self.free[t.id] > 0]
        impositions = [i for i in order if i in placed and placed[i][3]]
        info = SolveInfo(SolveStatus.OPTIMAL, wall_time=time.perf_counter() - self.started)
        lazy = Lazy(affectations)
        compact = LazyMapping(lambda: {i: (got[0], got[2], got[3]) for i, got in placed.items()})
        return Result("serial", order, lazy, vacants, impositions, Lazy(turns),
                      info=info, compact=(lazy, compact))


def serial_dictatorship(instance: Instance) -> Result:
    """Replay the choice day: the sequential procedure of RULES.md, round by round."""
    day = _Day(instance)
    for r in range(len(instance.rounds)):
        day.run_round(r)
    return day.result()
