"""The fewest postes that let every maquette finish: an exact CP-SAT model over semesters.

The commission's question ("how many urgences, praticien N1 and niveau 3 postes must we open
over the next four years?") is an aggregate one. Internes in the same *maquette state* (slots
validated, semesters validated) are interchangeable for it, and so are terrains of the same
*kind* (the same set of agréments): the model counts, per semester, how many internes of each
state take a stage of each kind. A stage fills the slot :func:`~affectation.rules.eligibility.
slot_for` says (R-ELI-1, -2, -3: the one home of the rule), so every flow keeps each interne's
maquette completable inside its windows; internes who have validated every slot leave, a new
promotion arrives each November (``Instance.date_choix``). The postes of each kind and
semester are variables, bounded by the agréments (R-POS-1), equal to the mandatory load for
the mandatory kinds (R-IMP-1: every such poste filled, by T1s), and at least the R-POS-3 floor
in total. Each group of constraints is guarded by an assumption literal, so an infeasible
question comes back with the constraints that bind (docs/model.md, "Planning the openings").
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
from ortools.sat.python import cp_model

from affectation.cpsat.explain import minimal_core
from affectation.errors import InstanceError
from affectation.model import CATEGORIES, DJ_CATEGORY, Instance, Interne, Maquette, Terrain
from affectation.rules.eligibility import completable, open_slots, profile, slot_for
from affectation.rules.mandatory import is_t1
from affectation.rules.postes import minimum_postes

__all__ = [
    "FORMAT",
    "OBJECTIVES",
    "Binding",
    "Plan",
    "PlanSemester",
    "as_today",
    "kind_label",
    "kinds_of",
    "load_plan",
    "plan_postes",
    "save_plan",
    "semester_labels",
]

FORMAT = "affectation-plan/1"
"""The ``format`` key of a plan file (docs/formats.md)."""

Objective = Literal["total", "change", "impositions"]
OBJECTIVES: tuple[str, ...] = ("total", "change", "impositions")
"""``total``: fewest postes over the horizon (then fewest impositions); ``change``: fewest
postes moved from today's openings; ``impositions``: fewest T1s a plan forces onto a
mandatory poste while another stage was open to them, then fewest postes."""

SPREAD = 2
"""Free postes per non-mandatory kind and semester the tie-break seeks (docs/model.md)."""

State = tuple[str, frozenset[str], int]
"""A maquette state: the maquette followed (R-MAQ-5), slots validated, semesters validated."""

APPARIEMENT = "appariement"
"""The move of a docteur junior: a niveau 3 stage allocated by the appariement (R-APP), not by
the choice; it needs no poste of the instance's terrains but one niveau 3 poste (MSU terrain)."""


# --- kinds of terrain -------------------------------------------------------------------------


def kind_label(categories: Sequence[str] | frozenset[str]) -> str:
    """A kind of terrain by its agréments, built-in vocabulary order first: ``urgences``,
    ``urgences+medecine_adulte``."""
    order = {c: k for k, c in enumerate(CATEGORIES)}
    return "+".join(sorted(categories, key=lambda c: (order.get(c, len(order)), c)))


def kinds_of(instance: Instance) -> dict[str, tuple[Terrain, ...]]:
    """The instance's kinds of terrain (label → terrains in file order), in vocabulary order."""
    kinds: dict[str, list[Terrain]] = {}
    for terrain in instance.terrains:
        kinds.setdefault(kind_label(terrain.category_set), []).append(terrain)
    order = {c: k for k, c in enumerate(CATEGORIES)}

    def key(label: str) -> tuple:
        return tuple(order.get(c, len(order)) for c in label.split("+")), label

    return {label: tuple(kinds[label]) for label in sorted(kinds, key=key)}


def semester_labels(date_choix: str | None, semesters: int) -> tuple[str, ...]:
    """``YYYY-MM`` of each semester from ``date_choix`` on, six months apart; ``S1``, ``S2``…
    when the instance has no ``date_choix`` (the first is then read as a November)."""
    if date_choix is None:
        return tuple(f"S{s}" for s in range(1, semesters + 1))
    year, month = (int(part) for part in date_choix.split("-"))
    labels = []
    for _ in range(semesters):
        labels.append(f"{year:04d}-{month:02d}")
        month += 6
        if month > 12:
            year, month = year + 1, month - 12
    return tuple(labels)


def arrivals(date_choix: str | None, semesters: int) -> tuple[bool, ...]:
    """Whether a new promotion starts in each semester: every autumn choice (November, or any
    month from July to December) after the first semester (today's T1s are in the instance
    already)."""
    labels = semester_labels(date_choix, semesters)
    if date_choix is None:
        return tuple(s > 0 and s % 2 == 0 for s in range(semesters))
    return tuple(s > 0 and int(label[5:]) >= 7 for s, label in enumerate(labels))


def promotion_sizes(
    promotions: int | Sequence[int], date_choix: str | None, semesters: int
) -> tuple[int, ...]:
    """New T1s per semester: ``promotions`` each November, or one size per November given."""
    starts = arrivals(date_choix, semesters)
    n_starts = sum(starts)
    if isinstance(promotions, int) and not isinstance(promotions, bool):
        sizes = [promotions] * n_starts
    else:
        sizes = list(promotions)
        if len(sizes) < n_starts:
            raise ValueError(
                f"{n_starts} promotions commencent en {semesters} semestres, "
                f"{len(sizes)} effectifs donnés"
            )
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"effectif de promotion : attendu un entier >= 0, reçu {size!r}")
    it = iter(sizes)
    return tuple(next(it) if start else 0 for start in starts)


