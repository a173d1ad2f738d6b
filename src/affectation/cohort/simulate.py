"""Careers through the DES, semester after semester, under uncertain wishes and validations.

From today's instance, each *future* repeats for every semester of the horizon: open the postes
the plan says (spread over the terrains of each kind within their agrément), draw everyone's
wish lists from the :class:`~affectation.preferences.PreferenceModel`, run the choice with an
engine (:func:`affectation.solve` when present), then advance every interne: the slot their
stage filled is validated unless the semester fails (R-VAL-1; a surnombre validant fails at its
own rate, R-VAL-3), every semester counts in ``semestres_effectues`` (R-VAL-3), an imposition
is recorded (R-IMP-3), surnombres are asked at a given rate (R-SUR-1), those who validated
every slot leave, and a new promotion starts each November (docs/rules.md, "Careers").

Seeds: ``numpy.random.SeedSequence(seed).spawn(futures)``, one child per future, so the
numbers depend neither on the executor nor on how the futures are cut in tasks (as
:func:`affectation.sweep.sweep`).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import math
import os
import pickle
import sys
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np

from affectation.cohort.plan import (
    Plan,
    as_today,
    kind_label,
    kinds_of,
    promotion_sizes,
    semester_labels,
    spread_postes,
)
from affectation.executors import IN_PROCESS, PayloadCache, run_tasks
from affectation.model import Instance, Interne, Maquette, Terrain
from affectation.preferences import PreferenceModel, _Sampler
from affectation.rules.eligibility import completable, eligible_slot, open_slots
from affectation.rules.mandatory import is_t1
from affectation.rules.postes import minimum_postes

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["METRICS", "CohortResult", "simulate", "spread_postes"]

METRICS = (
    "internes", "nouveaux", "postes", "minimum_r_pos_3", "marge_r_pos_3", "impositions",
    "sans_poste", "postes_vacants", "echecs", "surnombres", "a_l_heure", "finissent",
    "en_retard", "premier_voeu", "vers_appariement", "docteurs_juniors", "niveau_3_manquants",
)
"""Per (future, semester): internes choosing, new T1s, postes opened, the R-POS-3 floor and
the margin above it, impositions, internes without poste, vacant postes, semesters not
validated, surnombres, share of internes still able to finish on time (after the semester),
internes who finished their maquette on time / late this semester, first-wish share, internes
who leave the choice for the appariement after this semester (their next one is in the phase
de consolidation, R-MAQ-4), docteurs juniors in the phase de consolidation this semester (each
on a niveau 3 poste of the appariement, R-APP) and how many of them the plan's ``niveau_3``
postes leave without one; then ``vacants_<kind>`` per kind of terrain."""



# --- plans on terrains ----------------------------------------------------------------------------


def _terrain_postes(instance: Instance, plan: Plan, semesters: int) -> list[dict[str, int]]:
    """Postes per terrain for each semester of the horizon; a kind the plan does not name
    keeps today's postes."""
    kinds = kinds_of(instance)
    if len(plan.semestres) < semesters:
        raise ValueError(f"le plan couvre {len(plan.semestres)} semestres, {semesters} "
                         "demandés")
    out = []
    for row in plan.semestres[:semesters]:
        unknown = sorted(set(row.postes) - set(kinds))
        if unknown:
            raise ValueError(
                f"semestre {row.semestre} du plan : catégorie(s) inconnue(s) "
                f"{', '.join(unknown)} (cette instance a {', '.join(kinds)})"
            )
        postes = {t.id: t.postes for t in instance.terrains}
        for label, terrains in kinds.items():
            if label not in row.postes:
                continue
            if row.terrains is not None and all(t.id in row.terrains for t in terrains):
                for t in terrains:
                    postes[t.id] = row.terrains[t.id]
            else:
                postes.update(spread_postes(terrains, row.postes[label]))
        out.append(postes)
    return out


# --- one future ---------------------------------------------------------------------------------


