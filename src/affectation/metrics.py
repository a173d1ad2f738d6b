"""One vocabulary for the figures of a solve: snake_case keys in files, French labels for people.

``affectation solve`` (its summary), ``whatif`` (the comparison table), ``whatif --samples``
(the Monte Carlo table), the spreadsheets, the plots and the Jupyter views all name a figure by
a key of :data:`METRICS` and show it with its label, so that an ARS officer reads the same
words everywhere and a script reads the same keys in every report.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COUNTS", "METRICS", "SHARES", "format_value", "is_count", "label", "sweep_table"]

METRICS: dict[str, str] = {
    "internes": "internes",
    "postes": "postes ouverts",
    "places": "placés",
    "sans_poste": "sans poste",
    "impositions": "impositions",
    "premier_voeu": "1er vœu",
    "top3": "top 3",
    "rang_median": "rang médian du vœu",
    "postes_vacants": "postes vacants",
}
"""Key → label. ``vacants_<category>`` keys are labelled ``postes vacants (<category>)``."""

SHARES = frozenset({"premier_voeu", "top3"})
"""Shares of all internes (shown as percentages)."""

COUNTS = frozenset({"internes", "postes", "places", "sans_poste", "impositions",
                    "postes_vacants"})
"""Counts (never negative; ``vacants_<category>`` are counts too)."""


def label(key: str) -> str:
    """The French label of a metric key."""
    if key.startswith("vacants_"):
        return f"postes vacants ({key.removeprefix('vacants_').replace('_', ' ')})"
    return METRICS.get(key, key.replace("_", " "))


def is_count(key: str) -> bool:
    return key in COUNTS or key.startswith("vacants_")


def format_value(key: str, value: Any, digits: int = 1) -> str:
    """A figure as people read it: shares in %, counts as integers, NaN as ``-``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if key in SHARES:
        return f"{value:.{digits}%}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.{digits}f}"


def _interval(key: str, mean: float, low: float, high: float, *, delta: bool) -> str:
    if math.isnan(mean):
        return "-"
    if not delta:
        if is_count(key):  # a count is never negative: neither is its interval
            low, high = max(low, 0.0), max(high, 0.0)
        if key in SHARES:
            low, high = max(low, 0.0), min(high, 1.0)
    sign = "+" if delta else ""
    if key in SHARES:
        scale, unit = 100, (" pt" if delta else "%")
    else:
        scale, unit = 1, ""
    text = f"{mean * scale:{sign}.1f}{unit}"
    if math.isnan(low) or math.isnan(high):
        return text
    return f"{text} [{low * scale:{sign}.1f}; {high * scale:{sign}.1f}{unit}]"


def sweep_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The ``whatif --samples`` table: one row per metric (French label), a column per
    scenario with its mean and 95 % interval, then per scenario after the first the paired
    difference with its interval; rounded to one decimal, no negative bound for a count."""
    import pandas as pd

    scenarios = list(dict.fromkeys(summary["scenario"]))
    metrics = list(dict.fromkeys(summary["metric"]))
    rows = []
    for metric in metrics:
        part = summary[summary["metric"] == metric].set_index("scenario")
        row = {"indicateur": label(metric)}
        for name in scenarios:
            r = part.loc[name]
            row[name] = _interval(metric, r["mean"], r["ci_low"], r["ci_high"], delta=False)
        for name in scenarios[1:]:
            r = part.loc[name]
            row[f"Δ {name}"] = _interval(metric, r["delta"], r["delta_ci_low"],
                                         r["delta_ci_high"], delta=True)
        rows.append(row)
    return pd.DataFrame(rows).set_index("indicateur")
