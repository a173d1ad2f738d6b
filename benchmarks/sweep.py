"""Monte Carlo sweeps: samples per second, one process against a pool of two.

Generated instances (``affectation.datasets.generate``, seed 0, wish lists of 40) of 300 and
1,500 internes; the preference model fitted to each (``PreferenceModel.from_instance``, timed);
one scenario (the base), the serial engine. In the same run, for each size:

* ``inline``: ``sweep(..., executor="inline")``: every sample in this process;
* ``pool-2``: ``sweep(..., executor=ProcessPoolExecutor(2))``, the pool created and shut down
  inside the timed region (cold start included: the workers import the package and unpickle
  the payload once each).

Both must give the same samples (checked). Time is wall clock around ``sweep`` alone, one run
per case (a sweep is already hundreds of repetitions). On a shared machine the wall clock says
little about two cores, so the CPU time of this process and of the pool's workers is recorded
too (``getrusage``, self + reaped children): ``idle_samples_per_min`` = samples per CPU second
× cores used × 60 is the rate on cores nobody else uses; and a control (two pure-Python busy
loops, in one process then in a pool of two) measures the speed-up the machine can give at
that moment, before each size and at the end. Then the per-sample cost is split,
in this process, into drawing the wish lists (``model.sample``), solving
(``serial_dictatorship``) and the rest of a task (``_run_task`` minus both): the target (engines
issue, item 5) is at least 6,000 samples a minute at 1,500 internes on 2 cores with the pool
(it was 1,000 before, measured at about 2,500).

Then the pré-choix (issue 10): at 1,500 internes with 60 % of the lists known (the others marked
``voeux_connus: false``, chosen with seed 0), 1,000 samples with the default pool
(``executor=None``: a ``ProcessPoolExecutor(os.cpu_count())`` created and shut down inside the
timed region), a full redraw (``sweep``) against the partial one (``prechoix``, fit included);
target: the partial one under a minute of wall time.

    .venv/bin/python benchmarks/sweep.py                 # about 2 minutes on 2 cores
    .venv/bin/python benchmarks/sweep.py --quick         # fewer samples
    .venv/bin/python benchmarks/sweep.py --sizes 1500 --samples 600
    .venv/bin/python benchmarks/sweep.py --profile 1500  # cProfile of an inline sweep, then exit
    .venv/bin/python benchmarks/sweep.py --split 1500 --samples 60  # CPU ms per sample, JSON
    .venv/bin/python benchmarks/sweep.py --sizes --prechoix-samples 1000  # the pré-choix alone
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from _common import git_commit, machine, print_table, write_json

from affectation.datasets import generate
from affectation.preferences import PreferenceModel
from affectation.scenarios import BASE
from affectation.serial import serial_dictatorship
from affectation.sweep import _run_task, _Task, sweep

try:
    from affectation.rules.turn import slot_tables
except ImportError:  # older code, in an A/B run (--split with PYTHONPATH)
    def slot_tables(instance):
        return None


def warm_classes(instance) -> None:
    """The mandatory classes of every round in the instance's tables, as a sweep's worker
    builds them once (nothing on older code)."""
    try:
        from affectation.rules.mandatory import mandatory_classes
    except ImportError:
        return
    if hasattr(instance, "tables") or hasattr(instance, "memo"):
        for r in range(len(instance.rounds)):
            mandatory_classes(instance, r)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "sweep.json"
SIZES = (300, 1500)
SAMPLES = {300: 600, 1500: 400}
"""Samples per case by default (``--samples`` overrides; ``--quick`` halves)."""
SEED = 0
WORKERS = 2
PROFILE_SAMPLES = 40
TARGET_PER_MINUTE = 6000
PRECHOIX_INTERNES = 1500
PRECHOIX_KNOWN = 0.6
PRECHOIX_SAMPLES = 1000
PRECHOIX_TARGET_S = 60.0
CONTROL_LOOP = 10_000_000


def burn(n: int) -> int:
    """Pure-Python busy loop: the control of what two processes can get from the machine."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def control(n: int = CONTROL_LOOP) -> dict[str, float]:
    """The speed-up two processes get on two busy loops right now: 2 on two idle cores,
    about 1 when other work takes the cores (then no sweep can do better)."""
    start = time.perf_counter()
    burn(n)
    burn(n)
    serial = time.perf_counter() - start
    with ProcessPoolExecutor(max_workers=WORKERS) as pool:
        pool.submit(burn, 1).result()  # the workers are up before the clock starts
        start = time.perf_counter()
        list(pool.map(burn, [n, n]))
        parallel = time.perf_counter() - start
    return {"serial_s": serial, "pool_s": parallel, "speedup": serial / parallel}


