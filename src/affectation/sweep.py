"""Monte Carlo sweeps: the pré-choix under uncertainty, scenario by scenario.

Nobody knows next semester's wish lists. :func:`sweep` draws ``n_samples`` sets of them from a
:class:`~affectation.preferences.PreferenceModel`, solves every scenario on every draw, and
returns a :class:`SweepResult`: the figures of each (scenario, sample), their means with
confidence intervals, the paired differences against the first scenario, and for each interne
the probability of each terrain.

Seeds and common random numbers: ``numpy.random.SeedSequence(seed).spawn(n_samples)`` gives one
child per sample, and sample *k* uses child *k* under **every** scenario, so all scenarios see
the same wish lists (the noise is drawn in the layout of the base instance, see
:meth:`PreferenceModel.sample`) and their differences are paired. Work is cut in tasks of one
scenario × a chunk of samples, small picklable values run by a module-level function on any
``concurrent.futures.Executor`` (a process pool, Dask's ``Client.get_executor()``, Ray...);
the numbers do not depend on the executor or the chunk size.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import math
import os
import pickle
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs
import numpy as np

from affectation.engines import METHODS, solve
from affectation.errors import NoAllocation, SweepError
from affectation.executors import IN_PROCESS, PayloadCache, run_tasks
from affectation.model import CATEGORIES, Instance
from affectation.preferences import PreferenceModel
from affectation.result import Result

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CHOSEN",
    "HEADLINE",
    "IMPOSED",
    "IN_PROCESS",
    "METHODS",
    "SURNOMBRE",
    "ScenarioLike",
    "SweepResult",
    "sweep",
]


HEADLINE = ("impositions", "sans_poste", "premier_voeu", "top3", "rang_median", "postes_vacants")
"""Metrics of every (scenario, sample), from :meth:`Result.summary`; then ``vacants_<cat>``."""

CHOSEN, IMPOSED, SURNOMBRE = 1, 2, 3
"""How an interne got their poste in :attr:`SweepResult.how` (0: no poste)."""

MAX_CHUNK = 50
"""Largest default chunk of samples per task (keeps the progress bar moving)."""


class ScenarioLike(Protocol):
    """What a sweep needs of a scenario (:class:`affectation.scenarios.Scenario` is one):
    a name and a pure ``apply``; it must pickle to reach the workers."""

    name: str

    def apply(self, instance: Instance) -> Instance: ...


# --- what travels to the workers ----------------------------------------------------------------


@attrs.frozen(eq=False)
class _Payload:
    """Everything a worker needs once per sweep; sent pickled, unpickled once per process."""

    instance: Instance
    scenarios: tuple[Any, ...]
    model: PreferenceModel
    method: str
    categories: tuple[str, ...]
    known: frozenset[str] | None = None
    """Interne ids whose lists are kept (:meth:`PreferenceModel.sample`); ``None``: all
    redrawn."""


@attrs.frozen(eq=False)
class _Task:
    """One scenario × a chunk of samples: what one call of :func:`_run_task` computes."""

    key: str
    """Digest of ``payload``: the workers' cache key."""
    payload: bytes
    scenario: int
    samples: tuple[int, ...]
    seeds: tuple[np.random.SeedSequence, ...]


class _Prepared:
    """A scenario applied, with the look-ups its rows need; cached in each worker."""

    def __init__(self, payload: _Payload, scenario: int) -> None:
        self.base = payload.instance
        self.model = payload.model
        self.method = payload.method
        self.known = payload.known
        self.instance = payload.scenarios[scenario].apply(payload.instance)
        category_index = {c: k for k, c in enumerate(payload.categories)}
        self.category_of = {
            t.id: category_index[t.categories[0]] for t in self.instance.terrains
        }
        self.terrain_index = {t.id: k for k, t in enumerate(self.instance.terrains)}
        self.terrain_index[None] = -1  # type: ignore[index]
        self.n_categories = len(payload.categories)
        if self.method == "serial":  # tables that every draw shares (Instance._with_wishes)
            from affectation.rules.mandatory import mandatory_classes
            from affectation.rules.turn import slot_tables

            slot_tables(self.instance)
            for r in range(len(self.instance.rounds)):
                mandatory_classes(self.instance, r)


_CACHE: OrderedDict[tuple[str, int], _Prepared] = OrderedDict()
_PAYLOADS = PayloadCache()
_LOCK = threading.Lock()
_CACHE_SIZE = 16


