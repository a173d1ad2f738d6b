"""The pré-choix with the lists we have: per-interne probabilities, per-terrain rang limite.

Weeks before the choice day a union collects wish lists; some internes answer, the others do
not. :func:`prechoix` keeps the known lists as they are (``Interne.voeux_connus``), fits the
preference model on them (:meth:`PreferenceModel.from_instance`, optionally blended with a
past result), redraws only the unknown lists ``n_samples`` times (:func:`affectation.sweep`
with ``known=``) and solves every draw. :class:`Prechoix` then answers:

* per interne: the probability of each terrain, of no poste and of being imposed, with its
  Monte Carlo standard error ``√(p(1-p)/N)``; for a known list, the probability of each wish;
* per terrain: the *rang limite* (position in the order of choice, or in the call order of a
  round with its own ranking, R-ROUND-2, of the last interne who
  chose it, with their rank and seniority) as a distribution, and the probability that it is
  still free at the turn of a given position.

:func:`calibrate` checks the guess on the known lists (hide some, predict, compare: Brier
score, reliability table, against the naive popularity order). :func:`write_report` writes
the JSON contract ``affectation-prechoix/1`` (docs/formats.md), a workbook or one HTML page.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from affectation.model import Instance
from affectation.preferences import PreferenceModel
from affectation.sweep import CHOSEN, IMPOSED, SURNOMBRE, sweep

if TYPE_CHECKING:
    import concurrent.futures

    import pandas as pd

    from affectation.result import Result

__all__ = [
    "FORMAT",
    "Calibration",
    "Prechoix",
    "calibrate",
    "fit",
    "known_ids",
    "prechoix",
    "report_json",
    "write_report",
]

FORMAT = "affectation-prechoix/1"
"""The ``format`` key of the JSON report (docs/formats.md)."""

LEVELS = (0.9, 0.5, 0.1)
"""Probabilities of the ``libre_jusqu_a`` positions: free there with at least this chance."""

TOP = 3
"""Most likely terrains shown per interne in the workbook and the page."""

REPORT_SUFFIXES = (".json", ".xlsx", ".html")
"""The reports :func:`write_report` writes, chosen by the suffix of the path."""


def known_ids(instance: Instance) -> frozenset[str]:
    """Internes whose list is known; a couple is known only when both members are (its
    joint list is known or guessed as a whole)."""
    known = {i.id for i in instance.internes if i.voeux_connus}
    for couple in instance.couples:
        if not set(couple.internes) <= known:
            known -= set(couple.internes)
    return frozenset(known)


def _blank(instance: Instance, known: frozenset[str]) -> Instance:
    """The instance with the unknown lists emptied: what the model may learn from."""
    internes = [i if i.id in known else attrs.evolve(i, voeux=()) for i in instance.internes]
    couples = [c if set(c.internes) <= known else attrs.evolve(c, voeux=())
               for c in instance.couples]
    return attrs.evolve(instance, internes=internes, couples=couples)


def _blend(a: PreferenceModel, b: PreferenceModel) -> PreferenceModel:
    """The mean of two fitted attractiveness vectors (both centred on 0)."""
    ids = set(a.attractiveness) | set(b.attractiveness)
    mean = {t: (a.attractiveness.get(t, 0.0) + b.attractiveness.get(t, 0.0)) / 2 for t in ids}
    return attrs.evolve(a, attractiveness=mean)


def fit(instance: Instance, known: frozenset[str], past: Result | None = None,
        **options: Any) -> PreferenceModel:
    """The preference model of a pré-choix: fitted on the known lists only; with a past
    result (a previous choice day), the mean of that fit and of the result's; with no known
    list, the result's alone (or every terrain alike)."""
    model = PreferenceModel.from_instance(_blank(instance, known), **options)
    if past is None:
        return model
    from_past = PreferenceModel.fit_from_result(instance, past, **options)
    return _blend(model, from_past) if known else from_past


