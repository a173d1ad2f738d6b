"""The result as the arrêté d'affectation: French tables with the internes' names.

What a subdivision publishes after the choice day: one table by interne (in the order of
choice), one by terrain, the état des postes and the impositions, each with French headers and
the interne's ``nom`` and ``prenom`` beside the id (FORMAT.md, Interne). The workbook
(:func:`result_sheets`) adds a title block (subdivision, month of the choice, method), prints
in landscape with the header on every page and carries in its footer the SHA-256 of the
result's FORMAT.md document, so that a printed page can be matched with the file published.
The CSV forms of a result are the same tables without the title block.

Nothing here is read back: the FORMAT.md JSON document stays the contract (FORMAT.md, Result).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from affectation.io._cells import Cell, Sheet

if TYPE_CHECKING:
    from affectation.model import Instance, Interne
    from affectation.result import Result

__all__ = [
    "AFFECTATIONS",
    "IMPOSITIONS",
    "METHODES",
    "PAR_TERRAIN",
    "POSTES",
    "TABLES",
    "result_digest",
    "result_sheets",
    "result_tables",
]

Table = tuple[tuple[str, ...], list[list[Cell]]]

AFFECTATIONS = (
    "Ordre", "Interne", "Nom", "Prénom", "Rang", "Semestres validés", "Terrain",
    "Libellé du terrain", "Ville", "Catégories", "Stage de la maquette", "Rang du vœu", "Imposé",
    "Surnombre", "Tour", "Motif (sans poste)",
)
"""One row per interne in the order of choice."""

PAR_TERRAIN = (
    "Terrain", "Libellé du terrain", "Ville", "Interne", "Nom", "Prénom", "Ordre", "Rang",
    "Stage de la maquette", "Rang du vœu", "Imposé", "Surnombre",
)
"""One row per interne placed, terrain by terrain in file order, then in the order of choice."""

POSTES = (
    "Terrain", "Libellé du terrain", "Ville", "Catégories", "Postes ouverts", "Pris",
    "En surnombre (ajoutés)", "Vacants",
)
"""The état des postes: per terrain, opened, taken, taken in surnombre (added), vacant."""

IMPOSITIONS = (
    "Ordre", "Interne", "Nom", "Prénom", "Terrain", "Libellé du terrain", "Ville",
    "Stage de la maquette", "Tour",
)

TABLES = {"affectations": AFFECTATIONS, "par_terrain": PAR_TERRAIN, "postes": POSTES,
          "impositions": IMPOSITIONS}
"""The tables of a result, by file or sheet name, and their headers."""

SHEET_TITLES = {"affectations": "affectations", "par_terrain": "par terrain",
                "postes": "postes", "impositions": "impositions"}

METHODES = {
    "serial": "choix en ordre de rang, tour par tour (le jour du choix rejoué)",
    "cpsat": "modèle exact CP-SAT des mêmes règles",
    "live": "jour du choix en direct (journal)",
}
"""The method of a result, in words."""

_MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
         "octobre", "novembre", "décembre")


def result_digest(result: Result) -> str:
    """The SHA-256 of the result's FORMAT.md JSON document, as the library writes it."""
    from affectation.io import dumps
    from affectation.io.json_format import result_to_dict

    return hashlib.sha256(dumps(result_to_dict(result))).hexdigest()


def _names(interne: Interne | None) -> list[Cell]:
    if interne is None:
        return [None, None]
    return [interne.nom, interne.prenom]


def _terrain(instance: Instance | None, terrain_id: str | None) -> list[Cell]:
    if instance is None or terrain_id is None or terrain_id not in instance.terrain_by_id:
        return [None, None]
    terrain = instance.terrain(terrain_id)
    return [terrain.nom or None, terrain.ville or None]


