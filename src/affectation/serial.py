"""The serial dictatorship: the choice day replayed turn by turn, with its audit trail.

Internes choose one after another in the order of :func:`~affectation.rules.order.choice_order`
(R-ORD-1 … R-ORD-6), round after round (R-ROUND-1). At their turn each gets the first terrain
of their wish list (R-VOE-1) that is in the round, has a free poste, is eligible (R-ELI-1,
-2, -3) and keeps the mandatory fill (R-IMP Reading); a surnombre takes nobody's poste
(R-SUR-2, -3, -4); a couple takes the first pair of its joint list open to both (R-ORD-2).
Every refusal of a better wish is recorded with its reason.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

from affectation.model import Instance, Interne, Terrain
from affectation.result import Affectation, Refusal, Result, SolveInfo, SolveStatus, Turn
from affectation.rules.eligibility import profile, slot_for
from affectation.rules.mandatory import (
    is_imposable,
    lowers_fill,
    mandatory_classes,
    max_matching,
)
from affectation.rules.order import choice_order
from affectation.rules.voeux import no_poste_reason, own_rank

__all__ = ["serial_dictatorship"]


class _Day:
    """The mutable state of one replay; private to :func:`serial_dictatorship`."""

    def __init__(self, instance: Instance) -> None:
        self.started = time.perf_counter()
        self.instance = instance
        self.order = choice_order(instance)
        self.taken = {t.id: 0 for t in instance.terrains}
        self.placed: dict[str, Affectation] = {}
        self.trace: list[Turn] = []
        self.refused: dict[str, list[Refusal]] = {}
        # one {categories: slot} table per eligibility profile, shared by equal profiles
        self.profiles = {i.id: profile(instance.maquette, i) for i in instance.internes}
        tables: dict = {}
        self.slots = {i: tables.setdefault(p, {}) for i, p in self.profiles.items()}
        self.imposable = [i for i in instance.internes if is_imposable(i, instance)]

    # --- state queries ----------------------------------------------------------------------

    def free(self, terrain: Terrain) -> int:
        return terrain.postes - self.taken[terrain.id]

    def slot(self, interne: Interne, terrain: Terrain) -> str | None:
        table = self.slots[interne.id]
        categories = terrain.category_set
        try:
            return table[categories]
        except KeyError:
            table[categories] = slot = slot_for(self.profiles[interne.id], categories)
            return slot

    # --- one round ----------------------------------------------------------------------------

    def run_round(self, r: int) -> None:
        instance = self.instance
        self.round_index = r
        self.round_name = instance.rounds[r].nom
        self.classes = mandatory_classes(instance, r, self.imposable)
        self.caps = [0] * self.classes.n_classes
        for terrain_id, c in self.classes.class_of.items():
            self.caps[c] += self.free(instance.terrain(terrain_id))
        self.counts = Counter(
            self.classes.mask(i.id) for i in self.imposable if i.id not in self.placed
        )
        self.counts.pop(0, None)
        order = self.order
        skip_next = False
        for position, interne_id in enumerate(order):
            if skip_next:
                skip_next = False
                continue
            if interne_id in self.placed:
                continue
            couple = instance.couple_of.get(interne_id)
            if (
                couple is not None
                and position + 1 < len(order)
                and order[position + 1] in couple.internes
                and order[position + 1] not in self.placed
            ):
                skip_next = self.couple_turn(couple.internes, couple.voeux, order[position + 1])
                if skip_next:
                    continue
            self.individual_turn(instance.interne(interne_id))

    def wishes_in_round(self, interne: Interne) -> Iterator[tuple[int, Terrain]]:
        """The interne's wishes in this round, lazily: a turn reads only until it grants."""
        terrain_round = self.instance.terrain_round
        terrain_by_id = self.instance.terrain_by_id
        r = self.round_index
        for rank, t in enumerate(interne.voeux, start=1):
            if terrain_round[t] == r:
                yield rank, terrain_by_id[t]

    def couple_turn(
        self, members: tuple[str, str], pairs: tuple[tuple[str, str], ...], later: str
    ) -> bool:
        """R-ORD-2 Reading: the first pair open to both at the later turn; ``False`` to fall
        back to the individual lists, better-ranked first."""
        instance = self.instance
        a, b = (instance.interne(m) for m in members)
        refusals = []
        for rank, (ta_id, tb_id) in enumerate(pairs, start=1):
            ta, tb = instance.terrain(ta_id), instance.terrain(tb_id)
            if not (
                instance.terrain_round[ta_id] == self.round_index == instance.terrain_round[tb_id]
            ):
                continue
            slot_a, slot_b = self.slot(a, ta), self.slot(b, tb)
            needed_on_a = 2 if ta_id == tb_id else 1
            if slot_a is None or slot_b is None or self.free(ta) < needed_on_a or self.free(tb) < 1:
                refusals.append(Refusal(f"{ta_id}+{tb_id}", rank, "pair_unavailable"))
            else:
                first = a if self.order.index(a.id) < self.order.index(b.id) else b
                for interne, terrain, slot in sorted(
                    ((a, ta, slot_a), (b, tb, slot_b)), key=lambda m: m[0] is not first
                ):
                    self.take(interne, terrain, slot, rank, refusals, joint=True)
                    refusals = []
                return True
        self.refused.setdefault(members[0], []).extend(refusals)
        if refusals:
            self.trace.append(
                Turn(members[0], self.round_name, None, None, None, refusals=refusals, joint=True)
            )
        return False

    def individual_turn(self, interne: Interne) -> None:
        wishes = self.wishes_in_round(interne)
        if interne.surnombre == "non_validant":
            self.non_validant_turn(interne, wishes)
            return
        surnombre = interne.surnombre == "validant"
        mask = 0 if surnombre else self.classes.mask(interne.id)
        refusals: list[Refusal] = []
        first_open: tuple[int, Terrain] | None = None
        chosen: tuple[int | None, Terrain, str] | None = None
        taken = self.taken
        fill = max_matching(self.caps, self.counts) if mask else 0
        for rank, terrain in wishes:
            slot = self.slot(interne, terrain)
            if slot is None or (surnombre and terrain.ambulatoire):  # R-ELI, R-SUR-4
                refusals.append(Refusal(terrain.id, rank, "not_eligible"))
                continue
            if terrain.postes - taken[terrain.id] <= 0:  # R-SUR-2: a surnombre needs one too
                refusals.append(Refusal(terrain.id, rank, "full"))
                continue
            if first_open is None:
                first_open = (rank, terrain)
            if mask and lowers_fill(self.caps, self.counts, mask, self.class_index(terrain),
                                    before=fill):
                refusals.append(Refusal(terrain.id, rank, "would_leave_mandatory_empty"))
                continue
            chosen = (rank, terrain, slot)
            break
        if chosen is None and mask and lowers_fill(self.caps, self.counts, mask, None,
                                                   before=fill):
            chosen = self.imposed_outside_list(interne, mask)  # R-IMP Reading, step 4
        if mask:
            self.counts[mask] -= 1  # their turn in this round is over
        if chosen is None:
            self.refused.setdefault(interne.id, []).extend(refusals)
            self.trace.append(Turn(interne.id, self.round_name, None, None, None,
                                   refusals=refusals))
            return
        rank, terrain, slot = chosen
        imposed = rank is None or first_open is None or first_open[0] != rank
        why = None
        if imposed:
            what = (
                "no wish could be granted and leaving them without a poste"
                if rank is None
                else "every better wish still open"
            )
            why = (
                f"{what} would have left a mandatory poste empty, and {interne.id} is a T1 "
                "never imposed who can fill it while the later-ranked ones cannot, or were "
                "imposed before (R-IMP-2, R-IMP-3)"
            )
        self.take(interne, terrain, slot, rank, refusals, imposed=imposed, why=why,
                  surnombre=interne.surnombre)

    def non_validant_turn(self, interne: Interne, wishes: list[tuple[int, Terrain]]) -> None:
        """R-SUR-3 Reading: the first non-ambulatory wish, free poste or not, no maquette."""
        refusals = []
        for rank, terrain in wishes:
            if terrain.ambulatoire:  # R-SUR-4
                refusals.append(Refusal(terrain.id, rank, "not_eligible"))
                continue
            self.take(interne, terrain, None, rank, refusals, surnombre="non_validant")
            return
        self.refused.setdefault(interne.id, []).extend(refusals)
        self.trace.append(Turn(interne.id, self.round_name, None, None, None, refusals=refusals))

    def imposed_outside_list(
        self, interne: Interne, mask: int
    ) -> tuple[None, Terrain, str] | None:
        """The first mandatory terrain of the round in file order that is open, eligible and
        keeps the fill (R-IMP Reading, step 4)."""
        for terrain in self.instance.terrains:
            c = self.classes.class_of.get(terrain.id)
            if c is None or self.free(terrain) <= 0:
                continue
            slot = self.slot(interne, terrain)
            if slot is not None and not lowers_fill(self.caps, self.counts, mask, c):
                return (None, terrain, slot)
        return None  # cannot happen when taking nothing lowers the fill (docs/rules.md)

    def class_index(self, terrain: Terrain) -> int | None:
        return self.classes.class_of.get(terrain.id)

    def take(
        self,
        interne: Interne,
        terrain: Terrain,
        slot: str | None,
        rank: int | None,
        refusals: list[Refusal],
        *,
        imposed: bool = False,
        why: str | None = None,
        surnombre: str | None = None,
        joint: bool = False,
    ) -> None:
        if surnombre is None:  # R-SUR Reading: a surnombre's poste is added
            self.taken[terrain.id] += 1
            c = self.class_index(terrain)
            if c is not None:
                self.caps[c] -= 1
        self.placed[interne.id] = Affectation(
            interne=interne.id,
            terrain=terrain.id,
            stage=slot,
            voeu=own_rank(interne, terrain.id) if joint else rank,
            impose=imposed,
            surnombre=interne.surnombre,
            round=self.round_name,
        )
        self.trace.append(
            Turn(interne.id, self.round_name, terrain.id, rank, self.free(terrain),
                 impose=imposed, why_imposed=why, refusals=refusals, joint=joint)
        )

    # --- the end -------------------------------------------------------------------------------

    def result(self) -> Result:
        affectations = [
            self.placed.get(i) or Affectation(
                interne=i,
                terrain=None,
                surnombre=self.instance.interne(i).surnombre,
                raison=self.no_poste_reason(self.instance.interne(i)),
            )
            for i in self.order
        ]
        vacants = [(t.id, self.free(t)) for t in self.instance.terrains if self.free(t) > 0]
        impositions = [a.interne for a in affectations if a.impose]
        info = SolveInfo(SolveStatus.OPTIMAL, wall_time=time.perf_counter() - self.started)
        return Result("serial", self.order, affectations, vacants, impositions, self.trace,
                      info=info)

    def no_poste_reason(self, interne: Interne) -> str:
        return no_poste_reason(interne, self.refused.get(interne.id, []))


def serial_dictatorship(instance: Instance) -> Result:
    """Replay the choice day: the sequential procedure of RULES.md, round by round."""
    day = _Day(instance)
    for r in range(len(instance.rounds)):
        day.run_round(r)
    return day.result()