def prechoix(
    instance: Instance,
    *,
    n_samples: int = 1000,
    seed: int = 0,
    known: Iterable[str] | None = None,
    model: PreferenceModel | None = None,
    past: Result | None = None,
    method: str = "serial",
    executor: concurrent.futures.Executor | str | None = None,
    progress: bool | None = None,
    chunk_size: int | None = None,
) -> Prechoix:
    """Solve ``n_samples`` draws of the unknown lists, the known ones kept.

    ``known``: interne ids whose list is known (default :func:`known_ids`: the
    ``voeux_connus`` flags, couples as a whole); ``model``: default :func:`fit` on the known
    lists (and ``past``). ``executor``, ``progress``, ``chunk_size``, ``method``: as
    :func:`affectation.sweep`, whose samples these are: the same seed gives the same numbers
    on any executor.
    """
    kept = known_ids(instance) if known is None else frozenset(known)
    unknown = [i for i in kept if i not in instance.interne_by_id]
    if unknown:
        raise ValueError(f"interne inconnu {sorted(unknown)[0]!r} dans known")
    for couple in instance.couples:
        if not set(couple.internes) <= kept:
            kept -= set(couple.internes)
    base = _blank(instance, kept)
    if model is None:
        model = fit(instance, kept, past)
    swept = sweep(base, n_samples=n_samples, seed=seed, method=method, model=model,
                  executor=executor, progress=progress, chunk_size=chunk_size, known=kept)
    return Prechoix(
        instance=base, known=kept, n_samples=n_samples, seed=seed, method=method,
        order=swept.orders[0], assignments=swept.assignments[0], how=swept.how[0],
        sans_issue=stuck(instance),
    )


STUCK_CODES = ("maquette_incompletable", "no_eligible_terrain")
"""The audit's findings that leave an interne nothing to take (affectation.audit)."""


def stuck(instance: Instance) -> tuple[tuple[str, str], ...]:
    """``(interne id, the audit's sentence)`` for each interne who can take nothing at all:
    their "sans poste" at probability 1 is a fact of the instance, not a guess."""
    from affectation.audit import audit

    return tuple((f.internes[0], f.message) for f in audit(instance).findings
                 if f.code in STUCK_CODES and f.internes)


# --- the answer -----------------------------------------------------------------------------


