"""Figures of plans and careers (matplotlib, object-oriented API, as :mod:`affectation.plots`).

Each function returns a new :class:`matplotlib.figure.Figure`; nothing is shown and no pyplot
state is touched. Labels are French: these figures go to the commission.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from affectation.cohort.plan import Plan
    from affectation.cohort.simulate import CohortResult

__all__ = ["plot_careers", "plot_plan"]

CAREER_PANELS = (
    ("impositions", "impositions"),
    ("sans_poste", "internes sans poste"),
    ("a_l_heure", "part pouvant finir à temps"),
    ("en_retard", "maquettes finies en retard"),
)


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


NIVEAU_3 = "niveau_3"
"""The name :func:`plot_plan` gives the panel of the niveau 3 postes (R-APP)."""


def plot_plan(plan: Plan, kinds: Sequence[str] | None = None) -> Figure:
    """Postes per kind per semester (bars) against the demand of the plan's allocation
    (markers): the gap is the postes opened for R-POS-3 or left free. The niveau 3 postes
    the appariement needs (``PlanSemester.niveau_3``, one per docteur junior) get their own
    panel when the plan has any and ``kinds`` is not given, or when ``kinds`` names
    ``"niveau_3"``."""
    kinds = list(kinds or [*plan.kinds, *(
        [NIVEAU_3] if any(s.niveau_3 for s in plan.semestres) else [])])
    fig = _figure(1.6 + 2.2 * min(len(kinds), 4), 2.6 * _ceil(len(kinds) / 4))
    axes = fig.subplots(_ceil(len(kinds) / 4), min(len(kinds), 4), squeeze=False)
    labels = [s.semestre for s in plan.semestres]
    x = np.arange(len(labels))
    for ax, kind in zip(axes.flat, kinds, strict=False):
        if kind == NIVEAU_3:  # postes of the appariement: one per docteur junior, no choice
            ax.bar(x, [s.niveau_3 for s in plan.semestres], color="#9b7ec8",
                   label="postes niveau 3")
            ax.set_title("niveau 3 (appariement)", fontsize=9)
        else:
            ax.bar(x, [s.postes.get(kind, 0) for s in plan.semestres], color="#7aa6c2",
                   label="postes ouverts")
            ax.plot(x, [s.demande.get(kind, 0) for s in plan.semestres], "o",
                    color="#b03a2e", label="internes placés")
            ax.set_title(kind, fontsize=9)
        ax.set_xticks(x, labels, rotation=60, fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(kinds):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"Plan {plan.objective} : {plan.value} (borne prouvée {plan.bound}), "
                 f"{plan.status}", fontsize=10)
    return fig


def _ceil(x: float) -> int:
    return -int(-x // 1)


def plot_careers(result: CohortResult | dict[str, CohortResult], *,
                 panels: Sequence[tuple[str, str]] = CAREER_PANELS, band: float = 0.9
                 ) -> Figure:
    """Impositions, internes without poste and completion over time: the mean of the futures
    and the band where ``band`` of them fall, for one result or several by name."""
    results = result if isinstance(result, dict) else {"": result}
    fig = _figure(3.2 * len(panels), 3.0)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    low_q, high_q = (1 - band) / 2, 1 - (1 - band) / 2
    for name, res in results.items():
        x = np.arange(len(res.labels))
        for ax, (metric, title) in zip(axes, panels, strict=True):
            values = res.values(metric)
            line, = ax.plot(x, values.mean(axis=0), marker="o", label=name or None)
            ax.fill_between(x, np.quantile(values, low_q, axis=0),
                            np.quantile(values, high_q, axis=0), color=line.get_color(),
                            alpha=0.2)
            ax.set_title(title, fontsize=9)
            ax.set_xticks(x, res.labels, rotation=60, fontsize=7)
            ax.tick_params(axis="y", labelsize=7)
    if any(results):
        axes[0].legend(fontsize=7)
    fig.suptitle(f"Moyenne des futurs et bande de {band:.0%}", fontsize=10)
    return fig
