"""How many postes a subdivision must open for the internes who choose (R-POS-3).

The arrêté of 20 February 2015 (NOR AFSH1504997A) sets a floor on the postes offered to a DES
in a subdivision: 107 % of the internes who choose, rounded up; for médecine générale, when at
least 430 internes choose, the internes + 30 suffice. Surnombre postes are added postes
(R-SUR Reading) and never count here.
"""

from __future__ import annotations

import math

__all__ = ["LARGE_SUBDIVISION", "minimum_postes"]

LARGE_SUBDIVISION = 430
"""From this many internes choosing, the floor is the internes + 30 (R-POS-3)."""


def minimum_postes(internes: int) -> int:
    """The fewest postes R-POS-3 allows for ``internes`` internes choosing."""
    if internes >= LARGE_SUBDIVISION:
        return internes + 30
    return math.ceil(internes * 107 / 100)