@attrs.frozen(eq=False)
class Prechoix:
    """What :func:`prechoix` returns: every sample's outcome, and the tables read from them."""

    instance: Instance
    """The instance as simulated: unknown lists emptied (they are redrawn each sample)."""
    known: frozenset[str]
    n_samples: int
    seed: int
    method: str
    order: tuple[str, ...]
    """Interne ids in the order of choice; ``position`` is 1-based in it."""
    assignments: np.ndarray
    """``n_samples × internes`` (file order) terrain indices, ``-1`` for no poste."""
    how: np.ndarray
    """Same shape: :data:`~affectation.sweep.CHOSEN`, ``IMPOSED``, ``SURNOMBRE``, 0."""
    sans_issue: tuple[tuple[str, str], ...] = ()
    """Internes who can take nothing whatever the lists (:func:`stuck`): ``(id, the audit's
    sentence)``. The report says it above the tables; the command line warns."""

    # --- per interne ----------------------------------------------------------------------

    def __repr__(self) -> str:
        from affectation.views import prechoix_repr

        return prechoix_repr(self)

    def _repr_html_(self) -> str:
        from affectation.views import prechoix_html

        return prechoix_html(self)

    @property
    def terrain_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.instance.terrains)

    @property
    def positions(self) -> np.ndarray:
        """1-based position in the order of choice of each interne, file order."""
        where = {interne_id: p for p, interne_id in enumerate(self.order, start=1)}
        return np.array([where[i.id] for i in self.instance.internes], dtype=np.int64)

    def round_positions(self) -> np.ndarray:
        """``rounds × internes`` (file order): 1-based position in each round's call order,
        the order of choice for a round without its own ranking, the round's ranking for one
        with it (R-ROUND-2, ``rules.order.round_order``; 0: not called in that round)."""
        from affectation.rules.order import cached_round_order

        instance = self.instance
        rows = []
        for r in range(len(instance.rounds)):
            if instance.rounds[r].classement is None:
                rows.append(self.positions)
                continue
            where = {i: p for p, i in enumerate(cached_round_order(instance, r), start=1)}
            rows.append(np.array([where.get(i.id, 0) for i in instance.internes],
                                 dtype=np.int64))
        return np.stack(rows)

    def _counts(self) -> np.ndarray:
        """File-order internes × (terrains + no poste) counts over the samples."""
        n_i, n_t = len(self.instance.internes), len(self.instance.terrains)
        cells = np.arange(n_i)[None, :] * (n_t + 1) + np.where(self.assignments < 0, n_t,
                                                                 self.assignments)
        counts = np.bincount(cells.ravel().astype(np.int64), minlength=n_i * (n_t + 1))
        return counts.reshape(n_i, n_t + 1)

    def probabilities(self) -> pd.DataFrame:
        """Internes (order of choice) × terrains (file order) then ``sans_poste``: the share of
        samples in which each interne ends there; rows sum to 1."""
        import pandas as pd

        rows = self.positions.argsort()
        return pd.DataFrame(
            self._counts()[rows] / self.n_samples,
            index=pd.Index([self.instance.internes[r].id for r in rows], name="interne"),
            columns=pd.Index([*self.terrain_ids, "sans_poste"], name="terrain"),
        )

    def standard_errors(self) -> pd.DataFrame:
        """Monte Carlo standard error of each probability: ``√(p(1 - p) / N)``."""
        p = self.probabilities()
        return np.sqrt(p * (1 - p) / self.n_samples)

    def imposed(self) -> np.ndarray:
        """Probability of being imposed, file order."""
        return (self.how == IMPOSED).mean(axis=0)

    def wishes(self, interne_id: str) -> list[tuple[int, str, float]]:
        """``(rank, terrain, probability)`` of each wish of a known list; ``[]`` otherwise."""
        if interne_id not in self.known:
            return []
        row = self._row(interne_id)
        index = {t: k for k, t in enumerate(self.terrain_ids)}
        got = self.assignments[:, row]
        return [(rank, t, float(np.mean(got == index[t])))
                for rank, t in enumerate(self.instance.internes[row].voeux, start=1)]

    @cached_property
    def _rows(self) -> dict[str, int]:
        return {interne.id: row for row, interne in enumerate(self.instance.internes)}

    def _row(self, interne_id: str) -> int:
        try:
            return self._rows[interne_id]
        except KeyError:
            raise KeyError(f"unknown interne {interne_id!r}") from None

    def internes_table(self) -> pd.DataFrame:
        """One row per interne in the order of choice: position, rang, seniority, whether the
        list is known, the ``TOP`` most likely outcomes (``sans poste`` included) with their
        probabilities, and the probabilities of no poste and of an imposition."""
        import pandas as pd

        counts = self._counts() / self.n_samples
        labels = [*self.terrain_ids, None]
        imposed = self.imposed()
        positions = self.positions
        rows = []
        for row in positions.argsort():
            interne = self.instance.internes[row]
            ranked = _ranked(counts[row], labels)[:TOP]
            entry = {
                "position": int(positions[row]), "interne": interne.id,
                "nom": interne.nom or "", "prenom": interne.prenom or "", "rang": interne.rang,
                "semestres_effectues": interne.semestres_effectues,
                "voeux_connus": interne.id in self.known,
            }
            for k in range(TOP):
                label, p = ranked[k] if k < len(ranked) else ("", math.nan)
                entry[f"terrain_{k + 1}"] = "sans poste" if label is None else label
                entry[f"p_{k + 1}"] = p
            entry["p_sans_poste"] = float(counts[row, -1])
            entry["p_impose"] = float(imposed[row])
            rows.append(entry)
        return pd.DataFrame(rows)

    # --- per terrain ----------------------------------------------------------------------

    @cached_property
    def _figures(self) -> dict[str, np.ndarray]:
        return self._per_terrain()

    def _per_terrain(self) -> dict[str, np.ndarray]:
        """``samples × terrains``: position of the last chooser (0: none), of the chooser who
        took the last poste (``internes + 1``: never full by choice; 0 when no poste), the
        row of the last chooser (-1), and whether a poste stayed vacant.

        Only internes who *chose* count: an imposition comes after every choice of its
        round, and a surnombre takes nobody's poste (R-SUR Reading), so neither moves the
        moment a terrain closes."""
        n, n_i = self.assignments.shape
        terrains = self.instance.terrains
        n_t = len(terrains)
        postes = np.array([t.postes for t in terrains], dtype=np.int64)
        # positions along the call order of each terrain's round (R-ROUND-2)
        by_round = self.round_positions()
        round_of = np.array([self.instance.terrain_round[t.id] for t in terrains],
                            dtype=np.int64)
        sample, row = np.nonzero(self.how == CHOSEN)
        terrain = self.assignments[sample, row].astype(np.int64)
        cell = sample * n_t + terrain
        position = by_round[round_of[terrain], row]
        order = np.lexsort((position, cell))
        cell, position, row = cell[order], position[order], row[order]
        start = np.searchsorted(cell, cell, side="left")
        rank = np.arange(len(cell)) - start
        last = np.zeros(n * n_t, dtype=np.int64)
        last_row = np.full(n * n_t, -1, dtype=np.int64)
        ends = np.flatnonzero(np.append(cell[1:] != cell[:-1], True)) if len(cell) else cell
        last[cell[ends]] = position[ends]
        last_row[cell[ends]] = row[ends]
        closing = np.full(n * n_t, n_i + 1, dtype=np.int64)
        full = rank == postes[cell % n_t] - 1
        closing[cell[full]] = position[full]
        closing = closing.reshape(n, n_t)
        closing[:, postes == 0] = 0
        holding = (self.assignments >= 0) & (self.how != SURNOMBRE)  # they hold no poste
        s_all, r_all = np.nonzero(holding)
        taken = np.bincount(s_all * n_t + self.assignments[s_all, r_all].astype(np.int64),
                            minlength=n * n_t).reshape(n, n_t)
        return {"last": last.reshape(n, n_t), "last_row": last_row.reshape(n, n_t),
                "closing": closing, "vacant": taken < postes[None, :]}

    def free_at(self, terrain_id: str, position: int) -> float:
        """Probability that ``terrain_id`` still has a free poste at the turn of the interne
        in ``position`` (1-based) of the order of choice (of the call order of the terrain's
        round when it has its own ranking, R-ROUND-2)."""
        column = self.terrain_ids.index(terrain_id)
        return float(np.mean(self._figures["closing"][:, column] >= position))

    def terrains_table(self) -> pd.DataFrame:
        """One row per terrain (file order): postes; rang limite (position of the last
        chooser, over the samples where someone chose it) median, 5th and 95th percentiles;
        median rank and seniority of that last chooser; the probability that someone chose
        it, that a poste stays vacant; the last positions at which it is still free with
        probability 90, 50 and 10 % (empty: free for every position)."""
        import pandas as pd

        frame = pd.DataFrame(self.terrain_records())
        for column in frame.columns:
            if column.startswith(("rang_limite", "dernier", "libre")):
                frame[column] = frame[column].astype("Int64")
        return frame

    def terrain_records(self) -> list[dict[str, Any]]:
        """:meth:`terrains_table` as plain values (``None`` where the table has ``<NA>``)."""
        figures = self._figures
        n_i = len(self.order)
        internes = self.instance.internes
        rangs = np.array([i.rang for i in internes] + [0], dtype=np.int64)
        seniority = np.array([i.semestres_effectues for i in internes] + [0], dtype=np.int64)
        rows = []
        for column, terrain in enumerate(self.instance.terrains):
            last = figures["last"][:, column]
            chosen = last > 0
            who = figures["last_row"][:, column][chosen]
            entry: dict[str, Any] = {
                "terrain": terrain.id, "nom": terrain.nom, "ville": terrain.ville,
                "postes": terrain.postes,
                "rang_limite_median": _quantile(last[chosen], 0.5),
                "rang_limite_p05": _quantile(last[chosen], 0.05),
                "rang_limite_p95": _quantile(last[chosen], 0.95),
                "dernier_rang_median": _quantile(rangs[who], 0.5),
                "dernier_semestres_median": _quantile(seniority[who], 0.5),
                "p_pris": float(chosen.mean()),
                "p_vacant": float(figures["vacant"][:, column].mean()),
            }
            closing = np.sort(figures["closing"][:, column])
            for level in LEVELS:
                entry[f"libre_jusqu_a_p{round(level * 100)}"] = _free_until(closing, level, n_i)
            rows.append(entry)
        return rows