@attrs.frozen(eq=False)
class _Payload:
    instance: Instance
    postes: tuple[Mapping[str, int], ...]
    promotions: tuple[int, ...]
    model: PreferenceModel
    method: str
    echec: float
    echec_surnombre: float
    surnombre: float
    kinds: tuple[str, ...]
    niveau_3: tuple[int, ...] | None = None
    """The plan's niveau 3 postes per semester (``PlanSemester.niveau_3``), ``None`` when the
    plan says nothing of them (today's postes, a plan written by hand)."""


@attrs.frozen(eq=False)
class _Task:
    key: str
    payload: bytes
    futures: tuple[int, ...]
    seeds: tuple[np.random.SeedSequence, ...]


_PAYLOADS = PayloadCache()


def _payload(task: _Task) -> _Payload:
    return _PAYLOADS.get(task.key, task.payload)


def _solve(instance: Instance, method: str):
    from affectation.engines import solve

    return solve(instance, method=method, workers=1, seed=0)


def _finished(maquette: Maquette, valides: Sequence[str], done: int) -> bool:
    """Every slot validated, or every semester of the maquette validated (R-ELI-6)."""
    required, _ = open_slots(maquette, frozenset(valides), frozenset())
    return not required or done >= maquette.semestres


def _to_appariement(instance: Instance, maquette: Maquette, done: int) -> bool:
    """Leaves the choice by rank for the appariement: their next semester is in the phase de
    consolidation of their maquette (R-MAQ-4 Reading) and the instance does not allocate it in
    the choice. They are docteurs juniors for the semesters of the phase (counted in
    ``docteurs_juniors``, each on a niveau 3 poste), then finish."""
    return instance.consolidation == "appariement" and done + 1 in maquette.consolidation


def _on_time(instance: Instance, interne: Interne) -> bool:
    """Can still finish in their maquette's semesters: no semester lost, and the slots left
    fit their windows (R-ELI-2)."""
    maquette = instance.maquette_of(interne)
    required, _ = open_slots(maquette, frozenset(interne.valides), frozenset())
    return interne.semestres_effectues == interne.semestres_valides and completable(
        maquette, required, interne.semestre)


def _semester_terrains(payload: _Payload) -> list[tuple[Terrain, ...]]:
    """The terrains of each semester with the plan's postes: the same in every future."""
    base = payload.instance
    return [tuple(attrs.evolve(t, postes=postes[t.id]) for t in base.terrains)
            for postes in payload.postes]


