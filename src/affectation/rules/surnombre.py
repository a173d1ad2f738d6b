"""What a surnombre may take (R-SUR-2, R-SUR-3, R-SUR-4 and their Reading), in one place.

A surnombre's poste is *added*: it never fills a mandatory poste and never lowers a terrain's
free postes. A surnombre validant needs a terrain that still has a free poste and that fits the
maquette (R-SUR-2, R-ELI); a surnombre non validant takes the first non-ambulatory terrain of
their list, free poste or not, with no maquette check (R-SUR-3); neither goes to an ambulatory
stage (R-SUR-4).
"""

from __future__ import annotations

from typing import Literal

from affectation.model import Interne, Terrain

__all__ = ["Access", "access", "added_on_free_poste", "fills_maquette", "takes_poste"]

Access = Literal["no", "free", "any"]
"""``"no"``: may not hold the terrain; ``"free"``: may, if a poste is free; ``"any"``: may,
free poste or not (a surnombre non validant)."""


def access(interne: Interne, terrain: Terrain, slot: str | None) -> Access:
    """Whether ``interne`` may hold ``terrain`` whose maquette slot for them is ``slot``
    (``None``: not eligible, R-ELI), free postes aside (R-SUR-2, -3, -4)."""
    if interne.surnombre is not None and terrain.ambulatoire:
        return "no"  # R-SUR-4
    if interne.surnombre == "non_validant":
        return "any"  # R-SUR-3: no poste taken, no maquette check
    return "free" if slot is not None else "no"


def takes_poste(interne: Interne) -> bool:
    """Whether the interne's stage uses one of the opened postes (R-SUR Reading: a
    surnombre's poste is added)."""
    return interne.surnombre is None


def fills_maquette(interne: Interne) -> bool:
    """Whether the stage counts for a maquette slot (not for a surnombre non validant)."""
    return interne.surnombre != "non_validant"


def added_on_free_poste(interne: Interne) -> bool:
    """Whether the interne's poste is added but only where one is still free: a surnombre
    validant (R-SUR-2)."""
    return interne.surnombre == "validant"
