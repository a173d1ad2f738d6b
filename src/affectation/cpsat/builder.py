"""The exact CP-SAT model of the choice day: the variables, then the rule groups.

:meth:`ModelBuilder.build` is the table of contents: the variables are created in one place
(:class:`~affectation.cpsat.variables.Variables`), then each rule group of
:mod:`affectation.cpsat.groups` adds its constraints, in any order. The model has no
objective: its constraints leave exactly one allocation, the one the sequential procedure
gives (RULES.md, R-IMP Consequence), so proving feasibility is proving the allocation. Every
group can be guarded by an assumption literal so that, when user constraints make the model
infeasible, the solver's core names the groups in conflict (:mod:`affectation.cpsat.solve`).
docs/model.md gives the formulas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ortools.sat.python import cp_model

from affectation.cpsat.groups import GROUPS, RULES
from affectation.cpsat.variables import Choice, Variables
from affectation.model import Instance

__all__ = ["GROUPS", "ModelBuilder", "Variables"]

Literal = cp_model.IntVar


class ModelBuilder:
    """Builds the CP-SAT model of one instance; ``build()`` reads like the rulebook."""

    free = False
    """The free-imposition variables (:mod:`affectation.cpsat.variables`, ``free``)."""

    def __init__(
        self,
        instance: Instance,
        *,
        postes: Mapping[str, int] | None = None,
        forced: Mapping[str, str | None] | None = None,
        must_place: Sequence[str] = (),
        explain: bool = False,
        step4: str = "pairs",
    ) -> None:
        self.instance = instance
        self.step4 = step4
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
        self.groups: dict[str, Literal] = {}
        self.user_literals: dict[str, Literal] = {}
        """When explaining: one literal per user constraint (``forced[I]=T``,
        ``must_place[I]``), so that the fewest to drop can be named."""
        self.vars: Variables | None = None
        self.rules: dict[str, Callable[[ModelBuilder], None]] = dict(RULES)

    @property
    def order(self) -> Sequence[str]:
        return self.vars.order

    # --- the table of contents ----------------------------------------------------------------

    def build(self, groups: Sequence[str] | None = None) -> cp_model.CpModel:
        """The variables, then every rule group (``groups``: in this order; default, the
        rulebook's). Any order gives the same solution."""
        if self.explain:
            for name in GROUPS:
                self.groups[name] = self.model.new_bool_var(f"group[{name}]")
            self.model.add_assumptions(list(self.groups.values()))
        self.vars = Variables(
            self.instance, self.model, self.postes, explain=self.explain, free=self.free,
            step4=self.step4,
        )
        names = list(self.rules) if groups is None else list(groups)
        if sorted(names) != sorted(self.rules):
            raise ValueError(f"build() needs each of {sorted(self.rules)} once, got {names}")
        for name in names:
            self.rules[name](self)
        return self.model

    # --- for the groups -----------------------------------------------------------------------

    def guard(self, constraint: cp_model.Constraint, group: str, *when: Literal) -> None:
        """Enforce ``constraint`` when ``when`` hold and, when explaining, its group is on."""
        literals = list(when)
        if self.explain:
            literals.append(self.groups[group])
        if literals:
            constraint.only_enforce_if(literals)

    def user_literal(self, name: str) -> tuple[Literal, ...]:
        """The literal of one user constraint when explaining (held by an assumption), to pass
        as ``when`` to :meth:`guard`; nothing otherwise."""
        if not self.explain:
            return ()
        if name not in self.user_literals:
            literal = self.model.new_bool_var(f"user[{name}]")
            self.user_literals[name] = literal
            self.model.add_assumptions([literal])
        return (self.user_literals[name],)

    def at_most_one(self, literals: Sequence[Literal], group: str) -> None:
        """``add_at_most_one``, or a guarded sum when explaining (no enforced at-most-one)."""
        if self.explain:
            self.guard(self.model.add(sum(literals) <= 1), group)
        else:
            self.model.add_at_most_one(literals)

    def choices(self, solver: cp_model.CpSolver) -> dict[str, Choice]:
        """Each placed interne's ``(terrain, pair, outside the list)`` from the solver."""
        return self.vars.read(solver)
