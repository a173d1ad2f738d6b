"""The pre-choice audit: what must be decided before choice day (issue 9, item 1).

``audit(instance)`` reads the instance only (no solve) and returns :class:`Audit`, a list of
:class:`Finding`: a ``code``, a ``severity`` (``decision``: something goes wrong on the day
unless someone acts; ``warning``: worth a look; ``info``: a figure), the internes or terrains
concerned, the rule and one sentence in French for the ARS officer. Every test is a rule
function of ``affectation.rules``; the mandatory maximum is the exact fill of R-IMP.

The October 2019 Île-de-France re-run (R-ELI-6) is the model of what it must catch: an interne
who has validated every semester has no place in the call list. The loader refuses such a file
(``model.py``); ``affectation audit`` reports that refusal as its finding (:func:`refused`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from affectation.model import Instance, Interne, Slot, Terrain
from affectation.rules.eligibility import completable, open_slots
from affectation.rules.mandatory import RoundFill, is_imposable
from affectation.rules.order import takes_part
from affectation.rules.postes import LARGE_SUBDIVISION, minimum_postes
from affectation.rules.surnombre import fills_maquette, takes_poste
from affectation.rules.turn import reach

__all__ = ["AUDIT_FORMAT", "Audit", "Finding", "audit", "bipartite_fill"]

AUDIT_FORMAT = "affectation-audit/1"

Severity = Literal["decision", "warning", "info"]
SEVERITY_FR = {"decision": "décision requise", "warning": "à vérifier", "info": "information"}

TITLES_FR: dict[str, str] = {
    "instance_refused": "Instance refusée au chargement",
    "maquette_incompletable": "Maquette impossible à terminer",
    "no_eligible_terrain": "Interne sans terrain possible",
    "last_window": "Stages à faire ce semestre (dernière fenêtre)",
    "mandatory_fill": "Postes obligatoires et T1 imposables",
    "postes_offered": "Postes offerts / internes qui choisissent (R-POS-3)",
    "category_oversupply": "Catégorie ouverte au-delà des internes qui peuvent la prendre",
    "terrain_unreachable": "Terrain que personne ne peut prendre",
    "wish_not_eligible": "Vœux non éligibles",
    "round_classement": "Classement propre d'un tour (R-ROUND-2)",
}


@attrs.frozen
class Finding:
    """One thing the audit found."""

    code: str
    severity: Severity
    message: str
    """One sentence, in French (the reader is the ARS officer)."""
    rule: str = ""
    internes: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    terrains: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    figures: Mapping[str, Any] = attrs.field(factory=dict)
    """The numbers behind the sentence (snake_case keys)."""

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "rule": self.rule,
                "message": self.message, "internes": list(self.internes),
                "terrains": list(self.terrains), "figures": dict(self.figures)}


@attrs.frozen
class Audit:
    """The findings of one instance, decisions first."""

    instance: str
    findings: tuple[Finding, ...] = attrs.field(converter=tuple)
    internes: int = 0
    terrains: int = 0
    postes: int = 0

    @property
    def needs_decision(self) -> bool:
        return any(f.severity == "decision" for f in self.findings)

    @property
    def exit_status(self) -> int:
        """0 when nothing needs a decision, 3 when a finding does (the command's status)."""
        return 3 if self.needs_decision else 0

    def codes(self, severity: str | None = None) -> list[str]:
        return [f.code for f in self.findings if severity in (None, f.severity)]

    def to_dict(self) -> dict[str, Any]:
        counts = {s: sum(f.severity == s for f in self.findings) for s in SEVERITY_FR}
        return {"format": AUDIT_FORMAT, "instance": self.instance, "internes": self.internes,
                "terrains": self.terrains, "postes": self.postes, "counts": counts,
                "needs_decision": self.needs_decision,
                "findings": [f.to_dict() for f in self.findings]}

    def to_html(self) -> str:
        """The same data as :meth:`to_dict`, as a page for the ARS officer (French labels)."""
        return audit_html(self.to_dict())

    def __str__(self) -> str:
        lines = [f"Audit de « {self.instance or 'l’instance'} » : {self.internes} internes, "
                 f"{self.terrains} terrains, {self.postes} postes"]
        for f in self.findings:
            lines.append(f"[{SEVERITY_FR[f.severity]}] {f.code}: {f.message}")
        if not self.findings:
            lines.append("Rien à signaler.")
        return "\n".join(lines)


def refused(message: str, instance_name: str = "") -> Audit:
    """The audit of a file the loader refuses: one finding, the refusal (e.g. R-ELI-6)."""
    rule = "R-ELI-6" if "R-ELI-6" in message else "FORMAT.md"
    return Audit(instance_name, [Finding("instance_refused", "decision",
                                         f"Le fichier est refusé au chargement : {message}",
                                         rule)])


# --- the rules at the scale of the instance ----------------------------------------------------

def _may_take(interne: Interne, terrain: Terrain, instance: Instance) -> bool:
    """Whether the interne may hold the terrain at all, free postes aside (R-ELI, R-SUR)."""
    return reach(instance, interne, terrain)[0] != "no"


def bipartite_fill(capacity: Mapping[str, int], links: Mapping[str, Iterable[str]]) -> int:
    """Maximum number of internes placed on terrains (``capacity`` postes each) along
    ``links`` (interne → terrains): augmenting paths, exact. Used for bounds over every
    interne, where the class aggregation of R-IMP does not apply."""
    holders: dict[str, list[str]] = {t: [] for t in capacity}
    assigned: dict[str, str] = {}
    links = {i: [t for t in ts if capacity.get(t, 0) > 0] for i, ts in links.items()}

    def augment(interne: str, seen: set[str]) -> bool:
        for t in links[interne]:
            if t in seen:
                continue
            seen.add(t)
            if len(holders[t]) < capacity[t]:
                holders[t].append(interne)
                assigned[interne] = t
                return True
            for other in list(holders[t]):
                if augment(other, seen):
                    holders[t].remove(other)
                    holders[t].append(interne)
                    assigned[interne] = t
                    return True
        return False

    for interne in links:
        augment(interne, set())
    return len(assigned)


def _forced_slot(interne: Interne, instance: Instance) -> str | None:
    """The slot the interne must do this semester (every other choice leaves the maquette
    incompletable, R-ELI-2), or ``None`` when they have a choice."""
    maquette = instance.maquette_of(interne)  # R-MAQ-5
    required, optional = open_slots(maquette, frozenset(interne.valides),
                                    frozenset(interne.derogations))
    k = interne.semestre
    possible = [s.id for s in maquette.stages
                if (s.id in required or s.id in optional) and s.window[0] <= k <= s.window[1]
                and completable(maquette, required - {s.id}, k + 1)]
    if len(possible) == 1 and possible[0] in required and not completable(
            maquette, required, k + 1):
        return possible[0]
    return None


def audit(instance: Instance) -> Audit:
    """Every finding of the pre-choice audit, decisions first, then warnings, then figures."""
    findings: list[Finding] = []
    choosing = [i for i in instance.internes]
    eligible = {i.id: [t.id for t in instance.terrains if _may_take(i, t, instance)]
                for i in choosing}
    findings += _interne_findings(instance, eligible)
    findings += _last_window(instance)
    findings += _mandatory(instance, eligible)
    findings += _postes_offered(instance)
    findings += _oversupply(instance, eligible)
    findings += _wishes(instance, eligible)
    findings += _round_classements(instance)
    order = {"decision": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: order[f.severity])
    return Audit(instance.nom, findings, len(instance.internes), len(instance.terrains),
                 sum(t.postes for t in instance.terrains))


def _interne_findings(instance: Instance, eligible: Mapping[str, list[str]]) -> list[Finding]:
    out = []
    for interne in instance.internes:
        maquette = instance.maquette_of(interne)  # R-MAQ-5
        if not fills_maquette(interne):
            required = frozenset()
        else:
            required, _ = open_slots(maquette, frozenset(interne.valides),
                                     frozenset(interne.derogations))
        if required and not completable(maquette, required, interne.semestre):
            left = maquette.semestres - interne.semestres_valides
            out.append(Finding(
                "maquette_incompletable", "decision",
                f"{interne.libelle} (semestre {interne.semestre}) ne peut plus terminer sa "
                f"maquette : {len(required)} stage(s) à faire ({', '.join(sorted(required))}) "
                f"en {left} semestre(s), fenêtres comprises ; aucun terrain ne lui est "
                "éligible (dérogation ou prolongation à décider).", "R-ELI-2",
                internes=[interne.id], figures={"stages_restants": len(required),
                                                "semestres_restants": left}))
            continue
        open_ones = [t for t in eligible[interne.id] if instance.terrain(t).postes > 0]
        if not open_ones:
            why = ("aucun terrain agréé pour les stages qui lui restent"
                   if not eligible[interne.id] else
                   f"les {len(eligible[interne.id])} terrain(s) qui lui sont éligibles "
                   f"n’ouvrent aucun poste ({', '.join(eligible[interne.id][:5])}"
                   f"{'…' if len(eligible[interne.id]) > 5 else ''})")
            if not takes_poste(interne) and not eligible[interne.id]:
                why += " (en surnombre : pas de terrain ambulatoire, R-SUR-4)"
            out.append(Finding(
                "no_eligible_terrain", "decision",
                f"{interne.libelle} (semestre {interne.semestre}) n’a aucun terrain éligible "
                f"avec un poste ouvert : {why}.", "R-ELI", internes=[interne.id],
                terrains=eligible[interne.id]))
    return out


def _last_window(instance: Instance) -> list[Finding]:
    # keyed by the slot value: equal slots of two maquettes (``urgences`` 1-2 of mg-2017 and
    # mg-2023) are one demand on the same terrains (R-MAQ-5); in maquette order, the
    # instance's maquette first
    forced: dict[Slot, list[str]] = {}
    for interne in instance.internes:
        if not fills_maquette(interne):
            continue
        slot_id = _forced_slot(interne, instance)
        if slot_id is not None:
            slot = next(s for s in instance.maquette_of(interne).stages if s.id == slot_id)
            forced.setdefault(slot, []).append(interne.id)
    slots = list(dict.fromkeys(
        s for m in (instance.maquette, *(instance.maquette_of(i) for i in instance.internes))
        for s in m.stages))
    out = []
    for slot in slots:
        if slot not in forced:
            continue
        who = forced[slot]
        terrains = [t for t in instance.terrains if slot.accepts(t.category_set)]
        postes = sum(t.postes for t in terrains)
        short = len(who) > postes
        out.append(Finding(
            "last_window", "decision" if short else "info",
            f"Stage « {slot.id} » : {len(who)} interne(s) doivent le faire ce semestre "
            f"(dernière fenêtre), {postes} poste(s) peuvent le remplir"
            + (f" : il en manque {len(who) - postes}." if short else "."),
            "R-ELI-2", internes=who, terrains=[t.id for t in terrains],
            figures={"slot": slot.id, "internes": len(who), "postes": postes}))
    return out


def _mandatory(instance: Instance, eligible: Mapping[str, list[str]]) -> list[Finding]:
    """Per round: the mandatory postes, the exact R-IMP fill by the imposable T1s (the postes
    R-IMP guarantees), the most anyone eligible can fill (the rest stay vacant whatever
    happens) and, from the wish lists, the least number of impositions.

    Why the bounds hold (single round, or a later round if nobody left in an earlier one): the
    fill never goes down, so at least ``remplissage_max`` mandatory postes end taken; those
    taken without imposition were taken from a wish list (own or joint), so they form a matching
    along the lists, at most ``pourvus_max_par_voeux``."""
    out = []
    every_imposable = [i for i in instance.internes if is_imposable(i, instance)]
    joint: dict[str, set[str]] = {}
    for couple in instance.couples:
        for pair in couple.voeux:
            for member, terrain in zip(couple.internes, pair, strict=True):
                joint.setdefault(member, set()).add(terrain)
    for r, round_ in enumerate(instance.rounds):
        terrains = [t for t in instance.terrains if instance.terrain_round[t.id] == r
                    and instance.is_mandatory(t)]
        postes = sum(t.postes for t in terrains)
        if postes == 0:
            continue
        ids = {t.id for t in terrains}
        # R-ROUND-2: a round with its own ranking calls only the internes it lists
        imposable = [i for i in every_imposable if takes_part(instance, r, i.id)]
        free = {t.id: t.postes for t in instance.terrains}
        fill = RoundFill.start(instance, r, free, imposable).matching()
        by_category = {}
        for category in instance.obligatoires:
            in_c = {t.id for t in terrains if category in t.category_set}
            if in_c:
                only = {t.id: (t.postes if t.id in in_c else 0) for t in instance.terrains}
                by_category[category] = {
                    "postes": sum(instance.terrain(t).postes for t in in_c),
                    "remplissage_max": RoundFill.start(instance, r, only, imposable).matching()}
        capacity = {t.id: t.postes for t in terrains}
        takers = [i for i in instance.internes if takes_poste(i) and takes_part(instance, r, i.id)]
        anyone = bipartite_fill(capacity, {
            i.id: [t for t in eligible[i.id] if t in ids] for i in takers})
        wished = bipartite_fill(capacity, {
            i.id: [t for t in eligible[i.id] if t in ids
                   and (t in i.voeux or t in joint.get(i.id, ()))] for i in takers})
        vacant = postes - anyone
        unsure = postes - fill
        imposed_least = max(0, fill - wished)
        detail = "; ".join(f"{c} : {v['postes']} poste(s), {v['remplissage_max']} au plus par "
                           "les T1" for c, v in by_category.items())
        sentence = (f"Tour « {round_.nom} » : {postes} poste(s) obligatoire(s) ({detail}) ; "
                    f"les {len(imposable)} T1 imposables peuvent en pourvoir au plus {fill} "
                    "(couplage maximal exact, R-IMP)")
        if unsure:
            sentence += (f" ; {unsure} ne peuvent pas être garantis par imposition, dont "
                         f"{vacant} resteront vacants quoi qu’il arrive (aucun interne éligible "
                         "pour eux)")
        sentence += (f" ; au moins {imposed_least} imposition(s) d’après les vœux ({wished} "
                     "poste(s) obligatoires au plus pourvus par des vœux).")
        if r > 0:
            sentence += " (Bornes pour un tour suivant : sans départs aux tours précédents.)"
        out.append(Finding(
            "mandatory_fill", "decision" if unsure else "info", sentence, "R-IMP-1",
            terrains=sorted(ids), figures={
                "round": round_.nom, "postes": postes, "imposables": len(imposable),
                "remplissage_max": fill, "non_garantis": unsure,
                "pourvus_max_par_tous": anyone, "vacants_certains": vacant,
                "pourvus_max_par_voeux": wished, "impositions_au_moins": imposed_least,
                "par_categorie": by_category}))
    return out


def _round_classements(instance: Instance) -> list[Finding]:
    """R-ROUND-2: per round with its own ranking, how many internes it calls; a warning naming
    the internes it does not list who wish a terrain of the round (those wishes will be
    refused: they take no part in the round)."""
    out = []
    round_of = instance.terrain_round
    for r, round_ in enumerate(instance.rounds):
        rank_of = round_.rank_of
        if rank_of is None:
            continue
        left = [i for i in instance.internes if i.id not in rank_of]
        wishing = [i for i in left if any(round_of[t] == r for t in i.voeux)]
        sentence = (f"Tour « {round_.nom} » : son propre classement appelle {len(rank_of)} "
                    f"interne(s), par ancienneté puis par ce classement ; {len(left)} n'y "
                    "figurent pas et ne prennent pas part à ce tour")
        if wishing:
            names = ", ".join(i.libelle for i in wishing[:10])
            more = f" et {len(wishing) - 10} autre(s)" if len(wishing) > 10 else ""
            sentence += (f" ; {len(wishing)} d'entre eux ont pourtant des vœux dans ce tour, "
                         f"qui seront refusés : {names}{more}")
        out.append(Finding(
            "round_classement", "warning" if wishing else "info", sentence + ".", "R-ROUND-2",
            internes=[i.id for i in wishing], figures={
                "round": round_.nom, "classes": len(rank_of), "non_classes": len(left),
                "non_classes_avec_voeux": len(wishing)}))
    return out


def _postes_offered(instance: Instance) -> list[Finding]:
    """R-POS-3 Reading: postes opened (surnombre aside) against the internes who choose a
    poste (surnombre aside: their postes are added)."""
    n = sum(1 for i in instance.internes if takes_poste(i))
    postes = sum(t.postes for t in instance.terrains)
    needed = minimum_postes(n)
    how = (
        f"internes + 30 (médecine générale, au moins {LARGE_SUBDIVISION} internes)"
        if n >= LARGE_SUBDIVISION else "107 % des internes, arrondi au-dessus"
    )
    short = postes < needed
    return [Finding(
        "postes_offered", "warning" if short else "info",
        f"{postes} postes offerts pour {n} internes qui choisissent ; le minimum est {needed} "
        f"({how})" + (f" : il manque {needed - postes} poste(s)." if short else "."),
        "R-POS-3", figures={"postes": postes, "internes": n, "minimum": needed})]


def _oversupply(instance: Instance, eligible: Mapping[str, list[str]]) -> list[Finding]:
    out = []
    holders: dict[str, set[str]] = {t.id: set() for t in instance.terrains}
    for interne_id, terrain_ids in eligible.items():
        for t in terrain_ids:
            holders[t].add(interne_id)
    for t in instance.terrains:
        if t.postes > 0 and not holders[t.id]:
            out.append(Finding(
                "terrain_unreachable", "warning",
                f"{t.id} ouvre {t.postes} poste(s) mais aucun interne de l’instance ne peut le "
                f"prendre (catégories {', '.join(t.categories)}).", "R-ELI",
                terrains=[t.id], figures={"postes": t.postes}))
    categories = sorted({c for t in instance.terrains for c in t.categories})
    for category in categories:
        terrains = [t for t in instance.terrains if category in t.category_set]
        postes = sum(t.postes for t in terrains)
        able = set().union(*(holders[t.id] for t in terrains))
        if postes > len(able):
            out.append(Finding(
                "category_oversupply", "warning",
                f"Catégorie « {category} » : {postes} postes ouverts pour {len(able)} interne(s) "
                f"qui peuvent en prendre un ; au moins {postes - len(able)} resteront vacants.",
                "R-POS-1", terrains=[t.id for t in terrains],
                figures={"categorie": category, "postes": postes, "internes": len(able)}))
    return out


def _wishes(instance: Instance, eligible: Mapping[str, list[str]]) -> list[Finding]:
    out = []
    for interne in instance.internes:
        ok = set(eligible[interne.id])
        bad = [t for t in interne.voeux if t not in ok]
        if bad:
            out.append(Finding(
                "wish_not_eligible", "warning",
                f"{interne.libelle} demande {len(bad)} terrain(s) qui ne lui sont pas accessibles "
                f"({', '.join(bad[:6])}{'…' if len(bad) > 6 else ''}) : ces vœux seront "
                "refusés le jour du choix.", "R-ELI", internes=[interne.id], terrains=bad))
    return out


# --- the HTML report --------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}
.decision{background:#fde2e2}.warning{background:#fff4d6}.info{background:#eef5ff}
.summary span{display:inline-block;margin-right:1.5rem}
td:nth-child(3){white-space:nowrap}
"""


def audit_html(doc: Mapping[str, Any]) -> str:
    """The HTML page of an audit document (:meth:`Audit.to_dict`)."""
    e = html.escape
    counts = doc["counts"]
    rows = []
    for f in doc["findings"]:
        who = ", ".join(f["internes"][:20]) + ("…" if len(f["internes"]) > 20 else "")
        where = ", ".join(f["terrains"][:12]) + ("…" if len(f["terrains"]) > 12 else "")
        rows.append(
            f'<tr class="{e(f["severity"])}"><td>{e(SEVERITY_FR[f["severity"]])}</td>'
            f'<td>{e(TITLES_FR.get(f["code"], f["code"]))}<br><code>{e(f["code"])}</code></td>'
            f'<td>{e(f["rule"])}</td><td>{e(f["message"])}</td><td>{e(who)}</td>'
            f'<td>{e(where)}</td></tr>')
    verdict = ("Des décisions sont nécessaires avant le jour du choix." if doc["needs_decision"]
               else "Aucune décision n’est nécessaire.")
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<title>Audit avant le choix — {e(doc["instance"])}</title><style>{_CSS}</style></head>
<body><h1>Audit avant le jour du choix — {e(doc["instance"])}</h1>
<p class="summary"><span>{doc["internes"]} internes</span><span>{doc["terrains"]} terrains</span>
<span>{doc["postes"]} postes</span></p>
<p><strong>{e(verdict)}</strong> Décisions requises : {counts["decision"]}, à vérifier :
{counts["warning"]}, informations : {counts["info"]}.</p>
<table><thead><tr><th>Gravité</th><th>Constat</th><th>Règle</th><th>Détail</th>
<th>Internes</th><th>Terrains</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table>
<p><small>Format {e(doc["format"])} ; les mêmes données sont disponibles en JSON
(<code>affectation audit INSTANCE --out rapport.json</code>).</small></p>
</body></html>
"""
