"""The exact CP-SAT model of R-APP-4: weakly stable, maximum size, then smallest sum of ranks.

One Boolean ``x[dj,terrain]`` per acceptable pair (R-APP-3: the DJ lists the terrain, the
terrain ranks the DJ; a terrain with no free poste gets none), except the pairs
:func:`excluded_pairs` proves in no weakly stable matching (a sound pruning from the instance
alone; ``reduire=False`` turns it off). ``build()`` reads like the
rulebook, one method per rule group, each guarded by an assumption literal when explaining,
so a conflict (with user-imposed placements, ``imposer``) names the groups at fault:

- ``un_terrain_par_dj``: each DJ holds at most one terrain (R-APP-1);
- ``capacite``: a terrain holds at most its free postes (R-APP-7 cap, R-APP-6 renewals out);
- ``stabilite``: no blocking pair (R-APP-4, weak stability): for every acceptable pair
  (d, t) with group g, either d holds t or a terrain d prefers, or t is full of DJ it ranks in
  groups ≤ g: ``free_t · (1 − Σ_{t' ≤_d t} x[d,t']) ≤ Σ_{d' : g_t(d') ≤ g} x[d',t]``;
- ``imposer``: placements the caller imposes (what-ifs, tests), none by default.

Objective: maximise ``W · size − Σ ranks`` with ``W`` larger than any sum of ranks, so the
size comes first (lexicographic). Renewing DJ are placed before and count in neither. The
model is never given another engine's answer: no hint, no bound, no fixing from it. Among
matchings equally good on both criteria the one returned is the solver's (fixed seed, one
worker by default): deterministic for a given OR-Tools version, not a rule on the DJ.
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Mapping

from ortools.sat.python import cp_model

from affectation.appariement.deferred import build_result
from affectation.appariement.model import Appariement, Resultat
from affectation.appariement.rules import free_postes, participants
from affectation.errors import AffectationError

__all__ = ["GROUPS", "ExactModel", "NoMatching", "solve_exact"]

GROUPS = ("un_terrain_par_dj", "capacite", "stabilite", "imposer")
"""The rule groups, in the rulebook's order; each can be blamed in a conflict."""


class NoMatching(AffectationError):
    """The exact model found no matching: imposed placements in conflict, or a time limit.

    ``status`` is the solver's status name, ``conflict`` the rule groups in conflict.
    """

    code = "E-AUCUN-APPARIEMENT"

    def __init__(self, status: str, conflict: tuple[str, ...] = ()) -> None:
        self.status = status
        self.conflict = conflict
        text = f"aucun appariement trouvé (statut du solveur {status})"
        if conflict:
            text += f" ; groupes de règles en conflit : {', '.join(conflict)}"
        super().__init__(text)


