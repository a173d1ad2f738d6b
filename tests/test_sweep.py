"""Monte Carlo sweeps (affectation.sweep): the same numbers whatever the executor and the chunk
size, common random numbers, intervals and probability tables."""

from __future__ import annotations

import concurrent.futures
import io
import multiprocessing

import attrs
import numpy as np
import pandas as pd
import pytest

from affectation.datasets import generate
from affectation.model import Instance
from affectation.preferences import PreferenceModel
from affectation.scenarios import BASE, Scenario, open_postes
from affectation.sweep import HEADLINE, SweepResult, sweep

N_SAMPLES = 8


@attrs.frozen
class CloseTerrain:
    """A stand-in scenario: anything with ``name`` and ``apply`` will do."""

    name: str
    terrain_id: str

    def apply(self, instance: Instance) -> Instance:
        terrains = tuple(
            attrs.evolve(t, postes=0) if t.id == self.terrain_id else t
            for t in instance.terrains
        )
        return attrs.evolve(instance, terrains=terrains)


@pytest.fixture(scope="module")
def instance() -> Instance:
    return generate(60, seed=5)


@pytest.fixture(scope="module")
def scenarios() -> tuple:
    return (BASE, open_postes("urgences", 2), Scenario("copie", ()))


@pytest.fixture(scope="module")
def model(instance: Instance) -> PreferenceModel:
    return PreferenceModel.from_instance(instance)


@pytest.fixture(scope="module")
def inline(instance, scenarios, model) -> SweepResult:
    return sweep(instance, scenarios, n_samples=N_SAMPLES, seed=3, model=model,
                 executor="inline")


def assert_same(a: SweepResult, b: SweepResult) -> None:
    pd.testing.assert_frame_equal(a.samples, b.samples)
    assert a.scenarios == b.scenarios and a.orders == b.orders and a.terrains == b.terrains
    for x, y in zip(a.assignments, b.assignments, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def dask_executor(request):
    """A real local Dask cluster of two worker processes, closed after the module."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    request.addfinalizer(cluster.close)
    client = distributed.Client(cluster)
    request.addfinalizer(client.close)
    return client.get_executor()


def test_samples_table(inline, scenarios):
    frame = inline.samples
    assert list(frame.columns[:2]) == ["scenario", "sample"]
    assert list(frame.columns[2:]) == list(inline.metrics)
    assert inline.metrics[: len(HEADLINE)] == HEADLINE
    assert len(frame) == len(scenarios) * N_SAMPLES
    assert list(frame["scenario"]) == [s.name for s in scenarios for _ in range(N_SAMPLES)]
    assert list(frame["sample"]) == list(range(N_SAMPLES)) * len(scenarios)
    assert (frame["premier_voeu"].between(0, 1)).all()
    vacants = frame[[f"vacants_{c}" for c in inline.categories]].sum(axis=1)
    assert (vacants == frame["postes_vacants"]).all()


def test_process_pool_gives_the_same_numbers(inline, instance, scenarios, model):
    """A spawned pool: the worker is a module-level function fed picklable tasks."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        pooled = sweep(instance, scenarios, n_samples=N_SAMPLES, seed=3, model=model,
                       executor=pool, chunk_size=3)
    assert_same(inline, pooled)


def test_dask_cluster_gives_the_same_numbers(inline, instance, scenarios, model,
                                             dask_executor):
    on_dask = sweep(instance, scenarios, n_samples=N_SAMPLES, seed=3, model=model,
                    executor=dask_executor, chunk_size=2)
    assert_same(inline, on_dask)


def test_threads_and_default_pool_give_the_same_numbers(inline, instance, scenarios, model):
    with concurrent.futures.ThreadPoolExecutor(2) as threads:
        threaded = sweep(instance, scenarios, n_samples=N_SAMPLES, seed=3, model=model,
                         executor=threads, chunk_size=1)
    assert_same(inline, threaded)
    assert_same(inline, sweep(instance, scenarios, n_samples=N_SAMPLES, seed=3, model=model))


