"""Shared helpers of the benchmark scripts: machine description, timing + peak memory, output.

Used by ``benchmarks/serial.py`` and meant for every other script in this folder; nothing here
knows about the package under test.

Measuring (:func:`measure`)
---------------------------
Each measured case runs in a **fresh child process** (``multiprocessing`` *spawn* context), so
that one case's garbage, caches and allocator arenas do not leak into the next and the parent
can stop a case that runs over its time budget (:class:`TimeBudgetExceeded`).

In the child, the arguments are unpickled first; then the process's peak resident set size is
*reset* (``5`` written to ``/proc/self/clear_refs``, Linux >= 4.0) and the call is repeated
``repeat`` times. The reported peak is ``VmHWM`` after the calls minus ``VmRSS`` before them:
the extra resident memory the call needed at its worst moment, C extensions and interpreter
included, with the inputs already in memory not counted. When ``clear_refs`` cannot be written,
the baseline is ``ru_maxrss`` before the calls instead, which over-counts nothing but may
under-count when unpickling the inputs peaked higher than the call itself (the JSON says which
method was used). Memory the allocator keeps after one repetition is reused by the next, so the
peak is that of one call. This costs nothing at run time, unlike ``tracemalloc``, which slows
pure-Python code several times and sees only the Python heap.

Time is wall-clock ``time.perf_counter`` around the call alone, the best of at least
``repeat`` calls, more for fast calls until ``min_time`` seconds of calls (the best run is the
least disturbed one on a machine shared with other work; later calls run with warm caches).
CPU time (``time.process_time``, best of the same calls) is reported beside it: when other
processes compete for the cores, it is inflated less than wall time. The garbage collector
stays on; the inputs are ``gc.freeze()``-d after unpickling and a collection runs between
calls, so each call starts with the same heap. A ``summarize`` function, applied in the child
outside the timed region, turns the last value into something small to send back.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import platform
import re
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "Measurement",
    "TimeBudgetExceeded",
    "git_commit",
    "machine",
    "measure",
    "peak_method",
    "print_table",
    "write_json",
]

_PACKAGES = ("affectation", "ortools", "numpy", "attrs", "matching")


# --- machine -----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the numbers were measured on: CPU model, cores, RAM, OS, Python, package versions,
    and the load average (the machine may be shared; a load above the core count means the
    timings are pessimistic)."""
    cpuinfo = _read("/proc/cpuinfo")
    model = _first(r"^model name\s*:\s*(.+)$", cpuinfo) or platform.processor() or "unknown"
    physical = {
        (block_phys, block_core)
        for block in cpuinfo.split("\n\n")
        if (block_phys := _first(r"^physical id\s*:\s*(\d+)$", block)) is not None
        and (block_core := _first(r"^core id\s*:\s*(\d+)$", block)) is not None
    }
    meminfo = _read("/proc/meminfo")
    mem_kib = _first(r"^MemTotal:\s*(\d+) kB$", meminfo)
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": model.strip(),
        "cpu_mhz": float(mhz) if (mhz := _first(r"^cpu MHz\s*:\s*([\d.]+)$", cpuinfo)) else None,
        "logical_cores": os.cpu_count(),
        "physical_cores": len(physical) or None,
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "ram_gib": round(int(mem_kib) / 2**20, 1) if mem_kib else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": versions,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def git_commit(path: str | Path = ".") -> str | None:
    """The commit the working tree at ``path`` is on, with ``-dirty`` if it has changes."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=path, capture_output=True, text=True, check=True, timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _first(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1) if match else None


# --- measuring -----------------------------------------------------------------------------------


class Measurement(NamedTuple):
    """One measured case: best wall time of the repetitions, peak extra memory, last value."""

    seconds: float
    """Best (smallest) wall-clock time of one call, in seconds."""
    peak_mib: float
    """Peak extra resident memory of one call, in MiB (see the module docstring)."""
    value: Any
    """The last call's return value, through ``summarize`` if given."""
    calls: int
    """How many calls the best was taken from."""
    cpu_seconds: float
    """Best CPU time of one call (``time.process_time``, every thread of the process): less
    sensitive than wall time to other processes competing for the cores."""