def agrement_of(terrain: Terrain) -> int | None:
    """The most postes the terrain may open (FORMAT.md ``terrains[].agrement``; ``None``: no
    limit)."""
    return terrain.agrement


# --- the plan -----------------------------------------------------------------------------------


@attrs.frozen
class Binding:
    """One constraint the solver's core blames when no plan exists."""

    constraint: str
    """``placement``, ``agrement``, ``obligatoires``, ``r_pos_3`` or ``postes_fixes``."""
    semestre: str
    categorie: str | None
    limite: int | None
    texte: str
    """The sentence for the commission, in French."""


@attrs.frozen
class PlanSemester:
    """The openings of one semester and what the plan's allocation does with them."""

    semestre: str
    internes: int
    """Internes choosing (today's, minus those who finished, plus the new promotions)."""
    nouveaux: int
    """New T1s starting this semester."""
    postes: Mapping[str, int]
    """Postes opened per kind of terrain."""
    demande: Mapping[str, int]
    """Internes the plan's allocation places on each kind."""
    minimum_r_pos_3: int
    impositions: int
    """T1s the plan puts on a mandatory poste while another stage was open to them."""
    terrains: Mapping[str, int] | None = None
    """Postes per terrain, when the plan was asked per terrain."""
    niveau_3: int = 0
    """Docteurs juniors in the phase de consolidation this semester (R-MAQ-4, semesters 7-8
    of ``mg-2023``): the niveau 3 postes (MSU terrains) the appariement must offer them
    (R-APP), beside the choice's postes; 0 when the choice allocates the niveau 3
    (``"consolidation": "choix"``)."""

    @property
    def total(self) -> int:
        return sum(self.postes.values())


@attrs.frozen
class Plan:
    """Postes to open per semester, with the solver's proof (or the binding constraints)."""

    semestres: tuple[PlanSemester, ...] = attrs.field(converter=tuple)
    objective: str
    status: str
    """``OPTIMAL``, ``FEASIBLE``, ``INFEASIBLE``, ``UNKNOWN``, ``MODEL_INVALID`` or ``GIVEN``
    (a plan written by hand or by :func:`as_today`)."""
    value: int | None = None
    bound: int | None = None
    """The solver's proven lower bound on the objective."""
    binding: tuple[Binding, ...] = attrs.field(default=(), converter=tuple)
    date_choix: str | None = None
    hors_plan: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    """Internes left out: their maquette can no longer be completed (nothing to plan)."""
    wall_time: float = 0.0
    variables: int = 0
    constraints: int = 0
    states: int = 0
    """Maquette states the model enumerated (docs/model.md, size)."""

    def __repr__(self) -> str:
        from affectation.views import plan_repr

        return plan_repr(self)

    def _repr_html_(self) -> str:
        from affectation.views import plan_html

        return plan_html(self)

    @property
    def feasible(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE", "GIVEN")

    @property
    def gap(self) -> float | None:
        """``(value - bound) / value``; 0 when proven optimal."""
        if self.value is None or self.bound is None:
            return None
        return 0.0 if self.value == self.bound else (self.value - self.bound) / max(self.value, 1)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.semestres[0].postes) if self.semestres else ()

    def postes(self, semester: int, kind: str) -> int:
        """Postes of ``kind`` in semester ``semester`` (0-based)."""
        return self.semestres[semester].postes.get(kind, 0)

    def to_frame(self):
        """One row per (semester, kind): postes, demand, vacant."""
        import pandas as pd

        rows = [
            {"semestre": s.semestre, "categorie": kind, "postes": s.postes[kind],
             "demande": s.demande.get(kind, 0), "vacants": s.postes[kind] - s.demande.get(kind, 0)}
            for s in self.semestres for kind in s.postes
        ]
        return pd.DataFrame(rows, columns=["semestre", "categorie", "postes", "demande",
                                           "vacants"])

    def to_dict(self) -> dict[str, Any]:
        """The ``affectation-plan/1`` document (docs/formats.md)."""
        doc: dict[str, Any] = {
            "format": FORMAT,
            "date_choix": self.date_choix,
            "objectif": self.objective,
            "statut": self.status,
            "valeur": self.value,
            "borne": self.bound,
            "ecart": self.gap,
            "semestres": [],
            "contraintes_liantes": [attrs.asdict(b) for b in self.binding],
            "hors_plan": list(self.hors_plan),
        }
        for s in self.semestres:
            entry: dict[str, Any] = {
                "semestre": s.semestre,
                "internes": s.internes,
                "nouveaux": s.nouveaux,
                "minimum_r_pos_3": s.minimum_r_pos_3,
                "impositions": s.impositions,
                "postes": dict(s.postes),
                "demande": dict(s.demande),
                "niveau_3": s.niveau_3,
            }
            if s.terrains is not None:
                entry["terrains"] = dict(s.terrains)
            doc["semestres"].append(entry)
        return doc


