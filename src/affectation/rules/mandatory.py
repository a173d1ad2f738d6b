"""Mandatory postes and impositions (R-IMP-1, R-IMP-2, R-IMP-3 and their Reading).

*Fill* = mandatory postes taken + the size of a maximum matching between the empty mandatory
postes of the round and the imposable internes still to choose in it. A choice is allowed when
it keeps the fill; only an imposable interne can lower it.

The matching is computed on an aggregated graph. Mandatory terrains fall into *classes*:
terrains whose categories every imposable interne judges alike (same eligibility) are one
class, whose capacity is their free postes together. An imposable interne is a *type*: the
bit mask of the classes they are eligible for. By max-flow/min-cut (Hall), the maximum
matching is ``min over class subsets B of cap(B) + #internes whose type is not inside B``,
which :func:`max_matching` evaluates; the CP-SAT model states the same cuts as linear terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from affectation.errors import InstanceError
from affectation.model import Instance, Interne
from affectation.rules.eligibility import Profile, profile, slot_for

__all__ = [
    "MandatoryClasses",
    "cut_subsets",
    "is_imposable",
    "lowers_fill",
    "mandatory_classes",
    "max_matching",
]

MAX_CLASSES = 16
"""The min-cut enumeration is exponential in the number of classes; beyond this we refuse."""


def is_imposable(interne: Interne, instance: Instance) -> bool:
    """Who can be imposed (R-IMP Reading): a T1 (fewer than 2 validated semesters, R-IMP-2),
    never imposed before (R-IMP-3), not in surnombre (R-SUR Reading), not in a couple."""
    return (
        interne.semestres_valides < 2
        and not interne.impose
        and interne.surnombre is None
        and interne.id not in instance.couple_of
    )


@attrs.frozen
class MandatoryClasses:
    """The mandatory terrains of one round grouped in classes, and the imposable types."""

    class_of: Mapping[str, int]
    """Class index of every mandatory terrain of the round."""
    n_classes: int
    type_of: Mapping[str, int]
    """Class mask of every imposable interne that can take part in the round (0 = none)."""

    def mask(self, interne_id: str) -> int:
        return self.type_of.get(interne_id, 0)


def mandatory_classes(
    instance: Instance, round_index: int, imposable: Iterable[Interne]
) -> MandatoryClasses:
    """Group the round's mandatory terrains by how the imposable internes judge them."""
    imposable = list(imposable)
    profiles: list[Profile] = sorted(
        {profile(instance.maquette, i) for i in imposable}, key=_profile_key
    )
    signature_class: dict[tuple[bool, ...], int] = {}
    class_of: dict[str, int] = {}
    class_categories: list[frozenset[str]] = []
    for terrain in instance.terrains:
        if instance.terrain_round[terrain.id] != round_index or not instance.is_mandatory(
            terrain
        ):
            continue
        signature = tuple(slot_for(p, terrain.category_set) is not None for p in profiles)
        if signature not in signature_class:
            signature_class[signature] = len(class_categories)
            class_categories.append(terrain.category_set)
        class_of[terrain.id] = signature_class[signature]
    if len(class_categories) > MAX_CLASSES:
        raise InstanceError(
            f"{len(class_categories)} classes of mandatory terrains (terrains whose categories "
            f"the imposable internes judge differently); at most {MAX_CLASSES} are supported "
            "(docs/rules.md, R-IMP)",
            entity="instance",
            key="obligatoires",
        )
    type_of = {}
    for interne in imposable:
        p = profile(instance.maquette, interne)
        type_of[interne.id] = sum(
            1 << c for c, cats in enumerate(class_categories) if slot_for(p, cats) is not None
        )
    return MandatoryClasses(class_of, len(class_categories), type_of)


def _profile_key(p: Profile) -> tuple:
    return (sorted(p[1]), sorted(p[2]), p[3])


def cut_subsets(n_classes: int) -> range:
    """Every subset ``B`` of classes as a bit mask, for the min-cut formula."""
    return range(1 << n_classes)


def max_matching(caps: Sequence[int], counts: Mapping[int, int]) -> int:
    """Maximum number of imposable internes (``counts`` per type mask) that the free
    mandatory postes (``caps`` per class) can take: ``min_B cap(B) + #{types not in B}``."""
    n = len(caps)
    if n == 0:
        return 0
    full = (1 << n) - 1
    best = None
    for subset in range(1 << n):
        value = 0
        for c in range(n):
            if subset >> c & 1:
                value += caps[c]
        outside = full & ~subset
        for mask, count in counts.items():
            if mask & outside:
                value += count
        if best is None or value < best:
            best = value
    return best  # type: ignore[return-value]


def lowers_fill(
    caps: Sequence[int],
    counts: Mapping[int, int],
    mask: int,
    taken_class: int | None,
    *,
    before: int | None = None,
) -> bool:
    """Whether an imposable interne of type ``mask``, still counted in ``counts``, lowers the
    fill by taking a poste of class ``taken_class`` (``None``: a non-mandatory terrain or
    nothing) (R-IMP Reading, step 2). ``before`` is ``max_matching(caps, counts)`` if the
    caller already has it."""
    if mask == 0:
        return False  # eligible for no mandatory class: not part of the matching
    if before is None:
        before = max_matching(caps, counts)
    after_counts = dict(counts)
    after_counts[mask] -= 1
    after_caps = list(caps)
    gained = 0
    if taken_class is not None:
        after_caps[taken_class] -= 1
        gained = 1
    return max_matching(after_caps, after_counts) + gained < before
