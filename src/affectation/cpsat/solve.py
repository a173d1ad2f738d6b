"""Solve the CP-SAT model and turn the solver's values into a :class:`~affectation.Result`.

:func:`solve` is the exact engine (``methode = "cpsat"``). :func:`to_result` is the one place
where solver values become domain objects: it rebuilds wish ranks, maquette slots, impositions
and the reasons of internes left without a poste from the allocation alone.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from ortools.sat.python import cp_model

from affectation.cpsat.builder import ModelBuilder
from affectation.cpsat.explain import minimal_core, smallest_to_drop
from affectation.cpsat.variables import Choice
from affectation.errors import NoAllocation
from affectation.model import Instance
from affectation.result import Affectation, Refusal, Result, SolveInfo, SolveStatus
from affectation.rules.reasons import Reason
from affectation.rules.turn import Round, imposed, reach
from affectation.rules.voeux import no_poste_reason, own_rank

__all__ = ["solve", "to_result"]



def solve(
    instance: Instance,
    *,
    time_limit: float | None = None,
    workers: int = 1,
    seed: int = 0,
    hint: bool = False,
    postes: Mapping[str, int] | None = None,
    forced: Mapping[str, str | None] | None = None,
    must_place: Sequence[str] = (),
    explain: bool | None = None,
    presolve: bool = False,
    linearization_level: int = 0,
    step4: str = "pairs",
) -> Result:
    """The exact CP-SAT model of the choice day (``methode = "cpsat"``).

    ``postes`` overrides the postes of some terrains (open or close postes from the same
    builder); ``forced`` and ``must_place`` add user constraints. When they make the rules
    unsatisfiable, :class:`~affectation.errors.NoAllocation` is raised and its
    ``info.conflict`` names the rule groups in conflict (``explain`` defaults to on when user
    constraints are given); so it is when the time limit ends the search first. ``hint=True``
    seeds the search with the serial engine's allocation (a speed option only).
    ``presolve`` is off by default: the constraints fix the allocation by propagation alone,
    and CP-SAT's presolve costs more than it saves here (benchmarks/README.md).
    ``linearization_level`` is CP-SAT's parameter of that name, 0 by default (no linear
    relaxation): the model has no objective for an LP to bound, and at 5,000 internes the
    relaxation and its cuts cost more than the propagation they add (docs/model.md).
    ``step4`` chooses the encoding of impositions outside the wish list: ``"pairs"`` (one
    literal per imposable interne and mandatory terrain) or ``"classes"`` (one per mandatory
    class; a smaller model, slower to solve today); the allocation is the same.
    Deterministic for a given instance, seed and worker count.
    """
    if explain is None:
        explain = bool(forced or must_place)
    started = time.perf_counter()
    builder = ModelBuilder(
        instance, postes=postes, forced=forced, must_place=must_place, explain=explain,
        step4=step4,
    )
    model = builder.build()
    if hint:
        _add_hint(builder, instance, postes)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.cp_model_presolve = presolve
    solver.parameters.linearization_level = linearization_level
    if time_limit is not None:
        solver.parameters.max_time_in_seconds = time_limit
    status = solver.solve(model)
    proto = model.proto
    conflict: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    if status == cp_model.INFEASIBLE and explain:
        conflict, drop = _explain(builder, solver, time_limit, seed)
    info = SolveInfo(
        status=SolveStatus(solver.status_name(status)),
        wall_time=time.perf_counter() - started,
        variables=len(proto.variables),
        constraints=len(proto.constraints),
        optimal=status == cp_model.OPTIMAL,
        conflict=conflict,
        drop=drop,
    )
    if not info.status.has_allocation:
        raise NoAllocation(info)
    choices = builder.choices(solver)
    return to_result(instance, builder.order, choices, builder.postes, info)


EXPLAIN_ORDER = ("one_terrain", "eligibility", "couples", "mandatory", "capacity", "priority",
                 "user")
"""The order in which rule groups are tried away from a conflict: the ones that explain least
first; the user's constraints last, so they stay in the explanation when another exists."""


