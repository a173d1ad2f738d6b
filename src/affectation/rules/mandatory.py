"""Mandatory postes and impositions (R-IMP-1, R-IMP-2, R-IMP-3 and their Reading).

*Fill* = mandatory postes taken + the size of a maximum matching between the empty mandatory
postes of the round and the imposable internes still to choose in it, each linked to the
mandatory terrains they could be *imposed* on: eligible through a slot they have not validated,
never through a dérogation slot (R-IMP Reading). A choice is allowed when it keeps the fill;
only an imposable interne can lower it. :class:`RoundFill` is that value as the day goes, the
one home of the rule for the serial engine, the checker and the live choice day.

The matching is computed on an aggregated graph. Mandatory terrains fall into *classes*:
terrains that every imposable interne judges alike are one class, whose capacity is their free
postes together. An imposable interne is a *type*: the bit mask of the classes they can be
imposed on. By max-flow/min-cut (Hall), the maximum matching is
``min over class sets B of cap(B) + #internes whose type is not inside B``, and the minimum is
reached on a union of type masks (shrinking ``B`` to the union of the types inside it lowers
``cap(B)`` and keeps them inside), so the *cuts* to try are the union-closure of the type
masks: exact whatever the number of classes, and small in practice (at most
``2 ** #types``). When the closure is larger than :data:`MAX_CUTS`, :func:`max_matching` runs
an augmenting-path max-flow on the aggregated graph instead: exact at any size.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from affectation.model import Instance, Interne, Terrain
from affectation.rules.eligibility import Profile, imposable_slot, profile

__all__ = [
    "MAX_CUTS",
    "MandatoryClasses",
    "RoundFill",
    "after_values",
    "cut_values",
    "is_imposable",
    "is_imposition",
    "is_t1",
    "lowers_fill",
    "mandatory_classes",
    "max_matching",
    "union_closure",
]

MAX_CUTS = 4096
"""Largest union-closure of type masks evaluated as cuts; beyond it, a max-flow."""


T1_SEMESTRES = 2
"""A T1 has validated fewer semesters than this (R-IMP-2: "internes de première année")."""


def is_t1(semestres_valides: int) -> bool:
    """Whether an interne with ``semestres_valides`` validated semesters is a T1 (R-IMP-2): the
    one home of the predicate, for the fill, the careers and the plan."""
    return semestres_valides < T1_SEMESTRES


def is_imposable(interne: Interne, instance: Instance) -> bool:
    """Who can be imposed (R-IMP Reading): a T1 (fewer than 2 validated semesters, R-IMP-2),
    never imposed before (R-IMP-3), not in surnombre (R-SUR Reading), not in a couple."""
    return (
        is_t1(interne.semestres_valides)
        and not interne.impose
        and interne.surnombre is None
        and interne.id not in instance.couple_of
    )


def is_imposition(voeu: int | None, first_open: int | None) -> bool:
    """Whether a placement is an imposition (R-IMP Reading, steps 3-4): outside the wish list
    (``voeu`` is ``None``), or on a wish worse than ``first_open``, the first wish of the round
    that was eligible with a free poste at the interne's turn (``None``: none before it)."""
    return voeu is None or (first_open is not None and first_open < voeu)


def imposables(instance: Instance) -> tuple[Interne, ...]:
    """The imposable internes of the instance, in file order (computed once per instance)."""
    known = instance.tables
    if known.imposables is None:
        known.imposables = tuple(i for i in instance.internes if is_imposable(i, instance))
    return known.imposables


def union_closure(masks: Iterable[int], limit: int = MAX_CUTS) -> tuple[int, ...] | None:
    """Every union of some of ``masks`` (the empty union ``0`` included), sorted; ``None``
    when there are more than ``limit``."""
    closure = {0}
    for mask in sorted(set(masks)):
        if mask in closure:
            continue
        closure |= {c | mask for c in closure}
        if len(closure) > limit:
            return None
    return tuple(sorted(closure))


@attrs.frozen
class MandatoryClasses:
    """The mandatory terrains of one round grouped in classes, and the imposable types."""

    class_of: Mapping[str, int]
    """Class index of every mandatory terrain of the round."""
    n_classes: int
    type_of: Mapping[str, int]
    """Class mask of every imposable interne (0 = can be imposed on none)."""
    cuts: tuple[int, ...] | None
    """The union-closure of the type masks (the min-cut candidates), ``None`` if too many."""

    def mask(self, interne_id: str) -> int:
        return self.type_of.get(interne_id, 0)


