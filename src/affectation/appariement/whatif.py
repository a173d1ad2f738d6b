"""What-if and pré-appariement: open postes and compare; Monte Carlo where lists are unknown.

- :func:`ouvrir` opens N more postes in ZIP (one each on the ZIP terrains with the most ranked
  applicants per poste, round after round) or at one terrain / one MSU's terrain; the
  ``dj_par_msu`` cap still holds (R-APP-7), so the MSU limit is raised with the postes
  (a new poste at a terrain comes with its supervision: reading, docs/rules.md).
- :func:`comparer` runs the base and the variant with one engine and compares DJ placed, sum
  and mean of wish ranks, ZIP postes filled, and the DJ who moved.
- :func:`preappariement` is the union's Monte Carlo (as the pré-choix, :mod:`affectation
  .prechoix`): the lists and rankings it has are kept; a DJ with an empty list gets one drawn
  by the terrains' popularity among the known lists (Gumbel top-k, the list length of the
  known lists), a terrain with an empty ranking ranks its applicants at random, each draw
  seeded; draws run on any executor (:func:`affectation.executors.run_tasks`). The output is
  each DJ's probability of each terrain (and of none).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from affectation.appariement.model import Appariement, Resultat, capacite

__all__ = ["Comparaison", "Preappariement", "comparer", "ouvrir", "preappariement"]


def ouvrir(instance: Appariement, n: int, *, zip: bool = False, terrain: str | None = None,
           msu: str | None = None) -> Appariement:
    """``instance`` with ``n`` more postes: in ZIP (``zip=True``), at ``terrain``, or at the
    terrain where ``msu`` supervises. Raises ValueError for an unknown target."""
    if msu is not None:
        where = [t.id for t in instance.terrains if msu in t.msu]
        if not where:
            raise ValueError(f"MSU inconnu : {msu}")
        terrain = where[0]
    added: Counter[str] = Counter()
    if terrain is not None:
        if terrain not in instance.terrain_by_id:
            raise ValueError(f"terrain inconnu : {terrain}")
        added[terrain] = n
    elif zip:
        demand = Counter()
        for dj in instance.docteurs_juniors:
            for t in dj.voeux:
                if instance.groupe(t, dj.id) is not None:
                    demand[t] += 1
        zips = [t for t in instance.terrains if t.zip]
        if not zips:
            raise ValueError("aucun terrain en ZIP")
        for _ in range(n):
            best = max(zips, key=lambda t: (demand[t.id] / (t.postes + added[t.id] + 1),
                                            -instance.terrains.index(t)))
            added[best.id] += 1
    else:
        raise ValueError("ouvrir : préciser zip=True, terrain= ou msu=")
    regles = instance.regles
    terrains = []
    for t in instance.terrains:
        if added[t.id]:
            t = attrs.evolve(t, postes=t.postes + added[t.id])
            if regles.dj_par_msu is not None and t.msu and capacite(regles, t) < t.postes:
                extra = math.ceil((t.postes - capacite(regles, t)) / regles.dj_par_msu)
                t = attrs.evolve(t, msu=(*t.msu, *(f"{t.id}-nouveau-{i + 1}"
                                                   for i in range(extra))))
        terrains.append(t)
    return attrs.evolve(instance, terrains=terrains)


@attrs.frozen
class Comparaison:
    """Base against variant: the figures side by side and the DJ who moved."""

    lignes: tuple[tuple[str, Any, Any], ...]
    mouvements: tuple[tuple[str, str | None, str | None], ...]
    """(dj, terrain in the base, terrain in the variant) for every DJ whose terrain changed."""
    noms: Mapping[str, str] = attrs.field(factory=dict, eq=False)
    """DJ and terrain id → the label a person reads (names beside ids), for the tables."""

    def _repr_html_(self) -> str:
        from affectation.appariement.views import comparaison_html

        return comparaison_html(self)

    def __str__(self) -> str:
        width = max(len(label) for label, _, _ in self.lignes)
        lines = [f"{'':<{width}}  {'base':>10}  {'variante':>10}"]
        lines += [f"{label:<{width}}  {base!s:>10}  {variant!s:>10}"
                  for label, base, variant in self.lignes]
        lines.append(f"DJ dont le terrain change : {len(self.mouvements)}")
        return "\n".join(lines)


def _figures(instance: Appariement, result: Resultat) -> list[Any]:
    zip_ids = {t.id for t in instance.terrains if t.zip}
    placed = [a for a in result.affectations if a.terrain and not a.reconduction]
    return [result.taille, result.somme_rangs,
            round(result.somme_rangs / len(placed), 2) if placed else 0,
            sum(1 for a in placed if (a.voeu or 0) == 1),
            sum(1 for a in result.affectations if a.terrain in zip_ids),
            sum(v for t, v in result.vacants.items() if t in zip_ids),
            sum(result.vacants.values())]


LABELS = ("DJ placés", "somme des rangs de vœu", "rang moyen", "premiers vœux",
          "postes ZIP pourvus", "postes ZIP vacants", "postes vacants")


def comparer(base: Appariement, variante: Appariement, method: str = "acceptation-differee",
             **options: Any) -> Comparaison:
    """Solve both with ``method`` and compare (the variant must hold the same DJ)."""
    from affectation.appariement import apparier

    a = apparier(base, method, **options)
    b = apparier(variante, method, **options)
    before, after = a.terrain_of(), b.terrain_of()
    moves = tuple((d, before[d], after.get(d)) for d in before if before[d] != after.get(d))
    rows = tuple(zip(LABELS, _figures(base, a), _figures(variante, b), strict=True))
    return Comparaison(rows, moves, _names(base))


# --- pré-appariement ---------------------------------------------------------------------------


@attrs.frozen
class Preappariement:
    """Each DJ's probability of each terrain (``None``: unplaced) over ``tirages`` draws."""

    tirages: int
    probabilites: Mapping[str, Mapping[str | None, float]]
    noms: Mapping[str, str] = attrs.field(factory=dict, eq=False)
    """DJ and terrain id → the label a person reads (names beside ids), for the tables."""

    def _repr_html_(self) -> str:
        from affectation.appariement.views import preappariement_html

        return preappariement_html(self)

    def pour(self, dj_id: str) -> list[tuple[str | None, float]]:
        """The DJ's outcomes, most likely first."""
        return sorted(self.probabilites[dj_id].items(), key=lambda p: (-p[1], p[0] or ""))


