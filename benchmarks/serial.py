"""Serial dictatorship at scale: the full-rule engine against a bare loop and ``matching``.

Generated instances (``affectation.datasets.generate``, seed 0) of 100, 1,500, 5,000 and 15,000
internes, with wish lists of 40 terrains and of every relevant terrain (``wish_length=None``),
impositions on (the default obligatoires, 2% surnombres, 2 couples, 5% already imposed). On the
same wish lists, side by side in one run:

* ``engine``: ``affectation.serial_dictatorship(instance)``, every rule of RULES.md;
* ``bare``: :func:`bare_loop` below: the order of ``choice_order(instance)``, each interne takes
  the first wish with a free poste; capacities only, no rule;
* ``matching``: the ``matching`` library's ``HospitalResident``, resident-optimal; residents are
  the internes with their wish lists, hospitals the terrains with their postes as capacity, each
  ranking the internes who listed it in the choice order (with one common order the
  resident-optimal stable matching *is* the serial dictatorship). Timed:
  ``create_from_dictionaries`` + ``solve``; building the dictionaries is not timed.

Each case runs in a fresh process (``_common.measure``): best of 5 calls at 100 internes, of 3
above, and of as many as fit in two seconds for the fast cases; ``matching`` once at 5,000
internes and stopped after ``--budget`` seconds (recorded as skipped).

Agreement: the same sizes generated with no surnombre, couple or prior imposition, evolved to
``obligatoires=()`` and with the few wishes the interne is not eligible for (R-ELI) removed, so
that no rule binds: the three must give the same interne -> terrain map.

    .venv/bin/python benchmarks/serial.py            # everything, about 10 minutes on 2 cores
    .venv/bin/python benchmarks/serial.py --quick    # no matching at 5,000, under 2 minutes
    .venv/bin/python benchmarks/serial.py --sizes 100 1500 --wishes 40
    .venv/bin/python benchmarks/serial.py --profile 1500   # cProfile of the engine, then exit
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import itertools
import math
import pstats
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import attrs
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

from affectation import serial_dictatorship
from affectation.datasets import generate
from affectation.model import Instance
from affectation.rules.eligibility import eligible_slot
from affectation.rules.order import choice_order

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "serial.json"

SIZES = (100, 1500, 5000, 15000)
WISHES = ("40", "all")
SEED = 0
MATCHING_BUDGET = 600.0
"""Seconds a ``matching`` case may take (per process) before it is stopped and recorded skipped."""
MATCHING_STACK_MIB = 512
"""``copy.deepcopy`` in ``HospitalResident.__init__`` recurses once per linked player."""
METHODS = ("engine", "bare", "matching")
MIN_TIME = 2.0
"""Seconds of calls per timed case at least: a 1 ms case is best of hundreds, not of 5."""


# --- the three methods -------------------------------------------------------------------------


def matching_inputs(
    instance: Instance,
) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, int]]:
    """``HospitalResident.create_from_dictionaries`` arguments for the instance's wish lists.

    Internes with an empty list are dropped (``matching`` would fail on them), so are terrains
    without postes (a capacity of 0 breaks ``solve``; nobody can take them anyway) and terrains
    nobody listed. Each terrain ranks the internes who listed it in the choice order.
    """
    capacity = {t.id: t.postes for t in instance.terrains if t.postes > 0}
    residents: dict[str, list[str]] = {}
    for interne in instance.internes:
        prefs = [t for t in interne.voeux if t in capacity]
        if prefs:
            residents[interne.id] = prefs
    hospitals: dict[str, list[str]] = {t: [] for t in capacity}
    for interne_id in choice_order(instance):
        for terrain_id in residents.get(interne_id, ()):
            hospitals[terrain_id].append(interne_id)
    hospitals = {t: ranked for t, ranked in hospitals.items() if ranked}
    return residents, hospitals, {t: capacity[t] for t in hospitals}


def solve_matching(
    residents: dict[str, list[str]], hospitals: dict[str, list[str]], capacities: dict[str, int]
):
    """The timed part of the ``matching`` case: build the game, solve it resident-optimal."""
    from matching.games import HospitalResident

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # matching reports unranked players as warnings
        game = HospitalResident.create_from_dictionaries(residents, hospitals, capacities)
        return game.solve(optimal="resident")


def engine_allocation(result) -> dict[str, str]:
    """interne -> terrain of a :class:`~affectation.result.Result` (the placed ones)."""
    return {a.interne: a.terrain for a in result.affectations if a.terrain is not None}


def matching_allocation(matching) -> dict[str, str]:
    """interne -> terrain of a ``MultipleMatching``, keyed back by player name."""
    return {
        resident.name: hospital.name for hospital, matched in matching.items()
        for resident in matched
    }


# --- instances ---------------------------------------------------------------------------------


def timed_instance(n: int, wishes: str) -> Instance:
    """Impositions on: the generator's defaults (obligatoires urgences + praticien_n1)."""
    return generate(n, seed=SEED, wish_length=wish_length(wishes))