def _one_future(payload: _Payload, seed: np.random.SeedSequence,
                semester_terrains: Sequence[tuple[Terrain, ...]] | None = None) -> np.ndarray:
    """``semesters × metrics`` of one future (``semester_terrains``: those of
    :func:`_semester_terrains`, computed once for the futures of a task)."""
    if semester_terrains is None:
        semester_terrains = _semester_terrains(payload)
    rng = np.random.default_rng(seed)
    base = payload.instance
    kind_index = {label: k for k, label in enumerate(payload.kinds)}
    kind_of = {t.id: kind_index[kind_label(t.category_set)] for t in base.terrains}
    hospital = [t for t in base.terrains if not t.ambulatoire]
    all_ids = tuple(t.id for t in base.terrains)
    senior_ids = tuple(t.id for t in base.terrains if not base.is_mandatory(t))
    homes = {i.id: town for i in base.internes if (town := _home(base, payload.model, i))}
    towns = sorted(set(homes.values()))
    weights = np.array([sum(1 for v in homes.values() if v == t) for t in towns], dtype=float)

    cache: dict[tuple, tuple[str, ...]] = {}

    def listable(maquette: Maquette, valides: tuple[str, ...], done: int,
                 derogations: tuple[str, ...], surnombre: str | None) -> tuple[str, ...]:
        # what each interne may list, the model ranks it (docs/rules.md, "Careers"): the
        # terrains open to them on their own maquette (R-ELI, R-MAQ-5), mandatory ones for a
        # T1 only (R-IMP-1); a surnombre non validant: the non-ambulatory ones, no maquette
        # check (R-SUR-3)
        key = (maquette.nom, frozenset(valides), done, frozenset(derogations),
               surnombre == "non_validant")
        if key not in cache:
            pool = all_ids if is_t1(done) else senior_ids
            if key[-1]:
                found = tuple(t for t in pool if not base.terrain(t).ambulatoire)
            else:
                probe = Interne(id="probe", rang=1, semestres_valides=done, valides=valides,
                                derogations=derogations)
                found = tuple(t for t in pool
                              if eligible_slot(maquette, probe, base.terrain(t)) is not None)
            cache[key] = found or pool
        return cache[key]

    # the lists are placeholders the preference model replaces (FORMAT.md voeux_connus)
    internes = [_advanced(i, {"voeux": listable(base.maquette_of(i), i.valides,
                                                i.semestres_valides, i.derogations,
                                                i.surnombre), "voeux_connus": False})
                for i in base.internes]
    first_year = listable(base.maquette, (), 0, (), None)
    # docteurs juniors: semesters of consolidation left, one entry each (R-MAQ-4); the plan's
    # first-semester ones are today's, out of the instance (plan_postes ``juniors``)
    juniors: list[int] = [len(base.maquette.consolidation) or 2] * (
        payload.niveau_3[0] if payload.niveau_3 else 0)
    couples = list(base.couples)
    # a round's own ranking (R-ROUND-2) is this choice's: later semesters play by rank
    unranked = tuple(attrs.evolve(r, classement=None) for r in base.rounds)
    rows = np.zeros((len(payload.postes), len(METRICS) + len(payload.kinds)))
    col = {name: k for k, name in enumerate(METRICS)}
    for s, postes in enumerate(payload.postes):
        if payload.promotions[s]:
            size = payload.promotions[s]
            picks = rng.choice(len(towns), size=size, p=weights / weights.sum()) if towns else []
            for k in range(size):
                new_id = f"P{s + 1}-{k + 1:04d}"
                if towns:
                    homes[new_id] = towns[int(picks[k])]
                internes.append(Interne(
                    id=new_id, rang=k + 1, semestres_valides=0, voeux=first_year,
                    voeux_connus=False,
                    effectif_promotion=size if base.interclassement == "percentile" else None,
                ))
        current = attrs.evolve(base, terrains=semester_terrains[s], internes=tuple(internes),
                               couples=tuple(couples),
                               rounds=base.rounds if s == 0 and len(internes) == len(
                                   base.internes) else unranked)
        present_homes = {i.id: homes[i.id] for i in internes if i.id in homes}
        # the sampler of PreferenceModel.sample without its cache: each semester's instance
        # is new, and the cache would keep the last ones alive
        drawn = _Sampler(attrs.evolve(payload.model, home_towns=present_homes), current,
                         None).sample(rng)
        result = _solve(drawn, payload.method)
        summary = result.summary()
        by_id = result.by_interne
        fails = rng.random(len(internes))
        asks = rng.random((2, len(internes)))
        row = rows[s]
        row[col["internes"]] = len(internes)
        row[col["nouveaux"]] = payload.promotions[s]
        row[col["postes"]] = sum(postes.values())
        row[col["minimum_r_pos_3"]] = minimum_postes(  # surnombres aside (R-POS-3 Reading)
            sum(1 for i in internes if i.surnombre is None))
        row[col["marge_r_pos_3"]] = row[col["postes"]] - row[col["minimum_r_pos_3"]]
        row[col["impositions"]] = summary["impositions"]
        row[col["sans_poste"]] = summary["sans_poste"]
        row[col["postes_vacants"]] = summary["postes_vacants"]
        row[col["premier_voeu"]] = summary["premier_voeu"]
        row[col["surnombres"]] = sum(1 for i in internes if i.surnombre is not None)
        for terrain_id, count in result.vacants_items:
            row[len(METRICS) + kind_of[terrain_id]] += count
        row[col["docteurs_juniors"]] = len(juniors)
        if payload.niveau_3 is not None:
            row[col["niveau_3_manquants"]] = max(0, len(juniors) - payload.niveau_3[s])
        # a docteur junior's niveau 3 stage is taken as validated: the appariement's
        # careers are not simulated (docs/rules.md, "Careers")
        juniors = [left - 1 for left in juniors if left > 1]
        in_couple = {m for c in couples for m in c.internes}
        nxt: list[Interne] = []
        for n, interne in enumerate(internes):
            a = by_id[interne.id]
            maquette = base.maquette_of(interne)
            valides, done = interne.valides, interne.semestres_valides
            if a.terrain is not None and a.surnombre != "non_validant" and a.stage is not None:
                rate = payload.echec_surnombre if a.surnombre == "validant" else payload.echec
                if fails[n] < rate:  # R-VAL-1: fewer than 4 months of presence
                    row[col["echecs"]] += 1
                else:
                    done += 1
                    if a.stage not in valides:
                        valides = (*valides, a.stage)
            # a surnombre non validant (R-SUR-3) or no poste: the semester counts for the
            # order only (R-VAL-3)
            if _finished(maquette, valides, done):
                late = interne.semestres_effectues + 1 > maquette.semestres
                row[col["en_retard" if late else "finissent"]] += 1
                continue
            if _to_appariement(base, maquette, done):
                row[col["vers_appariement"]] += 1
                juniors.append(len(maquette.consolidation))
                continue
            derogations = tuple(d for d in interne.derogations if d in valides)
            surnombre = None
            if interne.id not in in_couple and asks[0, n] < payload.surnombre:  # R-SUR-1
                surnombre = _ask_surnombre(maquette, valides, done, derogations, asks[1, n],
                                           hospital)
            nxt.append(_advanced(interne, {
                "semestres_valides": done,
                "semestres_effectues": interne.semestres_effectues + 1, "valides": valides,
                "impose": interne.impose or bool(a.impose), "surnombre": surnombre,
                "dernier_de_son_semestre": False, "derogations": derogations,
                "voeux": listable(maquette, valides, done, derogations, surnombre),
            }))
        if nxt:
            row[col["a_l_heure"]] = sum(_on_time(base, i) for i in nxt) / len(nxt)
        else:
            row[col["a_l_heure"]] = 1.0
        present = {i.id for i in nxt}
        couples = [c for c in couples if all(m in present for m in c.internes)]
        internes = nxt
    return rows


