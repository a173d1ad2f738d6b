"""Rounds of R-APP-5: round 2 on the vacant postes, round 3 as decisions of the ARS.

Readings (docs/rules.md): the round-2 file gives the unplaced DJ's new lists and the
terrains' new rankings; its ``postes`` are read as the postes of the semester, from which the
DJ placed in round 1 (renewals included) are taken out. A DJ placed in round 1 takes no part
in round 2 even if the file names them. Each round-2 list must cover the share of
:func:`~affectation.appariement.rules.round2_minimum`; a list that does not is refused,
naming the DJ. Round 3 is recorded, never computed: a decision places an unplaced DJ on a
terrain with a vacant poste.
"""

from __future__ import annotations

import attrs

from affectation.appariement.model import (
    Affectation,
    Appariement,
    AppariementError,
    Decision,
    Resultat,
    capacite,
)
from affectation.appariement.rules import free_postes, round2_minimum
from affectation.errors import InstanceError

__all__ = ["decider", "fusionner", "tour2"]


def tour2(instance: Appariement, premier: Resultat, *, verifier_listes: bool = True
          ) -> Appariement:
    """The round-2 appariement: ``instance``'s lists and rankings, on the postes left after
    ``premier`` and for the DJ it left unplaced (R-APP-5)."""
    problems: list[InstanceError] = []
    placed: dict[str, int] = {}
    unplaced = set()
    known = {a.dj for a in premier.affectations}
    for a in premier.affectations:
        if a.terrain is None:
            unplaced.add(a.dj)
        else:
            placed[a.terrain] = placed.get(a.terrain, 0) + 1
    terrains = []
    for terrain in instance.terrains:
        left = max(capacite(instance.regles, terrain) - placed.get(terrain.id, 0), 0)
        terrains.append(attrs.evolve(terrain, postes=left))
    djs = []
    for index, dj in enumerate(instance.docteurs_juniors):
        if dj.id not in known:
            problems.append(InstanceError("DJ absent du résultat du tour 1", entity=(
                f"docteurs_juniors[{index}] ({dj.id})"), key="id"))
        elif dj.id in unplaced:
            djs.append(attrs.evolve(dj, reconduction=None))
    if problems:
        raise AppariementError(problems)
    kept = {d.id for d in djs}
    terrains = [attrs.evolve(t, classement=[[d for d in g if d in kept] for g in t.classement
                                            if any(d in kept for d in g)]) for t in terrains]
    second = Appariement(terrains, djs, instance.regles, nom=instance.nom, tour=2)
    if verifier_listes:
        check_round2_lists(second)
    return second


def check_round2_lists(second: Appariement) -> None:
    """R-APP-5: every round-2 list covers the required share of the vacant postes."""
    vacant = free_postes(second)
    fewest, share = round2_minimum(second, vacant)
    total = sum(vacant.values())
    problems = []
    for index, dj in enumerate(second.docteurs_juniors):
        if dj.reconduction is not None:
            continue
        listed = [t for t in dj.voeux if vacant.get(t, 0) > 0]
        covered = sum(vacant[t] for t in listed)
        if covered < share or len(listed) < fewest:
            problems.append(InstanceError(
                f"{dj.label()} : la liste du tour 2 couvre {covered} poste(s) vacant(s) sur "
                f"{total} ({len(listed)} terrain(s) avec un poste vacant) ; il en faut au moins "
                f"{share} ({second.regles.tour2_part_min:.0%} des postes vacants) sur au moins "
                f"{fewest} terrain(s) (R-APP-5)",
                entity=f"docteurs_juniors[{index}] ({dj.id})", key="voeux"))
    if problems:
        raise AppariementError(problems)


def fusionner(premier: Resultat, second: Resultat) -> Resultat:
    """Round 1 and round 2 in one result: the DJ placed in round 1 keep their terrain; the
    others get round 2's outcome; ``vacants`` and ``instables`` are round 2's."""
    by_dj = {a.dj: a for a in second.affectations}
    merged = [a if a.terrain is not None else by_dj.get(a.dj, a) for a in premier.affectations]
    return attrs.evolve(second, affectations=tuple(merged), tour=2,
                        decisions=premier.decisions)


def decider(instance: Appariement, result: Resultat, decisions: list[Decision]) -> Resultat:
    """Round 3: the ARS's decisions recorded in ``result`` (each places an unplaced DJ on a
    terrain with a vacant poste); refused whole, naming each bad decision."""
    problems = []
    vacants = dict(result.vacants)
    current = {a.dj: a for a in result.affectations}
    for index, decision in enumerate(decisions):
        entity = f"decisions[{index}] ({decision.dj} → {decision.terrain})"
        if decision.dj not in current:
            problems.append(InstanceError("DJ inconnu", entity=entity, key="dj"))
        elif current[decision.dj].terrain is not None:
            problems.append(InstanceError(
                f"le DJ est déjà placé ({current[decision.dj].terrain})", entity=entity,
                key="dj"))
        elif decision.terrain not in instance.terrain_by_id:
            problems.append(InstanceError("terrain inconnu", entity=entity, key="terrain"))
        elif vacants.get(decision.terrain, 0) <= 0:
            problems.append(InstanceError("aucun poste vacant sur ce terrain", entity=entity,
                                          key="terrain"))
        else:
            vacants[decision.terrain] -= 1
            if not vacants[decision.terrain]:
                del vacants[decision.terrain]
            dj = instance.dj_by_id.get(decision.dj)
            voeu = (dj.voeux.index(decision.terrain) + 1
                    if dj and decision.terrain in dj.voeux else None)
            current[decision.dj] = Affectation(decision.dj, decision.terrain, voeu, tour=3)
    if problems:
        raise AppariementError(problems)
    return attrs.evolve(result, affectations=tuple(current[a.dj] for a in result.affectations),
                        vacants=vacants, decisions=(*result.decisions, *decisions), tour=3)
