"""Deferred acceptance, DJ proposing (Gale and Shapley 1962; Roth 1984 with capacities).

R-APP-4 with strict rankings: the DJ-optimal stable matching. Steps:

1. Renewing DJ (R-APP-6) are placed on their terrain first; each terrain keeps
   :func:`~affectation.appariement.rules.free_postes` postes for the appariement (R-APP-7's
   ``dj_par_msu`` cap included).
2. Ties in a terrain's ranking are broken once, the same way at every terrain
   (:func:`~affectation.appariement.rules.tie_key`): group, then a DJ of the subdivision first,
   then a seeded draw of all DJ (single tie-breaking); the draw is recorded in the result.
3. Every free DJ proposes to the next terrain of their list. A terrain that does not rank
   them refuses at once; otherwise it holds them, and if it now holds more DJ than its free
   postes it refuses the one it ranks last. Proposals stop when every DJ is held or has
   exhausted their list. Holds become assignments.

The order in which free DJ propose does not change the outcome (the DJ-optimal stable
matching of the broken rankings is unique), so a simple stack is used. Cost: one heap
operation per proposal, O(wishes · log postes).
"""

from __future__ import annotations

import heapq

from affectation.appariement.model import Affectation, Appariement, Resultat
from affectation.appariement.rules import (
    blocking_pairs,
    draw_order,
    free_postes,
    participants,
    tie_key,
    wish_rank,
)

__all__ = ["deferred_acceptance"]


def deferred_acceptance(instance: Appariement, *, seed: int = 0) -> Resultat:
    """The DJ-proposing deferred acceptance of ``instance`` (module docstring), as a
    :class:`Resultat` with the draw recorded."""
    draw = draw_order(instance, seed)
    position = {dj_id: index for index, dj_id in enumerate(draw)}
    free = free_postes(instance)
    held: dict[str, list[tuple[tuple[int, int, int], str]]] = {t: [] for t in free}
    # heaps of (negated key, dj): the root is the DJ the terrain ranks last
    keys: dict[tuple[str, str], tuple[int, int, int]] = {}
    lists = {d.id: d.voeux for d in participants(instance)}
    next_wish = dict.fromkeys(lists, 0)
    stack = sorted(lists, reverse=True)
    while stack:
        dj_id = stack.pop()
        wishes = lists[dj_id]
        while next_wish[dj_id] < len(wishes):
            terrain_id = wishes[next_wish[dj_id]]
            next_wish[dj_id] += 1
            if free[terrain_id] <= 0 or instance.groupe(terrain_id, dj_id) is None:
                continue
            key = tie_key(instance, terrain_id, dj_id, position)
            keys[dj_id, terrain_id] = key
            heap = held[terrain_id]
            negated = (-key[0], -key[1], -key[2])
            if len(heap) < free[terrain_id]:
                heapq.heappush(heap, (negated, dj_id))
                break
            if negated > heap[0][0]:  # better than the worst held: replace them
                _, refused = heapq.heapreplace(heap, (negated, dj_id))
                stack.append(refused)
                break
        # a DJ who exhausted their list stays unplaced
    matching: dict[str, str | None] = {}
    for terrain_id, heap in held.items():
        for _, dj_id in heap:
            matching[dj_id] = terrain_id
    return build_result(instance, matching, "acceptation-differee",
                        tirage={"graine": seed, "ordre": draw})


def build_result(instance: Appariement, matching: dict[str, str | None], methode: str,
                 **extra) -> Resultat:
    """The one place a DJ → terrain map becomes a :class:`Resultat` (both engines): renewing
    DJ on their terrain, wish ranks, vacant postes, blocking pairs (empty when correct)."""
    affectations = []
    counts = dict.fromkeys(instance.terrain_by_id, 0)
    tour = instance.tour
    for dj in instance.docteurs_juniors:
        if dj.reconduction is not None:
            affectations.append(Affectation(dj.id, dj.reconduction, wish_rank(dj,
                                dj.reconduction), reconduction=True, tour=tour))
            counts[dj.reconduction] += 1
            continue
        terrain = matching.get(dj.id)
        if terrain is not None:
            counts[terrain] += 1
        affectations.append(Affectation(dj.id, terrain, wish_rank(dj, terrain),
                                        tour=tour if terrain is not None else None))
    free = free_postes(instance)
    renewing = dict.fromkeys(counts, 0)
    for dj in instance.docteurs_juniors:
        if dj.reconduction is not None:
            renewing[dj.reconduction] += 1
    vacants = {}
    for terrain in instance.terrains:
        left = free[terrain.id] + renewing[terrain.id] - counts[terrain.id]
        if left > 0:
            vacants[terrain.id] = left
    unstable = blocking_pairs(instance, matching)
    return Resultat(methode, tuple(affectations), vacants, tuple(unstable), tour=tour, **extra)