def _prepared(task: _Task) -> _Prepared:
    """The task's scenario, applied once per process and sweep (thread-safe)."""
    with _LOCK:
        prepared = _CACHE.get((task.key, task.scenario))
        if prepared is not None:
            _CACHE.move_to_end((task.key, task.scenario))
            return prepared
        prepared = _Prepared(_PAYLOADS.get(task.key, task.payload), task.scenario)
        _CACHE[(task.key, task.scenario)] = prepared
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return prepared


def _forget(key: str) -> None:
    _PAYLOADS.forget(key)
    with _LOCK:
        for cached in [k for k in _CACHE if k[0] == key]:
            del _CACHE[cached]


def _solve(instance: Instance, method: str) -> Result:
    """One sample through the engine registry (CP-SAT on one worker, seed 0)."""
    try:
        return solve(instance, method, workers=1, seed=0)
    except NoAllocation as error:
        raise SweepError(f"le moteur {method} n'a trouvé aucune affectation pour une instance "
                         f"tirée ({error.info.status})") from error


def _run_task(task: _Task) -> tuple[int, tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]:
    """Worker: for each sample of the chunk, draw the wish lists, solve, keep small rows.

    Returns ``(scenario, samples, metrics, terrains, how)``: ``metrics`` is ``samples ×
    (HEADLINE + categories)``, ``terrains`` the terrain index of every interne (file order of
    the scenario's instance, ``-1`` for no poste), ``how`` how each got it (:data:`CHOSEN`,
    :data:`IMPOSED`, :data:`SURNOMBRE`; 0 for no poste).
    """
    prepared = _prepared(task)
    instance = prepared.instance
    n_metrics = len(HEADLINE) + prepared.n_categories
    metrics = np.zeros((len(task.samples), n_metrics), dtype=np.float64)
    terrains = np.empty((len(task.samples), len(instance.internes)), dtype=np.int32)
    how = np.zeros((len(task.samples), len(instance.internes)), dtype=np.int8)
    index = prepared.terrain_index
    for row, seed in enumerate(task.seeds):
        rng = np.random.default_rng(seed)
        drawn = prepared.model.sample(instance, rng, reference=prepared.base,
                                      known=prepared.known)
        result = _solve(drawn, prepared.method)
        summary = result.summary()
        metrics[row, : len(HEADLINE)] = [summary[name] for name in HEADLINE]
        for terrain_id, count in result.vacants_items:
            metrics[row, len(HEADLINE) + prepared.category_of[terrain_id]] += count
        where = result.placements()  # no Affectation objects built for a serial result
        got_terrain, got_how = [], []
        for interne in instance.internes:
            got = where.get(interne.id)
            if got is None:
                got_terrain.append(-1)
                got_how.append(0)
            else:
                got_terrain.append(index[got[0]])
                got_how.append(SURNOMBRE if interne.surnombre is not None
                               else IMPOSED if got[2] else CHOSEN)
        terrains[row] = got_terrain
        how[row] = got_how
    return task.scenario, task.samples, metrics, terrains, how


# --- the sweep ------------------------------------------------------------------------------------