def cost_split(instance, model: PreferenceModel, n: int) -> dict[str, float]:
    """Milliseconds per sample: drawing, solving, and the rest of a task, in this process
    (CPU time of this process: on a shared machine, waiting for a core is not counted)."""
    import pickle

    children = np.random.SeedSequence(SEED + 1).spawn(n)
    model.sample(instance, np.random.default_rng(children[0]))  # build the sampler's cache
    slot_tables(instance)  # as a sweep's worker does once
    warm_classes(instance)
    draw = solve = 0.0
    for child in children:
        start = time.process_time()
        drawn = model.sample(instance, np.random.default_rng(child))
        middle = time.process_time()
        serial_dictatorship(drawn)
        draw += middle - start
        solve += time.process_time() - middle
    from affectation.sweep import _PAYLOADS, _categories, _Payload

    payload = _Payload(instance, (BASE,), model, "serial", _categories([instance]))
    blob = pickle.dumps(payload)
    key = hashlib.blake2b(blob, digest_size=16).hexdigest()
    _PAYLOADS[key] = payload  # as an inline sweep does: the objects, not a copy
    task = _Task(key, blob, 0, tuple(range(n)), tuple(children))
    _run_task(_Task(key, blob, 0, (0,), (children[0],)))  # warm the worker cache
    start = time.process_time()
    _run_task(task)
    whole = time.process_time() - start
    return {
        "draw_ms": 1000 * draw / n,
        "solve_ms": 1000 * solve / n,
        "rest_ms": 1000 * max(whole - draw - solve, 0.0) / n,
        "task_ms": 1000 * whole / n,
    }


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the pool's workers, once the
    pool is shut down and they are reaped)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_case(instance, model, executor: str, n_samples: int) -> tuple[float, float, Any]:
    cpu = cpu_seconds()
    start = time.perf_counter()
    if executor == "inline":
        result = sweep(instance, n_samples=n_samples, seed=SEED, model=model,
                       executor="inline", progress=False)
    else:
        with ProcessPoolExecutor(max_workers=WORKERS) as pool:
            result = sweep(instance, n_samples=n_samples, seed=SEED, model=model,
                           executor=pool, progress=False)
    return time.perf_counter() - start, cpu_seconds() - cpu, result