def mandatory_classes(
    instance: Instance, round_index: int, imposable: Iterable[Interne] | None = None
) -> MandatoryClasses:
    """Group the round's mandatory terrains by how the imposable internes judge them.

    ``imposable`` defaults to every imposable interne of the instance; the classes then do not
    depend on the state of the day (computed once per instance and round)."""
    if imposable is None:
        known = instance.tables.mandatory_classes
        if round_index not in known:
            known[round_index] = mandatory_classes(instance, round_index, imposables(instance))
        return known[round_index]
    imposable = list(imposable)
    profiles: list[Profile] = sorted(
        {profile(instance.maquette_of(i), i) for i in imposable}, key=_profile_key
    )
    signature_class: dict[tuple[bool, ...], int] = {}
    class_of: dict[str, int] = {}
    class_categories: list[frozenset[str]] = []
    for terrain in instance.terrains:
        if instance.terrain_round[terrain.id] != round_index or not instance.is_mandatory(
            terrain
        ):
            continue
        signature = tuple(imposable_slot(p, terrain.category_set) is not None for p in profiles)
        if signature not in signature_class:
            signature_class[signature] = len(class_categories)
            class_categories.append(terrain.category_set)
        class_of[terrain.id] = signature_class[signature]
    mask_of_profile = {
        p: sum(
            1 << c for c, cats in enumerate(class_categories)
            if imposable_slot(p, cats) is not None
        )
        for p in profiles
    }
    type_of = {i.id: mask_of_profile[profile(instance.maquette_of(i), i)] for i in imposable}
    cuts = union_closure(m for m in type_of.values() if m)
    return MandatoryClasses(class_of, len(class_categories), type_of, cuts)


def _profile_key(p: Profile) -> tuple:
    return (sorted(p[1]), sorted(p[2]), p[3])


def cut_values(caps: Sequence[Any], counts: Mapping[int, Any], cuts: Sequence[int]
               ) -> list[Any]:
    """``E_B = cap(B) + #internes whose type is not inside B`` for each cut ``B``: the values
    whose minimum is the matching. ``caps`` and ``counts`` may be integers (the serial engine,
    the checker, the live day) or CP-SAT linear expressions (the exact model): the one home of
    the arithmetic."""
    n = len(caps)
    return [
        sum(caps[c] for c in range(n) if cut >> c & 1)
        + sum(k for m, k in counts.items() if m & ~cut)
        for cut in cuts
    ]


def after_values(values: Sequence[Any], cuts: Sequence[int], taken_class: int | None,
                 mask: int) -> list[Any]:
    """The cut values once an imposable interne of type ``mask`` has chosen a poste of class
    ``taken_class`` (``None``: a non-mandatory terrain, or nothing) and left the matching; the
    fill is kept iff ``min(after) + [taken_class is not None] >= min(values)`` (R-IMP Reading,
    step 2)."""
    return [
        value - (1 if taken_class is not None and cut >> taken_class & 1 else 0)
        - (1 if mask & ~cut else 0)
        for cut, value in zip(cuts, values, strict=True)
    ]


def max_matching(
    caps: Sequence[int], counts: Mapping[int, int], cuts: Sequence[int] | None = None
) -> int:
    """Maximum number of imposable internes (``counts`` per type mask) that the free
    mandatory postes (``caps`` per class) can take.

    ``cuts``: the union-closure of the type masks (:attr:`MandatoryClasses.cuts`); computed
    here when not given; the max-flow when it is too large."""
    if not caps:
        return 0
    if cuts is None:
        cuts = union_closure(m for m, k in counts.items() if k and m)
        if cuts is None:
            return _max_flow(caps, counts)
    return min(cut_values(caps, counts, cuts), default=0)


def _max_flow(caps: Sequence[int], counts: Mapping[int, int]) -> int:
    """Edmonds-Karp on source → types (count) → classes (unbounded) → sink (cap): the exact
    matching when the cuts are too many to enumerate."""
    types = [m for m, k in counts.items() if k > 0 and m]
    n_types, n_classes = len(types), len(caps)
    source, sink = 0, 1 + n_types + n_classes
    capacity: dict[tuple[int, int], int] = {}
    neighbours: list[list[int]] = [[] for _ in range(sink + 1)]

    def edge(u: int, v: int, c: int) -> None:
        if (u, v) not in capacity:
            neighbours[u].append(v)
            neighbours[v].append(u)
            capacity.setdefault((v, u), 0)
        capacity[(u, v)] = capacity.get((u, v), 0) + c

    big = sum(counts.values()) + 1
    for t, mask in enumerate(types):
        edge(source, 1 + t, counts[mask])
        for c in range(n_classes):
            if mask >> c & 1:
                edge(1 + t, 1 + n_types + c, big)
    for c, cap in enumerate(caps):
        edge(1 + n_types + c, sink, max(cap, 0))
    flow = 0
    while True:
        parent = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            u = queue.popleft()
            for v in neighbours[u]:
                if v not in parent and capacity[(u, v)] > 0:
                    parent[v] = u
                    queue.append(v)
        if sink not in parent:
            return flow
        path, v = [], sink
        while v != source:
            path.append((parent[v], v))
            v = parent[v]
        push = min(capacity[e] for e in path)
        for u, v in path:
            capacity[(u, v)] -= push
            capacity[(v, u)] += push
        flow += push


