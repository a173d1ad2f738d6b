"""Several semesters ahead: plan_postes proven at Île-de-France size, careers of all France.

Two parts, written to ``benchmarks/results/cohort.json``:

* **plan**: ``plan_postes`` on a generated subdivision of Île-de-France size (2,700 internes,
  ``mg-2017``, promotions of 675, 8 semesters from November 2026), for each objective, and per
  terrain (within the agréments) for ``change``: status, proven bound, gap, wall time, model
  size. The target of the issue: proven optimal in under a minute.
* **careers**: the 28 subdivisions of France (about 14,000 internes choosing each semester,
  sizes below, each from ``datasets.generate``), each under its own optimal plan, simulated over
  8 semesters × ``--futures`` futures on a local Dask ``distributed`` cluster of 1 then 2 worker
  processes (one thread each). The 28 ``simulate`` calls are submitted together (one thread
  each in this process, all sharing the cluster's executor), so the workers never wait for one
  subdivision to end. Both runs must give the same numbers (checked). Reported: wall time,
  interne-semesters per second, the speed-up of 2 workers over 1, and the time 100 futures
  would take at that rate. The machine is shared, so the CPU time of the workers is read too
  (``getrusage`` in each worker, before and after): ``cpu_share`` is the part of their cores
  they got, and the ``idle_*`` columns are the rates on cores nobody else uses (interne-
  semesters per worker CPU second × workers). The preference models are fitted before the
  clock starts.

    .venv/bin/python benchmarks/cohort.py                  # about 4 minutes on 2 cores
    .venv/bin/python benchmarks/cohort.py --futures 2      # quicker
    .venv/bin/python benchmarks/cohort.py --no-careers     # the plan part only
    .venv/bin/python benchmarks/cohort.py --futures 100 --workers 2 \
        --output benchmarks/results/cohort-100.json        # the issue's 100 futures
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import sys
import time
from pathlib import Path

import attrs
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import git_commit, machine, print_table, write_json  # noqa: E402

from affectation.cohort import plan_postes  # noqa: E402
from affectation.cohort.simulate import simulate  # noqa: E402
from affectation.datasets import generate  # noqa: E402
from affectation.preferences import PreferenceModel  # noqa: E402

IDF = 2700
"""Internes of an Île-de-France-sized subdivision (the largest, about a fifth of France)."""

SIZES = (2700, 900, 800, 700, 650, 600, 560, 540, 500, 480, 460, 440, 420, 400, 380, 360,
         340, 320, 300, 290, 280, 260, 240, 220, 200, 180, 150, 130)
"""Internes choosing in each of the 28 subdivisions: 14,000 in all."""


def plan_part() -> list[dict]:
    instance = attrs.evolve(generate(IDF, seed=75, wish_length=10), date_choix="2026-11")
    rows = []
    cases = [("total", False), ("change", False), ("impositions", False), ("change", True)]
    for objective, per_terrain in cases:
        started = time.perf_counter()
        plan = plan_postes(instance, IDF // 4, 8, objective=objective, per_terrain=per_terrain,
                           time_limit=120)
        seconds = time.perf_counter() - started
        rows.append({
            "objective": objective, "per_terrain": per_terrain, "status": plan.status,
            "value": plan.value, "bound": plan.bound, "gap": plan.gap, "seconds": seconds,
            "variables": plan.variables, "constraints": plan.constraints, "states": plan.states,
            "terrains": len(instance.terrains), "internes": len(instance.internes),
        })
    return rows


def subdivisions() -> list[tuple]:
    out = []
    for k, n in enumerate(SIZES):
        instance = attrs.evolve(generate(n, seed=100 + k, wish_length=20),
                                date_choix="2026-11")
        plan = plan_postes(instance, n // 4, 8)
        model = PreferenceModel.from_instance(instance)
        out.append((instance, plan, model))
    return out


def _cpu_seconds() -> float:
    """CPU time of this process (user + system): run in each Dask worker."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_careers(cases: list[tuple], workers: int, futures: int
                ) -> tuple[float, float, list]:
    import distributed

    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        executor = client.get_executor()
        client.run(lambda: __import__("affectation.cohort.simulate"))  # warm imports
        before = client.run(_cpu_seconds)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(len(cases)) as threads:
            jobs = [threads.submit(simulate, instance, plan, futures=futures, seed=k,
                                   executor=executor, model=model, chunk_size=1,
                                   progress=False)
                    for k, (instance, plan, model) in enumerate(cases)]
            results = [job.result() for job in jobs]
        seconds = time.perf_counter() - started
        after = client.run(_cpu_seconds)
        cpu = sum(after[w] - before[w] for w in after)
        return seconds, cpu, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--futures", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="Dask worker processes of each careers run (default: 1 2)")
    parser.add_argument("--no-careers", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--output", default=str(HERE / "results" / "cohort.json"))
    options = parser.parse_args()
    host = machine()
    print(f"machine: {host.get('cpu')}, {os.cpu_count()} cores, load {host.get('load_average')}")

    plans = plan_part()
    print("\nplan_postes, Île-de-France size (2,700 internes, 8 semesters)")
    print_table(plans, ["objective", "per_terrain", "status", "value", "bound", "gap",
                        "seconds", "states", "variables", "constraints"])

    careers: list[dict] = []
    if not options.no_careers:
        started = time.perf_counter()
        cases = subdivisions()
        prepare = time.perf_counter() - started
        internes = sum(len(c[0].internes) for c in cases)
        reference = None
        for workers in options.workers:
            seconds, cpu, results = run_careers(cases, workers, options.futures)
            tables = [r.table for r in results]
            if reference is None:
                reference = tables
            else:
                assert all(np.array_equal(a, b) for a, b in zip(reference, tables, strict=True))
            semesters_simulated = sum(float(r.values("internes").sum()) for r in results)
            careers.append({
                "workers": workers, "subdivisions": len(cases), "internes_today": internes,
                "futures": options.futures, "semesters": 8, "seconds": seconds,
                "interne_semesters": semesters_simulated,
                "interne_semesters_per_s": semesters_simulated / seconds,
                "seconds_for_100_futures": seconds * 100 / options.futures,
                "worker_cpu_seconds": cpu,
                "cpu_share": cpu / (workers * seconds),
                "idle_interne_semesters_per_s": semesters_simulated / cpu * workers,
                "idle_seconds_for_100_futures": cpu / workers * 100 / options.futures,
            })
        for row in careers:
            row["speed_up"] = careers[0]["seconds"] / row["seconds"]
            row["idle_speed_up"] = (row["idle_interne_semesters_per_s"]
                                    / careers[0]["idle_interne_semesters_per_s"])
        print(f"\ncareers: 28 subdivisions, {internes} internes today, 8 semesters, "
              f"{options.futures} futures (instances, plans and models prepared in "
              f"{prepare:.1f} s)")
        print_table(careers, ["workers", "futures", "seconds", "interne_semesters",
                              "interne_semesters_per_s", "speed_up", "seconds_for_100_futures",
                              "worker_cpu_seconds", "cpu_share", "idle_interne_semesters_per_s",
                              "idle_speed_up", "idle_seconds_for_100_futures"])
    host_after = machine()
    if not options.no_write:
        payload = {"machine": host, "machine_after": host_after, "commit": git_commit(HERE),
                   "plan": plans, "careers": careers}
        print(f"written {write_json(options.output, payload)}")


if __name__ == "__main__":
    main()
