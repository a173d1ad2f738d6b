"""Figures of sweeps and comparisons (matplotlib, object-oriented API only).

Every function builds a new :class:`matplotlib.figure.Figure` and returns it; nothing is shown,
no pyplot state is touched and no backend is chosen, so the functions work in scripts,
notebooks (the figure displays itself) and servers alike. Save with ``fig.savefig(path)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from affectation.prechoix import Calibration, Prechoix
    from affectation.sweep import SweepResult

from affectation.metrics import METRICS, label

__all__ = [
    "plot_comparison",
    "plot_heatmap",
    "plot_rang_limite",
    "plot_reliability",
    "plot_sweep",
    "plot_vacants",
]

LABELS = METRICS
"""The labels of the panels: the one vocabulary of :mod:`affectation.metrics`."""

COMPARISON_METRICS = (
    "impositions",
    "sans_poste",
    "premier_voeu",
    "top3",
    "postes_vacants",
)
"""Default panels of :func:`plot_comparison`."""


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _label(metric: str) -> str:
    return label(metric)


def plot_sweep(
    result: SweepResult,
    x: Mapping[str, float] | None = None,
    metrics: Sequence[str] = ("impositions", "premier_voeu"),
    *,
    confidence: float = 0.95,
    xlabel: str | None = None,
) -> Figure:
    """One panel per metric: the mean over the samples against N, with its confidence band.

    ``x`` maps scenario names to N (``{"base": 0, "urgences +3": 3}``); only those scenarios
    are drawn, by increasing N. Without ``x`` every scenario is drawn at its position, labelled
    by its name. One line per panel.
    """
    summary = result.summary(confidence)
    if x is None:
        names = list(result.scenarios)
        positions = np.arange(len(names), dtype=float)
    else:
        unknown = [name for name in x if name not in result.scenarios]
        if unknown:
            raise KeyError(f"unknown scenarios in x: {', '.join(map(repr, unknown))}")
        names = sorted(x, key=lambda name: x[name])
        positions = np.array([x[name] for name in names], dtype=float)
    fig = _figure(4.2 * len(metrics), 3.4)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics, strict=True):
        rows = summary[summary["metric"] == metric].set_index("scenario").loc[names]
        ax.fill_between(positions, rows["ci_low"], rows["ci_high"], alpha=0.25,
                        label=f"{confidence:.0%} CI")
        ax.plot(positions, rows["mean"], marker="o", label="mean")
        ax.set_ylabel(_label(metric))
        ax.set_title(_label(metric))
        if x is None:
            ax.set_xticks(positions, names, rotation=30, ha="right")
        else:
            ax.set_xlabel(xlabel or "N")
        ax.grid(alpha=0.3)
    axes[0].legend(loc="best", fontsize="small")
    fig.suptitle(f"{result.n_samples} samples per scenario ({result.method})")
    return fig


def plot_vacants(result: SweepResult, *, confidence: float = 0.95) -> Figure:
    """Vacant postes by category (first category of the terrain), one bar per scenario,
    with the confidence interval of the mean as error bars."""
    summary = result.summary(confidence)
    columns = [f"vacants_{c}" for c in result.categories]
    fig = _figure(max(6.0, 1.1 * len(columns) * max(1, len(result.scenarios)) / 2), 3.8)
    ax = fig.subplots()
    width = 0.8 / len(result.scenarios)
    base = np.arange(len(columns), dtype=float)
    for k, name in enumerate(result.scenarios):
        rows = summary[summary["scenario"] == name].set_index("metric").loc[columns]
        error = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]])
        ax.bar(base + (k - (len(result.scenarios) - 1) / 2) * width, rows["mean"], width,
               yerr=np.nan_to_num(error), capsize=2, label=name)
    ax.set_xticks(base, [c.replace("_", " ") for c in result.categories], rotation=30,
                  ha="right")
    ax.set_ylabel("vacant postes (mean)")
    ax.set_title(f"Vacant postes by category, {confidence:.0%} CI ({result.n_samples} samples)")
    ax.legend(fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return fig


def plot_heatmap(
    result: SweepResult,
    scenario: str | int,
    *,
    bands: int = 10,
    terrains: Sequence[str] | None = None,
    limit: int | None = 40,
) -> Figure:
    """Probability of each terrain by rank band of the order of choice (a heat map).

    Rows are terrains, sorted by the mean band of the internes who get them (the terrains
    taken first on top); columns are rank bands (:meth:`SweepResult.rank_band_probabilities`).
    ``terrains`` picks the rows; otherwise the ``limit`` terrains most often taken (all with
    ``limit=None``).
    """
    table = result.rank_band_probabilities(scenario, bands)
    if terrains is not None:
        missing = [t for t in terrains if t not in table.columns]
        if missing:
            raise KeyError(f"unknown terrains: {', '.join(missing)}")
        chosen = table[list(terrains)]
    else:
        mass = table.sum(axis=0)
        chosen = table.loc[:, mass > 0]
        if limit is not None:
            chosen = chosen[chosen.sum(axis=0).nlargest(limit).index]
        weights = chosen.to_numpy()
        centre = (weights * np.arange(len(chosen))[:, None]).sum(axis=0) / np.maximum(
            weights.sum(axis=0), 1e-12
        )
        chosen = chosen.iloc[:, np.argsort(centre, kind="stable")]
    values = chosen.to_numpy().T
    fig = _figure(1.2 + 0.55 * len(table), 1.5 + 0.22 * max(len(chosen.columns), 4))
    ax = fig.subplots()
    image = ax.imshow(values, aspect="auto", cmap="viridis", vmin=0.0, interpolation="nearest")
    ax.set_xticks(np.arange(len(table)), table.index, rotation=45, ha="right")
    ax.set_yticks(np.arange(len(chosen.columns)), chosen.columns, fontsize="small")
    ax.set_xlabel("rank band in the order of choice")
    name = result.scenarios[result.index(scenario)]
    ax.set_title(f"P(terrain | rank band), {name}")
    fig.colorbar(image, ax=ax, label="probability")
    return fig


def plot_comparison(
    comparison: Any,
    metrics: Sequence[str] | None = None,
) -> Figure:
    """Bars of a deterministic comparison (:func:`affectation.compare.compare`): one panel
    per metric, one bar per scenario.

    ``comparison`` is a :class:`~affectation.compare.Comparison` or its ``table``
    (columns ``scenario``, ``impositions``, ``sans_poste``, ``premier_voeu``,
    ``top3``, ``rang_median``, ``postes_vacants``, ``vacants_<category>``...). Default
    panels: :data:`COMPARISON_METRICS` present in the table.
    """
    table: pd.DataFrame = getattr(comparison, "table", comparison)
    if metrics is None:
        metrics = [m for m in COMPARISON_METRICS if m in table.columns]
    missing = [m for m in metrics if m not in table.columns]
    if missing:
        raise KeyError(f"the table has no column {', '.join(map(repr, missing))}")
    if not metrics:
        raise ValueError("no metric to plot")
    names = [str(name) for name in table["scenario"]]
    fig = _figure(max(3.2 * len(metrics), 4.0), 3.6)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    colours = [f"C{k % 10}" for k in range(len(names))]
    for ax, metric in zip(axes, metrics, strict=True):
        ax.bar(np.arange(len(names)), table[metric].to_numpy(dtype=float), color=colours)
        ax.set_xticks(np.arange(len(names)), names, rotation=30, ha="right")
        ax.set_title(_label(metric))
        ax.grid(axis="y", alpha=0.3)
    return fig


def plot_reliability(calibration: Calibration, *, bins: int = 10) -> Figure:
    """Reliability curve of a pré-choix calibration: observed frequency against predicted
    probability per bin (marker area ∝ cells), the diagonal, and the naive guess's two
    points (it predicts only 0 and 1)."""
    fig = _figure(5.2, 4.6)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="perfect")
    table = calibration.reliability(bins)
    sizes = 20 + 180 * np.sqrt(table["cells"] / table["cells"].max())
    ax.plot(table["predicted"], table["observed"], color="C0", linewidth=1)
    ax.scatter(table["predicted"], table["observed"], s=sizes, color="C0", zorder=3,
               label=f"model (Brier {calibration.brier:.3f})")
    naive, observed = calibration.naive.ravel(), calibration.observed.ravel()
    points = [(v, float(observed[naive == v].mean())) for v in (0.0, 1.0) if (naive == v).any()]
    ax.scatter(*zip(*points, strict=True), marker="s", color="C3", zorder=3,
               label=f"popularity order (Brier {calibration.brier_naive:.3f})")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    ax.set_title(f"{len(calibration.hidden)} hidden lists")
    ax.legend(loc="upper left", fontsize="small")
    return fig


def plot_rang_limite(result: Prechoix, terrains: Sequence[str] | None = None) -> Figure:
    """Rang limite per terrain: median position of the last chooser and its 5–95 % interval,
    terrains sorted by median (default: every terrain someone chose)."""
    records = [r for r in result.terrain_records() if r["rang_limite_median"] is not None]
    if terrains is not None:
        wanted = set(terrains)
        records = [r for r in records if r["terrain"] in wanted]
    records.sort(key=lambda r: (r["rang_limite_median"], r["terrain"]))
    fig = _figure(6.4, max(2.5, 0.16 * len(records) + 1))
    ax = fig.add_subplot()
    y = np.arange(len(records))
    median = np.array([r["rang_limite_median"] for r in records], dtype=float)
    low = median - np.array([r["rang_limite_p05"] for r in records], dtype=float)
    high = np.array([r["rang_limite_p95"] for r in records], dtype=float) - median
    ax.errorbar(median, y, xerr=[low, high], fmt="o", markersize=3, color="C0",
                ecolor="0.5", elinewidth=1, capsize=0)
    ax.set_yticks(y, [r["terrain"] for r in records], fontsize=6 if len(records) > 40 else 8)
    ax.invert_yaxis()
    ax.set_xlabel("position in the order of choice of the last chooser (median, 5–95 %)")
    ax.set_title(f"Rang limite, {result.n_samples} draws")
    return fig
