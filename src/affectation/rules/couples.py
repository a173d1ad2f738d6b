"""A couple's pair of postes (R-ORD-2 and its Reading), in one place."""

from __future__ import annotations

__all__ = ["pair_open", "postes_needed"]


def postes_needed(terrain_a: str, terrain_b: str) -> tuple[int, int]:
    """Free postes each terrain of a pair needs: a pair on one terrain needs two there."""
    return (2, 2) if terrain_a == terrain_b else (1, 1)


def pair_open(
    terrain_a: str,
    terrain_b: str,
    free_a: int,
    free_b: int,
    eligible_a: bool,
    eligible_b: bool,
) -> bool:
    """Whether the pair ``(terrain_a, terrain_b)`` is available to both members at their
    turn: each eligible for their terrain (R-ELI) and the free postes enough for both
    (R-ORD-2 Reading)."""
    need_a, need_b = postes_needed(terrain_a, terrain_b)
    return eligible_a and eligible_b and free_a >= need_a and free_b >= need_b