def plan_from_dict(doc: Mapping[str, Any], *, file: str | None = None) -> Plan:
    """A plan from its ``affectation-plan/1`` document; a bad one is an
    :class:`~affectation.errors.InstanceError` naming the entry and the key."""

    def fail(message: str, entity: str, key: str) -> InstanceError:
        return InstanceError(message, entity=entity, key=key, file=file)

    if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
        raise fail(f"attendu le format {FORMAT!r}", "plan", "format")
    raw = doc.get("semestres")
    if not isinstance(raw, list) or not raw:
        raise fail("attendu une liste non vide de semestres", "plan", "semestres")
    semesters = []
    for index, entry in enumerate(raw):
        entity = f"semestres[{index}]"
        if not isinstance(entry, Mapping):
            raise fail("attendu un objet", entity, "semestre")
        label = entry.get("semestre")
        if not isinstance(label, str) or not label:
            raise fail("attendu le nom d'un semestre", entity, "semestre")
        entity = f"semestres[{index}] ({label})"
        maps = {}
        for key in ("postes", "demande", "terrains"):
            value = entry.get(key, {} if key == "demande" else None)
            if value is None and key == "terrains":
                maps[key] = None
                continue
            if not isinstance(value, Mapping) or not all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0
                for v in value.values()
            ):
                raise fail("attendu un objet d'entiers >= 0", entity, key)
            maps[key] = {str(k): int(v) for k, v in value.items()}
        numbers = {}
        for key in ("internes", "nouveaux", "minimum_r_pos_3", "impositions", "niveau_3"):
            value = entry.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise fail("attendu un entier >= 0", entity, key)
            numbers[key] = value
        semesters.append(PlanSemester(semestre=label, postes=maps["postes"],
                                      demande=maps["demande"], terrains=maps["terrains"],
                                      **numbers))
    kinds = set(semesters[0].postes)
    for index, s in enumerate(semesters):
        if set(s.postes) != kinds:
            raise fail("chaque semestre doit donner les mêmes catégories que le premier",
                       f"semestres[{index}] ({s.semestre})", "postes")
    binding = []
    for index, item in enumerate(doc.get("contraintes_liantes") or []):
        try:
            binding.append(Binding(**item))
        except TypeError:
            raise fail("attendu constraint, semestre, categorie, limite, texte",
                       f"contraintes_liantes[{index}]", "constraint") from None
    return Plan(
        semestres=semesters,
        objective=str(doc.get("objectif", "given")),
        status=str(doc.get("statut", "GIVEN")),
        value=doc.get("valeur"),
        bound=doc.get("borne"),
        binding=binding,
        date_choix=doc.get("date_choix"),
        hors_plan=tuple(doc.get("hors_plan") or ()),
    )


def save_plan(plan: Plan, path: str | Path) -> None:
    """Write ``plan.json`` (``affectation-plan/1``) or ``plan.xlsx`` (one sheet per table),
    atomically."""
    from affectation.io import dumps
    from affectation.io._files import atomic_write, atomic_write_bytes

    target = Path(path)
    if target.suffix.lower() == ".json":
        atomic_write_bytes(target, dumps(plan.to_dict()))
        return
    if target.suffix.lower() != ".xlsx":
        raise ValueError(f"{target} : attendu un fichier .json ou .xlsx")
    import pandas as pd

    frame = plan.to_frame()
    postes = frame.pivot(index="semestre", columns="categorie", values="postes")
    postes = postes.reindex(index=[s.semestre for s in plan.semestres], columns=list(plan.kinds))
    demande = frame.pivot(index="semestre", columns="categorie", values="demande")
    demande = demande.reindex(index=postes.index, columns=postes.columns)
    if any(s.niveau_3 for s in plan.semestres):  # the appariement's, beside the choice's
        postes["niveau 3 (appariement)"] = [s.niveau_3 for s in plan.semestres]
    resume = pd.DataFrame(
        [("objectif", plan.objective), ("statut", plan.status), ("valeur", plan.value),
         ("borne prouvée", plan.bound), ("écart", plan.gap), ("date_choix", plan.date_choix)]
        + [("contrainte liante", b.texte) for b in plan.binding],
        columns=["clé", "valeur"],
    )

    from affectation.io._cells import frame_sheet, write_workbook

    sheets = [frame_sheet("plan", resume), frame_sheet("postes", postes, index=True),
              frame_sheet("demande", demande, index=True)]
    if plan.semestres and plan.semestres[0].terrains is not None:
        terrains = pd.DataFrame(
            {s.semestre: s.terrains for s in plan.semestres}
        ).rename_axis("terrain")
        sheets.append(frame_sheet("terrains", terrains, index=True))

    def write(temp: Path) -> None:
        write_workbook(temp, sheets)

    atomic_write(target, write)


def load_plan(path: str | Path) -> Plan:
    """Read a ``plan.json``; bad JSON or a bad entry is an ``InstanceError`` naming the file."""
    target = Path(path)
    try:
        doc = json.loads(target.read_text(encoding="utf-8"))
    except OSError as error:
        raise InstanceError(f"illisible : {error.strerror}", file=str(target)) from None
    except json.JSONDecodeError as error:
        raise InstanceError(f"pas du JSON : {error.msg} à la ligne {error.lineno}",
                            file=str(target)) from None
    return plan_from_dict(doc, file=str(target))


def as_today(
    instance: Instance,
    semesters: int,
    *,
    extra: Mapping[str, int] | None = None,
    from_semester: int = 1,
) -> Plan:
    """Today's postes every semester, plus ``extra`` postes of some kinds from semester
    ``from_semester`` (1-based) on: the rules "as today" and "+N urgences from semester k".

    ``extra`` keys are kind labels (:func:`kind_label`) or a single category, which names
    every kind that has it first (``"urgences"``)."""
    kinds = kinds_of(instance)
    current = {label: sum(t.postes for t in terrains) for label, terrains in kinds.items()}
    added = _extra_by_kind(extra or {}, kinds)
    labels = semester_labels(instance.date_choix, semesters)
    rows = []
    for s, label in enumerate(labels, start=1):
        postes = {k: v + (added.get(k, 0) if s >= from_semester else 0)
                  for k, v in current.items()}
        if any(v < 0 for v in postes.values()):
            raise ValueError(f"semestre {label} : moins de zéro poste d'une catégorie")
        rows.append(PlanSemester(semestre=label, internes=0, nouveaux=0, postes=postes,
                                 demande={}, minimum_r_pos_3=0, impositions=0))
    return Plan(rows, objective="given", status="GIVEN",
                date_choix=instance.date_choix)


