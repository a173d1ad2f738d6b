"""The exact CP-SAT model of the choice day, built group by group like the rulebook.

:meth:`ModelBuilder.build` is the table of contents: one method per rule group, each citing
its rule ids, called in order. The model has no objective: its constraints leave exactly one
allocation, the one the sequential procedure gives (RULES.md, R-IMP Consequence), so proving
feasibility is proving the allocation. Every group can be guarded by an assumption literal so
that, when user constraints make the model infeasible, the solver's core names the groups in
conflict (:mod:`affectation.cpsat.solve`).

Notation (docs/model.md gives the formulas): ``x[i,t]`` interne ``i`` takes terrain ``t``;
``y[c,k]`` couple ``c`` takes pair ``k`` of its joint list; ``before(i,t)`` the postes of ``t``
taken by internes before ``i`` (running counts along the order, one integer per holder);
``g[i,r,q]`` "``i`` got their wish ``q`` of round ``r`` or better"; ``pb[i,r]`` "placed in a
round before ``r``"; ``keep[i,r,a]`` "alternative ``a`` keeps the mandatory fill".
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence

import attrs
from ortools.sat.python import cp_model

from affectation.errors import InstanceError
from affectation.model import Instance, Interne, Terrain
from affectation.rules.couples import postes_needed
from affectation.rules.eligibility import imposable_slot, profile, slot_for
from affectation.rules.mandatory import (
    MAX_CUTS,
    MandatoryClasses,
    imposables,
    mandatory_classes,
)
from affectation.rules.order import cached_choice_order
from affectation.rules.surnombre import access

__all__ = ["GROUPS", "ModelBuilder", "Variables"]

GROUPS: dict[str, str] = {
    "one_terrain": "one terrain or none per interne",
    "capacity": "postes of each terrain, surnombre added (R-POS-1, R-SUR-2, R-SUR-3, R-SUR-4)",
    "priority": "rank priority: each gets the best wish open at their turn (R-ORD-1, R-VOE-1, "
    "R-ROUND-1)",
    "couples": "couples choose a pair at the later turn (R-ORD-2)",
    "mandatory": "mandatory postes filled as far as possible; impositions only on T1 never "
    "imposed (R-IMP-1, R-IMP-2, R-IMP-3)",
    "eligibility": "eligibility and maquette completeness (R-ELI-1, R-ELI-2, R-ELI-3)",
    "user": "constraints added by the user (forced assignments, internes to place)",
}
"""Rule groups, each with an assumption literal when the builder explains conflicts."""

Literal = cp_model.IntVar


@attrs.define
class Variables:
    """The decision variables, with intent-named queries."""

    assign: dict[tuple[str, str], Literal] = attrs.Factory(dict)
    """``x[i,t]``: individual assignment (a wish, or a mandatory terrain imposed outside it)."""
    joint: dict[tuple[int, int], Literal] = attrs.Factory(dict)
    """``y[c,k]``: couple ``c`` takes pair ``k`` (0-based) of its joint list."""
    outside: set[tuple[str, str]] = attrs.Factory(set)
    """The ``(i, t)`` of ``assign`` that are impositions outside the wish list."""
    by_interne: dict[str, list[tuple[str, Literal]]] = attrs.Factory(dict)
    """Every ``(terrain, literal)`` that places an interne, individual or joint."""

    def literals_of(self, interne_id: str) -> list[Literal]:
        return [lit for _, lit in self.by_interne.get(interne_id, [])]

    def is_assigned(self, interne_id: str, terrain_id: str) -> list[Literal]:
        """Literals placing ``interne_id`` on ``terrain_id`` (at most one is true)."""
        return [lit for t, lit in self.by_interne.get(interne_id, []) if t == terrain_id]


class ModelBuilder:
    """Builds the CP-SAT model of one instance; ``build()`` reads like the rulebook."""

    def __init__(
        self,
        instance: Instance,
        *,
        postes: Mapping[str, int] | None = None,
        forced: Mapping[str, str | None] | None = None,
        must_place: Sequence[str] = (),
        explain: bool = False,
    ) -> None:
        self.instance = instance
        self.postes = {t.id: t.postes for t in instance.terrains} | dict(postes or {})
        self.forced = dict(forced or {})
        self.must_place = tuple(must_place)
        for interne_id in [*self.forced, *self.must_place]:
            if interne_id not in instance.interne_by_id:
                raise ValueError(f"user constraint on unknown interne {interne_id!r}")
        for terrain_id in [*self.forced.values(), *self.postes]:
            if terrain_id is not None and terrain_id not in instance.terrain_by_id:
                raise ValueError(f"user constraint on unknown terrain {terrain_id!r}")
        self.explain = explain
        self.model = cp_model.CpModel()
        self.vars = Variables()
        self.order = cached_choice_order(instance)
        self.position = {interne_id: p for p, interne_id in enumerate(self.order)}
        self.profiles = {i.id: profile(instance.maquette, i) for i in instance.internes}
        self.imposable = list(imposables(instance))
        self.n_rounds = len(instance.rounds)
        self.groups: dict[str, Literal] = {}
        self.round_of = instance.terrain_round
        self.classes_by_round: dict[int, MandatoryClasses] = {}
        self.keeps: dict[tuple[str, int], dict[int | None, Literal]] = {}

    # --- the table of contents --------------------------------------------------------------

    def build(self) -> cp_model.CpModel:
        """Every rule group, in the order of the rulebook."""
        self._group_literals()
        self._variables_for_eligible_pairs()  # R-ELI-1, -2, -3, R-SUR-4, R-IMP (outside list)
        self._one_terrain_or_none()
        self._capacities_with_surnombre()  # R-POS-1, R-SUR-2, -3, -4
        self._running_counts()  # the state along the order
        self._round_membership()  # R-ROUND-1
        self._mandatory_fill()  # R-IMP-1, -2, -3
        self._rank_priority()  # R-ORD-1, R-VOE-1, R-SUR Reading (uses the fill literals)
        self._couples()  # R-ORD-2
        self._user_constraints()
        return self.model

    # --- helpers -----------------------------------------------------------------------------

    def _group_literals(self) -> None:
        if self.explain:
            for name in GROUPS:
                self.groups[name] = self.model.new_bool_var(f"group[{name}]")
            self.model.add_assumptions(list(self.groups.values()))

    def _guard(self, constraint: cp_model.Constraint, group: str, *when: Literal) -> None:
        """Enforce ``constraint`` when ``when`` hold and, when explaining, its group is on."""
        literals = list(when)
        if self.explain:
            literals.append(self.groups[group])
        if literals:
            constraint.only_enforce_if(literals)

    def _slot(self, interne: Interne, terrain: Terrain) -> str | None:
        return slot_for(self.profiles[interne.id], terrain.category_set)

    def _imposable_slot(self, interne: Interne, terrain: Terrain) -> str | None:
        """The slot through which ``interne`` can be imposed ``terrain`` (not a dérogation)."""
        return imposable_slot(self.profiles[interne.id], terrain.category_set)

    def _may_take(self, interne: Interne, terrain: Terrain) -> bool:
        """Whether ``interne`` may ever hold ``terrain`` (R-ELI, R-SUR-3, R-SUR-4)."""
        slot = None if interne.surnombre == "non_validant" else self._slot(interne, terrain)
        return access(interne, terrain, slot) != "no"

    def _new_assign(self, interne_id: str, terrain_id: str) -> Literal:
        key = (interne_id, terrain_id)
        if key not in self.vars.assign:
            literal = self.model.new_bool_var(f"x[{interne_id},{terrain_id}]")
            self.vars.assign[key] = literal
            self.vars.by_interne.setdefault(interne_id, []).append((terrain_id, literal))
        return self.vars.assign[key]

    # --- R-ELI: variables only where the interne may go --------------------------------------

    def _variables_for_eligible_pairs(self) -> None:
        """``x[i,t]`` for the eligible wishes (R-ELI-1, -2, -3; R-SUR-4), for the mandatory
        terrains an imposable interne could be imposed on (R-IMP Reading, step 4), and
        ``y[c,k]`` for the pairs of a joint list open to both members (R-ORD-2)."""
        instance = self.instance
        for interne in instance.internes:
            for terrain_id in interne.voeux:
                if self._may_take(interne, instance.terrain(terrain_id)):
                    self._new_assign(interne.id, terrain_id)
        for interne in self.imposable:
            for terrain in instance.terrains:
                if (
                    instance.is_mandatory(terrain)
                    and terrain.id not in interne.voeux
                    and self._imposable_slot(interne, terrain) is not None
                ):
                    self._new_assign(interne.id, terrain.id)
                    self.vars.outside.add((interne.id, terrain.id))
        for c, couple in enumerate(instance.couples):
            a, b = (instance.interne(m) for m in couple.internes)
            for k, (ta, tb) in enumerate(couple.voeux):
                if (
                    self.round_of[ta] == self.round_of[tb]
                    and self._slot(a, instance.terrain(ta)) is not None
                    and self._slot(b, instance.terrain(tb)) is not None
                ):
                    literal = self.model.new_bool_var(f"y[{a.id}+{b.id},{ta}+{tb}]")
                    self.vars.joint[(c, k)] = literal
                    self.vars.by_interne.setdefault(a.id, []).append((ta, literal))
                    self.vars.by_interne.setdefault(b.id, []).append((tb, literal))

    def _one_terrain_or_none(self) -> None:
        """Each interne holds at most one terrain."""
        for _interne_id, placed in self.vars.by_interne.items():
            if len(placed) > 1:
                self._guard(self.model.add(sum(lit for _, lit in placed) <= 1), "one_terrain")

    # --- R-POS, R-SUR: capacities --------------------------------------------------------------

    def _holders(self) -> dict[str, list[tuple[int, list[Literal]]]]:
        """Per terrain, the non-surnombre internes that may hold it, in the order of choice."""
        holders: dict[str, list[tuple[int, list[Literal]]]] = {t.id: [] for t in
                                                               self.instance.terrains}
        for interne_id in self.order:
            if self.instance.interne(interne_id).surnombre is not None:
                continue  # R-SUR Reading: a surnombre's poste is added
            per_terrain: dict[str, list[Literal]] = {}
            for terrain_id, literal in self.vars.by_interne.get(interne_id, []):
                per_terrain.setdefault(terrain_id, []).append(literal)
            for terrain_id, literals in per_terrain.items():
                holders[terrain_id].append((self.position[interne_id], literals))
        return holders

    def _capacities_with_surnombre(self) -> None:
        """At most ``postes`` non-surnombre internes per terrain (R-POS-1); a surnombre takes
        nobody's poste (R-SUR-2, R-SUR-3) and never an ambulatory one (R-SUR-4, by the
        variables)."""
        self.holders = self._holders()
        for terrain_id, holders in self.holders.items():
            literals = [lit for _, lits in holders for lit in lits]
            if len(literals) > self.postes[terrain_id]:
                self._guard(
                    self.model.add(sum(literals) <= self.postes[terrain_id]), "capacity"
                )

    def _running_counts(self) -> None:
        """``before(i,t)``: a running count per terrain along the order, one integer per holder,
        so that "full at i's turn" is one comparison, not a sum over earlier internes."""
        self.prefix: dict[str, tuple[list[int], list[cp_model.LinearExprT]]] = {}
        for terrain_id, holders in self.holders.items():
            positions: list[int] = []
            counts: list[cp_model.LinearExprT] = []
            running: cp_model.LinearExprT = 0
            cap = self.postes[terrain_id]
            for k, (position, literals) in enumerate(holders):
                # the domain carries the capacity too, unless the capacity group must be
                # blameable on its own
                upper = k + 1 if self.explain else min(k + 1, cap)
                total = self.model.new_int_var(0, upper, f"count[{terrain_id},{k}]")
                self.model.add(total == running + sum(literals))
                positions.append(position)
                counts.append(total)
                running = total
            self.prefix[terrain_id] = (positions, counts)

    def before(self, interne_id: str, terrain_id: str) -> cp_model.LinearExprT:
        """Postes of ``terrain_id`` taken by non-surnombre internes before ``interne_id``."""
        positions, counts = self.prefix[terrain_id]
        k = bisect.bisect_left(positions, self.position[interne_id])
        return counts[k - 1] if k else 0

    # --- R-ROUND-1 -----------------------------------------------------------------------------

    def _round_membership(self) -> None:
        """``pb[i,r]``: placed in a round before ``r``, so out of round ``r`` (R-ROUND-1)."""
        self.placed_before: dict[tuple[str, int], Literal | None] = {}
        for interne in self.instance.internes:
            placed = self.vars.by_interne.get(interne.id, [])
            for r in range(self.n_rounds):
                earlier = [lit for t, lit in placed if self.round_of[t] < r]
                if not earlier:
                    self.placed_before[(interne.id, r)] = None
                    continue
                literal = self.model.new_bool_var(f"pb[{interne.id},{r}]")
                self.model.add(literal == sum(earlier))
                self.placed_before[(interne.id, r)] = literal

    def _out_of_round(self, interne_id: str, r: int) -> list[Literal]:
        literal = self.placed_before[(interne_id, r)]
        return [] if literal is None else [literal]

    # --- R-ORD-1, R-VOE-1: rank priority ---------------------------------------------------------

    def _rank_priority(self) -> None:
        """No interne envies a terrain that still had a free poste at their turn, unless the
        rules forbid it to them: for every eligible wish ``w`` (rank ``q`` in round ``r``),
        ``g[i,r,q] or pb[i,r] or before(i,w) >= postes(w)`` (or a pair taken, R-ORD-2; or
        ``w`` would lower the mandatory fill, R-IMP, added by :meth:`_mandatory_fill`).

        ``g[i,r,q] = g[i,r,q-1] + x[i,w_q]``: one literal per wish, so the encoding is linear in
        the length of the wish lists."""
        instance = self.instance
        for interne in instance.internes:
            for r in range(self.n_rounds):
                got: cp_model.LinearExprT = 0
                for rank, terrain_id in enumerate(interne.voeux, start=1):
                    if self.round_of[terrain_id] != r:
                        continue
                    literal = self.vars.assign.get((interne.id, terrain_id))
                    if literal is None:
                        continue  # not eligible: no envy possible
                    g = self.model.new_bool_var(f"g[{interne.id},{r},{rank}]")
                    self.model.add(g == got + literal)
                    got = g
                    if (interne.id, terrain_id) in self.vars.outside:
                        continue
                    self._no_envy(interne, terrain_id, g, r)

    def _no_envy(self, interne: Interne, terrain_id: str, g: Literal, r: int) -> None:
        unless = [g.negated(), *[lit.negated() for lit in self._out_of_round(interne.id, r)]]
        unless += [lit.negated() for lit in self._pair_taken(interne.id, r)]
        if interne.surnombre == "non_validant":
            # R-SUR-3 Reading: free poste or not; the first non-ambulatory wish
            self._guard(self.model.add_bool_or([g, *self._out_of_round(interne.id, r)]),
                        "priority")
            return
        if interne.surnombre == "validant":
            # R-SUR-2: needs a free poste, takes none
            x = self.vars.assign[(interne.id, terrain_id)]
            self._guard(
                self.model.add(self.before(interne.id, terrain_id) <= self.postes[terrain_id] - 1),
                "capacity", x,
            )
        constraint = self.model.add(self.before(interne.id, terrain_id) >= self.postes[terrain_id])
        keep = self._keep_literal(interne, terrain_id, r)
        self._guard(constraint, "priority", *unless, *([keep] if keep is not None else []))

    def _pair_taken(self, interne_id: str, r: int) -> list[Literal]:
        couple = self.instance.couple_of.get(interne_id)
        if couple is None:
            return []
        c = self.instance.couples.index(couple)
        return [
            lit for (cc, k), lit in self.vars.joint.items()
            if cc == c and self.round_of[couple.voeux[k][0]] == r
        ]

    # --- R-ORD-2: couples ---------------------------------------------------------------------

    def _couples(self) -> None:
        """At the earlier member's turn, both still in the round: the first pair open to both
        (two free postes for a pair on one terrain); otherwise the individual lists, the
        better-ranked first (their own priority constraints, relaxed when a pair is taken)."""
        instance = self.instance
        for c, couple in enumerate(instance.couples):
            first = min(couple.internes, key=self.position.__getitem__)
            for r in range(self.n_rounds):
                got: cp_model.LinearExprT = 0
                for k, (ta, tb) in enumerate(couple.voeux):
                    literal = self.vars.joint.get((c, k))
                    if literal is None or self.round_of[ta] != r:
                        continue
                    g = self.model.new_bool_var(f"gp[{c},{r},{k}]")
                    self.model.add(g == got + literal)
                    got = g
                    out = [
                        lit.negated() for m in couple.internes for lit in self._out_of_round(m, r)
                    ]
                    full_a = self.model.new_bool_var(f"full_a[{c},{k}]")
                    full_b = self.model.new_bool_var(f"full_b[{c},{k}]")
                    need = postes_needed(ta, tb)[0] - 1
                    self._guard(self.model.add(
                        self.before(first, ta) >= self.postes[ta] - need), "couples", full_a)
                    self._guard(self.model.add(
                        self.before(first, tb) >= self.postes[tb] - need), "couples", full_b)
                    self._guard(self.model.add_bool_or([full_a, full_b]), "couples",
                                g.negated(), *out)

    # --- R-IMP: mandatory fill -----------------------------------------------------------------

    def _mandatory_fill(self) -> None:
        """Fill = mandatory postes taken + max matching(empty mandatory postes, imposable
        internes still to choose). By min-cut over classes (``rules.mandatory``), the matching
        at ``i``'s turn is ``M = min_B E_B`` with ``E_B = cap(B) + #types not inside B``, all
        linear in the running counts. An alternative ``a`` of an imposable interne of type
        ``tau`` keeps the fill iff ``E_B - [a in B] - [tau not in B] + [a mandatory] >= M`` for
        every ``B``. Each choice must keep it; a better open wish may be refused only if it
        does not (R-IMP Reading, steps 1-5)."""
        for r in range(self.n_rounds):
            classes = mandatory_classes(self.instance, r)
            if classes.cuts is None:
                raise InstanceError(
                    f"round {self.instance.rounds[r].nom!r}: the imposable internes fall in "
                    f"types whose unions make more than {MAX_CUTS} cuts of the mandatory fill; "
                    "the serial engine solves it exactly (max-flow), the CP-SAT model does not "
                    "(docs/model.md)",
                    entity="instance",
                    key="obligatoires",
                )
            self._fill_round(r, classes)

    def _keep_literal(self, interne: Interne, terrain_id: str, r: int) -> Literal | None:
        """``keep[i,r,a]`` for the alternative "take ``terrain_id``"; ``None`` when the
        interne cannot lower the fill (not imposable, or eligible for no mandatory class)."""
        keeps = self.keeps.get((interne.id, r))
        if keeps is None:
            return None
        return keeps[self._alternative(interne.id, terrain_id, r)]

    def _alternative(self, interne_id: str, terrain_id: str | None, r: int) -> int | None:
        if terrain_id is None:
            return None
        return self.classes_by_round[r].class_of.get(terrain_id)

    def _fill_round(self, r: int, classes: MandatoryClasses) -> None:
        model = self.model
        self.classes_by_round[r] = classes
        n = classes.n_classes
        members = sorted(
            (i for i in self.imposable if classes.mask(i.id)),
            key=lambda i: self.position[i.id],
        )
        if not members:
            return
        class_terrains: dict[int, list[str]] = {}
        for terrain_id, c in classes.class_of.items():
            class_terrains.setdefault(c, []).append(terrain_id)
        taken_before = [self._class_counts(r, c, class_terrains.get(c, [])) for c in range(n)]
        suffix = self._suffix_counts(r, members, classes)
        subsets = list(classes.cuts)  # type: ignore[arg-type]
        total = sum(max(self.postes[t], 0) for t in classes.class_of)
        for interne in members:
            tau = classes.mask(interne.id)
            caps = [
                sum(self.postes[t] for t in class_terrains.get(c, []))
                - taken_before[c](self.position[interne.id])
                for c in range(n)
            ]
            counts = {mask: fn(self.position[interne.id]) for mask, fn in suffix.items()}
            cuts = []
            for subset in subsets:
                outside = ~subset
                cuts.append(
                    sum(caps[c] for c in range(n) if subset >> c & 1)
                    + sum(count for mask, count in counts.items() if mask & outside)
                )
            m = model.new_int_var(0, total + len(members), f"M[{interne.id},{r}]")
            witnesses = []
            for b, cut in zip(subsets, cuts, strict=True):
                self._guard(model.add(m <= cut), "mandatory")
                w = model.new_bool_var(f"min[{interne.id},{r},{b}]")
                self._guard(model.add(cut <= m), "mandatory", w)
                witnesses.append(w)
            self._guard(model.add_bool_or(witnesses), "mandatory")
            keeps: dict[int | None, Literal] = {}
            alternatives: list[int | None] = [None, *[c for c in range(n) if tau >> c & 1]]
            for a in alternatives:
                keep = model.new_bool_var(f"keep[{interne.id},{r},{'none' if a is None else a}]")
                lowers_by = []
                for b, cut in zip(subsets, cuts, strict=True):
                    shift = (1 if a is not None and b >> a & 1 else 0) + (1 if tau & ~b else 0)
                    after = cut - shift + (1 if a is not None else 0)
                    self._guard(model.add(after >= m), "mandatory", keep)
                    z = model.new_bool_var(f"lower[{interne.id},{r},{a},{b}]")
                    self._guard(model.add(after <= m - 1), "mandatory", z)
                    lowers_by.append(z)
                self._guard(model.add_bool_or([keep, *lowers_by]), "mandatory")
                keeps[a] = keep
            self.keeps[(interne.id, r)] = keeps
            self._imposable_choices(interne, r, keeps, classes)

    def _class_counts(self, r: int, c: int, terrain_ids: list[str]):
        """Postes of class ``c`` taken before a position: one running count over the class's
        holders, so the fill reads one integer per class instead of one per terrain."""
        by_position: dict[int, list[Literal]] = {}
        for terrain_id in terrain_ids:
            for position, literals in self.holders[terrain_id]:
                by_position.setdefault(position, []).extend(literals)
        positions = sorted(by_position)
        counts: list[cp_model.LinearExprT] = []
        running: cp_model.LinearExprT = 0
        for k, position in enumerate(positions):
            total = self.model.new_int_var(0, k + 1, f"class_count[{r},{c},{k}]")
            self.model.add(total == running + sum(by_position[position]))
            counts.append(total)
            running = total

        def before(position: int) -> cp_model.LinearExprT:
            k = bisect.bisect_left(positions, position)
            return counts[k - 1] if k else 0

        return before

    def _suffix_counts(self, r: int, members: list[Interne], classes: MandatoryClasses):
        """Imposable internes of each type still to choose in round ``r`` from a position on:
        constants in the first round, running sums of ``1 - pb[j,r]`` after it."""
        by_type: dict[int, list[Interne]] = {}
        for interne in members:
            by_type.setdefault(classes.mask(interne.id), []).append(interne)
        functions = {}
        for mask, group in by_type.items():
            positions = [self.position[i.id] for i in group]
            values: list[cp_model.LinearExprT] = [0] * (len(group) + 1)
            for k in range(len(group) - 1, -1, -1):
                out = self._out_of_round(group[k].id, r)
                if not out and isinstance(values[k + 1], int):
                    values[k] = values[k + 1] + 1
                else:
                    total = self.model.new_int_var(0, len(group) - k, f"left[{r},{mask},{k}]")
                    self.model.add(total == values[k + 1] + 1 - sum(out))
                    values[k] = total

            def at(position: int, positions=positions, values=values):
                return values[bisect.bisect_left(positions, position)]

            functions[mask] = at
        return functions

    def _imposable_choices(
        self, interne: Interne, r: int, keeps: dict[int | None, Literal],
        classes: MandatoryClasses,
    ) -> None:
        """Each choice keeps the fill; nothing only if nothing keeps it; outside the list only
        when taking nothing lowers it, on the first mandatory terrain in file order that is
        open, eligible and keeps it (R-IMP Reading, steps 2-5)."""
        model = self.model
        in_round = [
            (t, lit) for t, lit in self.vars.by_interne.get(interne.id, [])
            if self.round_of[t] == r
        ]
        for terrain_id, literal in in_round:
            keep = keeps[classes.class_of.get(terrain_id)]
            self._guard(model.add_bool_or([keep]), "mandatory", literal)
        nothing = [*self._out_of_round(interne.id, r), *(lit for _, lit in in_round),
                   keeps[None]]
        self._guard(model.add(sum(nothing) >= 1), "mandatory")
        mandatory_in_file_order = [
            t.id for t in self.instance.terrains if t.id in classes.class_of
            and self._imposable_slot(interne, t) is not None
        ]
        outside = {
            t: literal for t, literal in in_round if (interne.id, t) in self.vars.outside
        }
        if not outside:
            return
        # outside the list only when taking nothing would lower the fill
        self._guard(model.add(sum(outside.values()) + keeps[None] <= 1), "mandatory")
        # ... on the first mandatory terrain in file order that is open and keeps the fill:
        # every earlier one is full or would lower it. ``later`` = "imposed outside the list
        # on a terrain after this one", a running literal from the end of the file.
        later: cp_model.LinearExprT = 0
        for k in range(len(mandatory_in_file_order) - 1, -1, -1):
            terrain_id = mandatory_in_file_order[k]
            if not isinstance(later, int):
                c = classes.class_of[terrain_id]
                self._guard(
                    model.add(self.before(interne.id, terrain_id) >= self.postes[terrain_id]),
                    "mandatory", later, keeps[c],
                )
            if terrain_id in outside and k > 0:
                running = model.new_bool_var(f"imposed_after[{interne.id},{terrain_id}]")
                model.add(running == later + outside[terrain_id])
                later = running

    # --- what the user adds ---------------------------------------------------------------

    def _user_constraints(self) -> None:
        """Forced assignments (``forced[i] = t``, or ``None`` for no poste) and internes that
        must be placed; a pair the variables do not allow is a conflict with eligibility."""
        model = self.model
        for interne_id, terrain_id in self.forced.items():
            placed = self.vars.literals_of(interne_id)
            if terrain_id is None:
                for literal in placed:
                    self._guard(model.add_bool_or([literal.negated()]), "user")
                continue
            literals = self.vars.is_assigned(interne_id, terrain_id)
            if literals:
                self._guard(model.add(sum(literals) == 1), "user")
            elif self._may_take(self.instance.interne(interne_id),
                                self.instance.terrain(terrain_id)):
                self._forbidden_by("priority")  # eligible, but not in their wish list (R-VOE-1)
            else:
                self._forbidden_by("eligibility")
        for interne_id in self.must_place:
            self._guard(model.add(sum(self.vars.literals_of(interne_id)) >= 1), "user")

    def _forbidden_by(self, group: str) -> None:
        """A user constraint asks for a pair that no variable allows: eligibility (R-ELI), or
        a terrain outside the wish list that is no imposition either (R-VOE-1)."""
        clause = []
        if self.explain:
            clause = [self.groups["user"].negated(), self.groups[group].negated()]
        self.model.add_bool_or(clause)
