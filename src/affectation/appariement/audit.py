"""The audit of an appariement before it runs (no solve): what the ARS must send back.

Same shape and exit statuses as :mod:`affectation.audit` (its :class:`Finding`): 0 nothing to
decide, 3 a finding needs a decision, 2 a refused file. Findings:

- ``voeux_insuffisants`` (R-APP-2, decision): a DJ listing fewer than ``voeux_min`` terrains;
- ``classement_insuffisant`` (R-APP-3, decision): a terrain ranking under ``classement_min``
  of the DJ who listed it;
- ``priorite_subdivision`` (R-APP-3, decision): a one-poste terrain whose first group holds a
  DJ from elsewhere while a DJ of the subdivision applied;
- ``classement_hors_liste`` (R-APP-3, decision): a ranking naming a DJ who did not list the
  terrain (ignored by the engines, but a sign of a wrong file);
- ``dj_non_classe`` (warning): a DJ no terrain of their list ranks: unplaced for sure;
- ``terrain_sans_candidat`` (warning): a terrain with postes that nobody listed;
- ``zip_vacant_probable`` (warning, R-APP-7): a ZIP terrain with fewer acceptable applicants
  than postes;
- ``postes_au_dela_msu`` (warning, R-APP-7): postes beyond ``dj_par_msu`` per MSU.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from affectation.appariement.model import Appariement, capacite
from affectation.appariement.rules import free_postes, participants
from affectation.audit import SEVERITY_FR, Finding

__all__ = ["AuditAppariement", "auditer"]


@attrs.frozen
class AuditAppariement:
    """The findings of one appariement, decisions first."""

    nom: str
    findings: tuple[Finding, ...] = attrs.field(converter=tuple)
    dj: int = 0
    terrains: int = 0
    postes: int = 0

    @property
    def exit_status(self) -> int:
        """0 when nothing needs a decision, 3 when a finding does."""
        return 3 if any(f.severity == "decision" for f in self.findings) else 0

    def codes(self, severity: str | None = None) -> list[str]:
        return [f.code for f in self.findings if severity in (None, f.severity)]

    def to_dict(self) -> dict[str, Any]:
        return {"format": "affectation-audit-appariement/1", "nom": self.nom, "dj": self.dj,
                "terrains": self.terrains, "postes": self.postes,
                "findings": [f.to_dict() for f in self.findings]}

    def _repr_html_(self) -> str:
        from affectation.appariement.views import audit_html

        return audit_html(self)

    def __str__(self) -> str:
        lines = [f"Audit de l'appariement {self.nom or ''} : {self.dj} DJ, {self.terrains} "
                 f"terrains, {self.postes} postes"]
        lines += [f"[{SEVERITY_FR[f.severity]}] {f.code} : {f.message}" for f in self.findings]
        if not self.findings:
            lines.append("Rien à signaler.")
        return "\n".join(lines)


def _names(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" et {len(items) - limit} autre(s)" if len(items) > limit else "")


def auditer(instance: Appariement) -> AuditAppariement:
    """Every finding of ``instance`` (module docstring), decisions first."""
    r = instance.regles
    out: list[Finding] = []
    applicants: dict[str, list[str]] = {t.id: [] for t in instance.terrains}
    for dj in participants(instance):
        for t in dj.voeux:
            applicants[t].append(dj.id)
    short = [d for d in participants(instance) if len(d.voeux) < r.voeux_min]
    if short:
        out.append(Finding("voeux_insuffisants", "decision",
                           f"{len(short)} DJ listent moins de {r.voeux_min} terrains : "
                           f"{_names([d.label() for d in short])}", "R-APP-2",
                           internes=[d.id for d in short]))
    for t in instance.terrains:
        ranked = {d for g in t.classement for d in g}
        applied = applicants[t.id]
        need = math.ceil(r.classement_min * len(applied) - 1e-9)
        got = sum(1 for d in applied if d in ranked)
        if got < need:
            out.append(Finding("classement_insuffisant", "decision",
                               f"{t.label()} classe {got} des {len(applied)} DJ qui l'ont demandé"
                               f" ; il en faut au moins {need} ({r.classement_min:.0%})",
                               "R-APP-3", terrains=[t.id]))
        outside = sorted(d for d in ranked if t.id not in instance.dj_by_id[d].voeux)
        if outside:
            out.append(Finding("classement_hors_liste", "decision",
                               f"{t.label()} classe des DJ qui ne l'ont pas demandé : "
                               f"{_names(outside)}", "R-APP-3", internes=outside,
                               terrains=[t.id]))
        home = [d for d in applied if instance.dj_by_id[d].subdivision]
        if t.postes == 1 and home and t.classement:
            strangers = [d for d in t.classement[0] if not instance.dj_by_id[d].subdivision]
            if strangers:
                out.append(Finding("priorite_subdivision", "decision",
                                   f"{t.label()} ouvre un poste et classe en tête "
                                   f"{_names(strangers)}, d'une autre subdivision, alors que "
                                   f"{_names(home)} de la subdivision l'a demandé",
                                   "R-APP-3", internes=home, terrains=[t.id]))
    nobody = [d.label() for d in participants(instance)
              if d.voeux and all(instance.groupe(t, d.id) is None for t in d.voeux)]
    if nobody:
        out.append(Finding("dj_non_classe", "warning",
                           f"{len(nobody)} DJ ne sont classés par aucun terrain de leur liste "
                           f"(non placés à coup sûr) : {_names(nobody)}", "R-APP-3"))
    free = free_postes(instance)
    empty = [t.label() for t in instance.terrains if free[t.id] > 0 and not applicants[t.id]]
    if empty:
        out.append(Finding("terrain_sans_candidat", "warning",
                           f"{len(empty)} terrain(s) avec des postes que personne n'a demandé : "
                           f"{_names(empty)}", "R-APP-1"))
    for t in instance.terrains:
        acceptable = sum(1 for d in applicants[t.id] if instance.groupe(t.id, d) is not None)
        if t.zip and free[t.id] > acceptable:
            out.append(Finding("zip_vacant_probable", "warning",
                               f"{t.label()} (ZIP) : {free[t.id]} poste(s) pour {acceptable} "
                               f"candidat(s) classé(s) : au moins {free[t.id] - acceptable} "
                               "poste(s) resteront vacants", "R-APP-7", terrains=[t.id]))
        if capacite(r, t) < t.postes:
            out.append(Finding("postes_au_dela_msu", "warning",
                               f"{t.label()} ouvre {t.postes} postes pour {len(t.msu)} MSU à "
                               f"{r.dj_par_msu} DJ au plus : {capacite(r, t)} place(s)",
                               "R-APP-7", terrains=[t.id]))
    order = {"decision": 0, "warning": 1, "info": 2}
    out.sort(key=lambda f: order[f.severity])
    return AuditAppariement(instance.nom, out, len(instance.docteurs_juniors),
                            len(instance.terrains), sum(t.postes for t in instance.terrains))