def sweep(
    instance: Instance,
    scenarios: Iterable[ScenarioLike] | None = None,
    *,
    n_samples: int = 100,
    seed: int = 0,
    method: str = "serial",
    model: PreferenceModel | None = None,
    executor: concurrent.futures.Executor | Literal["inline", "serial"] | None = None,
    progress: bool | None = None,
    chunk_size: int | None = None,
    known: Iterable[str] | None = None,
) -> SweepResult:
    """Solve every scenario on ``n_samples`` random draws of the wish lists.

    ``scenarios``: objects with ``name`` and ``apply(instance)`` (default: the instance as
    it is, named ``base``); the first is the reference of the paired ``delta`` columns.
    ``model``: the preference model (default :meth:`PreferenceModel.from_instance`).
    ``method``: ``"serial"`` or ``"cpsat"`` (one CP-SAT worker per task).
    ``executor``: ``None`` creates a ``ProcessPoolExecutor(os.cpu_count())`` and shuts it
    down; ``"inline"`` (or ``"serial"``) runs in this process; any
    ``concurrent.futures.Executor`` is used as given and left open. ``chunk_size``: samples
    per task (default: about four tasks per worker, at most :data:`MAX_CHUNK`).
    ``progress``: a tqdm bar over finished tasks; ``None`` shows it when stderr is a
    terminal. ``known``: interne ids whose wish lists are kept, the others redrawn (the
    pré-choix, :mod:`affectation.prechoix`); ``None`` redraws every list. The result depends
    only on the instance, the scenarios, the model, ``known``, ``seed``, ``n_samples`` and
    ``method``.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise SweepError(f"n_samples : attendu un entier >= 1, reçu {n_samples!r}")
    if method not in METHODS:
        raise SweepError(f"méthode : attendu {' ou '.join(METHODS)}, reçu {method!r}")
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise SweepError(f"chunk_size : attendu un entier >= 1, reçu {chunk_size!r}")
    if isinstance(executor, str) and executor not in IN_PROCESS:
        raise SweepError(
            f"executor : attendu un concurrent.futures.Executor, None ou "
            f"{' ou '.join(map(repr, IN_PROCESS))} ; reçu {executor!r}"
        )
    if scenarios is None:
        from affectation.scenarios import BASE

        scenarios = (BASE,)
    chosen = tuple(scenarios)
    if not chosen:
        raise SweepError("attendu au moins un scénario")
    names = tuple(str(s.name) for s in chosen)
    for name in names:
        if names.count(name) > 1:
            raise SweepError(f"deux scénarios s'appellent {name!r} ; chaque nom doit être unique")
    if model is None:
        model = PreferenceModel.from_instance(instance)
    applied = [s.apply(instance) for s in chosen]  # a change that does not fit fails here
    categories = _categories(applied)
    kept = None if known is None else frozenset(known)
    payload = _Payload(instance, chosen, model, method, categories, kept)
    blob = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    key = hashlib.blake2b(blob, digest_size=16).hexdigest()

    children = np.random.SeedSequence(seed).spawn(n_samples)
    workers = _workers(executor)
    if chunk_size is None:
        chunk_size = max(1, min(MAX_CHUNK, math.ceil(n_samples * len(chosen) / (4 * workers))))
    tasks = [
        _Task(key, blob, s, tuple(range(start, min(start + chunk_size, n_samples))),
              tuple(children[start : start + chunk_size]))
        for s in range(len(chosen))  # scenario by scenario: a worker reuses its cache
        for start in range(0, n_samples, chunk_size)
    ]
    if progress is None:
        progress = _is_tty()
    outputs = _execute(tasks, executor, progress, key, payload)
    return _assemble(outputs, names, applied, categories, method, seed, n_samples)


def _workers(executor: Any) -> int:
    if executor is None:
        return os.cpu_count() or 1
    if isinstance(executor, str):
        return 1
    return int(getattr(executor, "_max_workers", None) or os.cpu_count() or 1)


def _is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _categories(instances: Sequence[Instance]) -> tuple[str, ...]:
    """First categories of the terrains, built-in vocabulary order first (as ``compare``)."""
    present = {t.categories[0] for instance in instances for t in instance.terrains}
    known = [c for c in CATEGORIES if c in present]
    return (*known, *sorted(present - set(known)))


def _execute(
    tasks: list[_Task], executor: Any, progress: bool, key: str, payload: _Payload
) -> list[tuple[int, tuple[int, ...], np.ndarray, np.ndarray]]:
    """Run the tasks (:func:`affectation.executors.run_tasks`); results in the order they
    finish (sorted later). In this process the payload is the caller's objects, not a copy,
    so the rules' caches hit by identity; the process keeps no copy after the sweep."""

    inline = _PAYLOADS.registered(key, payload, forget=_forget)
    return run_tasks(tasks, _run_task, executor, progress=progress, desc="sweep", inline=inline)