def _ranked(probabilities: np.ndarray, labels: Sequence[str | None]) -> list[tuple[Any, float]]:
    """Non-zero outcomes, most likely first, ties by terrain id, no poste last among ties."""
    items = [(labels[k], float(p)) for k, p in enumerate(probabilities) if p > 0]
    return sorted(items, key=lambda item: (-item[1], item[0] is None, item[0] or ""))


def _quantile(values: np.ndarray, q: float) -> int | None:
    """A position or a rank actually reached (inverted CDF); ``None`` for no value."""
    if len(values) == 0:
        return None
    return int(np.quantile(values, q, method="inverted_cdf"))


def _free_until(closing: np.ndarray, level: float, n_internes: int) -> int | None:
    """The last position ``p`` with P(closing ≥ p) ≥ ``level``; ``None``: free for every
    position with that chance; 0: not even for the first."""
    n = len(closing)
    allowed = math.floor((1 - level) * n + 1e-9)  # at most this many samples closed before p
    if allowed >= n:
        return None
    p = int(closing[allowed])
    return None if p > n_internes else p


# --- calibration -----------------------------------------------------------------------------


@attrs.frozen(eq=False)
class Calibration:
    """How good the guess is on lists we know: :func:`calibrate`."""

    hidden: tuple[str, ...]
    """The known internes whose lists were hidden and guessed."""
    predicted: np.ndarray
    """``hidden × (terrains + no poste)``: probabilities with the lists guessed."""
    observed: np.ndarray
    """Same shape: share of the reference samples (the lists known) giving each outcome."""
    naive: np.ndarray
    """Same shape, 0/1: the outcome when every guessed list is the popularity order."""
    terrains: tuple[str, ...]

    @property
    def brier(self) -> float:
        """Multi-class Brier score of the prediction (0 best, 2 worst): mean over hidden
        internes and reference samples of Σ_outcomes (p − 1[outcome])². With reference
        frequencies ``o`` this is Σ (p − o)² + Σ o(1 − o), the second term being the part no
        prediction can remove (the other unknown lists)."""
        return _brier(self.predicted, self.observed)

    @property
    def brier_naive(self) -> float:
        """The same score for the naive guess (everyone keeps the popularity order)."""
        return _brier(self.naive, self.observed)

    @property
    def brier_floor(self) -> float:
        """The score of a perfect prediction: Σ o(1 − o), what the lists still unknown in
        the reference leave (0 when every list is known there)."""
        return _brier(self.observed, self.observed)

    def reliability(self, bins: int = 10) -> pd.DataFrame:
        """Predicted probability bins (equal width): mean predicted, observed frequency and
        number of (interne, outcome) cells; a calibrated guess lies on the diagonal."""
        import pandas as pd

        p, o = self.predicted.ravel(), self.observed.ravel()
        which = np.minimum((p * bins).astype(np.int64), bins - 1)
        rows = []
        for b in range(bins):
            mask = which == b
            if mask.any():
                rows.append({"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
                             "predicted": float(p[mask].mean()),
                             "observed": float(o[mask].mean()), "cells": int(mask.sum())})
        return pd.DataFrame(rows)