def agreement_instance(n: int, wishes: str) -> tuple[Instance, int]:
    """An instance where no rule binds, and how many ineligible wishes were removed."""
    instance = generate(
        n, seed=SEED, wish_length=wish_length(wishes),
        surnombre_rate=0, couples=0, prior_imposition_rate=0,
    )
    removed = 0
    internes = []
    for interne in instance.internes:
        voeux = tuple(
            t for t in interne.voeux
            if eligible_slot(instance.maquette, interne, instance.terrain(t)) is not None
        )
        removed += len(interne.voeux) - len(voeux)
        internes.append(attrs.evolve(interne, voeux=voeux))
    return attrs.evolve(instance, internes=internes, obligatoires=()), removed


def total_entries(instance: Instance) -> int:
    return sum(len(i.voeux) for i in instance.internes)


def scanned_entries(instance: Instance, allocation: dict[str, str]) -> int:
    """Wishes a bare loop reads: the rank of the wish granted, the whole list if none."""
    return sum(
        i.voeux.index(allocation[i.id]) + 1 if i.id in allocation else len(i.voeux)
        for i in instance.internes
    )


# --- running -----------------------------------------------------------------------------------


def repeats(n: int, method: str) -> int:
    if method == "matching" and n >= 5000:
        return 1
    return 5 if n <= 100 else 3


def run_method(
    method: str, instance: Instance, n: int, *, repeat: int, budget: float, min_time: float = 0.0
) -> dict[str, Any]:
    """One measured case; a ``matching`` case over budget is returned as skipped."""
    if method == "engine":
        args, fn, summarize, stack = (instance,), serial_dictatorship, engine_allocation, None
    elif method == "bare":
        args, fn, summarize, stack = (instance,), bare_loop, identity, None
    else:
        args, fn = matching_inputs(instance), solve_matching
        summarize, stack = matching_allocation, MATCHING_STACK_MIB
    try:
        m = measure(fn, *args, repeat=repeat, summarize=summarize, stack_mib=stack,
                    timeout=budget if method == "matching" else None, min_time=min_time)
    except TimeBudgetExceeded as over:
        return {"seconds": None, "cpu_seconds": None, "peak_mib": None, "calls": None,
                "allocation": None, "skipped": f"stopped: {over}"}
    return {"seconds": m.seconds, "cpu_seconds": m.cpu_seconds, "peak_mib": m.peak_mib,
            "calls": m.calls, "allocation": m.value, "skipped": None}


