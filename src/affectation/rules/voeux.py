"""Wish lists and exhausted lists (R-VOE-1 and its Reading)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from affectation.model import Interne
from affectation.result import Refusal

__all__ = ["no_poste_reason", "own_rank"]


def own_rank(interne: Interne, terrain_id: str) -> int | None:
    """1-based position of ``terrain_id`` in the interne's own wish list, ``None`` if absent.

    The result's ``voeu`` (FORMAT.md): a pair taken from a couple's joint list (R-ORD-2)
    reports the terrain's place in the member's own list, or ``None`` when it is not there.
    """
    try:
        return interne.voeux.index(terrain_id) + 1
    except ValueError:
        return None


def no_poste_reason(interne: Interne, refusals: Iterable[Refusal]) -> str:
    """Why an interne ends without a poste, in one sentence: no silent fallback (R-VOE-1).

    ``refusals`` are the refusals of the interne's own wishes over every round (the pairs of a
    couple's joint list are not counted).
    """
    if not interne.voeux:
        return "empty wish list: nothing to give (R-VOE-1)"
    counts = Counter(r.reason for r in refusals if r.reason != "pair_unavailable")
    parts = []
    if counts["full"]:
        parts.append(f"{counts['full']} full")
    if counts["not_eligible"]:
        parts.append(f"{counts['not_eligible']} not eligible (R-ELI, R-SUR-4)")
    if counts["would_leave_mandatory_empty"]:
        parts.append(
            f"{counts['would_leave_mandatory_empty']} would leave a mandatory poste empty (R-IMP)"
        )
    detail = ", ".join(parts) if parts else "none in a round"
    return f"wish list exhausted ({len(interne.voeux)} wishes: {detail}) (R-VOE-1)"
