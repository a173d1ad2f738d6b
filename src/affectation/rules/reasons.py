"""Why a terrain is refused at a turn: one vocabulary, each reason with its rule and its words.

The serial engine's trace, the live day, the checker, CP-SAT's ``to_result``, the audit and the
pré-choix all say "refused" with one of these reasons. A :class:`Reason` is a ``str`` (its value
is what the files and the JSON carry, FORMAT.md), so ``reason == "full"`` still holds.
"""

from __future__ import annotations

import enum

__all__ = ["Reason"]


class Reason(enum.StrEnum):
    """Why a terrain (or a couple's pair) may not be taken now."""

    FULL = "full"
    NOT_ELIGIBLE = "not_eligible"
    WOULD_LOWER_FILL = "would_leave_mandatory_empty"
    PAIR_UNAVAILABLE = "pair_unavailable"
    NOT_IN_ROUND = "not_in_round"
    NOT_LISTED = "not_in_classement"

    @property
    def rule(self) -> str:
        """The rule id that refuses (RULES.md)."""
        return _RULE[self]

    @property
    def words(self) -> str:
        """The reason in French, for a sentence ("… refusé : <words>")."""
        return _WORDS[self]

    @property
    def short(self) -> str:
        """The reason in one or two French words, for a table cell."""
        return _SHORT[self]


_RULE = {
    Reason.FULL: "R-POS-1",
    Reason.NOT_ELIGIBLE: "R-ELI",
    Reason.WOULD_LOWER_FILL: "R-IMP",
    Reason.PAIR_UNAVAILABLE: "R-ORD-2",
    Reason.NOT_IN_ROUND: "R-ROUND-1",
    Reason.NOT_LISTED: "R-ROUND-2",
}

_WORDS = {
    Reason.FULL: "plus aucun poste libre",
    Reason.NOT_ELIGIBLE: (
        "ne convient pas à sa maquette (stage déjà validé, hors de sa fenêtre de semestres ou "
        "maquette rendue impossible à compléter, R-ELI) ou stage ambulatoire interdit en "
        "surnombre (R-SUR-4)"
    ),
    Reason.WOULD_LOWER_FILL: (
        "laisserait vide un poste obligatoire que seuls des T1 jamais imposés peuvent encore "
        "pourvoir (R-IMP)"
    ),
    Reason.PAIR_UNAVAILABLE: "paire indisponible pour les deux membres du couple (R-ORD-2)",
    Reason.NOT_IN_ROUND: "terrain d'un autre tour de choix (R-ROUND-1)",
    Reason.NOT_LISTED: (
        "terrain d'un tour qui a son propre classement, où l'interne n'est pas classé(e) : "
        "il ou elle ne prend pas part à ce tour (R-ROUND-2)"
    ),
}

_SHORT = {
    Reason.FULL: "complet",
    Reason.NOT_ELIGIBLE: "non éligible",
    Reason.WOULD_LOWER_FILL: "poste obligatoire",
    Reason.PAIR_UNAVAILABLE: "paire indisponible",
    Reason.NOT_IN_ROUND: "hors tour",
    Reason.NOT_LISTED: "non classé(e) dans ce tour",
}