def lowers_fill(
    caps: Sequence[int],
    counts: Mapping[int, int],
    mask: int,
    taken_class: int | None,
    *,
    cuts: Sequence[int] | None = None,
    before: int | None = None,
) -> bool:
    """Whether an imposable interne of type ``mask``, still counted in ``counts``, lowers the
    fill by taking a poste of class ``taken_class`` (``None``: a non-mandatory terrain or
    nothing) (R-IMP Reading, step 2). ``before`` is ``max_matching(caps, counts)`` if the
    caller already has it."""
    if mask == 0:
        return False  # can be imposed on no mandatory class: not part of the matching
    if before is None:
        before = max_matching(caps, counts, cuts)
    after_counts = dict(counts)
    after_counts[mask] -= 1
    after_caps = list(caps)
    gained = 0
    if taken_class is not None:
        after_caps[taken_class] -= 1
        gained = 1
    return max_matching(after_caps, after_counts, cuts) + gained < before


class RoundFill:
    """The mandatory fill of one round as the day goes (R-IMP Reading, steps 1-4).

    Mutable on purpose: the serial engine, the checker and the live day each walk one round
    turn by turn and ask, at every wish, whether taking it lowers the fill; :meth:`copy` gives
    an independent state (undo, what-if). ``take``/``give_back`` move one poste that is not a
    surnombre's; ``done`` ends an interne's turn in the round (they leave the matching).

    With the cuts known, the state is kept as the value ``cap(B) + #types not inside B`` of
    every cut ``B``, updated in place, so that the matching is one ``min`` and a wish test one
    pass over the cuts.
    """

    __slots__ = ("_caps", "_inside", "_matching", "_outside", "_values", "_waiting", "classes",
                 "counts")

    def __init__(self, classes: MandatoryClasses, caps: list[int], counts: dict[int, int],
                 waiting: dict[str, int]) -> None:
        self.classes = classes
        self._caps = caps
        self.counts = counts
        self._waiting = waiting
        self._matching: int | None = None
        cuts = classes.cuts
        self._inside: list[tuple[int, ...]] = []
        """Per class, the indices of the cuts that hold it."""
        self._outside: dict[int, tuple[int, ...]] = {}
        """Per type mask, the indices of the cuts it is not inside (filled as asked)."""
        self._values: list[int] | None = None
        if cuts is not None:
            self._inside = [
                tuple(k for k, cut in enumerate(cuts) if cut >> c & 1)
                for c in range(classes.n_classes)
            ]
            self._values = cut_values(caps, counts, cuts)

    @classmethod
    def start(
        cls,
        instance: Instance,
        round_index: int,
        free: Mapping[str, int],
        waiting: Iterable[Interne],
    ) -> RoundFill:
        """The fill at the start of round ``round_index``: ``free`` postes per terrain id,
        ``waiting`` the internes still to choose in the round (the imposable ones count)."""
        classes = mandatory_classes(instance, round_index)
        caps = [0] * classes.n_classes
        for terrain_id, c in classes.class_of.items():
            caps[c] += max(free[terrain_id], 0)
        type_of = classes.type_of
        counted = {i.id: mask for i in waiting if (mask := type_of.get(i.id, 0))}
        counts: dict[int, int] = {}
        for mask in counted.values():
            counts[mask] = counts.get(mask, 0) + 1
        return cls(classes, caps, counts, counted)

    def copy(self) -> RoundFill:
        twin = RoundFill.__new__(RoundFill)
        twin.classes = self.classes
        twin._caps = list(self._caps)
        twin.counts = dict(self.counts)
        twin._waiting = dict(self._waiting)
        twin._matching = self._matching
        twin._inside, twin._outside = self._inside, self._outside
        twin._values = None if self._values is None else list(self._values)
        return twin

    # --- queries ---------------------------------------------------------------------------

    @property
    def counted(self) -> Mapping[str, int]:
        """The imposable internes still to choose, with their type (read-only view)."""
        return self._waiting

    @property
    def caps(self) -> tuple[int, ...]:
        """Free mandatory postes per class."""
        return tuple(self._caps)

    def class_of(self, terrain: Terrain | str) -> int | None:
        """The class of a mandatory terrain of the round, ``None`` for any other."""
        return self.classes.class_of.get(terrain if isinstance(terrain, str) else terrain.id)

    def mask(self, interne: Interne | str) -> int:
        """The type of an imposable interne still counted in the matching, else 0."""
        return self._waiting.get(interne if isinstance(interne, str) else interne.id, 0)

    def matching(self) -> int:
        """Maximum matching of the empty mandatory postes and the imposables waiting."""
        if self._matching is None:
            if self._values is not None:
                self._matching = min(self._values) if self._values else 0
            else:
                self._matching = max_matching(self._caps, self.counts, self.classes.cuts)
        return self._matching

    def lowers(self, interne: Interne | str, terrain: Terrain | str | None) -> bool:
        """Whether ``interne`` taking ``terrain`` (``None``: nothing, or a terrain outside the
        mandatory classes) lowers the fill (R-IMP Reading, step 2): :meth:`lowering` read for
        that terrain. Only an imposable interne still to choose can."""
        nothing, classes = self.lowering(interne)
        if not nothing or terrain is None:
            return nothing
        taken = self.classes.class_of.get(terrain if type(terrain) is str else terrain.id)  # type: ignore[union-attr]
        return True if taken is None else bool(classes >> taken & 1)

    def lowering(self, interne: Interne | str) -> tuple[bool, int]:
        """What would lower the fill if ``interne`` chose it now (R-IMP Reading, step 2):
        whether taking nothing or a terrain outside the mandatory classes would, and the bit
        mask of the mandatory classes whose poste would. ``(False, 0)`` for anyone not
        counted. Asked once per turn, read for every wish.

        With the cut values known this is :func:`after_values`'s test,
        ``min(after) + [taken] < min(values)``, read where it can fail: every value is at least
        the minimum ``M`` and a choice subtracts at most 1 for the class taken (inside ``B``)
        and 1 for the interne leaving (type not inside ``B``), adding 1 when a mandatory poste
        is taken; so the fill drops exactly when some cut at ``M`` holds the class taken (if
        any) and not the interne's type: one pass over the cuts the type is not inside
        (``tests/test_rules.py::test_round_fill_follows_the_day`` checks it against the plain
        formula)."""
        mask = self._waiting.get(interne if type(interne) is str else interne.id, 0)  # type: ignore[union-attr]
        if not mask:
            return False, 0
        values = self._values
        if values is None:
            before = self.matching()
            nothing = lowers_fill(self._caps, self.counts, mask, None, before=before)
            if not nothing:
                return False, 0  # a mandatory poste lowers it only where nothing would
            return True, sum(
                1 << c for c in range(self.classes.n_classes)
                if lowers_fill(self._caps, self.counts, mask, c, before=before))
        outside = self._outside.get(mask) or self._outside_of(mask)
        m = self._matching
        if m is None:
            m = self._matching = min(values) if values else 0
        nothing, classes = False, 0
        cuts = self.classes.cuts
        for k in outside:
            if values[k] == m:
                nothing = True
                classes |= cuts[k]  # type: ignore[index]
        return nothing, classes

    def _outside_of(self, mask: int) -> tuple[int, ...]:
        """The indices of the cuts a type mask is not inside (kept per mask)."""
        outside = self._outside.get(mask)
        if outside is None:
            outside = self._outside[mask] = tuple(
                k for k, cut in enumerate(self.classes.cuts)  # type: ignore[arg-type]
                if mask & ~cut)
        return outside

    def imposable_on(self, interne: Interne | str, terrain: Terrain | str) -> bool:
        """Whether ``interne`` is linked to ``terrain`` in the matching: an imposable interne
        still to choose, eligible for that mandatory terrain through a slot they have not
        validated (R-IMP Reading, step 4)."""
        c = self.class_of(terrain)
        return c is not None and bool(self.mask(interne) >> c & 1)

    # --- moves -----------------------------------------------------------------------------

    def take(self, terrain: Terrain | str) -> None:
        """One poste of ``terrain`` taken (not a surnombre's: those are added, R-SUR)."""
        self._move(terrain, -1)

    def give_back(self, terrain: Terrain | str) -> None:
        """Undo :meth:`take`."""
        self._move(terrain, +1)

    def _move(self, terrain: Terrain | str, step: int) -> None:
        c = self.classes.class_of.get(terrain if type(terrain) is str else terrain.id)  # type: ignore[union-attr]
        if c is None:
            return
        self._caps[c] += step
        values = self._values
        if values is not None:
            for k in self._inside[c]:
                values[k] += step
        self._matching = None

    def done(self, interne: Interne | str, taken: str | None = None) -> None:
        """``interne``'s turn in the round is over: they leave the matching; with ``taken``,
        having taken a poste of that terrain (:meth:`take` in the same call)."""
        if taken is not None and taken in self.classes.class_of:
            self._move(taken, -1)
        mask = self._waiting.pop(interne if type(interne) is str else interne.id, 0)  # type: ignore[union-attr]
        if not mask:
            return
        counts = self.counts
        counts[mask] -= 1
        if not counts[mask]:
            del counts[mask]
        values = self._values
        if values is not None:
            for k in self._outside.get(mask) or self._outside_of(mask):
                values[k] -= 1
        self._matching = None
