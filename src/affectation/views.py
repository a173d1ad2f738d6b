"""Short views of instances and results: a one-line ``repr`` and a Jupyter table.

``repr(result)`` used to print every affectation and every turn of the trace (140,000
characters for the shipped example); these views give the headline figures, in the vocabulary
of :mod:`affectation.metrics`, then the first rows.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from affectation.metrics import format_value, label

if TYPE_CHECKING:
    from affectation.model import Instance
    from affectation.result import Result

__all__ = ["instance_html", "instance_repr", "result_html", "result_repr"]

ROWS = 10
"""Rows shown by the Jupyter views."""


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def instance_repr(instance: Instance) -> str:
    postes = sum(t.postes for t in instance.terrains)
    name = f" {_cut(instance.nom)!r}" if instance.nom else ""
    return (f"<Instance{name}: {len(instance.internes)} internes, {len(instance.terrains)} "
            f"terrains ({postes} postes), {len(instance.couples)} couple(s), maquette "
            f"{instance.maquette.nom}, {len(instance.rounds)} round(s)>")


def _table(header: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row)
        + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def instance_html(instance: Instance) -> str:
    terrains = [[t.id, t.nom, t.ville, ";".join(t.categories), t.postes]
                for t in instance.terrains[:ROWS]]
    internes = [[i.id, i.rang, i.semestres_valides, len(i.voeux), i.surnombre or ""]
                for i in instance.internes[:ROWS]]
    return (
        f"<h4>{html.escape(instance_repr(instance))}</h4>"
        f"<p>Terrains: first {len(terrains)} of {len(instance.terrains)}</p>"
        + _table(["id", "nom", "ville", "categories", "postes"], terrains)
        + f"<p>Internes: first {len(internes)} of {len(instance.internes)}</p>"
        + _table(["id", "rang", "semestres_valides", "voeux", "surnombre"], internes)
    )


def _headline(result: Result) -> list[tuple[str, str]]:
    return [(label(k), format_value(k, v)) for k, v in result.summary().items()]


def result_repr(result: Result) -> str:
    figures = ", ".join(f"{name} {value}" for name, value in _headline(result)[1:])
    status = f" ({result.info.status})" if result.info is not None else ""
    return f"<Result {result.methode}{status}: {len(result.affectations)} internes, {figures}>"


def result_html(result: Result) -> str:
    from affectation.result import affectation_table

    header, rows = affectation_table(result)
    keep = [header.index(c) for c in ("position", "interne", "terrain", "stage", "voeu",
                                      "impose", "surnombre", "round", "raison")]
    shown = [[row[k] for k in keep] for row in rows[:ROWS]]
    return (
        f"<h4>Result ({html.escape(result.methode)})</h4>"
        + _table(["indicateur", "valeur"], [list(pair) for pair in _headline(result)])
        + f"<p>Affectations: first {len(shown)} of {len(rows)}, in the order of choice</p>"
        + _table([header[k] for k in keep], shown)
    )
