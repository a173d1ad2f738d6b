"""Jupyter tables of the appariement's results, in French, names beside ids (issue 18, item 8).

A :class:`~affectation.appariement.model.Resultat` holds ids only: ``resultat._repr_html_()``
shows them, ``resultat.vue(instance)`` the same table with each DJ's and terrain's name. The
audit, the comparison and the pré-appariement show themselves (they keep the names they need).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from affectation.views import ROWS, _table

if TYPE_CHECKING:
    from affectation.appariement.audit import AuditAppariement
    from affectation.appariement.model import Appariement, Resultat
    from affectation.appariement.whatif import Comparaison, Preappariement

__all__ = ["Vue", "audit_html", "comparaison_html", "preappariement_html", "resultat_html"]


@attrs.frozen
class Vue:
    """HTML shown by Jupyter (``_repr_html_``); ``str()`` is the HTML itself."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


def _labels(instance: Appariement | None) -> tuple[dict[str, str], dict[str, str]]:
    """DJ id → ``id (Prénom Nom)``, terrain id → ``id (nom, ville)`` (empty without instance)."""
    if instance is None:
        return {}, {}
    return ({d.id: d.label() for d in instance.docteurs_juniors},
            {t.id: t.label() for t in instance.terrains})


def resultat_html(result: Resultat, instance: Appariement | None = None) -> str:
    """The headline figures, then the first DJ placed and the unplaced ones."""
    djs, terrains = _labels(instance)
    unplaced = [a for a in result.affectations if a.terrain is None]
    renewed = sum(1 for a in result.affectations if a.reconduction)
    figures = [
        ["DJ", len(result.affectations)],
        ["placés par l'appariement", result.taille],
        ["reconduits", renewed],
        ["non placés", len(unplaced)],
        ["somme des rangs de vœu", result.somme_rangs],
        ["postes vacants", sum(result.vacants.values())],
        ["paires bloquantes", len(result.instables)],
    ]
    if result.solveur:
        figures.append(["solveur", str(result.solveur.get("statut", ""))
                        + (" (optimal prouvé)" if result.solveur.get("optimal") else "")])

    def how(a: Any) -> str:
        if a.terrain is None:
            return "non placé(e)"
        if a.reconduction:
            return "reconduction"
        return "décision de l'ARS" if a.tour == 3 else f"tour {a.tour}"

    shown = sorted(result.affectations, key=lambda a: (a.terrain is None, a.dj))[:ROWS]
    rows = [[djs.get(a.dj, a.dj), terrains.get(a.terrain, a.terrain) if a.terrain else "aucun",
             a.voeu if a.voeu is not None else "", how(a)] for a in shown]
    names = "" if instance is not None else (
        "<p>Identifiants seuls : <code>resultat.vue(instance)</code> ajoute les noms.</p>")
    return (
        f"<h4>Appariement ({html.escape(result.methode)}), tour {result.tour}</h4>"
        + _table(["indicateur", "valeur"], figures)
        + f"<p>Affectations : {len(rows)} premières sur {len(result.affectations)}</p>"
        + _table(["Docteur junior", "Terrain", "Vœu", "Comment"], rows)
        + names
    )


def audit_html(report: AuditAppariement) -> str:
    """Every finding, decisions first, in a table."""
    from affectation.audit import SEVERITY_FR

    head = (f"Audit de l'appariement {report.nom or ''} : {report.dj} DJ, {report.terrains} "
            f"terrains, {report.postes} postes")
    rows = [[SEVERITY_FR[f.severity], f.code, f.message] for f in report.findings]
    return (f"<h4>{html.escape(head)}</h4>"
            + (_table(["Gravité", "Code", "Constat"], rows) if rows
               else "<p>Rien à signaler.</p>"))


def comparaison_html(comparison: Comparaison) -> str:
    """The figures side by side, then the first DJ whose terrain changes."""
    names: Mapping[str, str] = comparison.noms
    moves = [[names.get(d, d), names.get(a, a) if a else "aucun", names.get(b, b) if b else "aucun"]
             for d, a, b in comparison.mouvements[:ROWS]]
    return ("<h4>Base et variante</h4>"
            + _table(["", "base", "variante"], [list(row) for row in comparison.lignes])
            + f"<p>DJ dont le terrain change : {len(comparison.mouvements)}"
            + (f" ({len(moves)} premiers)</p>" if moves else "</p>")
            + (_table(["Docteur junior", "Terrain (base)", "Terrain (variante)"], moves)
               if moves else ""))


def preappariement_html(pre: Preappariement) -> str:
    """The first DJ (the least certain first): their most likely terrain and its probability."""
    names: Mapping[str, str] = pre.noms
    ordered = sorted(pre.probabilites, key=lambda d: (max(pre.probabilites[d].values(),
                                                          default=0.0), d))
    rows = []
    for dj in ordered[:ROWS]:
        outcomes = pre.pour(dj)
        terrain, p = outcomes[0] if outcomes else (None, 0.0)
        unplaced = dict(outcomes).get(None, 0.0)
        rows.append([names.get(dj, dj), names.get(terrain, terrain) if terrain else "aucun",
                     f"{p:.0%}", f"{unplaced:.0%}"])
    return (f"<h4>Pré-appariement : {len(pre.probabilites)} DJ, {pre.tirages} tirages</h4>"
            f"<p>Les {len(rows)} DJ dont l'issue est la moins sûre</p>"
            + _table(["Docteur junior", "Terrain le plus probable", "p", "Non placé(e)"], rows))