_INTERNE_FIELDS = tuple(a.name for a in attrs.fields(Interne))


def _advanced(interne: Interne, changes: dict[str, Any]) -> Interne:
    """``attrs.evolve(interne, **changes)`` without the converters and validators: a career
    moves every interne every semester, and ``evolve`` re-checking each field of each of them
    was a fifth of a future's time.

    Why the result is valid (what ``Interne``'s checks would ask of it): every value is a
    valid one of this interne, of the instance, or built from them in :func:`_one_future`.
    ``voeux`` comes from ``listable``, ids of distinct terrains; ``valides`` gains a slot only
    when it is not in it yet and ``semestres_valides`` grows with it, so it never holds more
    slots than validated semesters; ``derogations`` is a subset of a valid tuple;
    ``semestres_effectues`` grows by one each semester, ``semestres_valides`` by at most one,
    so the first stays at least the second, and a surnombre non validant comes only after a
    semester done; ``impose`` is the ``or`` of two booleans. The instance each semester is
    still built by ``attrs.evolve(base, ...)``, whose check of the references (every wish a
    terrain, every slot of the interne's maquette, no interne past the last semester or in
    the consolidation, R-ELI-6, R-MAQ-4) sees every interne the engine is given."""
    new = object.__new__(Interne)
    for name in _INTERNE_FIELDS:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(interne, name))
    object.__setattr__(new, "_attrs_cached_hash", None)
    return new


def _home(instance: Instance, model: PreferenceModel, interne: Interne) -> str | None:
    """Where an interne lives: as the model says, else the town of today's first wish."""
    town = model.home_towns.get(interne.id)
    if town is None and interne.voeux:
        town = instance.terrain(interne.voeux[0]).ville or None
    return town


def _ask_surnombre(maquette: Maquette, valides: tuple[str, ...], done: int,
                   derogations: tuple[str, ...], draw: float,
                   hospital: Sequence[Terrain]) -> str:
    """A surnombre for next semester (R-SUR-1): validant or non validant, one chance in two;
    validant only with a hospital stage open to them (R-SUR-4)."""
    probe = Interne(id="probe", rang=1, semestres_valides=done, valides=valides,
                    derogations=derogations)
    validant = draw < 0.5 and any(
        eligible_slot(maquette, probe, t) is not None for t in hospital)
    return "validant" if validant else "non_validant"


