"""Why a CP-SAT model has no solution: one explainer for the choice day and the plan.

Each group of constraints is enforced by an assumption literal. When the model is infeasible,
CP-SAT's core (``sufficient_assumptions_for_infeasibility``) is *sufficient* but not always
minimal: it may name a group that is not needed. :func:`minimal_core` shrinks it by deletion
(QuickXplain's simplest form): each candidate, in the caller's preference order, is tried
away; it stays only if the model becomes feasible without it. Every group left is then needed,
and the order decides which minimal explanation is found when there are several (the
candidates tried first are the ones an explanation can best do without).

:func:`smallest_to_drop` answers the user's question ("which of my constraints must go?"): with
the rules held, the fewest of the droppable constraints (forced assignments, internes to place)
to remove so that a solution exists, by maximising the number kept: a minimum correction set,
exact.

Used by :func:`affectation.cpsat.solve` and :func:`affectation.cohort.plan_postes`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from ortools.sat.python import cp_model

__all__ = ["minimal_core", "smallest_to_drop"]

Literal = cp_model.IntVar


def _solver(seed: int, budget: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1  # deterministic
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(budget - time.perf_counter(), 0.1)
    return solver


def minimal_core(
    model: cp_model.CpModel,
    candidates: Sequence[Literal],
    held: Sequence[Literal] = (),
    *,
    time_limit: float | None = None,
    seed: int = 0,
) -> list[Literal]:
    """A minimal subset of ``candidates`` that, with the ``held`` literals, keeps ``model``
    infeasible: deletion in the given order (``candidates`` usually the solver's core, sorted
    by the caller's preference). Clears the model's objective and assumptions. When the time
    limit ends the search, the subset returned is still sufficient, perhaps not minimal."""
    model.clear_objective()
    budget = time.perf_counter() + (time_limit or 60.0)
    keep = list(candidates)
    k = 0
    while k < len(keep) and time.perf_counter() < budget:
        trial = keep[:k] + keep[k + 1:]
        model.clear_assumptions()
        model.add_assumptions([*held, *trial])
        solver = _solver(seed, budget)
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:
            smaller = set(solver.sufficient_assumptions_for_infeasibility())
            keep = [literal for literal in trial if literal.index in smaller] or trial
        elif status == cp_model.UNKNOWN:
            k += 1  # undecided within the budget: keep it, the answer stays sufficient
        else:
            k += 1  # needed: without it the model has a solution
    model.clear_assumptions()
    return keep


def smallest_to_drop(
    model: cp_model.CpModel,
    droppable: Mapping[str, Literal],
    held: Sequence[Literal] = (),
    *,
    time_limit: float | None = None,
    seed: int = 0,
) -> tuple[str, ...] | None:
    """The fewest names of ``droppable`` whose constraints must go for ``model`` to have a
    solution with the ``held`` literals true (a minimum correction set); ``None`` when even
    without all of them there is none, or when the time limit ends the search first. Replaces
    the model's objective and assumptions."""
    if not droppable:
        return None
    budget = time.perf_counter() + (time_limit or 60.0)
    model.clear_assumptions()
    model.add_assumptions(list(held))
    model.maximize(sum(droppable.values()))
    solver = _solver(seed, budget)
    status = solver.solve(model)
    model.clear_objective()
    model.clear_assumptions()
    if status != cp_model.OPTIMAL:
        return None
    return tuple(name for name, literal in droppable.items() if not solver.value(literal))
