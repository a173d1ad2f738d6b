"""Stand-in for ``rules.mandatory.RoundFill`` until the shared foundation lands on main."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from affectation.model import Instance, Interne, Terrain
from affectation.rules.mandatory import (
    is_imposable,
    lowers_fill,
    mandatory_classes,
    max_matching,
)


class RoundFill:
    """The mandatory fill of one round as the day goes (R-IMP Reading, step 1)."""

    def __init__(self, instance: Instance, round_index: int, free: Mapping[str, int],
                 waiting: Iterable[Interne]) -> None:
        imposable = [i for i in instance.internes if is_imposable(i, instance)]
        self.classes = mandatory_classes(instance, round_index, imposable)
        self.caps = [0] * self.classes.n_classes
        for terrain_id, c in self.classes.class_of.items():
            self.caps[c] += free[terrain_id]
        waiting_ids = {i.id for i in waiting}
        self.counts: dict[int, int] = {}
        for i in imposable:
            mask = self.classes.mask(i.id)
            if mask and i.id in waiting_ids:
                self.counts[mask] = self.counts.get(mask, 0) + 1

    def matching(self) -> int:
        return max_matching(self.caps, self.counts)

    def lowers(self, interne: Interne, terrain: Terrain | None) -> bool:
        mask = self.classes.mask(interne.id)
        if not mask or not self.counts.get(mask):
            return False
        c = None if terrain is None else self.classes.class_of.get(terrain.id)
        return lowers_fill(self.caps, self.counts, mask, c)

    def take(self, terrain: Terrain) -> None:
        c = self.classes.class_of.get(terrain.id)
        if c is not None:
            self.caps[c] -= 1

    def done(self, interne: Interne) -> None:
        mask = self.classes.mask(interne.id)
        if mask and self.counts.get(mask):
            self.counts[mask] -= 1

    def imposable_on(self, interne: Interne, terrain: Terrain) -> bool:
        c = self.classes.class_of.get(terrain.id)
        return c is not None and bool(self.classes.mask(interne.id) >> c & 1)

    @classmethod
    def start(cls, instance, round_index, free, waiting) -> RoundFill:
        return cls(instance, round_index, free, waiting)