def _explain(builder: ModelBuilder, solver: cp_model.CpSolver, time_limit: float | None,
             seed: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A minimal set of rule groups in conflict, in the rulebook's order, and the fewest user
    constraints to drop (:mod:`affectation.cpsat.explain`)."""
    core = set(solver.sufficient_assumptions_for_infeasibility())
    groups = builder.groups
    candidates = [groups[name] for name in EXPLAIN_ORDER
                  if name in groups and groups[name].index in core]
    users = list(builder.user_literals.values())
    kept = {literal.index for literal in minimal_core(
        builder.model, candidates, users, time_limit=time_limit, seed=seed)}
    conflict = tuple(name for name, literal in groups.items() if literal.index in kept)
    drop = smallest_to_drop(builder.model, builder.user_literals, list(groups.values()),
                            time_limit=time_limit, seed=seed)
    return conflict, drop or ()


def _add_hint(builder: ModelBuilder, instance: Instance, postes) -> None:
    """Hint the serial allocation (speed only; the constraints alone fix the solution)."""
    from affectation.serial import serial_dictatorship

    if postes:
        return  # the serial engine reads the instance's postes; no hint for overrides
    result = serial_dictatorship(instance)
    joint = {t.interne: t.voeu for t in result.trace if t.joint and t.terrain}
    by_interne = result.by_interne  # built once: a property that makes a new dict
    v = builder.vars
    for (interne_id, terrain_id), literal in v.assignments().items():
        a = by_interne[interne_id]
        builder.model.add_hint(literal, a.terrain == terrain_id and interne_id not in joint)
    for (c, k), literal in v.joint.items():
        a = by_interne[instance.couples[c].internes[0]]
        builder.model.add_hint(literal, joint.get(a.interne) == k + 1)
    for interne in v.imposable:
        a = by_interne[interne.id]
        outside = a.terrain is not None and a.terrain not in interne.voeux
        for r in range(v.n_rounds):
            for c, literal in v.imposed_in(interne.id, r).items():
                builder.model.add_hint(literal, outside and v.class_of(a.terrain) == c
                                       and v.round_of[a.terrain] == r)


def to_result(
    instance: Instance,
    order: Sequence[str],
    choices: Mapping[str, Choice],
    postes: Mapping[str, int],
    info: SolveInfo | None = None,
) -> Result:
    """Domain objects from an allocation: wish ranks, slots, impositions, reasons, vacants.

    Walks each round in its call order (R-ROUND-2) with the turn kernel
    (:class:`~affectation.rules.turn.Round`), placing each interne where the allocation put
    them, and asks it at each turn which better wishes were open (an imposition, R-IMP Reading
    step 3) and why an unplaced interne's wishes were refused (R-VOE-1).
    """
    round_of = instance.terrain_round
    free = dict(postes)
    placed: set[str] = set()
    done: dict[str, Affectation] = {}
    refused: dict[str, list[Refusal]] = {}
    for r in range(len(instance.rounds)):
        rnd = Round(instance, r, free, placed)
        now: list[str] = []
        for interne_id, refusals in rnd.left_out(placed):  # R-ROUND-2: not called
            refused.setdefault(interne_id, []).extend(Refusal(*x) for x in refusals)
        for interne_id in rnd.order:  # the round's call order (R-ROUND-2)
            if interne_id in placed:
                continue
            interne = instance.interne(interne_id)
            choice = choices.get(interne_id)
            if choice is None or round_of[choice[0]] != r:
                for rank, t in rnd.wishes(interne):
                    reason, _ = rnd.status(interne, instance.terrain(t))
                    refused.setdefault(interne_id, []).append(
                        Refusal(t, rank, reason or Reason.WOULD_LOWER_FILL))
                rnd.end_turn(interne)
                continue
            terrain_id, pair, outside = choice
            if pair is not None:
                voeu = own_rank(interne, terrain_id)  # FORMAT.md: the place in their own list
                impose = False
            else:
                voeu = None if outside else interne.voeux.index(terrain_id) + 1
                impose = imposed(instance, interne, voeu, rnd.first_open(interne))
            done[interne_id] = Affectation(
                interne=interne_id, terrain=terrain_id,
                stage=reach(instance, interne, instance.terrain(terrain_id))[1], voeu=voeu,
                impose=impose, surnombre=interne.surnombre, round=instance.rounds[r].nom)
            rnd.end_turn(interne)
            rnd.place(interne, terrain_id)
            now.append(interne_id)
        placed.update(now)
    affectations = [
        done.get(i) or Affectation(
            interne=i, terrain=None, surnombre=instance.interne(i).surnombre,
            raison=no_poste_reason(instance.interne(i), refused.get(i, ())))
        for i in order
    ]
    vacants = [(t.id, free[t.id]) for t in instance.terrains if free[t.id] > 0]
    impositions = [a.interne for a in affectations if a.impose]
    return Result("cpsat", order, affectations, vacants, impositions, info=info)
