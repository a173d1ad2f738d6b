"""The postes certainly left at an interne's turn, from the known lists above them alone.

Whatever the internes who choose before ``interne`` do, a terrain keeps at least
``postes - (those above who could take it)`` free postes at their turn. One of them *could* take
it when they hold a poste (R-SUR Reading: a surnombre takes none), may hold this terrain
(:func:`affectation.rules.turn.reach`, R-ELI, R-SUR-4), and either their list is unknown, or it
names the terrain, or they are in a couple (a joint list, then each alone: R-ORD-2), or they can
be imposed (R-IMP: an imposition may fall outside the list). Everything else about them is
ignored, so the figure is a floor, never a guess: the pré-choix gives the likely figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from affectation.model import Instance
from affectation.rules.mandatory import is_imposable
from affectation.rules.order import cached_choice_order
from affectation.rules.surnombre import takes_poste
from affectation.rules.turn import reach

__all__ = ["certainly_left"]


def certainly_left(instance: Instance, interne_id: str, terrains: Iterable[str],
                   known: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """``{terrain: postes certainly free at the turn of interne_id}`` for ``terrains``;
    ``known``: the saved lists (interne id -> list), every other list unknown."""
    order = cached_choice_order(instance)
    above = [instance.interne(i) for i in order[:order.index(interne_id)]]
    above = [i for i in above if takes_poste(i)]
    wanted = {i.id: frozenset(known[i.id]) for i in above if i.id in known}
    loose = {i.id for i in above
             if i.id not in known or i.id in instance.couple_of or is_imposable(i, instance)}
    out = {}
    for terrain_id in terrains:
        terrain = instance.terrain(terrain_id)
        could = sum(1 for i in above
                    if (i.id in loose or terrain_id in wanted[i.id])
                    and reach(instance, i, terrain)[0] != "no")
        out[terrain_id] = max(0, terrain.postes - could)
    return out