def benchmark(sizes, samples: dict[int, int]) -> tuple[list[dict], list[dict], list[dict]]:
    cases, splits, controls = [], [], []
    for n in sizes:
        controls.append({"before_internes": n, **control()})
        print(f"control: two busy loops, pool of {WORKERS} vs one process: speed-up "
              f"{controls[-1]['speedup']:.2f}", flush=True)
        instance = generate(n, seed=SEED)
        start = time.perf_counter()
        model = PreferenceModel.from_instance(instance)
        fit_seconds = time.perf_counter() - start
        split = {"internes": n, "terrains": len(instance.terrains), "fit_s": fit_seconds,
                 **cost_split(instance, model, PROFILE_SAMPLES)}
        splits.append(split)
        print(f"{n} internes: fit {fit_seconds:.2f} s, per sample draw "
              f"{split['draw_ms']:.1f} ms + solve {split['solve_ms']:.1f} ms + rest "
              f"{split['rest_ms']:.1f} ms", flush=True)
        results = {}
        for executor in ("inline", f"pool-{WORKERS}"):
            seconds, cpu, results[executor] = run_case(instance, model, executor, samples[n])
            rate = samples[n] / seconds
            cores = 1 if executor == "inline" else WORKERS
            cases.append({
                "internes": n, "executor": executor, "samples": samples[n],
                "seconds": seconds, "samples_per_s": rate, "samples_per_min": 60 * rate,
                "cpu_s": cpu, "cpu_ms_per_sample": 1000 * cpu / samples[n],
                # what the same CPU work gives on `cores` cores nobody else uses
                "idle_samples_per_min": 60 * cores * samples[n] / cpu,
            })
            print(f"  {executor}: {samples[n]} samples in {seconds:.1f} s "
                  f"({60 * rate:,.0f}/min)", flush=True)
        same = results["inline"].samples.equals(results[f"pool-{WORKERS}"].samples) and all(
            np.array_equal(a, b) for a, b in zip(results["inline"].assignments,
                                                 results[f"pool-{WORKERS}"].assignments,
                                                 strict=True)
        )
        inline, pooled = cases[-2], cases[-1]
        pooled["speedup"] = pooled["samples_per_s"] / inline["samples_per_s"]
        pooled["idle_speedup"] = pooled["idle_samples_per_min"] / inline["idle_samples_per_min"]
        pooled["same_samples"] = inline["same_samples"] = same
        if not same:
            raise SystemExit(f"the pool gave other samples than inline at {n} internes")
    controls.append({"before_internes": None, **control()})
    return cases, splits, controls


def prechoix_cases(samples: int) -> list[dict]:
    """Full redraw against partial redraw at 1,500 internes, 60 % of the lists known, default
    pool, wall and CPU time."""
    import attrs

    from affectation.prechoix import prechoix

    instance = generate(PRECHOIX_INTERNES, seed=SEED)
    rng = np.random.default_rng(SEED)
    guessed = {i.id for i in instance.internes if rng.random() >= PRECHOIX_KNOWN}
    marked = attrs.evolve(instance, internes=[
        attrs.evolve(i, voeux_connus=False) if i.id in guessed else i for i in instance.internes
    ])
    cases = []
    for kind in ("full redraw (sweep)", "pré-choix (partial)"):
        cpu = cpu_seconds()
        start = time.perf_counter()
        if kind.startswith("full"):
            model = PreferenceModel.from_instance(instance)
            sweep(instance, n_samples=samples, seed=SEED, model=model, progress=False)
            known = len(instance.internes)
        else:
            result = prechoix(marked, n_samples=samples, seed=SEED, progress=False)
            known = len(result.known)
        seconds = time.perf_counter() - start
        cpu = cpu_seconds() - cpu
        cases.append({
            "case": kind, "internes": PRECHOIX_INTERNES, "known": known, "samples": samples,
            "seconds": seconds, "samples_per_min": 60 * samples / seconds,
            "cpu_ms_per_sample": 1000 * cpu / samples,
            "target_s": PRECHOIX_TARGET_S, "met": seconds < PRECHOIX_TARGET_S,
        })
        print(f"  {kind}: {samples} samples in {seconds:.1f} s", flush=True)
    return cases


def split_only(n: int, samples: int) -> None:
    """Print the per-sample split at ``n`` internes as one JSON line (for A/B runs against an
    older ``src``, with PYTHONPATH; see benchmarks/README.md)."""
    import json

    instance = generate(n, seed=SEED)
    model = PreferenceModel.from_instance(instance)
    print(json.dumps({"internes": n, "samples": samples,
                      **cost_split(instance, model, samples)}), flush=True)