class ExactModel:
    """The CP-SAT model of one appariement; ``build()`` is the table of contents."""

    def __init__(self, instance: Appariement, *, imposer: Mapping[str, str | None] | None = None,
                 explain: bool = False, reduire: bool = True) -> None:
        self.instance = instance
        self.reduire = reduire
        self.imposer = dict(imposer or {})
        self.explain = explain
        self.model = cp_model.CpModel()
        self.groups: dict[str, cp_model.IntVar] = {}
        self.free = free_postes(instance)
        self.x: dict[tuple[str, str], cp_model.IntVar] = {}
        self.rank: dict[tuple[str, str], int] = {}

    # --- the table of contents --------------------------------------------------------------

    def build(self) -> cp_model.CpModel:
        """The variables, then every rule group, then the objective."""
        if self.explain:
            for name in GROUPS:
                self.groups[name] = self.model.new_bool_var(f"group[{name}]")
            self.model.add_assumptions(list(self.groups.values()))
        self._variables()
        self._one_terrain_per_dj()
        self._capacity()
        self._stability()
        self._imposed()
        self._objective()
        return self.model

    def guard(self, constraint: cp_model.Constraint, group: str) -> None:
        """Enforce ``constraint`` only when its group's assumption holds (when explaining)."""
        if self.explain:
            constraint.only_enforce_if(self.groups[group])

    # --- variables --------------------------------------------------------------------------

    def _variables(self) -> None:
        """One Boolean per acceptable pair with a free poste (R-APP-3), except the pairs
        :func:`excluded_pairs` proves in no weakly stable matching (when ``reduire``)."""
        instance = self.instance
        self.excluded, self.forced = (excluded_pairs(instance, self.free) if self.reduire
                                      else (set(), {}))
        for dj in participants(instance):
            for rank, terrain_id in enumerate(dj.voeux, start=1):
                if (self.free[terrain_id] > 0 and instance.groupe(terrain_id, dj.id) is not None
                        and (dj.id, terrain_id) not in self.excluded):
                    self.x[dj.id, terrain_id] = self.model.new_bool_var(
                        f"x[{dj.id},{terrain_id}]")
                    self.rank[dj.id, terrain_id] = rank
        for dj_id, terrain_id in self.forced.items():  # held in every weakly stable matching
            self.model.add(self.x[dj_id, terrain_id] == 1)

    def by_dj(self) -> dict[str, list[tuple[str, cp_model.IntVar]]]:
        """DJ → their variables in wish order."""
        table: dict[str, list[tuple[str, cp_model.IntVar]]] = {}
        for (dj_id, terrain_id), var in self.x.items():
            table.setdefault(dj_id, []).append((terrain_id, var))
        return table

    def by_terrain(self) -> dict[str, list[tuple[str, cp_model.IntVar]]]:
        table: dict[str, list[tuple[str, cp_model.IntVar]]] = {}
        for (dj_id, terrain_id), var in self.x.items():
            table.setdefault(terrain_id, []).append((dj_id, var))
        return table

    # --- rule groups --------------------------------------------------------------------------

    def _one_terrain_per_dj(self) -> None:
        """R-APP-1: a DJ holds at most one terrain."""
        for variables in self.by_dj().values():
            if len(variables) > 1:
                self.guard(self.model.add(sum(v for _, v in variables) <= 1),
                           "un_terrain_par_dj")

    def _capacity(self) -> None:
        """R-APP-6/7: a terrain holds at most its free postes."""
        for terrain_id, variables in self.by_terrain().items():
            if len(variables) > self.free[terrain_id]:
                self.guard(self.model.add(sum(v for _, v in variables) <= self.free[terrain_id]),
                           "capacite")

    def _stability(self) -> None:
        """R-APP-4: no blocking pair (weak stability), one linear constraint per pair.

        ``held[t,g]``, the DJ the terrain holds in its groups up to ``g``, is a running count
        along the ranking (``held[t,g] = held[t,g-1] + Σ_{group g} x``, domain ``[0, free]``),
        so each pair's constraint has a handful of terms, not one per better-ranked DJ."""
        instance = self.instance
        held: dict[tuple[str, int], cp_model.IntVar] = {}
        for terrain_id, variables in self.by_terrain().items():
            free = self.free[terrain_id]
            by_group: dict[int, list[cp_model.IntVar]] = {}
            for dj_id, var in variables:
                by_group.setdefault(instance.groupe(terrain_id, dj_id), []).append(var)
            previous = None
            for group in sorted(by_group):
                count = self.model.new_int_var(0, free, f"held[{terrain_id},{group + 1}]")
                self.guard(self.model.add(count == (previous if previous is not None else 0)
                                          + sum(by_group[group])), "stabilite")
                held[terrain_id, group] = previous = count
        groups_of = {t: sorted(g for (u, g) in held if u == t) for t in self.free}
        for dj in participants(instance):
            prefix: list[cp_model.IntVar] = []
            for terrain_id in dj.voeux:
                group = instance.groupe(terrain_id, dj.id)
                free = self.free[terrain_id]
                if group is None or free <= 0:
                    continue
                var = self.x.get((dj.id, terrain_id))
                if var is not None:
                    prefix.append(var)
                # the terrain's running count up to the DJ's group (0 if it holds none there)
                below = groups_of[terrain_id][: bisect.bisect_right(groups_of[terrain_id], group)]
                count = held[terrain_id, below[-1]] if below else 0
                self.guard(self.model.add(free * (1 - sum(prefix)) <= count), "stabilite")

    def _imposed(self) -> None:
        """Placements imposed by the caller (``None``: the DJ stays unplaced)."""
        for dj_id, terrain_id in self.imposer.items():
            variables = dict(self.by_dj().get(dj_id, []))
            if terrain_id is None:
                for var in variables.values():
                    self.guard(self.model.add(var == 0), "imposer")
            elif terrain_id in variables:
                self.guard(self.model.add(variables[terrain_id] == 1), "imposer")
            else:
                flag = self.model.new_bool_var(f"impossible[{dj_id},{terrain_id}]")
                self.guard(self.model.add(flag == 1), "imposer")
                self.model.add(flag == 0)

    def _objective(self) -> None:
        """Size first, then the smallest sum of wish ranks (R-APP-4)."""
        longest: dict[str, int] = {}
        for (dj_id, _), rank in self.rank.items():
            longest[dj_id] = max(longest.get(dj_id, 0), rank)
        weight = sum(longest.values()) + 1
        self.weight = weight
        self.model.maximize(sum(weight * v - self.rank[key] * v for key, v in self.x.items()))

    def matching(self, solver: cp_model.CpSolver) -> dict[str, str | None]:
        """The one place solver values become a DJ → terrain map."""
        return {d: t for (d, t), v in self.x.items() if solver.boolean_value(v)}


