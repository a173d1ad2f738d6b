"""The anonymised publication of the simulation (issue 19, item 5; as GESSEH's anonymity).

The organiser publishes the pré-choix of the campaign (:func:`simulation`): it is kept in the
base with the internes' ids (:meth:`Campaign.publish`) and rendered at every read
(:func:`render`) with the consents of that moment (:meth:`Campaign.consents`): an interne who
opted in appears by name, every other as ``interne n° 37 (semestre 5)`` (their position in the
order of choice and their semestre), never by id or name. What is published of each interne:
whether their list is known and their most likely outcomes; of each terrain: its postes and its
rang limite. The internes' lists themselves are never published.
"""

from __future__ import annotations

from typing import Any

from affectation.model import Instance

__all__ = ["FORMAT", "TOP", "anonymous_label", "render", "simulation"]

FORMAT = "affectation-publication/1"
TOP = 3
"""Most likely outcomes published per interne."""


def simulation(result: Any, computed_at: str) -> dict[str, Any]:
    """What is kept of a pré-choix (:class:`affectation.prechoix.Prechoix`) for the
    publication, with ids: never served as is."""
    table = result.internes_table()
    rows = []
    for record in table.to_dict("records"):
        outcomes = []
        for k in range(1, TOP + 1):
            terrain, p = record.get(f"terrain_{k}"), record.get(f"p_{k}")
            if not terrain or p != p or p <= 0:  # p != p: NaN, fewer outcomes than TOP
                continue
            outcomes.append({"terrain": None if terrain == "sans poste" else terrain,
                             "probabilite": float(p)})
        rows.append({"interne": record["interne"], "position": int(record["position"]),
                     "voeux_connus": bool(record["voeux_connus"]), "issues": outcomes})
    terrains = [{key: r[key] for key in ("terrain", "postes", "rang_limite_median",
                                         "rang_limite_p05", "rang_limite_p95", "p_pris")}
                for r in result.terrain_records()]
    return {"calcule_le": computed_at, "tirages": int(result.n_samples),
            "listes_connues": len(result.known), "internes": rows, "terrains": terrains}


def anonymous_label(position: int, semestre: int) -> str:
    """How an interne who did not opt in is shown."""
    return f"interne n° {position} (semestre {semestre})"


def _name(instance: Instance, interne_id: str) -> str:
    interne = instance.interne(interne_id)
    name = " ".join(part for part in (interne.nom, interne.prenom) if part)
    return name or interne.id


def _terrain_name(instance: Instance, terrain_id: str | None) -> str:
    if terrain_id is None:
        return "sans poste"
    terrain = instance.terrain_by_id.get(terrain_id)
    if terrain is None:
        return terrain_id
    return f"{terrain.nom} ({terrain.ville})" if terrain.nom and terrain.ville else (
        terrain.nom or terrain.id)


def render(raw: dict[str, Any], instance: Instance, named: frozenset[str], *,
           number: int, published_at: str) -> dict[str, Any]:
    """The public document of a kept simulation: only the internes in ``named`` by name, the
    others by :func:`anonymous_label`; no interne id at all."""
    internes = []
    for row in raw["internes"]:
        interne = instance.interne_by_id.get(row["interne"])
        if interne is None:
            continue
        shown = row["interne"] in named
        internes.append({
            "libelle": _name(instance, row["interne"]) if shown
            else anonymous_label(row["position"], interne.semestre),
            "nominatif": shown, "position": row["position"], "semestre": interne.semestre,
            "liste_connue": row["voeux_connus"],
            "issues": [{"terrain": o["terrain"], "nom": _terrain_name(instance, o["terrain"]),
                        "probabilite": o["probabilite"]} for o in row["issues"]],
        })
    terrains = [{**t, "nom": _terrain_name(instance, t["terrain"])} for t in raw["terrains"]]
    return {"format": FORMAT, "publication": number, "publiee_le": published_at,
            "calcule_le": raw["calcule_le"], "tirages": raw["tirages"],
            "listes_connues": raw["listes_connues"], "nombre_internes": len(internes),
            "nominatifs": sum(1 for i in internes if i["nominatif"]),
            "internes": internes, "terrains": terrains}