class TimeBudgetExceeded(Exception):
    """The case did not finish within its time budget; its process was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"did not finish within the time budget of {seconds:g} s")
        self.seconds = seconds


def measure(
    fn: Callable[..., Any],
    *args: Any,
    repeat: int = 3,
    timeout: float | None = None,
    summarize: Callable[[Any], Any] | None = None,
    stack_mib: int | None = None,
    min_time: float = 0.0,
) -> Measurement:
    """Call ``fn(*args)`` ``repeat`` times in a fresh spawned process; return the best time,
    the peak extra memory, the last value (``summarize(value)`` when given), the number of
    calls made and the best CPU time of one call. There are more than ``repeat`` calls when
    they took less than ``min_time`` seconds together: calls go on until ``min_time`` is
    reached, at most 1,000 of them (a millisecond call needs many tries for its best one to
    be undisturbed on a shared machine).

    ``fn``, ``args``, ``summarize`` and the value sent back must pickle (module-level
    functions; a script's functions pickle when it guards its entry point with
    ``if __name__ == "__main__"``). ``timeout`` (seconds, for the whole child: unpickling and
    every repetition) stops the child and raises :class:`TimeBudgetExceeded`. ``stack_mib``
    runs the calls in a thread with that stack size and a recursion limit of 100,000, for
    code that recurses deeply (``copy.deepcopy`` of long linked structures). An exception in
    the child is raised again in the parent as ``RuntimeError`` with the child's traceback.
    """
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(sender, fn, args, repeat, min_time, summarize, stack_mib),
        daemon=True,
    )
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise TimeBudgetExceeded(timeout or 0.0)
        try:
            status, payload = receiver.recv()
        except EOFError:
            child.join()
            raise RuntimeError(
                f"the measured process died (exit code {child.exitcode})"
            ) from None
        child.join(60)
    finally:
        if child.is_alive():
            child.kill()  # over budget, or stuck after answering
        child.join()
        receiver.close()
    if status == "error":
        raise RuntimeError(f"the measured call failed in its process:\n{payload}")
    return Measurement(*payload)


def _child(sender, fn, args, repeat, min_time, summarize, stack_mib) -> None:
    try:
        if stack_mib is None:
            outcome = _repeat(fn, args, repeat, min_time, summarize)
        else:
            sys.setrecursionlimit(100_000)
            threading.stack_size(stack_mib * 2**20)
            box: list = []
            thread = threading.Thread(
                target=lambda: box.append(
                    _catching(_repeat, fn, args, repeat, min_time, summarize)
                )
            )
            thread.start()
            thread.join()
            outcome = box[0]
            if isinstance(outcome, BaseException):
                raise outcome
        sender.send(("ok", outcome))
    except BaseException:
        import traceback

        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()


def _catching(fn, *args):
    try:
        return fn(*args)
    except BaseException as error:
        return error


def _repeat(fn, args, repeat, min_time, summarize) -> tuple[float, float, Any, int, float]:
    gc.collect()
    gc.freeze()  # the inputs: not walked again by the collections between calls
    baseline_kib, peak_reset = _reset_peak()
    best = best_cpu = float("inf")
    value = None
    calls = 0
    total = 0.0
    while calls < repeat or (total < min_time and calls < _MAX_CALLS):
        value = None  # the previous value is garbage before the next call
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        value = fn(*args)
        elapsed = time.perf_counter() - start
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
        best = min(best, elapsed)
        total += elapsed
        calls += 1
    peak_kib = _status_kib("VmHWM") if peak_reset else _maxrss_kib()
    if summarize is not None:
        value = summarize(value)
    return best, max(0, peak_kib - baseline_kib) / 1024, value, calls, best_cpu


_MAX_CALLS = 1000


def _reset_peak() -> tuple[int, bool]:
    """Reset the peak RSS if the kernel lets us; return the baseline (KiB) and whether it did."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return _maxrss_kib(), False
    rss = _status_kib("VmRSS")
    return rss, rss > 0


def _status_kib(field: str) -> int:
    value = _first(rf"^{field}:\s*(\d+) kB$", _read("/proc/self/status"))
    return int(value) if value else 0


def _maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def peak_method() -> str:
    """How :func:`measure` reads the peak on this machine (to record with the results)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return "ru_maxrss after the calls minus ru_maxrss before them"
    return "VmHWM after a /proc/self/clear_refs reset, minus VmRSS before the calls"


# --- output --------------------------------------------------------------------------------------


def write_json(path: str | Path, payload: Any) -> Path:
    """Write ``payload`` as indented UTF-8 JSON, atomically (temporary file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def print_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Iterable[str] | None = None,
    *,
    file=None,
) -> None:
    """Print ``rows`` (dicts) as an aligned plain-text table that is also Markdown.

    ``columns`` picks and orders the keys (default: the first row's). Floats get four
    significant digits, ``None`` prints as ``—``; numbers are right-aligned.
    """
    if not rows:
        return
    columns = list(columns) if columns is not None else list(rows[0])
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    numeric = [
        all(isinstance(row.get(c), int | float) or row.get(c) is None for row in rows)
        for c in columns
    ]
    widths = [max(len(c), *(len(line[k]) for line in cells)) for k, c in enumerate(columns)]

    layout = list(zip(widths, numeric, strict=True))

    def line(values: Sequence[str]) -> str:
        pairs = zip(values, layout, strict=True)
        padded = (v.rjust(w) if num else v.ljust(w) for v, (w, num) in pairs)
        return "| " + " | ".join(padded) + " |"

    out = file or sys.stdout
    print(line(columns), file=out)
    rule = ("-" * (w + 1) + ":" if num else "-" * (w + 2) for w, num in layout)
    print("|" + "|".join(rule) + "|", file=out)
    for values in cells:
        print(line(values), file=out)
    out.flush()


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# --- shared by the scripts --------------------------------------------------------------------


def bare_loop(instance) -> dict[str, str]:
    """Serial dictatorship without rules: in the choice order, the first wish with a free poste.

    Plain Python, written to be fast: one dict of free postes, one pass over each list up to
    the first free wish. The order is the instance's pre-sorted one (``cached_choice_order``,
    computed when the instance was built), the same the engine reads.
    """
    from affectation.rules.order import cached_choice_order

    free = {terrain.id: terrain.postes for terrain in instance.terrains}
    by_id = instance.interne_by_id
    placed: dict[str, str] = {}
    for interne_id in cached_choice_order(instance):
        for terrain_id in by_id[interne_id].voeux:
            if free[terrain_id] > 0:
                free[terrain_id] -= 1
                placed[interne_id] = terrain_id
                break
    return placed


def identity(value):
    """``summarize`` that sends the value back as it is."""
    return value


def wish_length(wishes: str) -> int | None:
    """``"all"`` → every relevant terrain (``None``), else the number of wishes."""
    return None if wishes == "all" else int(wishes)
