"""Short views of instances and results: a one-line ``repr`` and a Jupyter table.

``repr(result)`` used to print every affectation and every turn of the trace (140,000
characters for the shipped example); these views give the headline figures, in the vocabulary
of :mod:`affectation.metrics`, then the first rows.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from affectation.metrics import format_value, label

if TYPE_CHECKING:
    from affectation.model import Instance
    from affectation.result import Result

__all__ = [
    "cohort_html", "cohort_repr", "day_html", "day_repr", "instance_html", "instance_repr",
    "plan_html", "plan_repr", "prechoix_html", "prechoix_repr", "result_html", "result_repr",
]

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
    internes = [[i.libelle, i.rang, i.semestres_valides, len(i.voeux), i.surnombre or ""]
                for i in instance.internes[:ROWS]]
    return (
        f"<h4>{html.escape(instance_repr(instance))}</h4>"
        f"<p>Terrains : {len(terrains)} premiers sur {len(instance.terrains)}</p>"
        + _table(["Identifiant", "Nom", "Ville", "Catégories", "Postes"], terrains)
        + f"<p>Internes : {len(internes)} premiers sur {len(instance.internes)}</p>"
        + _table(["Interne", "Rang", "Semestres validés", "Vœux", "Surnombre"], internes)
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
        f"<h4>Résultat ({html.escape(result.methode)})</h4>"
        + _table(["indicateur", "valeur"], [list(pair) for pair in _headline(result)])
        + f"<p>Affectations : {len(shown)} premières sur {len(rows)}, dans l'ordre du choix</p>"
        + _table([header[k] for k in keep], shown)
    )


# --- several semesters, the pré-choix: short reprs and Jupyter tables ------------------------

KIND_LABELS = {
    "urgences": "Urgences", "praticien_n1": "Prat. N1", "medecine_adulte": "Méd. adulte",
    "pediatrie": "Pédiatrie", "gynecologie": "Gynéco.", "ped_gyn": "Péd.-gynéco.",
    "saspas": "SASPAS", "niveau_3": "Niveau 3", "libre": "Libre",
}
"""Short French names of the kinds of terrain, for tables."""


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " "))


def plan_repr(plan: Any) -> str:
    total = sum(s.total for s in plan.semestres)
    return (f"<Plan {plan.objective} {plan.status}: {total} postes sur {len(plan.semestres)} "
            f"semestres, valeur {plan.value}, borne prouvée {plan.bound}>")


def plan_html(plan: Any) -> str:
    """Postes per kind (rows) and semester (columns), the floor of R-POS-3 under them."""
    head = ["", *(s.semestre for s in plan.semestres)]
    rows: list[list[object]] = [
        ["Internes qui choisissent", *(s.internes for s in plan.semestres)],
        ["dont nouveaux T1", *(s.nouveaux for s in plan.semestres)],
        *([kind_label(k), *(s.postes[k] for s in plan.semestres)] for k in plan.kinds),
        ["Total des postes", *(s.total for s in plan.semestres)],
        ["Plancher R-POS-3", *(s.minimum_r_pos_3 for s in plan.semestres)],
    ]
    if any(s.niveau_3 for s in plan.semestres):  # docteurs juniors, out of the choice
        rows.append(["Niveau 3 (appariement)", *(s.niveau_3 for s in plan.semestres)])
    binding = "".join(f"<li>{html.escape(b.texte)}</li>" for b in plan.binding)
    return (f"<h4>{html.escape(plan_repr(plan))}</h4>" + (_table(head, rows) if plan.semestres
                                                          else "")
            + (f"<p>Contraintes liantes :</p><ul>{binding}</ul>" if binding else ""))


COHORT_COLUMNS = (("internes", "Internes"), ("postes", "Postes"), ("impositions", "Imposés"),
                  ("sans_poste", "Sans poste"), ("postes_vacants", "Vacants"),
                  ("a_l_heure", "À l'heure"), ("finissent", "Finissent"),
                  ("en_retard", "En retard"))


def cohort_repr(result: Any) -> str:
    return (f"<CohortResult: {result.futures} futurs, {len(result.labels)} semestres, "
            f"méthode {result.method}, graine {result.seed}>")


def cohort_html(result: Any) -> str:
    """Per semester, the mean of the futures and the band of 90 % of them."""
    table = result.summary().set_index(["semestre", "metric"])
    rows = []
    for label_ in result.labels:
        row: list[object] = [label_]
        for metric, _ in COHORT_COLUMNS:
            fmt = "{:.0%}" if metric == "a_l_heure" else "{:.1f}"
            mean, low, high = (table.loc[(label_, metric), k] for k in ("mean", "low", "high"))
            row.append(f"{fmt.format(mean)} [{fmt.format(low)}–{fmt.format(high)}]")
        rows.append(row)
    return (f"<h4>{html.escape(cohort_repr(result))}</h4>"
            "<p>Moyenne des futurs simulés [bande où tombent 90 % d'entre eux].</p>"
            + _table(["Semestre", *(name for _, name in COHORT_COLUMNS)], rows))


def prechoix_repr(result: Any) -> str:
    stuck = f", {len(result.sans_issue)} sans issue" if result.sans_issue else ""
    return (f"<Prechoix: {len(result.instance.internes)} internes, {len(result.known)} listes "
            f"connues, {result.n_samples} tirages (graine {result.seed}){stuck}>")


def prechoix_html(result: Any) -> str:
    """The first internes in the order of choice, names beside ids, and the warning of the
    internes who can take nothing."""
    table = result.internes_table().head(ROWS)
    rows = [[e["position"], result.instance.interne(e["interne"]).libelle, e["rang"],
             "oui" if e["voeux_connus"] else "non", e["terrain_1"],
             f"{e['p_1']:.0%}", f"{e['p_sans_poste']:.0%}", f"{e['p_impose']:.0%}"]
            for e in table.to_dict("records")]
    warning = "".join(f"<li>{html.escape(why)}</li>" for _, why in result.sans_issue)
    return (f"<h4>{html.escape(prechoix_repr(result))}</h4>"
            + (f"<p><b>Attention</b> : ces internes ne peuvent rien prendre :</p><ul>{warning}"
               "</ul>" if warning else "")
            + f"<p>Les {len(rows)} premiers internes dans l'ordre du choix</p>"
            + _table(["Pos.", "Interne", "Rang", "Liste connue", "Terrain le plus probable", "p",
                      "Sans poste", "Imposé"], rows))


# --- the live choice day ----------------------------------------------------------------------


def terrain_libelle(terrain: Any) -> str:
    """``"Urgences CHU (URG-CHU)"``, or the id alone when the terrain has no name."""
    return f"{terrain.nom} ({terrain.id})" if terrain.nom else terrain.id


def _caller_text(day: Any) -> str:
    caller = day.current
    if caller is None:
        return "journée terminée"
    who = " et ".join(day.instance.interne(i).libelle for i in caller.internes)
    return (f"appelé(e) : {who}, position {caller.position} sur {len(day.order)}, tour "
            f"« {caller.round} »")


def day_repr(day: Any) -> str:
    name = f" « {_cut(day.instance.nom)} »" if day.instance.nom else ""
    return (f"<ChoiceDay{name} : {len(day.placed)} interne(s) placé(s) sur {len(day.order)}, "
            f"{day.seq} entrée(s) du journal, {_caller_text(day)}>")


def day_html(day: Any) -> str:
    """Jupyter: who is called, the last choices in effect (names beside ids) and the terrains
    of the round with postes still free."""
    instance = day.instance
    title = f"Journée de choix « {instance.nom} »" if instance.nom else "Journée de choix"
    placed = f"{len(day.placed)} interne(s) placé(s) sur {len(day.order)}"
    warn = (f"<p><b>Attention</b> : le journal refuse les écritures : "
            f"{html.escape(day.unavailable)}</p>" if day.unavailable else "")
    choices = [c for c in day.state()["choices"] if not c["undone"]][-ROWS:][::-1]
    kinds = {"choice": "choix", "procuration": "procuration", "pass": "passe",
             "imposition": "imposition"}

    def terrains(value: Any) -> str:
        ids = value if isinstance(value, list) else [value]
        return " et ".join(terrain_libelle(instance.terrain(t)) if t else "aucun" for t in ids)

    rows = [[c["seq"], " et ".join(instance.interne(i).libelle for i in c["interne"].split("+")),
             terrains(c.get("terrain")), kinds.get(c["kind"], c["kind"]),
             "oui" if c["impose"] else "", c["round"] or ""]
            for c in choices]
    shown = [t for t in instance.terrains if day.free(t.id) > 0
             and (day.round_name is None
                  or instance.rounds[instance.terrain_round[t.id]].nom == day.round_name)]
    free = [[terrain_libelle(t), t.ville, ";".join(t.categories), t.postes,
             t.postes - day.free(t.id), day.free(t.id)] for t in shown[:ROWS]]
    return (
        f"<h4>{html.escape(title)} : {html.escape(placed)}, {day.seq} entrée(s) du journal</h4>"
        + warn
        + f"<p>{html.escape(_caller_text(day)[0].upper() + _caller_text(day)[1:])}</p>"
        + (f"<p>Derniers choix en vigueur (les {len(rows)} plus récents)</p>"
           + _table(["Entrée", "Interne", "Terrain", "Action", "Imposé", "Tour"], rows)
           if rows else "<p>Aucun choix enregistré.</p>")
        + (f"<p>Terrains avec des postes libres : {len(free)} premiers sur {len(shown)}</p>"
           + _table(["Terrain", "Ville", "Catégories", "Postes", "Pris", "Libres"], free)
           if shown else "<p>Aucun poste libre.</p>")
    )