def _run_task(task: _Task) -> tuple[tuple[int, ...], list[np.ndarray]]:
    payload = _payload(task)
    terrains = _semester_terrains(payload)
    return task.futures, [_one_future(payload, seed, terrains) for seed in task.seeds]


# --- the simulation -------------------------------------------------------------------------------


def simulate(
    instance: Instance,
    plan: Plan | None = None,
    *,
    semesters: int | None = None,
    futures: int = 100,
    seed: int = 0,
    executor: concurrent.futures.Executor | Literal["inline", "serial"] | None = None,
    model: PreferenceModel | None = None,
    method: str = "serial",
    promotion: int | Sequence[int] | None = None,
    echec: float = 0.02,
    echec_surnombre: float = 0.1,
    surnombre: float = 0.02,
    chunk_size: int | None = None,
    progress: bool | None = None,
) -> CohortResult:
    """``futures`` careers of every interne over ``semesters`` semesters under ``plan``.

    ``plan``: postes per kind per semester (:func:`~affectation.cohort.plan_postes`,
    :func:`~affectation.cohort.load_plan`, :func:`~affectation.cohort.as_today`; default:
    today's postes). ``promotion``: new T1s each November (default: the plan's ``nouveaux``
    when it has any, else today's T1s). ``echec``: probability that a semester is not
    validated (R-VAL-1), ``echec_surnombre`` for a surnombre validant (R-VAL-3),
    ``surnombre``: probability that an interne asks for a surnombre next semester (R-SUR-1).
    Every interne ranks every terrain open to them (in the room one takes what is left), a
    T1 every terrain, the others the non-mandatory ones (R-IMP-1).
    ``model``: the preference model (default: fitted on the instance's wish lists).
    ``executor`` as in :func:`affectation.sweep.sweep`. Deterministic for the same arguments
    whatever the executor and ``chunk_size``.
    """
    for name, rate in (("echec", echec), ("echec_surnombre", echec_surnombre),
                       ("surnombre", surnombre)):
        if not 0 <= rate <= 1:
            raise ValueError(f"{name} : attendu entre 0 et 1, reçu {rate!r}")
    if isinstance(futures, bool) or not isinstance(futures, int) or futures < 1:
        raise ValueError(f"futures : attendu un entier >= 1, reçu {futures!r}")
    if isinstance(executor, str) and executor not in IN_PROCESS:
        raise ValueError(f"executor : attendu un Executor, None, 'inline' ou 'serial', "
                         f"reçu {executor!r}")
    if semesters is None:
        semesters = len(plan.semestres) if plan is not None else 8
    if plan is None:
        plan = as_today(instance, semesters)
    date_choix = instance.date_choix
    if not plan.feasible:
        raise ValueError(f"le plan n'a pas de postes (statut {plan.status}) : rien à simuler")
    if plan.date_choix is not None and plan.date_choix != date_choix:
        raise ValueError(f"le plan commence en {plan.date_choix}, l'instance choisit en "
                         f"{date_choix} : refaites le plan depuis cette instance")
    postes = _terrain_postes(instance, plan, semesters)
    if promotion is None and any(row.nouveaux for row in plan.semestres[:semesters]):
        sizes = tuple(row.nouveaux for row in plan.semestres[:semesters])
    else:
        if promotion is None:
            promotion = sum(1 for i in instance.internes if is_t1(i.semestres_valides))
        sizes = promotion_sizes(promotion, date_choix, semesters)
    if model is None:
        model = PreferenceModel.from_instance(instance)
    kinds = tuple(kinds_of(instance))
    niveau_3 = (tuple(row.niveau_3 for row in plan.semestres[:semesters])
                if plan.status != "GIVEN" else None)
    payload = _Payload(instance, tuple(postes), sizes, model, method, echec, echec_surnombre,
                       surnombre, kinds, niveau_3)
    blob = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    key = hashlib.blake2b(blob, digest_size=16).hexdigest()
    children = np.random.SeedSequence(seed).spawn(futures)
    workers = 1 if isinstance(executor, str) else int(
        getattr(executor, "_max_workers", None) or os.cpu_count() or 1)
    if chunk_size is None:
        chunk_size = max(1, min(10, math.ceil(futures / (4 * workers))))
    tasks = [_Task(key, blob, tuple(range(a, min(a + chunk_size, futures))),
                   tuple(children[a: a + chunk_size]))
             for a in range(0, futures, chunk_size)]
    if progress is None:
        try:
            progress = sys.stderr.isatty()
        except (AttributeError, ValueError):
            progress = False
    outputs = _execute(tasks, executor, progress, key, payload)
    table = np.zeros((futures, semesters, len(METRICS) + len(kinds)))
    for indices, arrays in outputs:
        for f, array in zip(indices, arrays, strict=True):
            table[f] = array
    return CohortResult(
        labels=semester_labels(date_choix, semesters), kinds=kinds, table=table,
        plan=plan, seed=seed, method=method,
    )


