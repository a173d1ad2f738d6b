"""Wish lists and exhausted lists (R-VOE-1 and its Reading)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from affectation.model import Interne
from affectation.result import Refusal
from affectation.rules.reasons import Reason

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
    """Why an interne ends without a poste, in one French sentence: no silent fallback
    (R-VOE-1).

    ``refusals`` are the refusals of the interne's own wishes over every round (the pairs of a
    couple's joint list are not counted).
    """
    if not interne.voeux:
        return "liste de vœux vide : rien à attribuer (R-VOE-1)"
    counts = Counter(Reason(r.reason) for r in refusals if r.reason != Reason.PAIR_UNAVAILABLE)
    parts = [
        f"{counts[reason]} {_COUNTED[reason]} ({reason.rule})"
        for reason in (Reason.FULL, Reason.NOT_ELIGIBLE, Reason.WOULD_LOWER_FILL,
                       Reason.NOT_LISTED)
        if counts[reason]
    ]
    detail = ", ".join(parts) if parts else "aucun dans ce tour"
    n = len(interne.voeux)
    return f"liste de vœux épuisée ({n} vœu{'x' if n > 1 else ''} : {detail}) (R-VOE-1)"


_COUNTED = {
    Reason.FULL: "complet(s)",
    Reason.NOT_ELIGIBLE: "non éligible(s)",
    Reason.WOULD_LOWER_FILL: "laisserai(en)t un poste obligatoire vide",
    Reason.NOT_LISTED: "dans un tour dont le classement propre ne le ou la classe pas",
}
