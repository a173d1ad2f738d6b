"""The exact CP-SAT model at scale: the full-rule model against a bare stability model.

Generated instances (``affectation.datasets.generate``, seed 0) of 100, 1,500 and 5,000 internes,
with wish lists of 40 terrains and of every relevant terrain (``wish_length=None``), the
generator's defaults otherwise (obligatoires urgences + praticien_n1, 2% surnombres, 2 couples,
5% already imposed). On the same wish lists, side by side in one run:

* ``full``: the model of ``affectation.cpsat`` as :func:`affectation.cpsat.solve` builds and
  solves it, timed in two parts: *build* = ``ModelBuilder(instance).build()``, *solve* = a
  ``CpSolver`` on it with the parameters ``solve()`` sets (``num_workers=1``,
  ``random_seed=0``, ``cp_model_presolve=False``, ``linearization_level=0``, no time limit,
  no hint);
* ``full-2cores``: the same with ``num_workers=2`` (the machine has 2 cores);
* ``full-classes``: the builder with ``step4="classes"`` (impositions outside the lists by
  mandatory class instead of one literal per terrain; docs/model.md);
* ``bare`` and ``bare-2cores``: :func:`build_bare` below, the same wish lists as a bare
  stability model: ``x[i,t]`` for every wish (no eligibility filtering, no maquette), at most
  one per interne, a capacity per terrain, running counts ``before(i,t)`` per terrain along
  ``choice_order(instance)`` (one integer per holder, domain ``[0, min(k+1, postes)]``), chain
  literals ``g[i,q] = g[i,q-1] + x[i,w_q]`` and the no-envy constraint
  ``before(i,w) >= postes(w)`` enforced by ``not g[i,q]``: exactly the builder's encoding of the
  ``one_terrain``, ``capacity`` and ``priority`` groups with everyone consuming postes (no
  surnombre), no couple, no mandatory fill, no round. Solved with the same parameters;
* ``full-build`` and ``bare-build``: the model built, not solved: the build's share of the
  peak memory, and the model's size where a solve would not fit in memory;
* ``serial``: ``affectation.serial_dictatorship(instance)``, for scale;
* ``full-lp``: with ``linearization_level=1`` (CP-SAT's default: the linear relaxation), a
  diagnostic that documents why ``solve()`` turns it off;
* diagnostics, up to 1,500 internes unless ``--all-variants``: ``full-presolve``, with
  ``cp_model_presolve=True`` (documents why ``solve()`` turns presolve off), and
  ``full-nosym``, with ``symmetry_level=0`` (the symmetry detection CP-SAT runs before the
  search even without presolve).

Every case runs in a fresh process (``_common.measure``, one call per process): the peak is
the process's resident memory during the call (``peak_mib``: extra over the process before the
call, the ``_common`` convention; ``rss_peak_mib``: the whole process, interpreter, OR-Tools and
the instance included: what a user's process needs). Solved model cases are repeated in fresh
processes (3 at 100 internes and at 1,500 with 40 wishes, once above), best of the
build + solve totals; ``serial`` is the best of at least 3 calls (and 1 s of calls) in one
process.

Checked in the same run: the bare model's allocation equals :func:`bare_loop` (in the choice
order, the first wish with a free poste; capacities only), and the full model's (every solved
variant) equals the serial engine's (interne -> terrain).

Guards: a case is skipped, and recorded with the reason, when its peak or time, estimated
from what was measured before, would not fit in 75% of the available memory, in what is left
of ``--budget`` or in 300 s: a solve from its model built at the same size (the ``*-build``
case) times the solve / build ratios at the previous size (the solver's memory follows the
model's size); other cases from the same case at the previous size, scaled by :func:`growth`.
A process running over its time is stopped (recorded too). The full model's solves above
1,500 internes run after every other case (:func:`deferred`).

    .venv/bin/python benchmarks/cpsat.py             # everything, about 20 minutes on 2 cores
    .venv/bin/python benchmarks/cpsat.py --quick     # 100 and 1,500 internes, about 2 minutes
    .venv/bin/python benchmarks/cpsat.py --sizes 1500 --wishes 40
    .venv/bin/python benchmarks/cpsat.py --profile 1500 --wishes 40  # cProfile + solver log
    .venv/bin/python benchmarks/cpsat.py --profile 1500 --wishes 40 --model bare --workers 2
    .venv/bin/python benchmarks/cpsat.py --profile 5000 --wishes 40 --time-limit 420
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

from _common import (
    TimeBudgetExceeded,
    bare_loop,
    git_commit,
    identity,
    machine,
    measure,
    peak_method,
    print_table,
    wish_length,
    write_json,
)
from ortools.sat.python import cp_model

from affectation import serial_dictatorship
from affectation.cpsat.builder import ModelBuilder
from affectation.datasets import generate
from affectation.model import Instance
from affectation.rules.order import choice_order

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "cpsat.json"

SIZES = (100, 1500, 5000)
WISHES = ("40", "all")
SEED = 0
BUDGET = 1200.0
"""Seconds the whole run may take; cases that would not fit are skipped (recorded)."""
MEMORY_SHARE = 0.75
"""Share of ``MemAvailable`` an extrapolated peak may use before its case is skipped."""
CASE_TIMEOUT = 300.0
"""Seconds one process may take before it is stopped (and its case recorded as skipped)."""
DIAGNOSTIC_UP_TO = 1500
"""The diagnostic variants run up to this many internes (``--all-variants``: everywhere)."""
MIN_BASE_ENTRIES = 20_000
"""Fewest wish-list entries a measured case needs to be extrapolated from."""
TARGET_RATIO = 1.3
TARGET_MEMORY_MIB = 1536.0
TARGET_5000_S = 60.0

_SOLVE = {"solve": True, "workers": 1, "presolve": False, "extra": {"linearization_level": 0}}
_BUILD = {"solve": False, "workers": None, "presolve": None, "extra": {}}
CASES: dict[str, dict[str, Any]] = {
    "full-build": {"model": "full", **_BUILD},
    "bare-build": {"model": "bare", **_BUILD},
    "bare": {"model": "bare", **_SOLVE},
    "bare-2cores": {"model": "bare", **_SOLVE, "workers": 2},
    "serial": {"model": None, **_BUILD},
    "full": {"model": "full", **_SOLVE},
    "full-2cores": {"model": "full", **_SOLVE, "workers": 2},
    "full-presolve": {"model": "full", **_SOLVE, "presolve": True, "diagnostic": True},
    "full-nosym": {"model": "full", **_SOLVE, "extra": {"symmetry_level": 0},
                   "diagnostic": True},
    "full-lp": {"model": "full", **_SOLVE, "extra": {"linearization_level": 1},
                "diagnostic": True},
    "full-classes-build": {"model": "full-classes", **_BUILD},
    "full-classes": {"model": "full-classes", **_SOLVE},
}
"""The cases, in the order they run at each size (cheap first; see :func:`deferred`): the
model, built only or solved, and the solver parameters. ``*-build`` cases build the model
alone: the build's share of the peak memory, the size of the model, and the base of the
solves' memory estimates."""