def _execute(tasks: list[_Task], executor: Any, progress: bool, key: str,
             payload: _Payload) -> list[tuple[tuple[int, ...], list[np.ndarray]]]:
    """Run the tasks (:func:`affectation.executors.run_tasks`); outputs in the order they
    finish. In this process the payload is the caller's objects, not a copy."""

    inline = _PAYLOADS.registered(key, payload)
    return run_tasks(tasks, _run_task, executor, progress=progress, desc="futurs", inline=inline)


# --- the result -----------------------------------------------------------------------------------


@attrs.frozen(eq=False)
class CohortResult:
    """Per future and semester, the figures of :data:`METRICS` and the vacant postes per kind."""

    labels: tuple[str, ...]
    """Semester labels (``2026-11`` …)."""
    kinds: tuple[str, ...]
    table: np.ndarray
    """``futures × semesters × (METRICS + vacants per kind)``."""
    plan: Plan
    seed: int
    method: str

    def __repr__(self) -> str:
        from affectation.views import cohort_repr

        return cohort_repr(self)

    def _repr_html_(self) -> str:
        from affectation.views import cohort_html

        return cohort_html(self)

    @property
    def metrics(self) -> tuple[str, ...]:
        return (*METRICS, *(f"vacants_{k}" for k in self.kinds))

    @property
    def futures(self) -> int:
        return self.table.shape[0]

    def values(self, metric: str) -> np.ndarray:
        """``futures × semesters`` values of one metric."""
        if metric not in self.metrics:
            raise KeyError(f"unknown metric {metric!r} (known: {', '.join(self.metrics)})")
        return self.table[:, :, self.metrics.index(metric)]

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per (future, semester), one column per metric."""
        import pandas as pd

        f, s, m = self.table.shape
        frame = pd.DataFrame(self.table.reshape(f * s, m), columns=list(self.metrics))
        frame.insert(0, "semestre", np.tile(np.array(self.labels, dtype=object), f))
        frame.insert(0, "futur", np.repeat(np.arange(f), s))
        return frame

    def summary(self, band: float = 0.9, confidence: float = 0.95) -> pd.DataFrame:
        """Per semester and metric: mean, the ``band`` interval of the futures (quantiles:
        where 90 % of the futures fall) and a ``confidence`` interval of the mean (normal
        approximation)."""
        import pandas as pd

        z = NormalDist().inv_cdf(0.5 + confidence / 2)
        low_q, high_q = (1 - band) / 2, 1 - (1 - band) / 2
        rows = []
        for metric in self.metrics:
            values = self.values(metric)
            for s, label in enumerate(self.labels):
                x = values[:, s]
                mean = float(x.mean())
                half = z * float(x.std(ddof=1)) / math.sqrt(len(x)) if len(x) > 1 else math.nan
                rows.append({
                    "semestre": label, "metric": metric, "mean": mean,
                    "low": float(np.quantile(x, low_q)), "high": float(np.quantile(x, high_q)),
                    "ci_low": mean - half, "ci_high": mean + half,
                })
        return pd.DataFrame(rows)

    def futures_without_failure(self) -> np.ndarray:
        """Indices of the futures in which no semester failed validation."""
        return np.flatnonzero(self.values("echecs").sum(axis=1) == 0)