def result_tables(result: Result, instance: Instance | None = None) -> dict[str, Table]:
    """The four tables of :data:`TABLES`. Without the ``instance`` the names, ranks and the
    terrains' details are left empty, and ``Postes ouverts`` = taken + vacant over the
    terrains the result names."""
    known = instance.interne_by_id if instance is not None else {}
    position = {a.interne: n for n, a in enumerate(result.affectations, start=1)}
    affectations: list[list[Cell]] = []
    for n, a in enumerate(result.affectations, start=1):
        interne = known.get(a.interne)
        categories = None
        if instance is not None and a.terrain in instance.terrain_by_id:
            categories = ";".join(instance.terrain(a.terrain).categories)
        affectations.append([
            n, a.interne, *_names(interne), interne.rang if interne else None,
            interne.semestres_valides if interne else None, a.terrain,
            *_terrain(instance, a.terrain), categories, a.stage, a.voeu, a.impose, a.surnombre,
            a.round, a.raison,
        ])

    order = ({t.id: k for k, t in enumerate(instance.terrains)} if instance is not None
             else {})
    placed = sorted((a for a in result.affectations if a.terrain is not None),
                    key=lambda a: (order.get(a.terrain, len(order)), a.terrain,
                                   position[a.interne]))
    par_terrain: list[list[Cell]] = []
    for a in placed:
        interne = known.get(a.interne)
        par_terrain.append([
            a.terrain, *_terrain(instance, a.terrain), a.interne, *_names(interne),
            position[a.interne], interne.rang if interne else None, a.stage, a.voeu, a.impose,
            a.surnombre,
        ])

    vacants = result.vacants
    surnombre: dict[str, int] = {}
    taken: dict[str, int] = {}
    for a in result.affectations:
        if a.terrain is not None:
            counts = surnombre if a.surnombre else taken
            counts[a.terrain] = counts.get(a.terrain, 0) + 1
    if instance is not None:
        opened = {t.id: t.postes for t in instance.terrains}
    else:
        named = dict.fromkeys([*taken, *surnombre, *vacants])
        opened = {t: taken.get(t, 0) + vacants.get(t, 0) for t in named}
    postes: list[list[Cell]] = []
    for terrain, count in opened.items():
        categories = (";".join(instance.terrain(terrain).categories)
                      if instance is not None else None)
        postes.append([terrain, *_terrain(instance, terrain), categories, count,
                       count - vacants.get(terrain, 0), surnombre.get(terrain, 0),
                       vacants.get(terrain, 0)])

    by_interne = result.by_interne
    impositions: list[list[Cell]] = []
    for interne_id in result.impositions:
        a = by_interne[interne_id]
        impositions.append([position[interne_id], interne_id, *_names(known.get(interne_id)),
                            a.terrain, *_terrain(instance, a.terrain), a.stage, a.round])
    return {
        "affectations": (AFFECTATIONS, affectations),
        "par_terrain": (PAR_TERRAIN, par_terrain),
        "postes": (POSTES, postes),
        "impositions": (IMPOSITIONS, impositions),
    }


def heading(result: Result, instance: Instance | None = None) -> list[str]:
    """The title block: subdivision, month of the choice, method, counts."""
    lines = ["Affectation des internes du DES de médecine générale"]
    if instance is not None and instance.nom:
        lines.append(f"Subdivision / session : {instance.nom}")
    if instance is not None and instance.date_choix:
        year, month = instance.date_choix.split("-")
        lines.append(f"Choix de {_MOIS[int(month) - 1]} {year}")
    lines.append(f"Méthode : {METHODES.get(result.methode, result.methode)}")
    placed = sum(1 for a in result.affectations if a.terrain is not None)
    lines.append(f"{len(result.affectations)} internes, {placed} placés, "
                 f"{len(result.impositions)} imposition(s), "
                 f"{sum(v for _, v in result.vacants_items)} poste(s) vacant(s)")
    return lines


def result_sheets(result: Result, instance: Instance | None = None) -> list[Sheet]:
    """The arrêté workbook's sheets: each table under the title block, the SHA-256 of the
    result document in the footer of every printed page."""
    digest = result_digest(result)
    block = [*heading(result, instance), f"SHA-256 du résultat (FORMAT.md) : {digest}"]
    return [
        Sheet(SHEET_TITLES[name], header, rows, heading=[*block, _TITLES[name]],
              footer=f"SHA-256 du résultat : {digest}")
        for name, (header, rows) in result_tables(result, instance).items()
    ]


_TITLES = {
    "affectations": "Affectations, par interne dans l'ordre du choix",
    "par_terrain": "Affectations, par terrain",
    "postes": "État des postes",
    "impositions": "Impositions",
}