# --- the bare stability model -------------------------------------------------------------------


def build_bare(instance: Instance) -> tuple[cp_model.CpModel, dict[tuple[str, str], Any]]:
    """The builder's encoding of one terrain per interne, capacities and rank priority, with
    every wish a variable and everyone consuming postes; nothing else (module docstring)."""
    model = cp_model.CpModel()
    order = choice_order(instance)
    postes = {t.id: t.postes for t in instance.terrains}
    by_id = instance.interne_by_id
    x: dict[tuple[str, str], Any] = {}
    for interne in instance.internes:
        literals = []
        for terrain_id in interne.voeux:
            literal = model.new_bool_var(f"x[{interne.id},{terrain_id}]")
            x[(interne.id, terrain_id)] = literal
            literals.append(literal)
        if len(literals) > 1:
            model.add(sum(literals) <= 1)
    holders: dict[str, list[tuple[str, Any]]] = {t.id: [] for t in instance.terrains}
    for interne_id in order:
        for terrain_id in by_id[interne_id].voeux:
            holders[terrain_id].append((interne_id, x[(interne_id, terrain_id)]))
    for terrain_id, held in holders.items():
        if len(held) > postes[terrain_id]:
            model.add(sum(literal for _, literal in held) <= postes[terrain_id])
    before: dict[tuple[str, str], Any] = {}
    for terrain_id, held in holders.items():
        running: Any = 0
        cap = postes[terrain_id]
        for k, (interne_id, literal) in enumerate(held):
            before[(interne_id, terrain_id)] = running
            total = model.new_int_var(0, min(k + 1, cap), f"count[{terrain_id},{k}]")
            model.add(total == running + literal)
            running = total
    for interne in instance.internes:
        got: Any = 0
        for rank, terrain_id in enumerate(interne.voeux, start=1):
            g = model.new_bool_var(f"g[{interne.id},{rank}]")
            model.add(g == got + x[(interne.id, terrain_id)])
            got = g
            constraint = model.add(before[(interne.id, terrain_id)] >= postes[terrain_id])
            constraint.only_enforce_if(g.negated())
    return model, x


