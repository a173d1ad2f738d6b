"""What an interne may choose: open slots, phase windows, completability (R-ELI-1, -2, -3).

A terrain is eligible for an interne when some open slot accepts one of its categories in the
semester being chosen and the other open slots can still be done, one per semester, inside
their windows, in the semesters left (R-ELI-2 Reading). The slot a stage fills is the first
such slot in maquette order among the slots still to do, so the specific slots are used before
``libre``; a slot covered by a dérogation (validated, allowed again) comes only after them: it
is a permission, never a duty (R-ELI-2 Reading), and a stage that counts for a slot still to do
counts for it.
"""

from __future__ import annotations

from functools import lru_cache

from affectation.model import Interne, Maquette, Terrain

__all__ = [
    "Profile",
    "completable",
    "eligible_slot",
    "imposable_slot",
    "open_slots",
    "profile",
    "slot_for",
]

Profile = tuple[Maquette, frozenset[str], frozenset[str], int]
"""What eligibility depends on: maquette, validated slots, dérogations, semester chosen."""


_CANONICAL: dict[Maquette, Maquette] = {}


def profile(maquette: Maquette, interne: Interne) -> Profile:
    """The part of an interne that eligibility reads; internes with equal profiles share it.

    Equal maquettes are replaced by one canonical object, so the caches below find their keys
    by identity instead of comparing maquettes field by field (an unpickled copy in a worker
    process is equal but not identical)."""
    maquette = _CANONICAL.setdefault(maquette, maquette)
    return (maquette, frozenset(interne.valides), frozenset(interne.derogations), interne.semestre)


def open_slots(
    maquette: Maquette, valides: frozenset[str], derogations: frozenset[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """``(required, optional)`` slot ids (R-ELI-1 Reading).

    Required: not yet validated. Optional: validated but covered by a dérogation, so it may
    be filled a second time without being needed for the maquette.
    """
    required = maquette.slot_ids - valides
    return required, maquette.slot_ids & valides & derogations


@lru_cache(maxsize=65536)
def completable(maquette: Maquette, slots: frozenset[str], first_semester: int) -> bool:
    """Whether ``slots`` fit one per semester in ``first_semester .. maquette.semestres``,
    each inside its window (R-ELI-2).

    Intervals to points: take slots by earliest window end and give each the earliest free
    semester it accepts; this greedy is exact for interval windows.
    """
    windows = sorted(
        (slot.window for slot in maquette.stages if slot.id in slots), key=lambda w: (w[1], w[0])
    )
    used: set[int] = set()
    for start, end in windows:
        semester = max(start, first_semester)
        while semester in used:
            semester += 1
        if semester > end or semester > maquette.semestres:
            return False
        used.add(semester)
    return True


@lru_cache(maxsize=262144)
def slot_for(profile_: Profile, categories: frozenset[str]) -> str | None:
    """The slot a terrain of ``categories`` fills for an interne of ``profile_``, or ``None``
    when the interne may not choose it (R-ELI-1, R-ELI-2, R-ELI-3).

    Slots still to do come first, in maquette order, then the dérogation slots: a dérogation
    slot is optional for completability (R-ELI-2 Reading), so only the required slots other
    than the one filled must still fit."""
    maquette, valides, derogations, semester = profile_
    required, optional = open_slots(maquette, valides, derogations)
    for pool in (required, optional):
        for slot in maquette.stages:
            if slot.id not in pool:
                continue  # R-ELI-1: a validated slot is not filled again without dérogation
            if not slot.window[0] <= semester <= slot.window[1]:
                continue  # R-ELI-3: phase windows
            if not slot.accepts(categories):
                continue
            if completable(maquette, required - {slot.id}, semester + 1):  # R-ELI-2
                return slot.id
    return None


def imposable_slot(profile_: Profile, categories: frozenset[str]) -> str | None:
    """The slot through which an interne of ``profile_`` can be *imposed* a terrain of
    ``categories``: an eligible slot they have not validated, never a dérogation slot
    (R-IMP Reading: "aux T1 n'ayant pas encore effectué l'un ou l'autre de ces stages")."""
    slot = slot_for(profile_, categories)
    return slot if slot is not None and slot not in profile_[1] else None


def eligible_slot(maquette: Maquette, interne: Interne, terrain: Terrain) -> str | None:
    """The slot ``terrain`` would fill for ``interne``, ``None`` if not eligible (R-ELI)."""
    return slot_for(profile(maquette, interne), terrain.category_set)