def _brier(p: np.ndarray, o: np.ndarray) -> float:
    if p.size == 0:
        return math.nan
    return float(np.mean(np.sum((p - o) ** 2 + o * (1 - o), axis=1)))


def calibrate(
    instance: Instance,
    *,
    hide: float = 0.3,
    n_samples: int = 200,
    seed: int = 0,
    executor: concurrent.futures.Executor | str | None = None,
    progress: bool | None = None,
) -> Calibration:
    """Hide a share ``hide`` of the known lists (couples excluded), guess them, compare.

    The reference is a pré-choix with every known list kept (the lists still unknown
    redrawn, the same seed, so the same noise for them); the prediction one with the hidden
    lists guessed by the model fitted on the lists left. The naive guess: every guessed list
    (hidden or unknown) is the popularity order (fitted attractiveness, no noise, no home
    town), solved once.
    """
    if not 0 < hide < 1:
        raise ValueError(f"hide : attendu entre 0 et 1, reçu {hide!r}")
    known = known_ids(instance)
    singles = [i.id for i in instance.internes if i.id in known and i.id not in
               instance.couple_of]
    rng = np.random.default_rng(seed)
    hidden = tuple(sorted(rng.choice(singles, size=max(1, round(hide * len(singles))),
                                     replace=False).tolist())) if singles else ()
    if not hidden:
        raise ValueError("no known list to hide")
    left = known - set(hidden)
    options = {"n_samples": n_samples, "seed": seed, "executor": executor,
               "progress": progress}
    reference = prechoix(instance, known=known, **options)
    guess = prechoix(instance, known=left, **options)
    model = fit(instance, left)
    popular = attrs.evolve(model, noise=1e-9, town_bonus=0.0)
    base = _blank(instance, left)
    from affectation.engines import solve

    drawn = popular.sample(base, np.random.default_rng(seed), known=left)
    naive_result = solve(drawn, "serial")
    rows = [reference._row(i) for i in hidden]
    n_t = len(instance.terrains)
    index = {t.id: k for k, t in enumerate(instance.terrains)}
    naive = np.zeros((len(hidden), n_t + 1))
    got = {a.interne: a.terrain for a in naive_result.affectations}
    for k, interne_id in enumerate(hidden):
        terrain = got.get(interne_id)
        naive[k, n_t if terrain is None else index[terrain]] = 1.0
    return Calibration(
        hidden=hidden,
        predicted=guess._counts()[rows] / n_samples,
        observed=reference._counts()[rows] / n_samples,
        naive=naive,
        terrains=tuple(index),
    )


