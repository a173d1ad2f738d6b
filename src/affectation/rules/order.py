"""The order of choice (R-ORD-1, R-ORD-2, R-ORD-4, R-ORD-6, R-VAL-2, R-VAL-3)."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import TYPE_CHECKING

from affectation.errors import InstanceError

if TYPE_CHECKING:
    from affectation.model import Instance, Interne

__all__ = ["cached_choice_order", "choice_order", "order_key", "require_one_ranking", "seniority"]


def seniority(interne: Interne) -> int:
    """Seniority for the order: semesters done (R-VAL-2; R-VAL-3 counts a non-validated one)."""
    return interne.semestres_effectues


def order_key(interne: Interne, interclassement: str = "rang") -> tuple:
    """Sort key: more seniority first (R-ORD-1), the ``dernier_de_son_semestre`` after their
    seniority group (R-ORD-4), then rank (R-ORD-1) or percentile rang/effectif (R-ORD-6)."""
    if interclassement == "percentile":
        position: Fraction | int = Fraction(interne.rang, interne.effectif_promotion or 1)
    else:
        position = interne.rang
    return (-seniority(interne), interne.dernier_de_son_semestre, position)


def choice_order(instance: Instance) -> tuple[str, ...]:
    """Interne ids in the order they choose.

    R-ORD-1 / R-ORD-6 give the base order; a full tie is an input error (R-ORD Reading).
    R-ORD-2: the better-placed member of a couple is moved to just before the other, so both
    choose at the later turn, one right after the other. A surnombre non validant keeps its
    place: it takes no poste, so its place changes nobody's allocation (R-ORD-3).
    """
    keyed = sorted(
        ((order_key(i, instance.interclassement), index, i.id) for index, i in
         enumerate(instance.internes)),
    )
    for (key_a, _index_a, id_a), (key_b, index_b, id_b) in itertools.pairwise(keyed):
        if key_a == key_b:
            raise InstanceError(
                f"même ancienneté et même {instance.interclassement} que "
                f"{instance.interne(id_a).libelle} : l'ordre du choix est à égalité (R-ORD-1)",
                entity=f"internes[{index_b}] ({id_b})",
                key="rang",
            )
    order = [interne_id for _, _, interne_id in keyed]
    position = {interne_id: p for p, interne_id in enumerate(order)}
    for couple in instance.couples:
        first, later = sorted(couple.internes, key=position.__getitem__)
        order.remove(first)
        order.insert(order.index(later), first)
    return tuple(order)


def cached_choice_order(instance: Instance) -> tuple[str, ...]:
    """:func:`choice_order`, computed once per instance (the instance checks it when it is
    built, so the engines find it ready in ``Instance.tables``)."""
    known = instance.tables
    if known.choice_order is None:
        known.choice_order = choice_order(instance)
    return known.choice_order


def require_one_ranking(instance: Instance) -> None:
    """Refuse an instance whose rounds carry their own ranking (R-ROUND-2) in an engine that
    plays every round in the order of :func:`choice_order`.

    The files carry ``rounds[].classement`` and :class:`~affectation.model.Instance` checks
    it; the serial engine, the CP-SAT model, the checker and the live day do not play a
    round in its own order yet (issue 16, item 4, docs/rules.md). Playing it in the
    instance's order would give a wrong allocation without a word, so they refuse it, naming
    the round and the key."""
    for index, round_ in enumerate(instance.rounds):
        if round_.classement is not None:
            raise InstanceError(
                "le classement propre d'un tour (R-ROUND-2) est lu et vérifié mais pas encore "
                "appliqué par les moteurs (moteur séquentiel, CP-SAT, vérification, jour du "
                "choix) ; retirez la clé classement pour choisir dans l'ordre de l'instance",
                entity=f"rounds[{index}] ({round_.nom})",
                key="classement",
            )
