"""The order of choice (R-ORD-1, R-ORD-2, R-ORD-4, R-ORD-6, R-VAL-2, R-VAL-3) and the call
order of a round with its own ranking (R-ROUND-2)."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import TYPE_CHECKING

from affectation.errors import InstanceError

if TYPE_CHECKING:
    from affectation.model import Instance, Interne

__all__ = [
    "cached_choice_order",
    "cached_round_order",
    "choice_order",
    "order_key",
    "round_order",
    "seniority",
    "takes_part",
]


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


def round_order(instance: Instance, round_index: int) -> tuple[str, ...]:
    """Interne ids called in round ``round_index``, in the order they choose there.

    A round without its own ranking calls everyone in :func:`choice_order` (those placed in
    an earlier round are skipped by the caller). A round with a ``classement`` (R-ROUND-2
    Reading) calls only the internes it lists: by seniority (R-ORD-1, R-VAL-2), the
    ``dernier_de_son_semestre`` after their seniority group (R-ORD-4), then the round's rank
    (which replaces ``rang`` and the percentile, R-ORD-6); a couple whose two members are
    listed chooses together at the later turn of the round (R-ORD-2); a member listed alone
    chooses alone at their turn (docs/rules.md, Readings). Ranks are distinct (checked by the
    instance), so there is no tie."""
    round_ = instance.rounds[round_index]
    rank_of = round_.rank_of
    if rank_of is None:
        return cached_choice_order(instance)
    interne_by_id = instance.interne_by_id
    order = sorted(rank_of, key=lambda i: (-seniority(interne_by_id[i]),
                                           interne_by_id[i].dernier_de_son_semestre,
                                           rank_of[i]))
    position = {interne_id: p for p, interne_id in enumerate(order)}
    for couple in instance.couples:
        if not all(m in position for m in couple.internes):
            continue
        first, later = sorted(couple.internes, key=position.__getitem__)
        order.remove(first)
        order.insert(order.index(later), first)
    return tuple(order)


def cached_round_order(instance: Instance, round_index: int) -> tuple[str, ...]:
    """:func:`round_order`, computed once per instance and round."""
    known = instance.tables.round_orders
    if round_index not in known:
        known[round_index] = round_order(instance, round_index)
    return known[round_index]


def takes_part(instance: Instance, round_index: int, interne_id: str) -> bool:
    """Whether the interne is called in the round: always, unless the round has its own
    ranking that does not list them (R-ROUND-2 Reading)."""
    rank_of = instance.rounds[round_index].rank_of
    return rank_of is None or interne_id in rank_of
