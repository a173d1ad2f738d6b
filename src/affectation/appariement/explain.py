"""Explanations a DJ (or a terrain) can read, in French, from the instance and a result.

For a DJ: where they are, and for each wish they preferred, why not: the terrain did not rank
them (R-APP-3), opened no poste for the appariement, or was filled with DJ it ranks higher,
naming the last one (or ex aequo, departed by the documented tie-break). For a terrain: why
each vacant poste is vacant (nobody listed it, applicants it did not rank, applicants placed on
a wish they preferred). Reads only the instance, the rules and the result: any engine's.
"""

from __future__ import annotations

from affectation.appariement.model import Appariement, Resultat
from affectation.appariement.rules import free_postes

__all__ = ["expliquer_dj", "expliquer_terrain"]


def _holders(result: Resultat) -> dict[str, list[str]]:
    held: dict[str, list[str]] = {}
    for a in result.affectations:
        if a.terrain is not None and not a.reconduction and a.tour in (1, 2):
            held.setdefault(a.terrain, []).append(a.dj)
    return held


def expliquer_dj(instance: Appariement, result: Resultat, dj_id: str) -> str:
    """The DJ's outcome and, for each better wish, why not (module docstring)."""
    if dj_id not in instance.dj_by_id:
        raise KeyError(f"DJ inconnu : {dj_id}")
    dj = instance.dj_by_id[dj_id]
    mine = next(a for a in result.affectations if a.dj == dj_id)
    terrains = instance.terrain_by_id
    lines = []
    if mine.reconduction:
        return (f"{dj.label()} renouvelle son terrain du premier semestre, "
                f"{terrains[mine.terrain].label()} (reconduction, R-APP-6).")
    if mine.terrain is None:
        lines.append(f"{dj.label()} n'est pas placé(e) ; voici pourquoi pour chacun de ses "
                     f"{len(dj.voeux)} vœux.")
        better = dj.voeux
    else:
        how = "par décision de l'ARS (tour 3)" if mine.tour == 3 else f"au tour {mine.tour}"
        rank = f"vœu {mine.voeu}" if mine.voeu else "hors de sa liste"
        lines.append(f"{dj.label()} est placé(e) {how} sur "
                     f"{terrains[mine.terrain].label()} ({rank}).")
        better = dj.voeux[: (mine.voeu or 1) - 1] if mine.voeu else dj.voeux
    held = _holders(result)
    free = free_postes(instance)
    tirage = result.tirage or {}
    for rank, terrain_id in enumerate(better, start=1):
        terrain = terrains[terrain_id]
        group = instance.groupe(terrain_id, dj_id)
        head = f"Vœu {rank}, {terrain.label()} : "
        if group is None:
            lines.append(head + "ce terrain ne vous a pas classé(e) (R-APP-3).")
            continue
        if free[terrain_id] <= 0:
            lines.append(head + "aucun poste ouvert à l'appariement (postes nuls, limite de DJ "
                         "par MSU ou reconductions).")
            continue
        holders = held.get(terrain_id, [])
        if len(holders) < free[terrain_id]:
            lines.append(head + "un poste y reste libre : ce résultat n'est pas stable "
                         "(paire bloquante, R-APP-4).")
            continue
        last = max(holders, key=lambda d: (instance.groupe(terrain_id, d), d))
        last_group = instance.groupe(terrain_id, last)
        last_label = instance.dj_by_id[last].label()
        if last_group < group:
            lines.append(head + f"complet ({free[terrain_id]} poste(s)) avec des DJ que le "
                         f"terrain classe avant vous (vous : groupe {group + 1}) ; le dernier "
                         f"retenu est {last_label}, groupe {last_group + 1}.")
        elif last_group == group:
            rule = ("départagés par la règle : DJ de la subdivision d'abord, puis le tirage au "
                    f"sort de graine {tirage['graine']}" if "graine" in tirage else
                    "le modèle exact a retenu cette répartition, de même taille et de même "
                    "somme de rangs au mieux")
            lines.append(head + f"complet ; le dernier retenu, {last_label}, est classé ex "
                         f"aequo avec vous (groupe {group + 1}) ; {rule}.")
        else:
            lines.append(head + f"le terrain retient {last_label}, qu'il classe après vous : "
                         "ce résultat n'est pas stable (paire bloquante, R-APP-4).")
    return "\n".join(lines)


def expliquer_terrain(instance: Appariement, result: Resultat, terrain_id: str) -> str:
    """Why the terrain's postes are vacant, if any (module docstring)."""
    terrain = instance.terrain_by_id[terrain_id]
    vacant = result.vacants.get(terrain_id, 0)
    if not vacant:
        return f"{terrain.label()} : tous ses postes sont pourvus."
    where = {a.dj: a for a in result.affectations}
    applicants = [d for d in instance.docteurs_juniors if terrain_id in d.voeux
                  and d.reconduction is None]
    lines = [f"{terrain.label()} : {vacant} poste(s) vacant(s)."]
    if not applicants:
        lines.append("Aucun DJ n'a demandé ce terrain.")
        return "\n".join(lines)
    unranked = [d.label() for d in applicants if instance.groupe(terrain_id, d.id) is None]
    if unranked:
        lines.append(f"Demandé par {len(unranked)} DJ que le terrain n'a pas classé(s) : "
                     f"{', '.join(unranked)}.")
    better = []
    for d in applicants:
        a = where.get(d.id)
        if instance.groupe(terrain_id, d.id) is None or a is None or a.terrain == terrain_id:
            continue
        if a.terrain is not None:
            better.append(f"{d.label()} (vœu {a.voeu}, {a.terrain})")
    if better:
        lines.append(f"Classés mais placés sur un vœu qu'ils préféraient : {', '.join(better)}.")
    return "\n".join(lines)