# --- the measured calls (run in fresh processes) ----------------------------------------------


def solver_for(workers: int, presolve: bool, extra: dict[str, Any]) -> cp_model.CpSolver:
    """A ``CpSolver`` with the parameters ``affectation.cpsat.solve`` sets (seed 0, no time
    limit), plus ``extra`` ones."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = SEED
    solver.parameters.cp_model_presolve = presolve
    for name, value in extra.items():
        setattr(solver.parameters, name, value)
    return solver


def build_model(kind: str, instance: Instance):
    """The model and a function reading the allocation (interne -> terrain) off a solver."""
    if kind == "bare":
        model, x = build_bare(instance)

        def allocation(solver: cp_model.CpSolver) -> dict[str, str]:
            return {i: t for (i, t), lit in x.items() if solver.boolean_value(lit)}

        return model, allocation
    builder = ModelBuilder(instance, step4="classes" if kind == "full-classes" else "pairs")
    model = builder.build()

    def allocation(solver: cp_model.CpSolver) -> dict[str, str]:
        # as affectation.cpsat.solve reads it
        return {i: choice[0] for i, choice in builder.choices(solver).items()}

    return model, allocation


def run_model(
    kind: str, instance: Instance, workers: int, presolve: bool, extra: dict[str, Any],
    solve_it: bool,
) -> dict[str, Any]:
    """Build (and solve) one model; the timings, sizes, status, allocation and the process's
    peak resident memory so far (``VmHWM``, reset by ``measure`` just before the call)."""
    start = time.perf_counter()
    model, allocation = build_model(kind, instance)
    build_s = time.perf_counter() - start
    proto = model.proto
    out: dict[str, Any] = {
        "build_s": build_s, "variables": len(proto.variables),
        "constraints": len(proto.constraints), "solve_s": None, "solver_wall_s": None,
        "status": None, "allocation": None,
    }
    if solve_it:
        solver = solver_for(workers, presolve, extra)
        start = time.perf_counter()
        status = solver.solve(model)
        out["solve_s"] = time.perf_counter() - start
        out["solver_wall_s"] = solver.wall_time
        out["status"] = solver.status_name(status)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            out["allocation"] = allocation(solver)
    out["rss_peak_mib"] = _status_kib("VmHWM") / 1024
    return out


def run_serial(instance: Instance) -> dict[str, str]:
    result = serial_dictatorship(instance)
    return {a.interne: a.terrain for a in result.affectations if a.terrain is not None}


def _status_kib(field: str) -> int:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field}:\s*(\d+) kB$", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def mem_available_mib() -> float | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    match = re.search(r"^MemAvailable:\s*(\d+) kB$", text, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


# --- running ----------------------------------------------------------------------------------


def model_repeats(n: int, wishes: str, name: str, quick: bool) -> int:
    if quick or CASES[name]["solve"] is False:
        return 1
    return 3 if n <= 100 or (n <= 1500 and wishes == "40") else 1


class Run:
    """The state of one run: the budget, the cases measured so far, for extrapolation."""

    def __init__(self, budget: float, quick: bool, all_variants: bool) -> None:
        self.started = time.perf_counter()
        self.budget = budget
        self.quick = quick
        self.all_variants = all_variants
        self.cases: list[dict[str, Any]] = []

    def left(self) -> float:
        return self.budget - (time.perf_counter() - self.started)

    def measured(self, name: str, n: int, wishes: str) -> dict[str, Any] | None:
        for c in self.cases:
            if (c["case"], c["internes"], c["wishes"]) == (name, n, wishes):
                return c if c["skipped"] is None and c["total_s"] else None
        return None

    def previous(self, name: str, row: dict[str, Any]) -> dict[str, Any] | None:
        """The same case measured on the most wish-list entries so far, at another size, if
        on enough entries for the fixed costs not to dominate."""
        done = [c for c in self.cases if c["case"] == name and c["skipped"] is None
                and c["total_s"] and c["entries"] >= MIN_BASE_ENTRIES
                and (c["internes"], c["wishes"]) != (row["internes"], row["wishes"])]
        return max(done, key=lambda c: c["entries"]) if done else None

    def estimate(self, name: str, row: dict[str, Any]) -> tuple[float, float] | None:
        """(seconds of one call, whole-process peak MiB) of a case, from a base measured
        before: a solve from its model built at this size, times the solve / build ratios of
        time and extra memory at the previous size; otherwise the same case at the previous
        size scaled by :func:`growth`."""
        spec = CASES[name]
        base = self.previous(name, row)
        if base is None:
            return None
        build_name = f"{spec['model']}-build"
        build = self.measured(build_name, row["internes"], row["wishes"])
        base_build = self.measured(build_name, base["internes"], base["wishes"])
        if spec["solve"] and build and base_build and base_build["peak_mib"] > 0:
            baseline = build["rss_peak_mib"] - build["peak_mib"]
            return (build["total_s"] * base["total_s"] / base_build["total_s"],
                    baseline + build["peak_mib"] * base["peak_mib"] / base_build["peak_mib"])
        if row["entries"] <= base["entries"]:
            return None
        scale = growth(spec["model"], base, row)
        baseline = base["rss_peak_mib"] - base["peak_mib"]  # interpreter, OR-Tools, instance
        return base["total_s"] * scale, baseline + base["peak_mib"] * scale


def growth(model: str, base: dict[str, Any], row: dict[str, Any]) -> float:
    """How much bigger a model gets from ``base`` to ``row``: linear in wish-list entries
    for the bare model; for the full one at least quadratic in internes too (the impositions
    outside the lists give each imposable interne a variable per mandatory terrain, and both
    grow with the promotion)."""
    scale = row["entries"] / base["entries"]
    if model == "full":
        scale = max(scale, (row["internes"] / base["internes"]) ** 2)
    return scale


def skipped_case(row: dict[str, Any], name: str, reason: str) -> dict[str, Any]:
    spec = CASES[name]
    return {
        **row, "case": name, "model": spec["model"], "workers": spec["workers"],
        "presolve": spec["presolve"], "build_s": None, "solve_s": None, "total_s": None,
        "solver_wall_s": None, "status": None, "optimal": None, "variables": None,
        "constraints": None, "peak_mib": None, "rss_peak_mib": None, "repeat": 0,
        "skipped": reason,
    }


def measure_model(
    run: Run, row: dict[str, Any], name: str, instance: Instance, *, repeat: int
) -> tuple[dict[str, Any], dict[str, str] | None]:
    """Run a model case ``repeat`` times, each in a fresh process; keep the best total."""
    spec = CASES[name]
    solve_it = spec["solve"]
    best: dict[str, Any] | None = None
    peak = rss_peak = 0.0
    for _ in range(repeat):
        timeout = min(CASE_TIMEOUT, max(30.0, run.left()))
        try:
            m = measure(run_model, spec["model"], instance, spec["workers"] or 1,
                        bool(spec["presolve"]), spec["extra"], solve_it, repeat=1,
                        timeout=timeout, summarize=identity)
        except TimeBudgetExceeded as over:
            return skipped_case(row, name, f"stopped: {over}"), None
        value = m.value
        value["total_s"] = value["build_s"] + (value["solve_s"] or 0.0)
        peak, rss_peak = max(peak, m.peak_mib), max(rss_peak, value["rss_peak_mib"])
        if best is None or value["total_s"] < best["total_s"]:
            best = value
    assert best is not None
    allocation = best.pop("allocation")
    best.pop("rss_peak_mib")
    case = {
        **row, "case": name, "model": spec["model"], "workers": spec["workers"],
        "presolve": spec["presolve"], "build_s": best["build_s"], "solve_s": best["solve_s"],
        "total_s": best["total_s"],
        "solver_wall_s": best["solver_wall_s"], "status": best["status"],
        "optimal": best["status"] == "OPTIMAL" if solve_it else None,
        "variables": best["variables"], "constraints": best["constraints"],
        "peak_mib": peak, "rss_peak_mib": rss_peak, "repeat": repeat, "skipped": None,
    }
    return case, allocation


def measure_serial(run: Run, row: dict[str, Any], instance: Instance):
    try:
        m = measure(run_serial, instance, repeat=3, min_time=1.0,
                    timeout=max(30.0, run.left()), summarize=identity)
    except TimeBudgetExceeded as over:
        return skipped_case(row, "serial", f"stopped: {over}"), None
    case = {
        **skipped_case(row, "serial", ""), "total_s": m.seconds, "peak_mib": m.peak_mib,
        "repeat": m.calls, "skipped": None,
    }
    return case, m.value


def why_skip(run: Run, name: str, row: dict[str, Any], repeat: int) -> str | None:
    """A reason not to run the case, or ``None``."""
    if CASES[name].get("diagnostic"):
        if run.quick:
            return "--quick: diagnostic variant not run"
        if row["internes"] > DIAGNOSTIC_UP_TO and not run.all_variants:
            return (f"diagnostic variant: run up to {DIAGNOSTIC_UP_TO:,} internes only, to keep "
                    "the run under 20 minutes (--all-variants)")
    guess = run.estimate(name, row)
    available = mem_available_mib()
    if guess is not None and available is not None and guess[1] > MEMORY_SHARE * available:
        return (f"memory: extrapolated peak {guess[1] / 1024:.1f} GiB > {MEMORY_SHARE:.0%} of "
                f"the {available / 1024:.1f} GiB available")
    if run.left() <= 0:
        return "the run's --budget is spent"
    if guess is None:
        return None
    seconds = guess[0]
    if seconds * repeat > run.left():
        return (f"time: extrapolated {seconds * repeat:.0f} s > {max(0, run.left()):.0f} s "
                "left of --budget")
    if seconds > CASE_TIMEOUT:
        return f"time: extrapolated {seconds:.0f} s > {CASE_TIMEOUT:.0f} s per case"
    return None


def deferred(name: str, n: int) -> bool:
    """Full-model solves above 1,500 internes take minutes each (search, not loading): they
    run last, ``full`` first, so that a budget they exhaust does not starve the cheaper
    cases."""
    spec = CASES[name]
    return spec["model"] in ("full", "full-classes") and spec["solve"] and n > DIAGNOSTIC_UP_TO


def benchmark(sizes, wishes_list, run: Run) -> list[dict[str, Any]]:
    later = []
    checks = []
    for n in sizes:
        for wishes in wishes_list:
            instance = generate(n, seed=SEED, wish_length=wish_length(wishes))
            row = {
                "internes": n, "wishes": wishes, "terrains": len(instance.terrains),
                "postes": sum(t.postes for t in instance.terrains),
                "entries": sum(len(i.voeux) for i in instance.internes),
            }
            allocations: dict[str, dict[str, str] | None] = {}
            checks.append((instance, row, allocations))
            for name in CASES:
                if deferred(name, n):
                    later.append((instance, row, allocations, name))
                else:
                    run_case(run, instance, row, allocations, name)
    if later:
        print("  then the full-model solves above "
              f"{DIAGNOSTIC_UP_TO:,} internes:", flush=True)
    later.sort(key=lambda item: item[3] != "full")  # solve()'s parameters first
    for instance, row, allocations, name in later:
        run_case(run, instance, row, allocations, name)
    order = {name: k for k, name in enumerate(CASES)}
    run.cases.sort(key=lambda c: (sizes.index(c["internes"]), wishes_list.index(c["wishes"]),
                                  order[c["case"]]))
    return [check_agreement(*check) for check in checks]


def run_case(run: Run, instance: Instance, row: dict[str, Any],
             allocations: dict[str, dict[str, str] | None], name: str) -> None:
    if name == "serial":
        case, allocations[name] = measure_serial(run, row, instance)
    else:
        repeat = model_repeats(row["internes"], row["wishes"], name, run.quick)
        reason = why_skip(run, name, row, repeat)
        if reason is None:
            case, allocations[name] = measure_model(run, row, name, instance, repeat=repeat)
        else:
            case = skipped_case(row, name, reason)
    _add(run, case)


def _add(run: Run, case: dict[str, Any]) -> None:
    run.cases.append(case)
    head = f"  {case['internes']:>5} internes, wishes {case['wishes']:>3}, {case['case']:<14}"
    if case["skipped"]:
        print(f"{head}: skipped ({case['skipped']}; {run.left():.0f} s left)", flush=True)
    elif case["model"] is None:
        print(f"{head}: {case['total_s']:.3f} s (best of {case['repeat']}), "
              f"peak +{case['peak_mib']:.0f} MiB", flush=True)
    else:
        solve = "" if case["solve_s"] is None else (
            f" + solve {case['solve_s']:.2f} s = {case['total_s']:.2f} s {case['status']}")
        print(f"{head}: build {case['build_s']:.2f} s{solve} (best of {case['repeat']}), "
              f"{case['variables']:,} vars, {case['constraints']:,} constraints, "
              f"peak +{case['peak_mib']:.0f} MiB / {case['rss_peak_mib']:.0f} MiB RSS",
              flush=True)


def check_agreement(
    instance: Instance, row: dict[str, Any], allocations: dict[str, dict[str, str] | None]
) -> dict[str, Any]:
    """bare model == bare loop; full model (every variant solved) == serial engine."""
    loop = bare_loop(instance)
    record: dict[str, Any] = {"internes": row["internes"], "wishes": row["wishes"]}
    pairs = [(name, "bare_loop", loop) for name in ("bare", "bare-2cores")]
    serial = allocations.get("serial")
    pairs += [(name, "serial", serial) for name, spec in CASES.items()
              if spec["model"] in ("full", "full-classes") and spec["solve"]]
    checks = []
    for name, against, reference in pairs:
        mine = allocations.get(name)
        if mine is None or reference is None:
            continue
        differing = sorted(i for i in set(mine) | set(reference)
                           if mine.get(i) != reference.get(i))
        checks.append({"case": name, "against": against, "agree": not differing,
                       "placed": len(mine), "differing_internes": differing[:20]})
    record["checks"] = checks
    text = ", ".join(
        f"{c['case']} {'=' if c['agree'] else '!='} {c['against']} ({c['placed']} placed)"
        for c in checks
    )
    print(f"agreement at {row['internes']} internes, wishes {row['wishes']}: {text or '—'}",
          flush=True)
    return record


# --- summaries ----------------------------------------------------------------------------------


def _get(cases, n, wishes, name) -> dict[str, Any] | None:
    for case in cases:
        if (case["internes"], case["wishes"], case["case"]) == (n, wishes, name):
            return case if case["skipped"] is None else None
    return None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def ratios(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for n, wishes in dict.fromkeys((c["internes"], c["wishes"]) for c in cases):
        get = {name: _get(cases, n, wishes, name) for name in CASES}

        def value(name, key, get=get):
            case = get[name]
            return None if case is None else case[key]

        rows.append({
            "internes": n, "wishes": wishes,
            "full/bare": _ratio(value("full", "total_s"), value("bare", "total_s")),
            "full/bare 2 cores": _ratio(value("full-2cores", "total_s"),
                                        value("bare-2cores", "total_s")),
            "full/bare solve": _ratio(value("full", "solve_s"), value("bare", "solve_s")),
            "full/bare build": _ratio(value("full", "build_s"), value("bare", "build_s")),
            "2 cores/1 core": _ratio(value("full-2cores", "total_s"), value("full", "total_s")),
            "presolve on/off": _ratio(value("full-presolve", "solve_s"),
                                      value("full", "solve_s")),
            "nosym/default": _ratio(value("full-nosym", "solve_s"), value("full", "solve_s")),
            "lp/default": _ratio(value("full-lp", "solve_s"), value("full", "solve_s")),
            "full/serial": _ratio(value("full", "total_s"), value("serial", "total_s")),
            "classes/bare": _ratio(value("full-classes", "total_s"), value("bare", "total_s")),
            "classes/pairs": _ratio(value("full-classes", "total_s"), value("full", "total_s")),
        })
    return rows


def targets(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets where measured: 1,500 x 40 full within 1.3x of the bare model,
    OPTIMAL; 5,000 x 40 proven in under 60 s; full lists at 1,500, peak under 1.5 GiB."""
    rows = []
    for label, full_name, bare_name in (("1 core", "full", "bare"),
                                        ("2 cores", "full-2cores", "bare-2cores")):
        full, bare = _get(cases, 1500, "40", full_name), _get(cases, 1500, "40", bare_name)
        if full is None or bare is None:
            continue
        ratio = full["total_s"] / bare["total_s"]
        rows.append({
            "target": f"1,500 x 40: full <= {TARGET_RATIO}x bare, OPTIMAL ({label})",
            "measured": f"{ratio:.2f}x ({full['total_s']:.2f} s / {bare['total_s']:.2f} s), "
                        f"{full['status']}",
            "met": ratio <= TARGET_RATIO and full["status"] == "OPTIMAL",
            "by": f"{ratio / TARGET_RATIO:.2f}x the target",
        })
    full = _get(cases, 5000, "40", "full")
    if full is not None and full.get("total_s") is not None:
        rows.append({
            "target": f"5,000 x 40: full proven in < {TARGET_5000_S:.0f} s",
            "measured": f"{full['total_s']:.1f} s, {full['status']}",
            "met": full["total_s"] < TARGET_5000_S and full["status"] == "OPTIMAL",
            "by": f"{full['total_s'] / TARGET_5000_S:.2f}x the target",
        })
    for name in ("full", "full-2cores", "full-lp"):
        full = _get(cases, 1500, "all", name)
        if full is None:
            continue
        rows.append({
            "target": f"1,500 x all: {name} peak < 1.5 GiB (whole process)",
            "measured": f"{full['rss_peak_mib']:.0f} MiB RSS "
                        f"(+{full['peak_mib']:.0f} MiB for the call)",
            "met": full["rss_peak_mib"] < TARGET_MEMORY_MIB,
            "by": f"{full['rss_peak_mib'] / TARGET_MEMORY_MIB:.2f}x the target",
        })
    return rows


