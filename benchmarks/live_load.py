"""Load test of the room's public page: many viewers on the event stream while entries come in.

The server is the real command (``affectation live``, uvicorn, its own process) on the loopback,
on the shipped example (300 internes, 80 terrains) with a fresh journal. In this process,
``--viewers`` clients open ``/events`` at once (httpx, asyncio) and a writer plays one entry
(``POST /api/procuration`` with the token) every ``--interval`` seconds for ``--duration``
seconds. For every (viewer, entry) the delay is the time from the writer sending the entry
(journalled and fsynced before it is answered) to the viewer having the whole event with that
entry's id. Errors: a viewer that fails to connect, a stream that breaks, an entry a viewer
never receives, a write that is not 200.

    .venv/bin/python benchmarks/live_load.py                        # 500 viewers, 60 s
    .venv/bin/python benchmarks/live_load.py --viewers 50 --duration 5 --no-write

The target of issues 9 and 15: at least 500 simultaneous viewers for 60 s, no error, every update
delivered, 99th percentile delay under one second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TOKEN = "load-test-token-0123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workdir: Path, port: int) -> subprocess.Popen:
    """``affectation live`` on the shipped example, a fresh journal, waiting until it answers."""
    from affectation.datasets import example
    from affectation.io import save_instance

    source = workdir / "instance.json"
    save_instance(example(), source)
    server = subprocess.Popen(
        [sys.executable, "-m", "affectation", "live", str(source), "--journal",
         str(workdir / "journal.jsonl"), "--port", str(port)],
        env=dict(os.environ, AFFECTATION_JETON=TOKEN), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/state", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"the server did not start: {server.communicate()[1]}")


async def _viewer(client, url: str, received: dict[int, float], errors: list[str],
                  ready: asyncio.Event, stop: asyncio.Event, retries: set[int]) -> None:
    try:
        async with client.stream("GET", url) as response:
            if response.status_code != 200:
                errors.append(f"status {response.status_code}")
                return
            ready.set()
            current: int | None = None
            async for line in response.aiter_lines():
                if line.startswith("id:"):
                    current = int(line[3:].strip())
                elif line.startswith("retry:"):
                    retries.add(int(line[6:].strip()))
                elif line == "" and current is not None:
                    received.setdefault(current, time.monotonic())
                    current = None
                if stop.is_set():
                    return
    except Exception as error:  # a broken stream is a measured error, not a crash
        if not stop.is_set():
            errors.append(f"{type(error).__name__}: {error}")


def rss_mib(pid: int) -> dict[str, float | None]:
    """The server's resident memory now and at its peak (Linux ``/proc``), in MiB."""
    out: dict[str, float | None] = {"rss_mib": None, "peak_rss_mib": None}
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out["rss_mib" if key == "VmRSS" else "peak_rss_mib"] = round(
                int(value.split()[0]) / 1024, 1)
    return out


async def run_load(viewers: int, duration: float, interval: float, port: int) -> dict[str, Any]:
    """Open ``viewers`` streams, write one entry every ``interval`` s for ``duration`` s."""
    import httpx

    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=viewers + 10, max_keepalive_connections=viewers + 10)
    timeout = httpx.Timeout(30.0, read=None)
    received: list[dict[int, float]] = [{} for _ in range(viewers)]
    errors: list[str] = []
    stop = asyncio.Event()
    sent: dict[int, float] = {}
    write_errors: list[str] = []
    retries: set[int] = set()
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client, \
            httpx.AsyncClient(timeout=timeout) as writer:
        readies = [asyncio.Event() for _ in range(viewers)]
        tasks = [asyncio.create_task(_viewer(client, f"{base}/events", received[k], errors,
                                             readies[k], stop, retries))
                 for k in range(viewers)]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
        await asyncio.sleep(0.5)
        start = time.monotonic()
        next_at = start
        while time.monotonic() - start < duration:
            auth = {"Authorization": f"Bearer {TOKEN}"}
            shown = (await writer.get(f"{base}/api/options", headers=auth)).json()
            if shown.get("done"):
                break
            body = {"interne": "+".join(shown["internes"]), "seq": shown["seq"]}
            t0 = time.monotonic()
            answer = await writer.post(f"{base}/api/procuration", headers=auth, json=body)
            if answer.status_code != 200:
                write_errors.append(f"POST {answer.status_code}: {answer.text[:200]}")
                break
            sent[answer.json()["entry"]["seq"]] = t0
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        elapsed = time.monotonic() - start
        await asyncio.sleep(2.0)  # let the last updates arrive
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    delays = []
    missing = 0
    for got in received:
        for seq, t0 in sent.items():
            if seq in got:
                delays.append(got[seq] - t0)
            else:
                missing += 1
    delays.sort()

    def pct(q: float) -> float | None:
        return delays[min(len(delays) - 1, int(q * len(delays)))] if delays else None

    return {
        "viewers": viewers, "duration_s": round(elapsed, 2), "interval_s": interval,
        "updates": len(sent), "deliveries": len(delays), "missing": missing,
        "errors": len(errors) + len(write_errors),
        "error_samples": (errors + write_errors)[:5],
        "p50_ms": None if not delays else round(1000 * statistics.median(delays), 1),
        "p99_ms": None if pct(0.99) is None else round(1000 * pct(0.99), 1),
        "max_ms": None if not delays else round(1000 * delays[-1], 1),
        "retry_ms": sorted(retries),
    }


def measure_load(viewers: int, duration: float, interval: float) -> dict[str, Any]:
    """Start the server, run the load, stop the server: one row of figures."""
    with tempfile.TemporaryDirectory(prefix="affectation-load-") as tmp:
        port = free_port()
        server = start_server(Path(tmp), port)
        try:
            row = asyncio.run(run_load(viewers, duration, interval, port))
            row.update(rss_mib(server.pid))
            return row
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def main() -> None:
    sys.path.insert(0, str(HERE))
    from _common import git_commit, machine, print_table, write_json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=0.25,
                        help="seconds between entries (default 0.25: 240 entries a minute)")
    parser.add_argument("--output", default=str(HERE / "results" / "live_load.json"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    row = measure_load(args.viewers, args.duration, args.interval)
    row["target_met"] = (row["viewers"] >= 500 and row["duration_s"] >= 60 and not row["errors"]
                         and not row["missing"] and (row["p99_ms"] or 1e9) < 1000)
    print_table([row], [k for k in row if k != "error_samples"])
    if row["error_samples"]:
        print("errors:", *row["error_samples"], sep="\n  ")
    if not args.no_write:
        path = write_json(args.output, {"machine": machine(), "commit": git_commit(HERE),
                                        "args": vars(args), "results": [row]})
        print(f"written: {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
