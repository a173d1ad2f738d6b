"""The checker of an appariement result: knows neither engine (imports model and rules only).

``verifier(instance, result)`` lists every breach, each citing its rule, in French: a DJ
missing or twice, an unknown terrain, a renewing DJ not on their terrain (R-APP-6), a DJ placed
on a terrain they did not list or that does not rank them (R-APP-3), a wrong wish rank, a
terrain over its postes or over ``dj_par_msu`` per MSU (R-APP-7), a round-3 placement without
a decision of the ARS or a decision not applied (R-APP-5), a blocking pair (R-APP-4), and
declared ``vacants``, ``instables`` or ``taille`` that do not match. With ``apres`` (the
round-1 result) the result is a round-2 result: round-1 placements must be kept and round 2
is checked on the postes and DJ it left (:func:`~affectation.appariement.rounds.tour2`).
"""

from __future__ import annotations

import attrs

from affectation.appariement.model import Appariement, Resultat, capacite
from affectation.appariement.rules import blocking_pairs, wish_rank

__all__ = ["Violation", "verifier"]


@attrs.frozen
class Violation:
    """One breach: the rule id and a sentence a person can read."""

    regle: str
    message: str

    def __str__(self) -> str:
        return f"{self.regle} : {self.message}"


def verifier(instance: Appariement, result: Resultat, apres: Resultat | None = None
             ) -> list[Violation]:
    """Every breach of ``result`` against ``instance`` (an empty list: the result is valid)."""
    out: list[Violation] = []
    if apres is not None:
        from affectation.appariement.rounds import tour2

        round1 = {a.dj: a for a in apres.affectations}
        for a in result.affectations:
            before = round1.get(a.dj)
            if before is not None and before.terrain is not None and before.terrain != a.terrain:
                out.append(Violation("R-APP-5", f"{a.dj} était placé au tour 1 sur "
                                     f"{before.terrain} et ne l'est plus"))
        second = tour2(instance, apres, verifier_listes=False)
        part = attrs.evolve(result, affectations=tuple(
            a for a in result.affectations if a.dj in second.dj_by_id), tour=2)
        return out + verifier(second, part)
    djs = instance.dj_by_id
    terrains = instance.terrain_by_id
    seen: set[str] = set()
    matching: dict[str, str | None] = {}
    counts: dict[str, int] = {}
    decided = {(d.dj, d.terrain) for d in result.decisions}
    for a in result.affectations:
        if a.dj not in djs:
            out.append(Violation("R-APP-1", f"{a.dj} n'est pas un DJ de l'appariement"))
            continue
        dj = djs[a.dj]
        if a.dj in seen:
            out.append(Violation("R-APP-1", f"{dj.label()} apparaît deux fois"))
            continue
        seen.add(a.dj)
        if a.terrain is not None and a.terrain not in terrains:
            out.append(Violation("R-APP-1", f"{dj.label()} est placé sur un terrain inconnu "
                                 f"({a.terrain})"))
            continue
        if dj.reconduction is not None:
            if a.terrain != dj.reconduction or not a.reconduction:
                out.append(Violation("R-APP-6", f"{dj.label()} renouvelle "
                                     f"{dj.reconduction} mais est placé sur "
                                     f"{a.terrain or 'aucun terrain'}"))
        elif a.reconduction:
            out.append(Violation("R-APP-6", f"{dj.label()} est marqué reconduit sans "
                                 "reconduction dans l'appariement"))
        if a.terrain is not None:
            counts[a.terrain] = counts.get(a.terrain, 0) + 1
            if a.voeu != wish_rank(dj, a.terrain):
                out.append(Violation("R-APP-4", f"{dj.label()} : rang de vœu {a.voeu} déclaré "
                                     f"pour {a.terrain}, {wish_rank(dj, a.terrain)} dans sa "
                                     "liste"))
        if a.tour == 3:
            if (a.dj, a.terrain) not in decided:
                out.append(Violation("R-APP-5", f"{dj.label()} est placé au tour 3 sur "
                                     f"{a.terrain} sans décision de l'ARS"))
            continue
        if a.terrain is not None and not a.reconduction:
            matching[a.dj] = a.terrain
            if a.terrain not in dj.voeux:
                out.append(Violation("R-APP-3", f"{dj.label()} est placé sur {a.terrain}, "
                                     "qu'il n'a pas demandé"))
            elif instance.groupe(a.terrain, a.dj) is None:
                out.append(Violation("R-APP-3", f"{dj.label()} est placé sur {a.terrain}, "
                                     "qui ne l'a pas classé"))
    for dj in instance.docteurs_juniors:
        if dj.id not in seen:
            out.append(Violation("R-APP-1", f"{dj.label()} est absent du résultat"))
    for d in result.decisions:
        placed = next((a for a in result.affectations if a.dj == d.dj), None)
        if placed is None or placed.terrain != d.terrain or placed.tour != 3:
            out.append(Violation("R-APP-5", f"la décision de l'ARS ({d.dj} → {d.terrain}) "
                                 "n'est pas appliquée"))
    vacants = {}
    for terrain in instance.terrains:
        cap = capacite(instance.regles, terrain)
        held = counts.get(terrain.id, 0)
        if held > cap:
            why = (f"{terrain.postes} poste(s)" if cap == terrain.postes else
                   f"{cap} place(s) : {len(terrain.msu)} MSU × {instance.regles.dj_par_msu} DJ")
            out.append(Violation("R-APP-7", f"{terrain.label()} reçoit {held} DJ pour {why}"))
        if cap > held:
            vacants[terrain.id] = cap - held
    for dj_id, terrain_id in blocking_pairs(instance, matching):
        out.append(Violation("R-APP-4", f"paire bloquante : {djs[dj_id].label()} préfère "
                             f"{terrain_id}, qui a une place libre ou un DJ qu'il classe "
                             "après lui"))
    if dict(result.vacants) != vacants:
        out.append(Violation("R-APP-1", "les postes vacants déclarés ne correspondent pas aux "
                             "affectations"))
    if tuple(result.instables) != tuple(blocking_pairs(instance, matching)):
        out.append(Violation("R-APP-4", "les paires bloquantes déclarées ne correspondent pas "
                             "aux affectations"))
    return out
