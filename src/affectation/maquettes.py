"""The two built-in maquettes of the DES de médecine générale (R-MAQ-1, R-MAQ-2).

A maquette is data (R-MAQ Reading): slots with the categories that fill them and the window
of semesters in which they may be done. Specific slots come before ``libre`` so that a stage
fills the most specific slot it can (see :func:`affectation.rules.eligibility.eligible_slot`).
"""

from __future__ import annotations

from affectation.errors import InstanceError
from affectation.model import Maquette, Slot

__all__ = ["BUILTIN", "MG_2010", "MG_2017", "builtin_maquette"]

HOSPITAL = ("urgences", "medecine_adulte", "pediatrie", "gynecologie", "ped_gyn")

MG_2010 = Maquette(
    nom="mg-2010",
    semestres=6,
    stages=(
        # R-MAQ-1: hospital urgences and médecine d'adultes, péd and/or gyn, praticien N1,
        # SASPAS in semesters 5-6 (R-ELI-3), one libre. Praticien N1 is open in years 1-2
        # (Besançon reserves it to T1, Montpellier put it in year 2): a subdivision that
        # wants the narrower window writes an inline maquette.
        Slot("urgences", ["urgences"], (1, 6)),
        Slot("medecine_adulte", ["medecine_adulte"], (1, 6)),
        Slot("pediatrie_gynecologie", ["pediatrie", "gynecologie", "ped_gyn"], (1, 6)),
        Slot("praticien_n1", ["praticien_n1"], (1, 4)),
        Slot("saspas", ["saspas"], (5, 6)),
        # libre takes every stage but the SASPAS, kept to semesters 5-6 (R-ELI-3)
        Slot("libre", [*HOSPITAL, "praticien_n1", "libre"], (1, 6)),
    ),
)
"""R-MAQ-1: the 2004/2010 maquette, six semesters."""

MG_2017 = Maquette(
    nom="mg-2017",
    semestres=8,
    stages=(
        # R-MAQ-2 phase socle (year 1): urgences adultes and praticien N1 (R-ELI-3).
        Slot("urgences", ["urgences"], (1, 2)),
        Slot("praticien_n1", ["praticien_n1"], (1, 2)),
        # Phase d'approfondissement (years 2-3).
        Slot("medecine_adulte", ["medecine_adulte"], (3, 6)),
        Slot("pediatrie_gynecologie", ["ped_gyn", "pediatrie", "gynecologie"], (3, 6)),
        Slot("saspas", ["saspas"], (3, 6)),
        # libre, hospital or ambulatory (SASPAS doubled as libre is common, 002), but not
        # the niveau 3 of the 4th year (R-ELI-3)
        Slot("libre", [*HOSPITAL, "praticien_n1", "saspas", "libre"], (3, 6)),
        # Phase de consolidation (year 4): two stages niveau 3, possibly on one terrain.
        Slot("niveau_3_a", ["niveau_3"], (7, 8)),
        Slot("niveau_3_b", ["niveau_3"], (7, 8)),
    ),
)
"""R-MAQ-2: the 2017 reform with the 4th year, eight semesters."""

BUILTIN: dict[str, Maquette] = {MG_2010.nom: MG_2010, MG_2017.nom: MG_2017}


def builtin_maquette(name: str) -> Maquette:
    """The built-in maquette called ``name``; an unknown name is an input error."""
    try:
        return BUILTIN[name]
    except KeyError:
        raise InstanceError(
            f"unknown maquette {name!r}; built-in: {', '.join(BUILTIN)} (or an inline maquette)",
            entity="instance",
            key="maquette",
        ) from None