def _assemble(
    outputs: list[tuple[int, tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]],
    names: tuple[str, ...],
    applied: Sequence[Instance],
    categories: tuple[str, ...],
    method: str,
    seed: int,
    n_samples: int,
) -> SweepResult:
    """Rows in (scenario, sample) order, whatever order the tasks finished in."""
    import pandas as pd

    columns = (*HEADLINE, *(f"vacants_{c}" for c in categories))
    metrics = [np.full((n_samples, len(columns)), np.nan) for _ in names]
    assignments, hows = [], []
    for instance in applied:
        dtype = np.int16 if len(instance.terrains) < 2**15 - 1 else np.int32
        assignments.append(np.full((n_samples, len(instance.internes)), -1, dtype=dtype))
        hows.append(np.zeros((n_samples, len(instance.internes)), dtype=np.int8))
    for scenario, samples, rows, terrains, how in sorted(outputs, key=lambda o: (o[0], o[1])):
        metrics[scenario][list(samples)] = rows
        assignments[scenario][list(samples)] = terrains
        hows[scenario][list(samples)] = how
    frame = pd.DataFrame(np.vstack(metrics), columns=list(columns))
    for column in columns:
        if column not in ("premier_voeu", "top3", "rang_median"):
            frame[column] = frame[column].astype(np.int64)
    frame.insert(0, "sample", np.tile(np.arange(n_samples), len(names)))
    frame.insert(0, "scenario", np.repeat(np.array(names, dtype=object), n_samples))
    for array in (*assignments, *hows):
        array.setflags(write=False)
    return SweepResult(
        scenarios=names,
        samples=frame,
        assignments=tuple(assignments),
        how=tuple(hows),
        internes=tuple(tuple(i.id for i in inst.internes) for inst in applied),
        orders=tuple(_order(inst) for inst in applied),
        terrains=tuple(tuple(t.id for t in inst.terrains) for inst in applied),
        categories=categories,
        method=method,
        seed=seed,
        n_samples=n_samples,
    )


def _order(instance: Instance) -> tuple[str, ...]:
    from affectation.rules.order import choice_order

    return choice_order(instance)


# --- the result -----------------------------------------------------------------------------------


