"""What only the model can answer: the fewest impositions if the imposition order were free.

The rulebook imposes from the last-ranked up, one imposable interne at a time, as the fill
requires (R-IMP-2, R-IMP-3). :func:`fewest_impositions` keeps every other rule and the same
number of mandatory postes filled, but lets the administration choose *whom* to impose: the
difference with the sequential count is what the Besançon procedure costs. It is solved from
the same builder, with the mandatory group replaced (:class:`FreeImpositionBuilder`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import attrs
from ortools.sat.python import cp_model

from affectation.cpsat.builder import ModelBuilder
from affectation.cpsat.solve import solve
from affectation.model import Instance

__all__ = ["FewestImpositions", "FreeImpositionBuilder", "fewest_impositions"]


@attrs.frozen
class FewestImpositions:
    """The answer: the minimum number of impositions against the rulebook's count."""

    minimum: int
    """Fewest impositions that fill as many mandatory postes (``-1`` if not solved)."""
    rulebook: int
    """Impositions of the sequential procedure (R-IMP Reading)."""
    imposed: tuple[str, ...]
    """Whom the free choice imposes (one optimal set, in the order of choice)."""
    filled: int
    """Mandatory postes filled in both."""
    lower_bound: int
    """Proven lower bound (equal to ``minimum`` when ``optimal``)."""
    status: str
    optimal: bool
    wall_time: float


class FreeImpositionBuilder(ModelBuilder):
    """The choice-day model where any imposable interne may be imposed, in any order.

    Every interne not imposed gets the best wish open at their turn (the priority group is
    unchanged: its ``keep`` literal is ``not imp[i]``); an imposed interne (``imp[i]``) takes a
    mandatory terrain they are eligible for, in or outside their list (one literal per
    outside pair, ``Variables(free=True)``); the mandatory postes filled in each round are at
    least the rulebook's; the objective is the number of impositions.
    """

    free = True

    def __init__(self, instance: Instance, *, filled: dict[int, int], **kwargs) -> None:
        super().__init__(instance, **kwargs)
        self.filled = filled
        self.rules["mandatory"] = FreeImpositionBuilder._free_mandatory

    @property
    def imposed(self) -> Mapping[str, cp_model.IntVar]:
        return self.vars.imposed_free_all()

    def _free_mandatory(self) -> None:
        """R-IMP-1 kept as a count; R-IMP-2/3's order replaced by a free choice."""
        model, v = self.model, self.vars
        for interne_id, imp in v.imposed_free_all().items():
            mandatory = [p.literal for p in v.placements(interne_id) if p.cls is not None]
            model.add_bool_or(mandatory).only_enforce_if(imp)
            for p in v.placements(interne_id):
                if p.kind == "outside":
                    model.add_implication(p.literal, imp)
        for r, target in self.filled.items():
            holders = [
                lit
                for terrain in self.instance.terrains
                if v.round_of[terrain.id] == r and self.instance.is_mandatory(terrain)
                for _, lits in v.holders_of(terrain.id)
                for lit in lits
            ]
            model.add(sum(holders) >= target)
        model.minimize(sum(v.imposed_free_all().values()))


def fewest_impositions(
    instance: Instance, *, time_limit: float | None = 60.0, workers: int = 1, seed: int = 0
) -> FewestImpositions:
    """The fewest impositions that fill as many mandatory postes as the rulebook does, if the
    administration could choose whom to impose (R-IMP-2, R-IMP-3 relaxed; everything else
    kept).

    The rulebook's allocation is a solution of the free model and seeds the search, so the
    answer is never worse than the rulebook; within ``time_limit`` the minimum may be unproven
    (``optimal`` false, ``lower_bound`` what is proven)."""
    started = time.perf_counter()
    exact = solve(instance, time_limit=time_limit, workers=workers, seed=seed)
    filled: dict[int, int] = {}
    for a in exact.affectations:
        if a.terrain is None or a.surnombre is not None:
            continue
        if instance.is_mandatory(instance.terrain(a.terrain)):
            r = instance.terrain_round[a.terrain]
            filled[r] = filled.get(r, 0) + 1
    builder = FreeImpositionBuilder(instance, filled=filled)
    model = builder.build()
    chosen = {(a.interne, a.terrain) for a in exact.affectations if a.terrain is not None}
    for (interne_id, terrain_id), literal in builder.vars.assignments().items():
        model.add_hint(literal, (interne_id, terrain_id) in chosen)
    for interne_id, imp in builder.imposed.items():
        model.add_hint(imp, interne_id in exact.impositions)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if time_limit is not None:
        solver.parameters.max_time_in_seconds = time_limit
    status = solver.solve(model)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    imposed = tuple(
        i for i in builder.order
        if i in builder.imposed and found and solver.boolean_value(builder.imposed[i])
    )
    return FewestImpositions(
        minimum=len(imposed) if found else -1,
        rulebook=len(exact.impositions),
        imposed=imposed,
        filled=sum(filled.values()),
        lower_bound=int(solver.best_objective_bound) if found else 0,
        status=solver.status_name(status),
        optimal=status == cp_model.OPTIMAL,
        wall_time=time.perf_counter() - started,
    )