def excluded_pairs(instance: Appariement, free: Mapping[str, int]
                   ) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """The acceptable pairs in no weakly stable matching, and the DJ who hold the same terrain
    in every one: a sound reduction computed from the instance alone (the pruning of Irving
    and Manlove for ties on one side), never from another engine's answer.

    A DJ's *first open* terrain is the first acceptable terrain of their list (free poste,
    ranks them) whose pair is not excluded. Two rules, repeated until nothing changes:

    - *exclude*: if at least ``free[t]`` DJ whose first open terrain is ``t`` sit in groups
      strictly better than ``d``'s, ``d`` never holds ``t``: each of them holds ``t`` or, holding
      something worse, blocks with ``t`` unless ``t`` is full of DJ ranked above ``d``;
    - *force*: if ``t`` is ``d``'s first open terrain and fewer than ``free[t]`` other DJ with a
      pair at ``t`` not excluded sit in groups at least as good as ``d``'s, ``d`` holds ``t``
      (else ``d`` and ``t`` block); every later pair of ``d`` is then excluded.

    The stability constraint of an excluded pair is kept: only its variable goes.
    """
    lists = {d.id: [t for t in d.voeux if free[t] > 0 and instance.groupe(t, d.id) is not None]
             for d in participants(instance)}
    applicants: dict[str, list[str]] = {}
    for dj_id, wishes in lists.items():
        for t in wishes:
            applicants.setdefault(t, []).append(dj_id)
    excluded: set[tuple[str, str]] = set()
    forced: dict[str, str] = {}
    position = dict.fromkeys(lists, 0)
    changed = True
    while changed:
        changed = False
        proposers: dict[str, list[str]] = {}
        for dj_id, wishes in lists.items():
            while position[dj_id] < len(wishes) and (dj_id, wishes[position[dj_id]]) in excluded:
                position[dj_id] += 1
            if position[dj_id] < len(wishes):
                proposers.setdefault(wishes[position[dj_id]], []).append(dj_id)
        for t, people in proposers.items():
            groups = sorted(instance.groupe(t, d) for d in people)
            if len(groups) >= free[t]:
                threshold = groups[free[t] - 1]
                for dj_id in applicants[t]:
                    if instance.groupe(t, dj_id) > threshold and (dj_id, t) not in excluded:
                        excluded.add((dj_id, t))
                        changed = True
            remaining = sorted(instance.groupe(t, d) for d in applicants[t]
                               if (d, t) not in excluded)
            for dj_id in people:
                if dj_id in forced or (dj_id, t) in excluded:
                    continue
                group = instance.groupe(t, dj_id)
                if bisect.bisect_right(remaining, group) - 1 < free[t]:
                    forced[dj_id] = t
                    later = lists[dj_id][lists[dj_id].index(t) + 1:]
                    for other in later:
                        if (dj_id, other) not in excluded:
                            excluded.add((dj_id, other))
                            changed = True
    return excluded, forced


def solve_exact(instance: Appariement, *, time_limit: float | None = None, workers: int = 1,
                seed: int = 0, imposer: Mapping[str, str | None] | None = None,
                explain: bool = False, reduire: bool = True) -> Resultat:
    """Solve the exact model; a :class:`NoMatching` when it finds none (its ``conflict``
    names the rule groups when ``explain`` or imposed placements are given)."""
    start = time.perf_counter()
    explain = explain or bool(imposer)
    # a conflict explanation switches groups off: the reduction assumes stability holds
    model = ExactModel(instance, imposer=imposer, explain=explain,
                       reduire=reduire and not explain)
    model.build()
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if time_limit is not None:
        solver.parameters.max_time_in_seconds = time_limit
    status = solver.solve(model.model)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        conflict: tuple[str, ...] = ()
        if status == cp_model.INFEASIBLE and explain:
            core = set(solver.sufficient_assumptions_for_infeasibility())
            conflict = tuple(g for g, lit in model.groups.items() if lit.index in core)
        raise NoMatching(name, conflict)
    proto = model.model.proto
    info = {
        "statut": name,
        "optimal": status == cp_model.OPTIMAL,
        "temps": round(time.perf_counter() - start, 3),
        "variables": len(proto.variables),
        "contraintes": len(proto.constraints),
        "objectif": round(solver.objective_value),
        "borne": round(solver.best_objective_bound),
        "taille_max": math.ceil(solver.best_objective_bound / model.weight),
    }
    return build_result(instance, model.matching(solver), "cpsat", solveur=info)