# --- reports -----------------------------------------------------------------------------------


def report_json(result: Prechoix) -> dict[str, Any]:
    """The ``affectation-prechoix/1`` document (docs/formats.md)."""
    if "null" in result.terrain_ids:
        raise ValueError("a terrain is named 'null', the key of no poste in the JSON report; "
                         "rename it")
    counts = result._counts() / result.n_samples
    labels = [*result.terrain_ids, None]
    imposed = result.imposed()
    positions = result.positions
    internes = []
    for row in positions.argsort():
        interne = result.instance.internes[row]
        ranked = _ranked(counts[row], labels)
        known = interne.id in result.known
        internes.append({
            "interne": interne.id,
            "position": int(positions[row]),
            "rang": interne.rang,
            "semestres_effectues": interne.semestres_effectues,
            "voeux_connus": known,
            "probabilites": {_key(t): p for t, p in ranked},
            "erreurs_types": {_key(t): round(math.sqrt(p * (1 - p) / result.n_samples), 6)
                              for t, p in ranked},
            "impose": float(imposed[row]),
            "voeux": [{"voeu": rank, "terrain": t, "p": p}
                      for rank, t, p in result.wishes(interne.id)] if known else [],
        })
    terrains = []
    for entry in result.terrain_records():
        terrains.append({
            "terrain": entry["terrain"],
            "postes": int(entry["postes"]),
            "rang_limite": None if entry["rang_limite_median"] is None else {
                "median": entry["rang_limite_median"], "p05": entry["rang_limite_p05"],
                "p95": entry["rang_limite_p95"]},
            "dernier": None if entry["dernier_rang_median"] is None else {
                "rang_median": entry["dernier_rang_median"],
                "semestres_effectues_median": entry["dernier_semestres_median"]},
            "pris": entry["p_pris"],
            "vacant": entry["p_vacant"],
            "libre_jusqu_a": {f"p{round(level * 100)}":
                              entry[f"libre_jusqu_a_p{round(level * 100)}"]
                              for level in LEVELS},
        })
    n_known = len(result.known)
    return {
        "format": FORMAT,
        "instance": result.instance.nom,
        "methode": result.method,
        "samples": result.n_samples,
        "seed": result.seed,
        "internes_total": len(result.instance.internes),
        "voeux_connus": n_known,
        "voeux_devines": len(result.instance.internes) - n_known,
        "internes": internes,
        "terrains": terrains,
        "sans_issue": [{"interne": i, "raison": why} for i, why in result.sans_issue],
    }


def _key(terrain: str | None) -> str:
    return "null" if terrain is None else terrain


def write_report(result: Prechoix, path: str | Path) -> Path:
    """Write the report, its kind from the suffix: ``.json``, ``.xlsx`` or ``.html``
    (atomic; the same result gives the same bytes for JSON and HTML)."""
    from affectation.io._files import atomic_write, atomic_write_bytes

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise ValueError(f"{target} : attendu un rapport .json, .xlsx ou .html")
    if suffix == ".json":
        from affectation.io import dumps

        atomic_write_bytes(target, dumps(report_json(result)))
    elif suffix == ".html":
        atomic_write_bytes(target, report_html(result).encode("utf-8"))
    elif suffix == ".xlsx":
        atomic_write(target, lambda temp: _write_xlsx(result, temp))
    else:
        raise ValueError(f"{target} : attendu un rapport .json, .xlsx ou .html")
    return target