@attrs.frozen(eq=False)
class SweepResult:
    """What a sweep returns: per-sample figures and per-interne terrains, per scenario."""

    scenarios: tuple[str, ...]
    """Scenario names, in the order given; the first is the reference of the deltas."""
    samples: pd.DataFrame
    """Tidy: one row per (scenario, sample), then one column per metric (:attr:`metrics`)."""
    assignments: tuple[np.ndarray, ...]
    """Per scenario, ``n_samples × internes`` terrain indices (into :attr:`terrains`) of each
    interne in file order (:attr:`internes`); ``-1`` for no poste."""
    how: tuple[np.ndarray, ...]
    """Same shape: how the poste was had, :data:`CHOSEN`, :data:`IMPOSED` or
    :data:`SURNOMBRE` (0: no poste)."""
    internes: tuple[tuple[str, ...], ...]
    """Per scenario, the interne ids in file order."""
    orders: tuple[tuple[str, ...], ...]
    """Per scenario, the interne ids in the order of choice (R-ORD)."""
    terrains: tuple[tuple[str, ...], ...]
    """Per scenario, the terrain ids in file order."""
    categories: tuple[str, ...]
    """Categories of the ``vacants_<category>`` columns (first category of each terrain)."""
    method: str
    seed: int
    n_samples: int

    def __repr__(self) -> str:
        return (f"<SweepResult {self.method}: {len(self.scenarios)} scenario(s) × "
                f"{self.n_samples} samples, seed {self.seed}>")

    def _repr_html_(self) -> str:
        """Jupyter: one line per metric, each scenario's mean and 95 % interval, the paired
        differences (affectation.metrics.sweep_table)."""
        import html

        from affectation.metrics import sweep_table

        head = (f"<h4>Tirages de Monte-Carlo ({html.escape(self.method)}) : {self.n_samples} "
                f"tirages, graine {self.seed}</h4>")
        return head + sweep_table(self.summary()).to_html()

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric columns of :attr:`samples`."""
        return (*HEADLINE, *(f"vacants_{c}" for c in self.categories))

    def index(self, scenario: str | int) -> int:
        """Position of a scenario, by name or position."""
        if isinstance(scenario, int) and not isinstance(scenario, bool):
            if not -len(self.scenarios) <= scenario < len(self.scenarios):
                raise IndexError(f"no scenario at position {scenario}")
            return scenario % len(self.scenarios)
        try:
            return self.scenarios.index(scenario)
        except ValueError:
            raise KeyError(
                f"unknown scenario {scenario!r} (known: {', '.join(self.scenarios)})"
            ) from None

    def values(self, scenario: str | int, metric: str) -> np.ndarray:
        """The ``n_samples`` values of one metric under one scenario, in sample order."""
        if metric not in self.metrics:
            raise KeyError(f"unknown metric {metric!r} (known: {', '.join(self.metrics)})")
        s = self.index(scenario)
        start = s * self.n_samples
        return self.samples[metric].to_numpy(dtype=float)[start : start + self.n_samples]

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Per scenario and metric: mean, standard deviation and a ``confidence`` interval of
        the mean, and the same for the paired difference with the first scenario.

        Intervals use the normal approximation, ``mean ± z · std / √n`` (``z`` the normal
        quantile, ``std`` with ``ddof=1``): the samples are independent draws and ``n`` is
        large enough in practice (≥ 30); for fewer samples the interval is too narrow.
        ``delta`` is the mean of the per-sample differences (scenario − first scenario, on
        the same wish lists), so its interval is much narrower than the difference of two
        independent intervals. NaN values (``rang_median`` when nobody is placed) are left
        out, pairwise for the deltas; ``n`` counts the values used.
        """
        import pandas as pd

        if not 0 < confidence < 1:
            raise SweepError(f"confidence : attendu entre 0 et 1, reçu {confidence!r}")
        z = NormalDist().inv_cdf(0.5 + confidence / 2)
        rows = []
        for s, name in enumerate(self.scenarios):
            for metric in self.metrics:
                x = self.values(s, metric)
                d = x - self.values(0, metric)
                mean, std, low, high, n = _interval(x, z)
                d_mean, d_std, d_low, d_high, _ = _interval(d, z)
                rows.append({
                    "scenario": name, "metric": metric, "n": n, "mean": mean, "std": std,
                    "ci_low": low, "ci_high": high, "delta": d_mean, "delta_std": d_std,
                    "delta_ci_low": d_low, "delta_ci_high": d_high,
                })
        return pd.DataFrame(rows)

    def probabilities(self, scenario: str | int) -> pd.DataFrame:
        """Internes × terrains: the share of samples in which each interne got each terrain.

        Rows in the order of choice, columns in file order; a row sums to one minus the
        interne's probability of ending without a poste.
        """
        import pandas as pd

        s = self.index(scenario)
        matrix = self._probability_matrix(s)
        position = {interne_id: k for k, interne_id in enumerate(self.internes[s])}
        rows = [position[interne_id] for interne_id in self.orders[s]]
        return pd.DataFrame(
            matrix[rows],
            index=pd.Index(self.orders[s], name="interne"),
            columns=pd.Index(self.terrains[s], name="terrain"),
        )

    def rank_band_probabilities(self, scenario: str | int, bands: int = 10) -> pd.DataFrame:
        """Rank bands × terrains: the probability that an interne of the band gets each
        terrain (heat-map data).

        The order of choice is cut in ``bands`` bands of (nearly) equal size, labelled by
        their positions (``1-150``); a cell is the mean, over the band's internes, of
        :meth:`probabilities`: the share of the band that goes there.
        """
        import pandas as pd

        if isinstance(bands, bool) or not isinstance(bands, int) or bands < 1:
            raise SweepError(f"bands : attendu un entier >= 1, reçu {bands!r}")
        table = self.probabilities(scenario)
        n = len(table)
        bands = max(1, min(bands, n))
        band = (np.arange(n) * bands) // max(n, 1)
        starts = np.searchsorted(band, np.arange(bands))
        ends = np.append(starts[1:], n)
        labels = [f"{a + 1}-{b}" for a, b in zip(starts, ends, strict=True)]
        values = table.to_numpy()
        means = np.vstack([values[a:b].mean(axis=0) for a, b in zip(starts, ends, strict=True)])
        return pd.DataFrame(
            means, index=pd.Index(labels, name="rangs"), columns=table.columns
        )

    def _probability_matrix(self, s: int) -> np.ndarray:
        """File-order internes × terrains shares."""
        assigned = self.assignments[s].astype(np.int64)
        n_internes, n_terrains = len(self.internes[s]), len(self.terrains[s])
        cells = np.arange(n_internes)[None, :] * (n_terrains + 1) + assigned + 1
        counts = np.bincount(cells.ravel(), minlength=n_internes * (n_terrains + 1))
        counts = counts.reshape(n_internes, n_terrains + 1)[:, 1:]
        return counts / self.n_samples


def _interval(x: np.ndarray, z: float) -> tuple[float, float, float, float, int]:
    """``(mean, std, low, high, n)`` of the non-NaN values, normal approximation."""
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return (mean, math.nan, math.nan, math.nan, 1)
    std = float(x.std(ddof=1))
    half = z * std / math.sqrt(n)
    return (mean, std, mean - half, mean + half, n)
