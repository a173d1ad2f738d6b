"""The rules of R-APP as pure functions, one home each; the engines and the checker call them.

- R-APP-3: a pair is *acceptable* when the DJ lists the terrain and the terrain ranks the DJ.
- R-APP-4: weak stability (:func:`blocking_pairs`), the deterministic tie-break of deferred
  acceptance (:func:`tie_key`: group, then subdivision DJ first, then a seeded draw).
- R-APP-6: renewing DJ are placed first (:func:`free_postes` counts them out).
- R-APP-7: a terrain's effective capacity (:func:`~affectation.appariement.model.capacite`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

from affectation.appariement.model import Appariement, DocteurJunior, capacite

__all__ = [
    "acceptable",
    "blocking_pairs",
    "capacite",
    "draw_order",
    "free_postes",
    "participants",
    "round2_minimum",
    "tie_key",
    "wish_rank",
]


def participants(instance: Appariement) -> list[DocteurJunior]:
    """The DJ who take part in the appariement: every DJ but the renewing ones (R-APP-6)."""
    return [d for d in instance.docteurs_juniors if d.reconduction is None]


def free_postes(instance: Appariement) -> dict[str, int]:
    """Terrain → postes left for the appariement: the effective capacity (R-APP-7) minus the
    renewing DJ placed there first (R-APP-6)."""
    free = {t.id: capacite(instance.regles, t) for t in instance.terrains}
    for dj in instance.docteurs_juniors:
        if dj.reconduction is not None:
            free[dj.reconduction] -= 1
    return free


def acceptable(instance: Appariement, dj_id: str, terrain_id: str) -> bool:
    """R-APP-3: the DJ lists the terrain and the terrain ranks the DJ."""
    dj = instance.dj_by_id[dj_id]
    return terrain_id in dj.voeux and instance.groupe(terrain_id, dj_id) is not None


def wish_rank(dj: DocteurJunior, terrain_id: str | None) -> int | None:
    """1-based position of ``terrain_id`` in the DJ's list, ``None`` if absent."""
    if terrain_id is None:
        return None
    try:
        return dj.voeux.index(terrain_id) + 1
    except ValueError:
        return None


def draw_order(instance: Appariement, seed: int) -> list[str]:
    """The seeded draw of the tie-break: every DJ id in a random order that depends only on
    ``seed`` and the sorted ids (not on file order), so it can be recorded and replayed."""
    ids = sorted(d.id for d in instance.docteurs_juniors)
    random.Random(seed).shuffle(ids)
    return ids


def tie_key(instance: Appariement, terrain_id: str, dj_id: str,
            draw: Mapping[str, int]) -> tuple[int, int, int]:
    """R-APP-4's deterministic tie-break, smaller is better: the terrain's group, then a DJ of
    the subdivision before one from elsewhere, then the position in the seeded draw."""
    group = instance.groupe(terrain_id, dj_id)
    assert group is not None
    return group, 0 if instance.dj_by_id[dj_id].subdivision else 1, draw[dj_id]


def blocking_pairs(instance: Appariement, matching: Mapping[str, str | None]
                   ) -> list[tuple[str, str]]:
    """R-APP-4: the pairs (DJ, terrain) that block ``matching`` (DJ id → terrain id or None).

    A pair blocks when it is acceptable, the DJ strictly prefers the terrain to what they got
    (no terrain is worst), and the terrain has a free poste or holds a DJ it ranks in a
    strictly later group. Renewing DJ take no part; the free postes are those of
    :func:`free_postes`. Sorted by DJ then terrain.
    """
    free = free_postes(instance)
    holders: dict[str, list[str]] = {t.id: [] for t in instance.terrains}
    for dj in participants(instance):
        terrain = matching.get(dj.id)
        if terrain is not None and terrain in holders:
            holders[terrain].append(dj.id)
    worst: dict[str, int] = {}
    for terrain_id, held in holders.items():
        groups = [instance.groupe(terrain_id, d) for d in held]
        worst[terrain_id] = max((math.inf if g is None else g for g in groups), default=-1)
    pairs = []
    for dj in participants(instance):
        current = wish_rank(dj, matching.get(dj.id))
        better = dj.voeux if current is None else dj.voeux[: current - 1]
        for terrain_id in better:
            group = instance.groupe(terrain_id, dj.id)
            if group is None:
                continue
            if len(holders[terrain_id]) < free[terrain_id] or worst[terrain_id] > group:
                pairs.append((dj.id, terrain_id))
    return sorted(pairs)


def round2_minimum(instance: Appariement, vacant: Mapping[str, int]) -> tuple[int, int]:
    """R-APP-5: (fewest terrains, fewest vacant postes) a round-2 list must cover.

    Reading: the terrains of the list must hold at least ``tour2_part_min`` of the postes
    still vacant (rounded up), and the list must name at least ``voeux_min`` terrains with a
    vacant poste (at most as many as there are such terrains).
    """
    total = sum(max(v, 0) for v in vacant.values())
    open_terrains = sum(1 for v in vacant.values() if v > 0)
    share = math.ceil(instance.regles.tour2_part_min * total - 1e-9)
    return min(instance.regles.voeux_min, open_terrains), share