def benchmark(sizes, wishes_list, *, quick: bool, budget: float) -> tuple[list, list]:
    cases, agreements = [], []
    for n in sizes:
        for wishes in wishes_list:
            instance = timed_instance(n, wishes)
            entries = total_entries(instance)
            row_base = {"internes": n, "wishes": wishes, "terrains": len(instance.terrains),
                        "postes": sum(t.postes for t in instance.terrains), "entries": entries}
            scanned = None
            for method in METHODS:
                if method == "matching" and quick and n >= 5000:
                    outcome = {"seconds": None, "cpu_seconds": None, "peak_mib": None,
                               "calls": None,
                               "allocation": None, "skipped": "--quick: matching not run at 5,000"}
                else:
                    outcome = run_method(method, instance, n, repeat=repeats(n, method),
                                         budget=budget, min_time=MIN_TIME)
                allocation = outcome.pop("allocation")
                if method == "bare" and allocation is not None:
                    scanned = scanned_entries(instance, allocation)
                seconds = outcome["seconds"]
                case = {
                    **row_base, "method": method, **outcome,
                    "placed": len(allocation) if allocation is not None else None,
                    "ms_per_1k_entries": (
                        1000 * seconds / (entries / 1000) if seconds is not None else None
                    ),
                }
                cases.append(case)
                _progress(case)
            for case in cases[-len(METHODS):]:
                case["scanned_entries"] = scanned
            timed = cases[-1]  # the matching case of this size and wish length
            agreements.append(check_agreement(
                n, wishes, quick=quick, budget=budget, timed_matching=timed["seconds"],
                matching_skipped=timed["skipped"],
            ))
    return cases, agreements


def check_agreement(
    n: int, wishes: str, *, quick: bool, budget: float, timed_matching: float | None,
    matching_skipped: str | None,
) -> dict[str, Any]:
    """Run the three once on :func:`agreement_instance`; compare interne -> terrain maps.

    ``matching`` is not run again when its timed case was skipped, and gets twice its timed
    case's time (plus a minute) rather than the whole budget, to bound the run."""
    instance, removed = agreement_instance(n, wishes)
    allocations: dict[str, dict | None] = {}
    notes = []
    for method in METHODS:
        if method == "matching" and matching_skipped:
            notes.append(f"matching not run: {matching_skipped}")
            continue
        allowed = budget if timed_matching is None else min(budget, 2 * timed_matching + 60)
        outcome = run_method(method, instance, n, repeat=1, budget=allowed)
        if outcome["skipped"]:
            notes.append(f"matching {outcome['skipped']}")
            continue
        allocations[method] = outcome["allocation"]
    maps = list(allocations.values())
    agree = all(m == maps[0] for m in maps[1:])
    differing = sorted(
        {i for m in maps[1:] for i in set(m) | set(maps[0]) if m.get(i) != maps[0].get(i)}
    )
    record = {
        "internes": n, "wishes": wishes, "compared": list(allocations), "agree": agree,
        "placed": {k: len(v) for k, v in allocations.items()},
        "ineligible_wishes_removed": removed, "differing_internes": differing[:20],
        "notes": notes,
    }
    note = f" ({'; '.join(notes)})" if notes else ""
    print(
        f"agreement at {n} internes, wishes {wishes}: {'yes' if agree else 'no'} — "
        f"{' = '.join(f'{k} ({len(v)} placed)' for k, v in allocations.items())}, "
        f"{removed} ineligible wishes removed{note}",
        flush=True,
    )
    return record


def _progress(case: dict[str, Any]) -> None:
    if case["skipped"]:
        print(f"  {case['internes']:>5} internes, wishes {case['wishes']:>3}, "
              f"{case['method']:<8}: skipped ({case['skipped']})", flush=True)
        return
    print(f"  {case['internes']:>5} internes, wishes {case['wishes']:>3}, {case['method']:<8}: "
          f"{case['seconds']:.4f} s, CPU {case['cpu_seconds']:.4f} s (best of {case['calls']}), "
          f"peak {case['peak_mib']:.1f} MiB, {case['placed']} placed", flush=True)


# --- summaries ---------------------------------------------------------------------------------


