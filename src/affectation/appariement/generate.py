"""A seeded generator of realistic appariements (tests, notebook, benchmarks).

Terrains are MSU practices with one or two postes and one MSU per poste; a share is in ZIP
and less sought after. Each DJ lists ``voeux`` terrains drawn by popularity (Gumbel top-k);
each terrain ranks every applicant by a noisy score (``ex_aequo``: scores rounded to a few
levels, so groups of ex-aequo appear), and leaves a few unranked (at most 20 %, R-APP-3).
The same arguments always give the same appariement.
"""

from __future__ import annotations

import numpy as np

from affectation.appariement.model import Appariement, DocteurJunior, Regles, Terrain

__all__ = ["generate"]

VILLES = ("Bordeaux", "Limoges", "Poitiers", "Pau", "Bayonne", "La Rochelle", "Périgueux",
          "Agen", "Mont-de-Marsan", "Angoulême", "Niort", "Guéret", "Tulle", "Mérignac")
NOMS = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David")
PRENOMS = ("Léa", "Hugo", "Chloé", "Louis", "Emma", "Jules", "Inès", "Lucas", "Manon",
           "Gabriel", "Camille", "Arthur", "Sarah", "Nathan", "Zoé", "Paul")


def generate(dj: int = 300, terrains: int = 500, *, voeux: int = 10, seed: int = 0,
             zip_share: float = 0.25, ex_aequo: bool = True, unranked: float = 0.05,
             reconduction: float = 0.0, exterieurs: float = 0.05,
             regles: Regles | None = None, nom: str | None = None) -> Appariement:
    """An appariement of ``dj`` DJ and ``terrains`` MSU terrains (module docstring)."""
    rng = np.random.default_rng(seed)
    zip_flags = rng.random(terrains) < zip_share
    postes = 1 + (rng.random(terrains) < 0.35).astype(int)
    appeal = rng.normal(0.0, 1.0, terrains) - 0.8 * zip_flags
    k = min(voeux, terrains)
    noise = rng.gumbel(size=(dj, terrains))
    scores = appeal[None, :] + noise
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k else np.zeros((dj, 0), int)
    order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
    lists = np.take_along_axis(top, order, axis=1)
    merit = rng.normal(0.0, 1.0, dj)
    dj_ids = [f"DJ{i + 1:04d}" for i in range(dj)]
    t_ids = [f"MSU-{i + 1:04d}" for i in range(terrains)]
    applicants: list[list[int]] = [[] for _ in range(terrains)]
    for d in range(dj):
        for t in lists[d]:
            applicants[t].append(d)
    renewing: dict[int, int] = {}
    if reconduction > 0:
        for d in range(dj):
            if rng.random() < reconduction:
                t = int(lists[d][0]) if k else 0
                if renewing.get(t, 0) < postes[t]:
                    renewing[t] = renewing.get(t, 0) + 1
                    renewing.setdefault(-d - 1, t)
    outside = rng.random(dj) < exterieurs
    terrain_values = []
    for t in range(terrains):
        people = applicants[t]
        score = merit[people] + rng.normal(0.0, 1.0, len(people))
        if ex_aequo:
            score = np.round(score)
        keep = [p for p, drop in zip(people, rng.random(len(people)) < unranked, strict=True)
                if not drop]
        groups: dict[float, list[str]] = {}
        for p, s in zip(people, score, strict=True):
            if p in keep:
                groups.setdefault(-float(s), []).append(dj_ids[p])
        ranking = [sorted(groups[s]) for s in sorted(groups)]
        n_msu = int(postes[t])
        terrain_values.append(Terrain(
            id=t_ids[t], postes=int(postes[t]), classement=ranking,
            nom=f"Cabinet {NOMS[t % len(NOMS)]}-{NOMS[(7 * t + 3) % len(NOMS)]}",
            ville=VILLES[t % len(VILLES)], zip=bool(zip_flags[t]),
            msu=tuple(f"M{t + 1:04d}{chr(97 + m)}" for m in range(n_msu)),
        ))
    djs = []
    for d in range(dj):
        renewed = renewing.get(-d - 1)
        djs.append(DocteurJunior(
            id=dj_ids[d], voeux=tuple(t_ids[t] for t in lists[d]),
            nom=NOMS[(d * 5 + 1) % len(NOMS)], prenom=PRENOMS[d % len(PRENOMS)],
            subdivision=not bool(outside[d]),
            reconduction=None if renewed is None else t_ids[renewed],
        ))
    return Appariement(terrain_values, djs, regles or Regles(),
                       nom=nom or f"Appariement généré ({dj} DJ, {terrains} terrains, "
                                  f"graine {seed})")