def _header(result: Prechoix) -> list[tuple[str, Any]]:
    n = len(result.instance.internes)
    return [
        ("Instance", result.instance.nom or "—"),
        ("Tirages", result.n_samples),
        ("Graine", result.seed),
        ("Internes", n),
        ("Listes de vœux connues", len(result.known)),
        ("Listes devinées (modèle)", n - len(result.known)),
        ("Moteur", result.method),
        *([("Attention", stuck_sentence(result))] if result.sans_issue else []),
        *((f"Sans issue : {i}", why) for i, why in result.sans_issue),
    ]


INTERNE_COLUMNS = {
    "position": "Position", "interne": "Interne", "nom": "Nom", "prenom": "Prénom",
    "rang": "Rang", "semestres_effectues":
    "Semestres", "voeux_connus": "Liste connue", "terrain_1": "Terrain le plus probable",
    "p_1": "Probabilité", "terrain_2": "2e terrain", "p_2": "Probabilité 2", "terrain_3":
    "3e terrain", "p_3": "Probabilité 3", "p_sans_poste": "Sans poste", "p_impose": "Imposé",
}
TERRAIN_COLUMNS = {
    "terrain": "Terrain", "nom": "Nom", "ville": "Ville", "postes": "Postes",
    "rang_limite_median": "Rang limite (médiane)", "rang_limite_p05": "Rang limite 5 %",
    "rang_limite_p95": "Rang limite 95 %", "dernier_rang_median": "Rang ECN du dernier",
    "dernier_semestres_median": "Semestres du dernier", "p_pris": "Choisi",
    "p_vacant": "Poste vacant", "libre_jusqu_a_p90": "Libre à 90 % jusqu'à",
    "libre_jusqu_a_p50": "Libre à 50 % jusqu'à", "libre_jusqu_a_p10": "Libre à 10 % jusqu'à",
}


def _write_xlsx(result: Prechoix, path: Path) -> None:
    import pandas as pd

    header = pd.DataFrame(_header(result), columns=["Rubrique", "Valeur"])
    internes = result.internes_table().rename(columns=INTERNE_COLUMNS)
    internes["Liste connue"] = internes["Liste connue"].map({True: "oui", False: "non"})
    terrains = pd.DataFrame(result.terrain_records()).rename(columns=TERRAIN_COLUMNS)
    for level in LEVELS:  # free at every position with that chance
        column = TERRAIN_COLUMNS[f"libre_jusqu_a_p{round(level * 100)}"]
        terrains[column] = [("tous" if v is None else v) for v in terrains[column]]
    from affectation.io._cells import frame_sheet, write_workbook

    write_workbook(path, [frame_sheet("pre-choix", header), frame_sheet("internes", internes),
                          frame_sheet("terrains", terrains)])