def ratios(cases: list[dict]) -> list[dict[str, Any]]:
    """Per size and wish length: matching / engine (speed-up) and engine / bare (slow-down),
    in wall time and in CPU time."""
    by_key = {(c["internes"], c["wishes"], c["method"]): c for c in cases}
    rows = []
    for n, wishes in dict.fromkeys((c["internes"], c["wishes"]) for c in cases):
        row: dict[str, Any] = {"internes": n, "wishes": wishes}
        for clock, key in (("wall", "seconds"), ("cpu", "cpu_seconds")):
            engine, bare, match = (by_key[(n, wishes, m)][key] for m in METHODS)
            row[f"speedup_vs_matching_{clock}"] = match / engine if match and engine else None
            row[f"slowdown_vs_bare_{clock}"] = engine / bare if engine and bare else None
        rows.append(row)
    return rows


def linearity(cases: list[dict]) -> list[dict[str, Any]]:
    """Per method and wish length: the growth exponent of time in total wish-list entries,
    between consecutive sizes and as a least-squares slope of log time on log entries."""
    rows = []
    for method in METHODS:
        for wishes in dict.fromkeys(c["wishes"] for c in cases):
            points = sorted(
                (c["entries"], c["seconds"]) for c in cases
                if c["method"] == method and c["wishes"] == wishes and c["seconds"]
            )
            if len(points) < 2:
                continue
            steps = [
                round(math.log(t2 / t1) / math.log(e2 / e1), 2)
                for (e1, t1), (e2, t2) in itertools.pairwise(points)
            ]
            xs = [math.log(e) for e, _ in points]
            ys = [math.log(t) for _, t in points]
            mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
            slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
                (x - mx) ** 2 for x in xs
            )
            rows.append({
                "method": method, "wishes": wishes,
                "ms_per_1k_entries": " / ".join(f"{1e6 * t / e:.3g}" for e, t in points),
                "exponent_steps": " / ".join(str(s) for s in steps),
                "exponent_fit": round(slope, 2),
            })
    return rows


def profile_engine(n: int, wishes_list) -> None:
    for wishes in wishes_list:
        instance = timed_instance(n, wishes)
        serial_dictatorship(instance)  # warm the caches, as the best-of-N timings do
        gc.collect()
        gc.freeze()  # as _common.measure does: collections do not walk the instance
        profiler = cProfile.Profile()
        profiler.enable()
        serial_dictatorship(instance)
        profiler.disable()
        print(f"\n=== engine at {n} internes, wishes {wishes}: "
              f"{total_entries(instance):,} entries ===")
        stats = pstats.Stats(profiler).strip_dirs().sort_stats("tottime")
        stats.print_stats(15)
        gc.unfreeze()
        diagnose(instance)


def _best_cpu_ms(call, repeat: int = 30) -> float:
    best = math.inf
    for _ in range(repeat):
        started = time.process_time()
        call()
        best = min(best, time.process_time() - started)
    return best * 1e3


def diagnose(instance: Instance) -> None:
    """Where the engine/bare gap comes from: the wishes each loop reads, and the two loops
    side by side with and without the mandatory fill (obligatoires evolved away)."""
    result = serial_dictatorship(instance)
    by_id = instance.interne_by_id
    engine_read = sum(a.voeu or len(by_id[a.interne].voeux) for a in result.affectations)
    free = {t.id: t.postes for t in instance.terrains}
    bare_read = 0
    for interne_id in choice_order(instance):
        voeux = by_id[interne_id].voeux
        granted = next((k for k, t in enumerate(voeux, start=1) if free[t] > 0), None)
        if granted is not None:
            free[voeux[granted - 1]] -= 1
        bare_read += granted or len(voeux)
    print(f"wishes read: engine {engine_read:,}, bare loop {bare_read:,}")
    imposables = sum(1 for i in instance.internes if i.semestres_valides < 2)
    for label, case in (("with the fill", instance),
                        ("obligatoires=()", attrs.evolve(instance, obligatoires=()))):
        serial_dictatorship(case)
        engine, bare = _best_cpu_ms(lambda c=case: serial_dictatorship(c)), _best_cpu_ms(
            lambda c=case: bare_loop(c))
        floor = _best_cpu_ms(lambda c=case: recording_loop(c))
        print(f"{label}: engine {engine:.2f} ms, bare loop {bare:.3f} ms, "
              f"{engine / bare:.1f}x; recording loop {floor:.3f} ms, {floor / bare:.1f}x "
              f"(CPU time, best of 30; {imposables} internes in semesters 1-2)")