@pytest.mark.parametrize("chunk_size", [1, 3, N_SAMPLES, 100])
def test_chunk_size_changes_nothing(inline, instance, scenarios, model, chunk_size):
    again = sweep(instance, scenarios, n_samples=N_SAMPLES, seed=3, model=model,
                  executor="serial", chunk_size=chunk_size)
    assert_same(inline, again)


def test_seeds(inline, instance, scenarios, model):
    other = sweep(instance, scenarios, n_samples=N_SAMPLES, seed=4, model=model,
                  executor="inline")
    assert not other.samples.equals(inline.samples)
    assert not np.array_equal(other.assignments[0], inline.assignments[0])
    # sample k depends on child k only: a longer sweep starts with the same samples
    longer = sweep(instance, scenarios[:1], n_samples=N_SAMPLES + 2, seed=3, model=model,
                   executor="inline")
    np.testing.assert_array_equal(longer.assignments[0][:N_SAMPLES], inline.assignments[0])


def test_default_model_is_fitted_to_the_instance(instance, model):
    default = sweep(instance, n_samples=2, seed=1, executor="inline")
    given = sweep(instance, n_samples=2, seed=1, model=model, executor="inline")
    assert default.scenarios == ("base",)
    assert_same(default, given)


def test_paired_deltas(inline, scenarios):
    """Common random numbers: every scenario sees the same wish lists in sample k, so an
    identical scenario differs by exactly 0 and the deltas are per-sample differences."""
    summary = inline.summary()
    copy = summary[summary["scenario"] == "copie"]
    assert (copy["delta"] == 0).all() and (copy["delta_std"] == 0).all()
    np.testing.assert_array_equal(inline.assignments[2], inline.assignments[0])
    base = summary[summary["scenario"] == "base"]
    assert (base["delta"] == 0).all()
    more = summary[summary["scenario"] == scenarios[1].name].set_index("metric")
    for metric in inline.metrics:
        d = inline.values(1, metric) - inline.values(0, metric)
        d = d[~np.isnan(d)]
        assert more.loc[metric, "delta"] == pytest.approx(d.mean())
        assert more.loc[metric, "delta_std"] == pytest.approx(d.std(ddof=1), nan_ok=True)
    # two more urgences postes: never more impositions, never fewer vacant urgences postes
    assert (inline.values(1, "impositions") <= inline.values(0, "impositions")).all()
    assert (inline.values(1, "vacants_urgences") >= inline.values(0, "vacants_urgences")).all()


def test_confidence_intervals(inline):
    summary = inline.summary(0.9)
    assert (summary["n"] == N_SAMPLES).all()
    assert (summary["ci_low"] <= summary["mean"]).all()
    assert (summary["mean"] <= summary["ci_high"]).all()
    assert (summary["delta_ci_low"] <= summary["delta"]).all()
    assert (summary["delta"] <= summary["delta_ci_high"]).all()
    wider = inline.summary(0.99)
    assert ((wider["ci_high"] - wider["ci_low"]) >= (summary["ci_high"] - summary["ci_low"])).all()
    row = summary[(summary["scenario"] == "base") & (summary["metric"] == "top3")].iloc[0]
    x = inline.values("base", "top3")
    half = 1.6448536269514722 * x.std(ddof=1) / np.sqrt(N_SAMPLES)
    assert row["ci_high"] - row["mean"] == pytest.approx(half)
    with pytest.raises(ValueError):
        inline.summary(1.5)


def test_probabilities(inline, instance):
    table = inline.probabilities("base")
    assert list(table.index) == list(inline.orders[0])  # rows in the order of choice
    assert list(table.columns) == [t.id for t in instance.terrains]
    values = table.to_numpy()
    assert ((values >= 0) & (values <= 1)).all()
    totals = values.sum(axis=1)
    assert (totals <= 1 + 1e-12).all()
    unplaced = (inline.assignments[0] < 0).mean(axis=0)  # file order
    position = {i: k for k, i in enumerate(inline.internes[0])}
    np.testing.assert_allclose(totals, 1 - unplaced[[position[i] for i in table.index]])
    # expected internes without a poste = the mean of sans_poste
    assert (1 - totals).sum() == pytest.approx(inline.values(0, "sans_poste").mean())