def _pct(p: float) -> str:
    return "" if p is None or (isinstance(p, float) and math.isnan(p)) else f"{p:.0%}"


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return html.escape(str(value))


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:0 .8rem;
color:#1b1b1b;background:#fff;line-height:1.4}
h1{font-size:1.3rem;margin:.8rem 0 .3rem}h2{font-size:1.1rem;margin:1.2rem 0 .4rem}
p,li{font-size:.95rem}input{width:100%;box-sizing:border-box;font-size:1rem;padding:.5rem;
margin:.3rem 0 .6rem;border:1px solid #888;border-radius:.3rem}
.wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;font-size:.85rem;min-width:100%}
th,td{padding:.3rem .45rem;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}
th{position:sticky;top:0;background:#f0f0f0}td.n{text-align:right}
.guess{color:#555;font-style:italic}dl{display:grid;grid-template-columns:auto 1fr;gap:.1rem 1rem}
dt{font-weight:600}dd{margin:0}
@media (max-width:480px){.opt{display:none}th,td{padding:.3rem .3rem}}
"""

SEARCH = """
function filter(input,id){var q=input.value.toLowerCase();
var rows=document.getElementById(id).tBodies[0].rows;
for(var i=0;i<rows.length;i++){rows[i].style.display=
rows[i].textContent.toLowerCase().indexOf(q)<0?'none':'';}}
"""


def stuck_sentence(result: Prechoix) -> str:
    """The warning of the report and of the command line, or ``""``."""
    if not result.sans_issue:
        return ""
    n = len(result.sans_issue)
    return (f"{n} interne(s) ne peuvent rien prendre, quelles que soient les listes : leur "
            "« sans poste » à 100 % vient de l'instance, pas du tirage (audit : "
            "affectation audit).")


def _stuck_html(result: Prechoix) -> str:
    if not result.sans_issue:
        return ""
    items = "".join(f"<li>{html.escape(why)}</li>" for _, why in result.sans_issue)
    return (f'<p class="warn"><strong>Attention.</strong> {html.escape(stuck_sentence(result))}'
            f"</p><ul>{items}</ul>")


def report_html(result: Prechoix) -> str:
    """One self-contained page (no external file, no network): a header, a searchable table
    per interne and one per terrain, readable on a phone (viewport, horizontal scrolling)."""
    internes = result.internes_table()
    terrains = result.terrain_records()
    header = "".join(f"<dt>{html.escape(k)}</dt><dd>{_cell(v)}</dd>" for k, v in _header(result))
    rows = []
    for entry in internes.to_dict("records"):
        guess = "" if entry["voeux_connus"] else ' class="guess"'
        cells = [f'<td class="n">{entry["position"]}</td>',
                 f"<td{guess}>{_cell(entry['interne'])}</td>",
                 f'<td class="n opt">{entry["rang"]}</td>',
                 f"<td class=\"opt\">{'oui' if entry['voeux_connus'] else 'non'}</td>"]
        likely = "<br>".join(
            f"{_cell(entry[f'terrain_{k}'])}&nbsp;<b>{_pct(entry[f'p_{k}'])}</b>"
            for k in range(1, TOP + 1) if entry[f"terrain_{k}"]
        )
        cells.append(f"<td>{likely}</td>")
        cells.append(f'<td class="n">{_pct(entry["p_impose"])}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    interne_head = ("<tr><th>Pos.</th><th>Interne</th><th class=\"opt\">Rang</th>"
                    "<th class=\"opt\">Liste connue</th>"
                    "<th>Terrains probables</th><th>Imposé</th></tr>")
    terrain_rows = []
    for entry in terrains:
        terrain_rows.append(
            "<tr>"
            f"<td>{_cell(entry['terrain'])}</td><td>{_cell(entry['ville'] or None)}</td>"
            f'<td class="n">{entry["postes"]}</td>'
            f'<td class="n">{_cell(entry["rang_limite_median"])}</td>'
            f'<td class="n">{_cell(entry["rang_limite_p05"])}–'
            f'{_cell(entry["rang_limite_p95"])}</td>'
            f'<td class="n">{_cell(entry["libre_jusqu_a_p90"] or "tous")}</td>'
            f'<td class="n">{_pct(entry["p_vacant"])}</td>'
            "</tr>"
        )
    terrain_head = ("<tr><th>Terrain</th><th>Ville</th><th>Postes</th><th>Rang limite</th>"
                    "<th>Intervalle 90 %</th><th>Libre à 90 % jusqu'à</th><th>Vacant</th></tr>")
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pré-choix {html.escape(result.instance.nom or "")}</title>
<style>{STYLE}</style>
<script>{SEARCH}</script>
</head>
<body>
<h1>Pré-choix {html.escape(result.instance.nom or "")}</h1>
<dl>{header}</dl>
{_stuck_html(result)}
<p>Chaque ligne donne, pour un interne, les terrains qu'il obtient le plus souvent sur
{result.n_samples} simulations du choix, où les listes connues restent telles quelles et les
autres sont devinées (<span class="guess">en italique</span>). Le <em>rang limite</em> d'un
terrain est la position, dans l'ordre de choix, du dernier interne qui l'a choisi&nbsp;: médiane
et intervalle de 90&nbsp;% des simulations. «&nbsp;Libre à 90&nbsp;% jusqu'à N&nbsp;»&nbsp;: le
terrain a encore un poste libre au tour de la position N dans au moins 90&nbsp;% des
simulations. Ce sont des probabilités, pas des promesses.</p>
<h2>Internes</h2>
<input type="search" placeholder="Chercher un interne, un terrain…"
 oninput="filter(this,'internes')" aria-label="Chercher dans les internes">
<div class="wrap"><table id="internes"><thead>{interne_head}</thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></div>
<h2>Terrains</h2>
<input type="search" placeholder="Chercher un terrain, une ville…"
 oninput="filter(this,'terrains')" aria-label="Chercher dans les terrains">
<div class="wrap"><table id="terrains"><thead>{terrain_head}</thead>
<tbody>
{chr(10).join(terrain_rows)}
</tbody></table></div>
</body>
</html>
"""