def _extra_by_kind(extra: Mapping[str, int], kinds: Mapping[str, Sequence[Terrain]]
                   ) -> dict[str, int]:
    added: dict[str, int] = {}
    for key, count in extra.items():
        if key in kinds:
            added[key] = added.get(key, 0) + count
            continue
        matching = [label for label in kinds if label.split("+")[0] == key]
        if not matching:
            raise ValueError(f"aucun terrain de catégorie {key!r} (catégories : "
                             f"{', '.join(kinds)})")
        added[matching[0]] = added.get(matching[0], 0) + count
    return added


def _largest_remainders(total: int, weights: Sequence[float]) -> list[int]:
    weights = [max(w, 0.0) for w in weights]
    if total <= 0:
        return [0] * len(weights)
    if sum(weights) <= 0:
        weights = [1.0] * len(weights)
    exact = [total * w / sum(weights) for w in weights]
    shares = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda k: (shares[k] - exact[k], k))
    for k in order[: total - sum(shares)]:
        shares[k] += 1
    return shares


def spread_postes(terrains: Sequence[Terrain], total: int) -> dict[str, int]:
    """``total`` postes of one kind over its terrains: in proportion to today's postes
    (largest remainders), never above a terrain's agrément; what a full terrain cannot take
    goes to the others. Every terrain moves the same way as the total (up or down), so the
    terrains move ``|total - today's|`` postes in all. More than the agréments allow is a
    ``ValueError``."""
    caps = [agrement_of(t) for t in terrains]
    if all(c is not None for c in caps) and total > sum(caps):  # type: ignore[arg-type]
        raise ValueError(
            f"{total} postes {kind_label(terrains[0].category_set)} dépassent les agréments "
            f"de ses terrains ({sum(caps)})"  # type: ignore[arg-type]
        )
    shares = dict.fromkeys((t.id for t in terrains), 0)
    left, open_ = total, list(range(len(terrains)))
    while left > 0 and open_:
        weights = [float(terrains[k].postes) for k in open_]
        if sum(weights) == 0:
            weights = [1.0] * len(open_)
        parts = _largest_remainders(left, weights)
        still = []
        for k, part in zip(open_, parts, strict=True):
            cap = caps[k]
            room = part if cap is None else min(part, cap - shares[terrains[k].id])
            shares[terrains[k].id] += room
            left -= room
            if cap is None or shares[terrains[k].id] < cap:
                still.append(k)
        open_ = still
    return shares


