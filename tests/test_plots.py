"""Figures (affectation.plots): each function returns a Figure with the expected panels."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # this test module only; the library never picks a backend

import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from affectation.compare import compare
from affectation.datasets import generate
from affectation.plots import (
    plot_comparison,
    plot_heatmap,
    plot_sweep,
    plot_vacants,
)
from affectation.scenarios import BASE, open_postes
from affectation.sweep import SweepResult, sweep

SCENARIOS = (BASE, open_postes("urgences", 2), open_postes("urgences", 4))


@pytest.fixture(scope="module")
def instance():
    return generate(60, seed=5)


@pytest.fixture(scope="module")
def result(instance) -> SweepResult:
    return sweep(instance, SCENARIOS, n_samples=6, seed=1, executor="inline")


def renders(fig: Figure) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")


def test_plot_sweep_against_n(result):
    x = {s.name: n for s, n in zip(SCENARIOS, (0, 2, 4), strict=True)}
    fig = plot_sweep(result, x)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(ax.lines) == 1
        assert list(ax.lines[0].get_xdata()) == [0, 2, 4]
        assert len(ax.collections) == 1  # the confidence band
    renders(fig)


def test_plot_sweep_by_name_and_subset(result):
    fig = plot_sweep(result, metrics=("impositions", "sans_poste", "vacants_urgences"))
    assert len(fig.axes) == 3
    fig = plot_sweep(result, {"base": 0, "urgences +4": 4}, metrics=("top3",))
    assert len(fig.axes) == 1 and len(fig.axes[0].lines[0].get_xdata()) == 2
    with pytest.raises(KeyError, match="unknown"):
        plot_sweep(result, {"nope": 1})


def test_plot_vacants(result):
    fig = plot_vacants(result)
    (ax,) = fig.axes
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == len(SCENARIOS)
    assert all(len(b) == len(result.categories) for b in bars)
    renders(fig)


def test_plot_heatmap(result, instance):
    fig = plot_heatmap(result, "urgences +2", bands=5)
    assert len(fig.axes) == 2  # the map and its colour bar
    image = fig.axes[0].images[0].get_array()
    assert image.shape[1] == 5
    assert 0 < image.shape[0] <= len(instance.terrains)
    renders(fig)
    chosen = [t.id for t in instance.terrains[:3]]
    fig = plot_heatmap(result, 0, bands=4, terrains=chosen)
    assert fig.axes[0].images[0].get_array().shape == (3, 4)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == chosen
    assert plot_heatmap(result, 0, limit=2).axes[0].images[0].get_array().shape[0] == 2


def test_plot_comparison(instance):
    comparison = compare(instance, open_postes("urgences", 2))
    fig = plot_comparison(comparison)
    assert len(fig.axes) == 5
    for ax in fig.axes:
        assert len(ax.patches) == len(comparison.table)
    renders(fig)
    fig = plot_comparison(comparison.table, metrics=["vacants_urgences"])
    assert len(fig.axes) == 1
    with pytest.raises(KeyError):
        plot_comparison(comparison, metrics=["nope"])