def guess(instance: Appariement, seed: int) -> Appariement:
    """One draw of the unknown lists (empty ``voeux``) and rankings (empty ``classement``)."""
    rng = np.random.default_rng(seed)
    ids = [t.id for t in instance.terrains]
    known = [d for d in instance.docteurs_juniors if d.voeux]
    counts = Counter(t for d in known for t in d.voeux)
    weight = np.array([counts[t] + 1.0 for t in ids])
    length = max(1, round(float(np.mean([len(d.voeux) for d in known])))) if known else 5
    length = min(length, len(ids))
    djs = []
    for d in instance.docteurs_juniors:
        if not d.voeux and d.reconduction is None and ids:
            scores = np.log(weight) + rng.gumbel(size=len(ids))
            chosen = np.argsort(-scores)[:length]
            d = attrs.evolve(d, voeux=tuple(ids[i] for i in chosen))
        djs.append(d)
    applicants: dict[str, list[str]] = {t: [] for t in ids}
    for d in djs:
        for t in d.voeux:
            applicants[t].append(d.id)
    terrains = []
    for t in instance.terrains:
        if not t.classement and applicants[t.id]:
            order = rng.permutation(len(applicants[t.id]))
            t = attrs.evolve(t, classement=[[applicants[t.id][i]] for i in order])
        terrains.append(t)
    return attrs.evolve(instance, terrains=terrains, docteurs_juniors=djs)


_SHARED: dict[str, Any] = {}


def _one_draw(task: tuple[Appariement, int, str]) -> dict[str, str | None]:
    from affectation.appariement import apparier

    instance, seed, method = task
    return apparier(guess(instance, seed), method, seed=seed).terrain_of()


def preappariement(instance: Appariement, tirages: int = 200, *, seed: int = 0,
                   method: str = "acceptation-differee", executor: Any = "inline",
                   progress: bool = False) -> Preappariement:
    """The Monte Carlo of the module docstring; draw ``k`` uses seed ``seed + k``."""
    from affectation.executors import run_tasks

    tasks: Sequence[tuple[Appariement, int, str]] = [(instance, seed + k, method)
                                                     for k in range(tirages)]
    outcomes = run_tasks(tasks, _one_draw, executor, progress=progress,
                         desc="pré-appariement")
    counts: dict[str, Counter] = {d.id: Counter() for d in instance.docteurs_juniors}
    for outcome in outcomes:
        for dj, terrain in outcome.items():
            counts[dj][terrain] += 1
    probabilities = {dj: {t: n / tirages for t, n in sorted(c.items(), key=lambda p: p[0] or "")}
                     for dj, c in counts.items()}
    return Preappariement(tirages, probabilities, _names(instance))


def _names(instance: Appariement) -> dict[str, str]:
    """DJ and terrain id → ``id (Prénom Nom)`` / ``id (nom, ville)``."""
    return {**{t.id: t.label() for t in instance.terrains},
            **{d.id: d.label() for d in instance.docteurs_juniors}}