def test_rank_band_probabilities(inline):
    table = inline.probabilities(1)
    bands = inline.rank_band_probabilities(1, bands=4)
    assert bands.shape == (4, table.shape[1])
    assert list(bands.index) == ["1-15", "16-30", "31-45", "46-60"]
    sizes = np.array([15, 15, 15, 15])
    np.testing.assert_allclose((bands.to_numpy() * sizes[:, None]).sum(axis=0) / 60,
                               table.to_numpy().mean(axis=0))
    assert (bands.sum(axis=1) <= 1 + 1e-12).all()
    assert inline.rank_band_probabilities(1, bands=1000).shape[0] == 60


def test_any_object_with_name_and_apply(instance, model):
    stub = CloseTerrain("sans URG", instance.terrains[0].id)
    result = sweep(instance, [BASE, stub], n_samples=3, model=model, executor="inline")
    assert result.scenarios == ("base", "sans URG")
    takes_a_poste = [i.surnombre is None for i in instance.internes]  # R-SUR-3: no poste
    assert (result.assignments[1][:, takes_a_poste] != 0).all()  # nobody on the closed one
    assert (result.assignments[0][:, takes_a_poste] == 0).any()


def test_progress_off_when_stderr_is_not_a_terminal(instance, model, monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    sweep(instance, n_samples=2, model=model, executor="inline")
    import sys

    assert sys.stderr.getvalue() == ""
    sweep(instance, n_samples=2, model=model, executor="inline", progress=True)
    assert "sweep" in sys.stderr.getvalue()


def test_cpsat_engine_agrees_with_the_serial_one(instance, model):
    """R-IMP Consequence: both engines give the same allocation, so the same rows."""
    serial = sweep(instance, n_samples=2, model=model, executor="inline")
    exact = sweep(instance, n_samples=2, model=model, executor="inline", method="cpsat")
    assert exact.method == "cpsat"
    pd.testing.assert_frame_equal(serial.samples, exact.samples)


def test_bad_arguments(instance, model):
    with pytest.raises(ValueError, match="n_samples"):
        sweep(instance, n_samples=0, model=model)
    with pytest.raises(ValueError, match="méthode"):
        sweep(instance, n_samples=1, model=model, method="greedy")
    with pytest.raises(ValueError, match="unique"):
        sweep(instance, [BASE, Scenario("base", ())], n_samples=1, model=model)
    with pytest.raises(ValueError, match="executor"):
        sweep(instance, n_samples=1, model=model, executor="dask")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk_size"):
        sweep(instance, n_samples=1, model=model, chunk_size=0)
    with pytest.raises(ValueError, match="au moins un scénario"):
        sweep(instance, [], n_samples=1, model=model)


def test_lookups(inline):
    assert inline.index("copie") == 2 == inline.index(-1)
    with pytest.raises(KeyError, match="known"):
        inline.index("nope")
    with pytest.raises(KeyError, match="metric"):
        inline.values(0, "nope")
    with pytest.raises(ValueError):
        inline.assignments[0][0, 0] = 1  # read-only


def test_known_lists_on_a_pool_and_how(instance, scenarios, model):
    """A partial redraw gives the same numbers on a pool, other numbers than a full redraw,
    and ``how`` agrees with the terrains and the impositions count."""
    from affectation.sweep import CHOSEN, IMPOSED, SURNOMBRE

    known = [i.id for i in instance.internes[::3] if i.id not in instance.couple_of]
    here = sweep(instance, scenarios, n_samples=6, seed=1, model=model, executor="inline",
                 known=known)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        there = sweep(instance, scenarios, n_samples=6, seed=1, model=model, executor=pool,
                      known=known)
    assert_same(here, there)
    for a, b in zip(here.how, there.how, strict=True):
        assert np.array_equal(a, b)
    full = sweep(instance, scenarios, n_samples=6, seed=1, model=model, executor="inline")
    assert not np.array_equal(full.assignments[0], here.assignments[0])
    for s, how in enumerate(here.how):
        placed = here.assignments[s] >= 0
        assert np.array_equal(placed, np.isin(how, (CHOSEN, IMPOSED, SURNOMBRE)))
    imposed = (here.how[0] == IMPOSED).sum(axis=1)
    assert np.array_equal(imposed, here.values(0, "impositions").astype(int))