def profile(n: int, samples: int) -> None:
    instance = generate(n, seed=SEED)
    model = PreferenceModel.from_instance(instance)
    sweep(instance, n_samples=2, model=model, executor="inline", progress=False)
    profiler = cProfile.Profile()
    profiler.enable()
    sweep(instance, n_samples=samples, model=model, executor="inline", progress=False)
    profiler.disable()
    print(f"\n=== inline sweep, {samples} samples at {n} internes ===")
    pstats.Stats(profiler).strip_dirs().sort_stats("tottime").print_stats(20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES),
                        help="numbers of internes (default: %(default)s; none: skip)")
    parser.add_argument("--prechoix-samples", type=int, default=PRECHOIX_SAMPLES,
                        help="samples of the pré-choix cases (default: %(default)s; 0: skip)")
    parser.add_argument("--samples", type=int, help="samples per case (default: 600 at 300 "
                        "internes, 400 at 1,500)")
    parser.add_argument("--quick", action="store_true", help="half the default samples")
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help="JSON file to write (default: benchmarks/results/sweep.json)")
    parser.add_argument("--no-write", action="store_true", help="do not write the JSON file")
    parser.add_argument("--split", type=int, metavar="N",
                        help="print the per-sample CPU split at N internes (JSON) and exit")
    parser.add_argument("--profile", type=int, metavar="N",
                        help="profile an inline sweep at N internes with cProfile and exit")
    options = parser.parse_args(argv)

    if options.split:
        split_only(options.split, options.samples or PROFILE_SAMPLES)
        return 0
    if options.profile:
        profile(options.profile, options.samples or PROFILE_SAMPLES)
        return 0
    samples = {
        n: options.samples or (SAMPLES.get(n, 400) // (2 if options.quick else 1))
        for n in options.sizes
    }
    started = time.perf_counter()
    host = machine()
    print(f"machine: {host['cpu']}, {host['logical_cores']} cores, {host['ram_gib']} GiB, "
          f"{host['python']}, load {host['load_average']}", flush=True)
    cases, splits, controls = benchmark(options.sizes, samples)
    pre = []
    if options.prechoix_samples:
        print(f"pré-choix: {PRECHOIX_INTERNES} internes, {PRECHOIX_KNOWN:.0%} of the lists "
              "known, default pool", flush=True)
        pre = prechoix_cases(options.prechoix_samples)
    elapsed = time.perf_counter() - started
    host_after = machine()
    targets = [
        {"internes": c["internes"], "samples_per_min": c["samples_per_min"],
         "target_per_min": TARGET_PER_MINUTE, "met": c["samples_per_min"] >= TARGET_PER_MINUTE,
         "speedup": c["speedup"], "idle_samples_per_min": c["idle_samples_per_min"],
         "met_on_idle_cores": c["idle_samples_per_min"] >= TARGET_PER_MINUTE,
         "idle_speedup": c["idle_speedup"]}
        for c in cases if c["executor"].startswith("pool") and c["internes"] >= 1500
    ]

    print()
    print_table(cases, ["internes", "executor", "samples", "seconds", "samples_per_min",
                        "speedup", "cpu_ms_per_sample", "idle_samples_per_min",
                        "idle_speedup", "same_samples"])
    print()
    print_table(splits, ["internes", "terrains", "fit_s", "draw_ms", "solve_ms", "rest_ms",
                         "task_ms"])
    print()
    print_table(controls, ["before_internes", "serial_s", "pool_s", "speedup"])
    if targets:
        print()
        print_table(targets)
    if pre:
        print()
        print_table(pre)
    print(f"\ntotal run time {elapsed:.0f} s; load average at the end "
          f"{host_after['load_average']}")

    if not options.no_write:
        payload = {
            "benchmark": "sweep",
            "command": " ".join(["benchmarks/sweep.py", *(argv or sys.argv[1:])]),
            "commit": git_commit(HERE),
            "machine": host,
            "load_average_end": host_after["load_average"],
            "seed": SEED,
            "method": "serial",
            "scenarios": ["base"],
            "timing": "wall clock around sweep(), one run per case; the pool case includes "
                      "creating and shutting down the pool. idle_*: samples per CPU second of "
                      "this process and its pool workers (getrusage SELF + CHILDREN) times the "
                      "cores used: the rate on cores no other work shares",
            "run_seconds": round(elapsed, 1),
            "cases": cases,
            "per_sample_ms": splits,
            "control": controls,
            "target": targets,
            "prechoix": pre,
        }
        print(f"written {write_json(options.output, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
