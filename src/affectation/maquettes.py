"""The three built-in maquettes of the DES de médecine générale (R-MAQ-1, R-MAQ-2, R-MAQ-4).

A maquette is data (R-MAQ Reading): slots with the categories that fill them and the window
of semesters in which they may be done. Specific slots come before ``libre`` so that a stage
fills the most specific slot it can (see :func:`affectation.rules.eligibility.eligible_slot`).

Slot ids are the library's (RULES.md, "The built-in data"); the categories and windows are the
rule. ``mg-2023`` keeps the slot ids of the 8-semester ``mg-2017`` of earlier versions
(``medecine_adulte``, ``pediatrie_gynecologie``, ``niveau_3_a``…), so that a file written for
it migrates by renaming its maquette (docs/rules.md, Migration).
"""

from __future__ import annotations

from affectation.errors import InstanceError
from affectation.model import CATEGORIES, DJ_CATEGORY, Maquette, Slot

__all__ = [
    "BUILTIN",
    "MG_2010",
    "MG_2017",
    "MG_2023",
    "builtin_maquette",
]

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
"""R-MAQ-1 (seed 000, 004): the 2004/2010 maquette, six semesters.

=====================  ==========================================  ======
slot                   categories                                  window
=====================  ==========================================  ======
urgences               urgences                                    1-6
medecine_adulte        medecine_adulte                             1-6
pediatrie_gynecologie  pediatrie, gynecologie, ped_gyn             1-6
praticien_n1           praticien_n1                                1-4
saspas                 saspas                                      5-6
libre                  every hospital stage, praticien_n1, libre   1-6
=====================  ==========================================  ======
"""

MG_2017 = Maquette(
    nom="mg-2017",
    semestres=6,
    stages=(
        # R-MAQ-2 phase socle (semesters 1-2): urgences adultes and praticien N1 (R-ELI-3).
        Slot("urgences", ["urgences"], (1, 2)),
        Slot("praticien_n1", ["praticien_n1"], (1, 2)),
        # Phase d'approfondissement (semesters 3-6): médecine polyvalente in 3 or 4, santé de
        # l'enfant and santé de la femme (a couplé fills either), SASPAS in 5 or 6.
        Slot("medecine_adulte", ["medecine_adulte"], (3, 4)),
        Slot("sante_enfant", ["pediatrie", "ped_gyn"], (3, 6)),
        Slot("sante_femme", ["gynecologie", "ped_gyn"], (3, 6)),
        Slot("saspas", ["saspas"], (5, 6)),
    ),
)
"""R-MAQ-2 (seed 004; arrêté of 21 April 2017; DMG Sorbonne Université): the 2017 reform, for
the promotions 2017-2022, six semesters, no libre, no niveau 3.

===============  ===========================  ======
slot             categories                   window
===============  ===========================  ======
urgences         urgences                     1-2
praticien_n1     praticien_n1                 1-2
medecine_adulte  medecine_adulte              3-4   (médecine polyvalente)
sante_enfant     pediatrie, ped_gyn           3-6
sante_femme      gynecologie, ped_gyn         3-6
saspas           saspas                       5-6
===============  ===========================  ======
"""

MG_2023 = Maquette(
    nom="mg-2023",
    semestres=8,
    stages=(
        # R-MAQ-4 phase socle (semesters 1-2): urgences and praticien N1 (R-ELI-3).
        Slot("urgences", ["urgences"], (1, 2)),
        Slot("praticien_n1", ["praticien_n1"], (1, 2)),
        # Phase d'approfondissement (semesters 3-6): médecine polyvalente and the couplé santé
        # de la femme et de l'enfant in 3 or 4, SASPAS in 5 or 6, one libre in 3-6.
        Slot("medecine_adulte", ["medecine_adulte"], (3, 4)),
        Slot("pediatrie_gynecologie", ["ped_gyn", "pediatrie", "gynecologie"], (3, 4)),
        Slot("saspas", ["saspas"], (5, 6)),
        # libre, hospital or ambulatory (SASPAS doubled as libre is common, 002), every
        # category but the niveau 3 of the phase de consolidation (R-ELI-3)
        Slot("libre", [c for c in CATEGORIES if c != DJ_CATEGORY], (3, 6)),
        # Phase de consolidation (semesters 7-8, docteur junior): two stages niveau 3,
        # possibly on one terrain, allocated by the appariement (R-APP), not by rank.
        Slot("niveau_3_a", [DJ_CATEGORY], (7, 8)),
        Slot("niveau_3_b", [DJ_CATEGORY], (7, 8)),
    ),
)
"""R-MAQ-4 (seed 002; arrêté of 3 August 2023; DMG Strasbourg): the 2023 reform, for the
promotions from November 2023 on, eight semesters.

=====================  =================================  ======
slot                   categories                         window
=====================  =================================  ======
urgences               urgences                           1-2
praticien_n1           praticien_n1                       1-2
medecine_adulte        medecine_adulte                    3-4   (médecine polyvalente)
pediatrie_gynecologie  ped_gyn, pediatrie, gynecologie    3-4   (santé de la femme et de
                                                                 l'enfant)
saspas                 saspas                             5-6
libre                  every category but niveau_3        3-6
niveau_3_a             niveau_3                           7-8   (docteur junior)
niveau_3_b             niveau_3                           7-8   (docteur junior)
=====================  =================================  ======
"""

BUILTIN: dict[str, Maquette] = {m.nom: m for m in (MG_2010, MG_2017, MG_2023)}


def builtin_maquette(name: str, *, entity: str = "instance", key: str = "maquette") -> Maquette:
    """The built-in maquette called ``name``; an unknown name is an input error."""
    try:
        return BUILTIN[name]
    except KeyError:
        raise InstanceError(
            f"maquette inconnue {name!r} ; intégrées : {', '.join(BUILTIN)} "
            "(ou une maquette décrite dans le fichier, clé maquettes)",
            entity=entity,
            key=key,
        ) from None