def recording_loop(instance: Instance) -> dict[str, tuple]:
    """A floor for any engine that keeps what a result needs: :func:`bare_loop` plus the
    eligibility look-up of each free wish (the engine's slot tables, already filled) and, per
    turn, the placement tuple and a trace entry, as the engine's common turn keeps them; no
    fill, no surnombre, no couple, no round. Not a correct engine: a measuring stick."""
    from affectation.rules.order import cached_choice_order
    from affectation.rules.turn import slot_tables

    tables = slot_tables(instance)
    free = {terrain.id: terrain.postes for terrain in instance.terrains}
    by_id = instance.interne_by_id
    placed: dict[str, tuple] = {}
    trace: list[str] = []
    for interne_id in cached_choice_order(instance):
        voeux, table = by_id[interne_id].voeux, tables[interne_id]
        for terrain_id in voeux:
            if free[terrain_id] > 0 and table.get(terrain_id) is not None:
                free[terrain_id] -= 1
                placed[interne_id] = (terrain_id, table[terrain_id],
                                      voeux.index(terrain_id) + 1, False, "choix")
                trace.append(interne_id)
                break
    return placed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                        help="numbers of internes (default: %(default)s)")
    parser.add_argument("--wishes", nargs="+", choices=WISHES, default=list(WISHES),
                        help="wish lists of 40 and/or of every relevant terrain")
    parser.add_argument("--quick", action="store_true",
                        help="do not run matching at 5,000 internes or more")
    parser.add_argument("--budget", type=float, default=MATCHING_BUDGET,
                        help="seconds a matching case may take (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help="JSON file to write (default: benchmarks/results/serial.json)")
    parser.add_argument("--no-write", action="store_true", help="do not write the JSON file")
    parser.add_argument("--profile", type=int, metavar="N",
                        help="profile the engine at N internes with cProfile and exit")
    options = parser.parse_args(argv)

    if options.profile:
        profile_engine(options.profile, options.wishes)
        return 0

    started = time.perf_counter()
    host = machine()
    print(f"machine: {host['cpu']}, {host['logical_cores']} cores, {host['ram_gib']} GiB, "
          f"{host['python']}, load {host['load_average']}", flush=True)
    cases, agreements = benchmark(
        options.sizes, options.wishes, quick=options.quick, budget=options.budget
    )
    ratio_rows = ratios(cases)
    linear_rows = linearity(cases)
    elapsed = time.perf_counter() - started
    host_after = machine()

    print()
    print_table(cases, ["internes", "wishes", "entries", "scanned_entries", "method", "seconds",
                        "cpu_seconds", "calls", "peak_mib", "placed", "ms_per_1k_entries",
                        "skipped"])
    print()
    print_table(ratio_rows)
    print()
    print_table(linear_rows)
    print()
    for record in agreements:
        print(f"agreement at {record['internes']} internes, wishes {record['wishes']}: "
              f"{'yes' if record['agree'] else 'no'}")
    print(f"\ntotal run time {elapsed:.0f} s; load average at the end "
          f"{host_after['load_average']}")

    if not options.no_write:
        payload = {
            "benchmark": "serial",
            "command": " ".join(["benchmarks/serial.py", *(argv or sys.argv[1:])]),
            "commit": git_commit(HERE),
            "machine": host,
            "load_average_end": host_after["load_average"],
            "seed": SEED,
            "matching_budget_s": options.budget,
            "peak_memory": peak_method(),
            "timing": "wall clock (seconds) and CPU time (cpu_seconds), best of the calls, "
                      "each case in a fresh process",
            "run_seconds": round(elapsed, 1),
            "cases": cases,
            "ratios": ratio_rows,
            "linearity": linear_rows,
            "agreement": agreements,
        }
        print(f"written {write_json(options.output, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