def _split(kinds: Mapping[str, Sequence[Terrain]], postes: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for label, terrains in kinds.items():
        out.update(spread_postes(terrains, postes[label]))
    return out


# --- the model ------------------------------------------------------------------------------------


def _probe(state: State) -> Interne:
    """An interne in ``state``, for the eligibility rules."""
    _, valides, k = state
    return Interne(id="plan", rang=1, semestres_valides=k, valides=tuple(sorted(valides)))


def _required(maquette: Maquette, state: State) -> frozenset[str]:
    required, _ = open_slots(maquette, state[1], frozenset())
    return required


def _state_key(state: State) -> tuple:
    """States in a fixed order (determinism): seniority, maquette, slots."""
    return state[2], state[0], sorted(state[1])


class _Semester:
    """The variables of one semester, as :meth:`_Model.build` makes them."""

    def __init__(self, s: int, n: int) -> None:
        self.s, self.n = s, n
        self.flows: dict[tuple[State, str], cp_model.IntVar] = {}
        self.postes: dict[str, cp_model.IntVar] = {}
        self.load: dict[str, list] = {}
        self.nxt: dict[State, list] = {}
        self.free: dict[str, Any] = {}
        self.placement: Any = None


class _Model:
    """The CP-SAT model of :func:`plan_postes`; one object per call."""

    def __init__(self, instance: Instance, semesters: int, sizes: tuple[int, ...],
                 caps: dict[str, int | None], per_terrain: bool,
                 fixed: Mapping[tuple[int, str], int]) -> None:
        self.instance = instance
        self.maquette = instance.maquette
        """The maquette of the new promotions (the instance's)."""
        self.table = instance.maquette_table
        """Every maquette by name: each state reads its own (R-MAQ-5)."""
        self.appariement = instance.consolidation == "appariement"
        self.semesters = semesters
        self.sizes = sizes
        self.kinds = kinds_of(instance)
        self.kind_sets = {label: terrains[0].category_set for label, terrains in
                          self.kinds.items()}
        self.mandatory = {label for label, terrains in self.kinds.items()
                          if instance.is_mandatory(terrains[0])}
        self.caps = caps
        self.per_terrain = per_terrain
        self.fixed = fixed
        self.labels = semester_labels(instance.date_choix, semesters)
        self.model = cp_model.CpModel()
        self.groups: dict[int, Binding] = {}
        self.literals: list[cp_model.IntVar] = []
        self.upper = 0
        self.marge: dict[str, int] = {}
        # today's surnombres non validants: no poste, no slot now (R-SUR-3); from the next
        # semester on, internes like the others
        self.delayed: dict[State, int] = {}
        # today's surnombres validants: a stage now, on a poste added for them (R-SUR-2)
        self.validants: dict[State, int] = {}
        self.edges: dict[State, list[tuple[str, State]]] = {}

    # the states and their moves

    def maquette_of(self, state: State) -> Maquette:
        return self.table[state[0]]

    def to_appariement(self, maquette: Maquette, semester: int) -> bool:
        """Whether the ``semester`` (1-based) of ``maquette`` is a docteur junior's, out of
        the choice for the appariement (R-MAQ-4 Reading; ``Instance.consolidation``)."""
        return self.appariement and semester in maquette.consolidation

    def moves(self, state: State) -> list[tuple[str, State]]:
        """Kinds a state may take and the state it leads to (R-ELI via ``slot_for``); a
        mandatory kind only for a T1 (the plan fills mandatory postes with T1s, R-IMP-1). A
        docteur junior's one move is :data:`APPARIEMENT`: a niveau 3 stage out of the choice."""
        if state not in self.edges:
            name, valides, k = state
            maquette = self.maquette_of(state)
            p = profile(maquette, _probe(state))
            out = []
            if self.to_appariement(maquette, k + 1):
                slot = slot_for(p, frozenset({DJ_CATEGORY}))
                if slot is not None and slot not in valides:
                    out.append((APPARIEMENT, (name, valides | {slot}, k + 1)))
                self.edges[state] = out
                return out
            for label, categories in self.kind_sets.items():
                if label in self.mandatory and k >= 2:
                    continue
                slot = slot_for(p, categories)
                if slot is None or slot in valides:
                    continue
                out.append((label, (name, valides | {slot}, k + 1)))
            self.edges[state] = out
        return self.edges[state]

    def surnombre_moves(self, state: State) -> list[tuple[str, State]]:
        """A surnombre validant's moves: hospital kinds only (R-SUR-4)."""
        return [(label, target) for label, target in self.moves(state)
                if label in self.kinds and not any(t.ambulatoire for t in self.kinds[label])]

    def headcount(self, initial: Mapping[State, int], semester: int) -> int:
        """Internes choosing in ``semester`` (0-based): each takes one required slot per
        semester and leaves when none is left, so the count does not depend on the flows;
        a docteur junior is out of the choice. A surnombre non validant today starts one
        semester later."""

        def choosing(state: State, step: int) -> bool:
            # the interne's ``step``-th stage from ``state`` on (0: the next one)
            maquette = self.maquette_of(state)
            return (0 <= step < len(_required(maquette, state))
                    and not self.to_appariement(maquette, state[2] + step + 1))

        n = sum(count for state, count in initial.items() if choosing(state, semester))
        n += sum(count for state, count in self.delayed.items()
                 if semester > 0 and choosing(state, semester - 1))
        n += sum(count for state, count in self.validants.items()
                 if semester > 0 and choosing(state, semester))
        start: State = (self.maquette.nom, frozenset(), 0)
        return n + sum(size for s, size in enumerate(self.sizes[: semester + 1])
                       if choosing(start, semester - s))

    def done(self, state: State) -> bool:
        return not _required(self.maquette_of(state), state)

    def guard(self, constraint: str, semester: int, kind: str | None, limit: int | None,
              text: str) -> cp_model.IntVar:
        literal = self.model.new_bool_var(f"{constraint}[{self.labels[semester]},{kind}]")
        self.groups[literal.index] = Binding(constraint, self.labels[semester], kind, limit,
                                             text)
        self.literals.append(literal)
        return literal

    def build(self, initial: dict[State, int], objective: str) -> None:
        """The model, semester by semester, one method per group of constraints."""
        self.flows: list[dict[tuple[State, str], cp_model.IntVar]] = []
        self.postes: list[dict[str, cp_model.IntVar]] = []
        self.counts: list[int] = []
        self.impositions: list[cp_model.LinearExprT] = []
        total = (sum(initial.values()) + sum(self.delayed.values())
                 + sum(self.validants.values()) + sum(self.sizes))
        self.upper = total + 31 + math.ceil(0.07 * total)
        self.carried: Any = 0
        self.semesters_built: list[_Semester] = []
        population: dict[State, Any] = dict(initial)
        for s in range(self.semesters):
            population = self._arrivals(s, population)
            sem = self._variables(s, population, self.headcount(initial, s))
            self._placement(sem, population)   # every interne a stage, maquette on time
            self._surnombres_validants(sem)     # R-SUR-2: added postes, one kept free
            self._capacities(sem)               # no kind over its postes (R-POS-1)
            self._mandatory_fill(sem)           # R-IMP-1: every mandatory poste filled
            self._agrements(sem)                # R-POS-1: at most the agréments
            self._fixed_openings(sem)           # the openings of a plan examined
            self._r_pos_3(sem)                  # R-POS-3: the floor
            self.semesters_built.append(sem)
            population = {state: sum(parts) for state, parts in sem.nxt.items()}
        self.model.add_assumptions(self.literals)
        self.objective_parts(objective)

    def _arrivals(self, s: int, population: dict[State, Any]) -> dict[State, Any]:
        """The new T1s of an autumn choice; today's surnombres non validants from the next
        semester on."""
        population = dict(population)
        if self.sizes[s]:
            start = (self.maquette.nom, frozenset(), 0)
            population[start] = population.get(start, 0) + self.sizes[s]
        if s == 1:
            for state, count in self.delayed.items():
                population[state] = population.get(state, 0) + count
        return population

    def _variables(self, s: int, population: Mapping[State, Any], n_s: int) -> _Semester:
        """``y[s, state, kind]`` for every move of every state, ``postes[s, kind]``."""
        m = self.model
        sem = _Semester(s, n_s)
        self.counts.append(n_s)
        for state in sorted(population, key=_state_key):
            for label, target in self.moves(state):
                name = (f"y[{self.labels[s]},{state[0]},{'+'.join(sorted(state[1])) or '-'},"
                        f"{label}]")
                var = m.new_int_var(0, self.upper if label == APPARIEMENT else n_s, name)
                sem.flows[(state, label)] = var
                sem.load.setdefault(label, []).append(var)
                if not self.done(target):
                    sem.nxt.setdefault(target, []).append(var)
        for label in self.kinds:
            sem.postes[label] = m.new_int_var(0, self.upper, f"postes[{self.labels[s]},{label}]")
            sem.load.setdefault(label, [])
        sem.placement = self.guard(
            "placement", s, None, None,
            f"{self.labels[s]} : chaque interne a un stage qui garde sa maquette "
            "réalisable dans ses fenêtres (R-ELI-2, R-ELI-3)")
        self.flows.append(sem.flows)
        self.postes.append(sem.postes)
        return sem

    def _placement(self, sem: _Semester, population: Mapping[State, Any]) -> None:
        """Every interne of every state takes one of its moves (R-ELI-1, -2, -3); the T1s
        who take a mandatory kind while another was open are the plan's impositions."""
        forced = []
        for state, count in population.items():
            moves = self.moves(state)
            options = [sem.flows[(state, label)] for label, _ in moves]
            if options:
                self.model.add(sum(options) == count).only_enforce_if(sem.placement)
            else:  # nothing keeps this state's maquette on time: no plan with it
                self.model.add_bool_or([sem.placement.Not()])
            if is_t1(state[2]) and any(label not in self.mandatory for label, _ in moves):
                forced += [sem.flows[(state, label)] for label, _ in moves
                           if label in self.mandatory]
        self.impositions.append(sum(forced))

    def _surnombres_validants(self, sem: _Semester) -> None:
        """Today's surnombres validants take a stage on a poste added for them, which needs
        one free poste of the kind at their turn (R-SUR-2): one is kept free for them all. A
        poste kept free in a mandatory kind lets one T1 take that kind instead of the other
        one the plan gave them; next semester they need the other: one is kept free in every
        mandatory kind then (docs/model.md)."""
        m = self.model
        free_for: dict[str, list] = {}
        if sem.s == 0:
            for state, count in sorted(self.validants.items(),
                                       key=lambda item: _state_key(item[0])):
                options = []
                for label, target in self.surnombre_moves(state):
                    var = m.new_int_var(0, count, f"y_surnombre[{label}]")
                    options.append(var)
                    free_for.setdefault(label, []).append((var, count))
                    if not self.done(target):
                        sem.nxt.setdefault(target, []).append(var)
                m.add(sum(options) == count).only_enforce_if(sem.placement)
        for label, parts in free_for.items():
            used = m.new_bool_var(f"surnombre_libre[{label}]")
            for var, count in parts:
                m.add(var <= count * used)
            sem.free[label] = used
        for label in self.mandatory:
            sem.free[label] = sem.free.get(label, 0) + self.carried
        self.carried = sum(sem.free.get(label, 0) for label in self.mandatory
                           if label in free_for)
        for label, extra in self.marge.items():
            sem.free[label] = sem.free.get(label, 0) + extra

    def _capacities(self, sem: _Semester) -> None:
        """No kind takes more internes than its postes, the free ones kept aside."""
        for label, var in sem.postes.items():
            self.model.add(sum(sem.load[label]) + sem.free.get(label, 0) <= var
                           ).only_enforce_if(sem.placement)

    def _mandatory_fill(self, sem: _Semester) -> None:
        """Every mandatory poste opened is filled, by T1s (R-IMP-1): no vacancy forced."""
        for label in sorted(self.mandatory, key=list(self.kinds).index):
            self.model.add(sum(sem.load[label]) + sem.free.get(label, 0) >= sem.postes[label]
                           ).only_enforce_if(self.guard(
                               "obligatoires", sem.s, label, None,
                               f"{self.labels[sem.s]} : chaque poste {label} ouvert est pourvu "
                               "par un T1 (R-IMP-1)"))

    def _agrements(self, sem: _Semester) -> None:
        """At most the agréments of the kind's terrains (R-POS-1)."""
        for label, var in sem.postes.items():
            cap = self.caps.get(label)
            if cap is not None:
                self.model.add(var <= cap).only_enforce_if(self.guard(
                    "agrement", sem.s, label, cap,
                    f"{self.labels[sem.s]} : au plus {cap} postes {label} (agréments, R-POS-1)"))

    def _fixed_openings(self, sem: _Semester) -> None:
        """The openings of the plan examined, when one is given."""
        for label, var in sem.postes.items():
            if (sem.s, label) in self.fixed:
                value = self.fixed[(sem.s, label)]
                self.model.add(var == value).only_enforce_if(self.guard(
                    "postes_fixes", sem.s, label, value,
                    f"{self.labels[sem.s]} : {value} postes {label} fixés par le plan examiné"))

    def _r_pos_3(self, sem: _Semester) -> None:
        """At least the R-POS-3 floor for the internes choosing (``rules.postes``)."""
        floor = minimum_postes(sem.n)
        self.model.add(sum(sem.postes.values()) >= floor).only_enforce_if(self.guard(
            "r_pos_3", sem.s, None, floor,
            f"{self.labels[sem.s]} : au moins {floor} postes pour {sem.n} internes (R-POS-3)"))

    def objective_parts(self, objective: str) -> None:
        """The objectives, in the order they are minimised: the chosen one, then the others
        as tie-breaks (fewest postes, fewest impositions, closest to today's openings)."""
        m = self.model
        total = sum(v for postes in self.postes for v in postes.values())
        imposed = sum(self.impositions)
        # per terrain, the fewest postes moved is the same: a kind's postes split in proportion
        # to today's (spread_postes) move every terrain the same way, so the terrains of a kind
        # move |P - today's| postes in all, the least any split can (docs/model.md)
        deviations = []
        current = {label: sum(t.postes for t in terrains)
                   for label, terrains in self.kinds.items()}
        items = [(v, current[label]) for postes in self.postes for label, v in postes.items()]
        for var, today in items:
            d = m.new_int_var(0, max(today, self.upper), f"d[{var.name}]")
            m.add(d >= var - today)
            m.add(d >= today - var)
            deviations.append(d)
        # spread: the postes left free (the R-POS-3 floor opens some) go first to every
        # non-mandatory kind, up to SPREAD each, rather than all to one: an interne whose
        # free choices strayed from the plan's allocation then still finds one (docs/model.md)
        spread = []
        for sem in self.semesters_built:
            for label, var in sem.postes.items():
                if label in self.mandatory:
                    continue
                z = m.new_int_var(0, SPREAD, f"libres[{self.labels[sem.s]},{label}]")
                m.add(z <= var - sum(sem.load[label]) - sem.free.get(label, 0))
                spread.append(z)
        exprs = {"total": total, "impositions": imposed, "change": sum(deviations),
                 "spread": -sum(spread)}
        order = {"total": ("total", "impositions", "spread", "change"),
                 "impositions": ("impositions", "total", "spread", "change"),
                 "change": ("change", "total", "impositions", "spread")}[objective]
        self.stages = [(name, exprs[name]) for name in order]


_DROP_FIRST = ("r_pos_3", "obligatoires", "placement", "postes_fixes", "agrement")
"""Order in which a core's constraints are tried away: the ones a commission can act on
(openings fixed, agréments) are kept when another minimal explanation exists."""


def _minimal_core(model: _Model, core: Sequence[int], time_limit: float | None,
                  seed: int) -> set[int]:
    """A minimal subset of the solver's core (the one explainer, ``cpsat.explain``), tried
    away in the order of :data:`_DROP_FIRST`: each constraint in it is needed for the
    infeasibility, so every one named binds."""
    literal = {lit.index: lit for lit in model.literals}
    keep = sorted((i for i in core if i in model.groups),
                  key=lambda i: (_DROP_FIRST.index(model.groups[i].constraint), i))
    held = [lit for lit in model.literals if lit.index not in model.groups]
    kept = minimal_core(model.model, [literal[i] for i in keep], held,
                        time_limit=time_limit, seed=seed)
    return {lit.index for lit in kept}


def plan_postes(
    instance: Instance,
    promotions: int | Sequence[int],
    semesters: int = 8,
    *,
    agrement: Mapping[str, int | None] | None = None,
    objective: Objective = "total",
    per_terrain: bool = False,
    fixed: Plan | Mapping[tuple[int, str], int] | None = None,
    marge: int | Mapping[str, int] = 0,
    juniors: int = 0,
    time_limit: float | None = None,
    workers: int = 1,
    seed: int = 0,
) -> Plan:
    """The postes to open per kind of terrain each semester so that every interne completes
    the maquette inside its windows, proven optimal for ``objective``.

    ``promotions``: new T1s each November (one size, or one per November of the horizon).
    ``agrement``: the most postes per kind (label or first category) per semester, overriding
    the sum of the terrains' ``agrement`` (default no limit). ``per_terrain``: also split
    each kind's postes over its terrains, in proportion to today's and within each
    terrain's agrément (:func:`spread_postes`: the fewest postes moved per terrain).
    ``fixed``: postes that may not move, ``{(semester 0-based, kind): postes}`` or a whole
    :class:`Plan` (to check a plan: when it cannot work, ``binding`` says which of its
    openings are short). ``marge``: postes kept free above the plan's demand each semester,
    for the internes who fall behind or whose free choices stray from the plan's allocation
    (``simulate`` measures how many are needed): a number for every non-mandatory kind, or
    per kind (label or first category), mandatory kinds included, where the margin is a
    vacancy planned for T1s who repeat. ``juniors``: docteurs juniors starting their phase de
    consolidation today, out of the instance (the promotion three years ahead of today's
    T1s): a niveau 3 poste each this semester and the next (``PlanSemester.niveau_3``).
    Deterministic for the same arguments (one CP-SAT
    worker by default). Internes whose maquette can no longer be completed are left out
    (``Plan.hors_plan``).
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objectif : attendu {' ou '.join(OBJECTIVES)}, reçu {objective!r}")
    if isinstance(semesters, bool) or not isinstance(semesters, int) or semesters < 1:
        raise ValueError(f"semesters : attendu un entier >= 1, reçu {semesters!r}")
    if isinstance(juniors, bool) or not isinstance(juniors, int) or juniors < 0:
        raise ValueError(f"juniors : attendu un entier >= 0, reçu {juniors!r}")
    started = time.perf_counter()
    date_choix = instance.date_choix
    sizes = promotion_sizes(promotions, date_choix, semesters)
    kinds = kinds_of(instance)
    caps: dict[str, int | None] = {}
    for label, terrains in kinds.items():
        limits = [agrement_of(t) for t in terrains]
        caps[label] = None if any(v is None for v in limits) else sum(limits)  # type: ignore
    if agrement:
        for key, value in agrement.items():
            for label in _extra_by_kind({key: 0}, kinds):
                if per_terrain and caps[label] is not None and value is not None:
                    caps[label] = min(caps[label], value)  # the terrains must hold them
                else:
                    caps[label] = value
    fixed_map: dict[tuple[int, str], int] = {}
    if isinstance(fixed, Plan):
        for s, row in enumerate(fixed.semestres[:semesters]):
            for label, value in row.postes.items():
                if label in kinds:
                    fixed_map[(s, label)] = value
    elif fixed:
        for (s, key), value in fixed.items():
            for label in _extra_by_kind({key: 0}, kinds):
                fixed_map[(s, label)] = value

    initial: dict[State, int] = {}
    left_out = []
    model = _Model(instance, semesters, sizes, caps, per_terrain, fixed_map)
    if isinstance(marge, Mapping):
        for key, value in marge.items():
            for label in _extra_by_kind({key: 0}, kinds):
                model.marge[label] = value
    else:
        model.marge = {label: marge for label in kinds if label not in model.mandatory}
    for label, value in model.marge.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"marge de {label} : attendu un entier >= 0, reçu {value!r}")
    for interne in instance.internes:
        maquette = instance.maquette_of(interne)
        state: State = (maquette.nom, frozenset(interne.valides), interne.semestres_valides)
        required = _required(maquette, state)
        if not required:
            continue  # finished (R-ELI-6): nothing to plan
        if not completable(maquette, required, interne.semestre) or not model.moves(state):
            left_out.append(interne.id)
            continue
        if interne.surnombre == "validant" and model.surnombre_moves(state):
            model.validants[state] = model.validants.get(state, 0) + 1
        elif interne.surnombre is not None:  # non validant, or no hospital stage to take
            model.delayed[state] = model.delayed.get(state, 0) + 1
        else:
            initial[state] = initial.get(state, 0) + 1
    model.build(initial, objective)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if time_limit is not None:
        solver.parameters.max_time_in_seconds = time_limit
    value = bound = None
    status = cp_model.UNKNOWN
    n_vars = len(model.model.proto.variables)
    for stage, (_name, expr) in enumerate(model.stages):
        model.model.minimize(expr)
        outcome = solver.solve(model.model)
        if stage == 0:
            status = outcome
            if outcome in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                value = round(solver.objective_value)
                bound = math.ceil(solver.best_objective_bound - 1e-6)
        if outcome != cp_model.OPTIMAL:
            break
        # lexicographic: keep this optimum, break its ties with the next objective, starting
        # from the solution found (a hint that satisfies every constraint)
        best = [solver.value(model.model.get_int_var_from_proto_index(i))
                for i in range(n_vars)]
        model.model.add(expr <= round(solver.objective_value))
        model.model.clear_hints()
        for i, v in enumerate(best):
            model.model.add_hint(model.model.get_int_var_from_proto_index(i), v)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and outcome not in (
            cp_model.OPTIMAL, cp_model.FEASIBLE):  # a tie-break ran out of time: re-read
        model.model.clear_objective()
        solver.solve(model.model)
    name = solver.status_name(status)
    proto = model.model.proto
    common = dict(objective=objective, status=name, date_choix=date_choix,
                  hors_plan=tuple(left_out), variables=len(proto.variables),
                  constraints=len(proto.constraints), states=len(model.edges))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        binding: tuple[Binding, ...] = ()
        if status == cp_model.INFEASIBLE:
            core = _minimal_core(model, solver.sufficient_assumptions_for_infeasibility(),
                                 time_limit, seed)
            binding = tuple(b for index, b in model.groups.items() if index in core)
        rows = [PlanSemester(semestre=model.labels[s], internes=model.counts[s],
                             nouveaux=sizes[s], postes={k: 0 for k in kinds}, demande={},
                             minimum_r_pos_3=minimum_postes(model.counts[s]), impositions=0)
                for s in range(semesters)]
        return Plan(rows, binding=binding, wall_time=time.perf_counter() - started, **common)
    rows = []
    for s in range(semesters):
        demande = {label: 0 for label in kinds}
        niveau_3 = juniors if s < 2 else 0
        for (_state, label), var in model.flows[s].items():
            if label == APPARIEMENT:
                niveau_3 += solver.value(var)
            else:
                demande[label] += solver.value(var)
        rows.append(PlanSemester(
            semestre=model.labels[s],
            internes=model.counts[s],
            nouveaux=sizes[s],
            postes={label: solver.value(v) for label, v in model.postes[s].items()},
            demande=demande,
            minimum_r_pos_3=minimum_postes(model.counts[s]),
            impositions=int(solver.value(model.impositions[s])),
            niveau_3=niveau_3,
            terrains=(_split(kinds, {label: solver.value(v)
                                     for label, v in model.postes[s].items()})
                      if per_terrain else None),
        ))
    return Plan(rows, value=value, bound=bound, wall_time=time.perf_counter() - started,
                **common)