# --- fewest impositions ------------------------------------------------------------------------


def fewest(seed: int, n: int = 300, time_limit: float = 60.0) -> dict[str, Any]:
    """``fewest_impositions`` on the mg-2010 example (the maquette whose 2 mandatory semesters
    of year 1 make impositions bind); its wall time includes the exact solve before it."""
    from affectation.cpsat.whatif import fewest_impositions

    instance = generate(n, seed=seed, maquette="mg-2010")
    start, cpu = time.perf_counter(), time.process_time()
    answer = fewest_impositions(instance, time_limit=time_limit, workers=1)
    return {
        "internes": n, "seed": seed, "rulebook": answer.rulebook, "minimum": answer.minimum,
        "lower_bound": answer.lower_bound, "status": answer.status,
        "wall_s": round(time.perf_counter() - start, 1),
        "cpu_s": round(time.process_time() - cpu, 1),
    }


# --- profiling --------------------------------------------------------------------------------


def profile(
    n: int, wishes_list, *, workers: int, kind: str, time_limit: float | None,
    params: dict[str, Any],
) -> None:
    """cProfile of a model's build, then its solve with ``log_search_progress``."""
    for wishes in wishes_list:
        instance = generate(n, seed=SEED, wish_length=wish_length(wishes))
        profiler = cProfile.Profile()
        profiler.enable()
        model, _ = build_model(kind, instance)
        profiler.disable()
        print(f"\n=== build of the {kind} model at {n} internes, wishes {wishes} ===")
        stats = pstats.Stats(profiler).strip_dirs()
        where = r"(builder|variables|groups)\.py" if kind != "bare" else r"cpsat\.py"
        stats.sort_stats("cumulative").print_stats(where, 20)
        stats.sort_stats("tottime").print_stats(15)
        extra: dict[str, Any] = {"log_search_progress": True, **_SOLVE["extra"], **params}
        if time_limit is not None:
            extra["max_time_in_seconds"] = time_limit
        solver = solver_for(workers, False, extra)
        print(f"=== solve, {workers} worker(s), the parameters of solve() "
              f"{'+ ' + str(params) if params else ''}===", flush=True)
        solver.solve(model)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help=f"numbers of internes (default: {list(SIZES)}; --quick: 100 1500)")
    parser.add_argument("--wishes", nargs="+", choices=WISHES, default=list(WISHES),
                        help="wish lists of 40 and/or of every relevant terrain")
    parser.add_argument("--quick", action="store_true",
                        help="one repetition per case, no diagnostic variant, 100 and 1,500 "
                             "internes unless --sizes")
    parser.add_argument("--all-variants", action="store_true",
                        help=f"diagnostic variants above {DIAGNOSTIC_UP_TO:,} internes too")
    parser.add_argument("--budget", type=float, default=BUDGET,
                        help="seconds the whole run may take (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help="JSON file to write (default: benchmarks/results/cpsat.json)")
    parser.add_argument("--no-write", action="store_true", help="do not write the JSON file")
    parser.add_argument("--profile", type=int, metavar="N",
                        help="profile a model at N internes (build: cProfile; solve: CP-SAT's "
                             "log) and exit")
    parser.add_argument("--workers", type=int, default=1,
                        help="workers of the --profile solve (default: %(default)s)")
    parser.add_argument("--model", choices=("full", "full-classes", "bare"), default="full",
                        help="the model --profile builds and solves (default: %(default)s)")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds the --profile solve may take (default: none)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a CP-SAT parameter of the --profile solve (numbers; repeatable), "
                             "e.g. linearization_level=0")
    parser.add_argument("--fewest", type=int, nargs="+", metavar="SEED",
                        help="fewest_impositions on generate(300, seed=SEED, maquette='mg-2010') "
                             "with a 60 s limit per solve, 1 worker; prints a table and exits")
    options = parser.parse_args(argv)

    if options.fewest:
        rows = [fewest(seed) for seed in options.fewest]
        print_table(rows)
        return 0

    if options.profile:
        params = {}
        for item in options.param:
            name, _, text = item.partition("=")
            params[name] = float(text) if "." in text else int(text)
        profile(options.profile, options.wishes, workers=options.workers, kind=options.model,
                time_limit=options.time_limit, params=params)
        return 0

    sizes = options.sizes or ([100, 1500] if options.quick else list(SIZES))
    run = Run(options.budget, options.quick, options.all_variants)
    commit = git_commit(HERE)  # before the run: the measured processes import the tree as is
    host = machine()
    print(f"machine: {host['cpu']}, {host['logical_cores']} cores, {host['ram_gib']} GiB, "
          f"{host['python']}, load {host['load_average']}", flush=True)
    agreements = benchmark(sizes, options.wishes, run)
    cases = run.cases
    ratio_rows = ratios(cases)
    target_rows = targets(cases)
    elapsed = time.perf_counter() - run.started
    host_after = machine()

    print()
    print_table(cases, ["internes", "wishes", "entries", "case", "build_s", "solve_s", "total_s",
                        "status", "variables", "constraints", "peak_mib", "rss_peak_mib",
                        "repeat"])
    skipped = [c for c in cases if c["skipped"]]
    if skipped:
        print()
        print_table(skipped, ["internes", "wishes", "case", "skipped"])
    print()
    print_table(ratio_rows)
    print()
    print_table(target_rows)
    print()
    for record in agreements:
        bad = [c["case"] for c in record["checks"] if not c["agree"]]
        verdict = ("nothing solved to compare" if not record["checks"] else
                   "yes" if not bad else "NO: " + ", ".join(bad))
        print(f"agreement at {record['internes']} internes, wishes {record['wishes']}: "
              f"{verdict} ({len(record['checks'])} checks)")
    print(f"\ntotal run time {elapsed:.0f} s; load average at the end "
          f"{host_after['load_average']}")

    if not options.no_write:
        payload = {
            "benchmark": "cpsat",
            "command": " ".join(["benchmarks/cpsat.py", *(argv or sys.argv[1:])]),
            "commit": commit,
            "commit_end": git_commit(HERE),
            "machine": host,
            "load_average_end": host_after["load_average"],
            "seed": SEED,
            "budget_s": options.budget,
            "cases_spec": CASES,
            "peak_memory": {
                "peak_mib": peak_method(),
                "rss_peak_mib": "VmHWM of the process at the end of the call (whole process)",
            },
            "timing": "wall clock; model cases: build and solve timed separately in one "
                      "process, best build + solve total of the repetitions, each in a fresh "
                      "process; serial: best of at least 3 calls (1 s of calls) in one process",
            "run_seconds": round(elapsed, 1),
            "cases": cases,
            "ratios": ratio_rows,
            "targets": target_rows,
            "agreement": agreements,
        }
        print(f"written {write_json(options.output, payload)}")
    return 0


if __name__ == "__main__":
    # on SIGTERM, unwind: ``measure`` then stops the case's process too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
