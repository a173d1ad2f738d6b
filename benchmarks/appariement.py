"""The appariement of the docteurs juniors at scale: deferred acceptance, the exact model, matching.

Instances from ``affectation.appariement.generate`` (seed 0; 10 wishes per DJ; one or two
postes per terrain; 25 % ZIP; rankings with ex aequo unless ``strict``), side by side:

* ``da``: ``apparier(instance)`` (deferred acceptance, the result with its blocking-pair
  self-check), target **0.5 s** at 3,700 DJ × 2,500 terrains;
* ``matching``: ``matching==1.4.3``'s ``HospitalResident`` (resident-optimal) on the same strict
  instance, for scale (its game built from dictionaries, then solved);
* ``cpsat``: ``apparier(instance, "cpsat")``, one worker, seed 0 (model built and solved):
  target **10 s** proven at 300 DJ × 500 terrains with ties, **120 s** at 3,700 DJ; run with the
  ``--time-limit`` (default 120 s at 3,700): its status, size and the gap to its bound are
  recorded, so a missed target says by how much.

Every case runs in a fresh process (``_common.measure``: best wall time, CPU time, peak extra
resident memory). Agreement is checked in the same run: strict rankings, DA = CP-SAT =
``matching`` DJ by DJ; with ties, CP-SAT's size ≥ DA's.

    .venv/bin/python benchmarks/appariement.py                 # everything, ~5 minutes
    .venv/bin/python benchmarks/appariement.py --quick         # no CP-SAT at 3,700 DJ
    .venv/bin/python benchmarks/appariement.py --profile da    # cProfile of DA at 3,700, then exit
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import warnings
from pathlib import Path
from typing import Any

from _common import git_commit, machine, measure, peak_method, print_table, write_json

from affectation.appariement import apparier
from affectation.appariement.generate import generate

SIZES = {"300": (300, 500), "3700": (3700, 2500)}
TARGETS = {("da", "3700"): 0.5, ("cpsat", "300"): 10.0, ("cpsat", "3700"): 120.0}


def make(size: str, strict: bool):
    dj, terrains = SIZES[size]
    return generate(dj, terrains, voeux=10, seed=0, ex_aequo=not strict)


def run_da(instance) -> dict[str, Any]:
    result = apparier(instance)
    return {"taille": result.taille, "somme": result.somme_rangs, "matching": result.terrain_of()}


def run_cpsat(instance, time_limit: float | None) -> dict[str, Any]:
    result = apparier(instance, "cpsat", time_limit=time_limit)
    return {"taille": result.taille, "somme": result.somme_rangs,
            "matching": result.terrain_of(), "solveur": dict(result.solveur or {})}


def run_matching(instance) -> dict[str, Any]:
    from matching.games import HospitalResident

    open_ = {t.id for t in instance.terrains if t.postes > 0}

    def ok(d: str, t: str) -> bool:
        return t in open_ and instance.groupe(t, d) is not None

    residents = {d.id: [t for t in d.voeux if ok(d.id, t)] for d in instance.docteurs_juniors}
    residents = {d: p for d, p in residents.items() if p}
    hospitals = {t.id: [g[0] for g in t.classement if g[0] in residents and ok(g[0], t.id)
                        and t.id in instance.dj_by_id[g[0]].voeux] for t in instance.terrains}
    hospitals = {t: p for t, p in hospitals.items() if p}
    capacities = {t.id: t.postes for t in instance.terrains if t.id in hospitals}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = HospitalResident.create_from_dictionaries(residents, hospitals, capacities)
        solved = game.solve(optimal="resident")
    out = {d.id: None for d in instance.docteurs_juniors}
    for hospital, held in solved.items():
        for resident in held:
            out[str(resident)] = str(hospital)
    return {"taille": sum(v is not None for v in out.values()), "matching": out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--time-limit", type=float, default=120.0,
                        help="CP-SAT time limit at 3,700 DJ (s)")
    parser.add_argument("--output", default=str(Path(__file__).parent / "results"
                                                 / "appariement.json"))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--profile", choices=["da", "cpsat"], default=None)
    args = parser.parse_args(argv)
    if args.profile:
        instance = make("3700" if args.profile == "da" else "300", strict=False)
        instance.groupe(instance.terrains[0].id, instance.docteurs_juniors[0].id)
        cProfile.runctx("apparier(instance, args.profile if args.profile == 'cpsat' else "
                        "'acceptation-differee')", globals(), locals(), "/tmp/appariement.prof")
        pstats.Stats("/tmp/appariement.prof").sort_stats("cumulative").print_stats(20)
        return 0
    cases = [("da", "300", True), ("matching", "300", True), ("cpsat", "300", True),
             ("da", "300", False), ("cpsat", "300", False),
             ("da", "3700", True), ("matching", "3700", True), ("da", "3700", False)]
    if not args.quick:
        cases.append(("cpsat", "3700", False))
    rows: list[dict[str, Any]] = []
    values: dict[tuple[str, str, bool], dict[str, Any]] = {}
    for engine, size, strict in cases:
        instance = make(size, strict)
        if engine == "da":
            m = measure(run_da, instance, repeat=3, min_time=1.0)
        elif engine == "matching":
            m = measure(run_matching, instance, repeat=1, stack_mib=512)
        else:
            limit = args.time_limit if size == "3700" else None
            m = measure(run_cpsat, instance, limit, repeat=1)
        values[engine, size, strict] = m.value
        target = TARGETS.get((engine, size)) if not strict or engine == "da" else None
        solver = m.value.get("solveur", {})
        row = {"moteur": engine, "DJ": SIZES[size][0], "terrains": SIZES[size][1],
               "ex aequo": "non" if strict else "oui", "s": round(m.seconds, 3),
               "cpu s": round(m.cpu_seconds, 3), "pic MiB": round(m.peak_mib, 1),
               "placés": m.value["taille"], "somme rangs": m.value.get("somme"),
               "statut": solver.get("statut", "")}
        if target is not None:
            row["cible s"] = target
            row["÷ cible"] = round(m.seconds / target, 2)
        da = values.get(("da", size, strict))
        if da is not None and engine != "da":
            row["÷ DA"] = round(m.seconds / max(rows_da_seconds(rows, size, strict), 1e-9), 1)
            same = m.value["matching"] == da["matching"]
            row["= DA"] = "oui" if same else "non"
            if strict:
                assert same, f"{engine} differs from DA on strict rankings at {size}"
            elif solver.get("optimal"):
                assert m.value["taille"] >= da["taille"]
        if solver and not solver.get("optimal"):
            row["placés au plus"] = solver.get("taille_max")
        rows.append(row)
        print_table([row], columns=list(row))
    columns = ["moteur", "DJ", "terrains", "ex aequo", "s", "cpu s", "pic MiB", "placés",
               "somme rangs", "statut", "placés au plus", "cible s", "÷ cible", "÷ DA", "= DA"]
    print()
    print_table(rows, columns)
    if not args.no_write:
        payload = {"machine": machine(), "commit": git_commit(Path(__file__).parent),
                   "peak_method": peak_method(), "rows": rows}
        print("written:", write_json(args.output, payload))
    return 0


def rows_da_seconds(rows: list[dict[str, Any]], size: str, strict: bool) -> float:
    for row in rows:
        if (row["moteur"] == "da" and row["DJ"] == SIZES[size][0]
                and row["ex aequo"] == ("non" if strict else "oui")):
            return row["s"]
    return float("nan")


if __name__ == "__main__":
    sys.exit(main())
