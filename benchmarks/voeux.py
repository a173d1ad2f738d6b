"""Load test of the wishes server: many internes saving their lists, then the chances refresh.

The server is the real command (``affectation voeux serveur``, uvicorn, its own process) on the
loopback, on a generated subdivision (``affectation.datasets.generate``) with a fresh campaign.
``--clients`` threads in this process play ``--internes`` internes saving ``--saves`` times each
(``POST /api/liste`` with the interne's token, a list of 10 to 30 eligible terrains), every save
committed and synced before it is answered. Measured: each save's latency (send to answer), the
whole run's duration, the server's peak memory (``VmHWM``, and its chances worker's), and one
``GET /api/chances`` before the saves (every list guessed) and one after (every list known):
the pré-choix refresh (``--tirages`` draws).

    .venv/bin/python benchmarks/voeux.py                         # 1,500 internes × 5 saves
    .venv/bin/python benchmarks/voeux.py --internes 200 --saves 2 --no-write

The targets of issue 19: 1,500 internes × 5 saves within 10 minutes, p99 save under 300 ms, the
chances refresh at 1,500 internes under 60 s, the server's memory reported.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ORGANISER = "benchmark-organiser-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(c) for c in text]
    return out


def post(url: str, token: str, body: dict) -> float:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"save answered {answer.status}")
    return time.perf_counter() - start


def main() -> None:
    from _common import git_commit, machine, write_json

    from affectation.datasets import generate
    from affectation.voeux import Campaign

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--internes", type=int, default=1500)
    parser.add_argument("--saves", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--tirages", type=int, default=200)
    parser.add_argument("--refresh-during-saves", action="store_true",
                        help="One client asks for the chances again and again during the saves "
                             "(every run sees new lists: the worst case).")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    instance = generate(args.internes, seed=1)
    folder = Path(tempfile.mkdtemp(prefix="voeux-bench-"))
    base = folder / "v.sqlite"
    with Campaign.open(instance, base) as campaign:
        ids = [i.id for i in instance.internes]
        tokens = campaign.issue_tokens(ids)
        choices = {i: [t for t, why in campaign.eligibility(i).items() if why is None]
                   for i in ids}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "affectation", "voeux", "serveur", "--base", str(base),
         "--port", str(port), "--tirages", str(args.tirages),
         "--rafraichir", "0"],
        env=dict(os.environ, AFFECTATION_JETON=ORGANISER), stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        def refresh_chances() -> tuple[float, dict]:
            request = urllib.request.Request(url + "/api/chances", headers={
                "Authorization": f"Bearer {tokens[ids[0]]}"})
            t0 = time.perf_counter()
            with urllib.request.urlopen(request, timeout=600) as answer:
                return time.perf_counter() - t0, json.load(answer)

        refresh_none, _ = refresh_chances()  # every list guessed
        rng = random.Random(0)
        jobs = []
        for round_ in range(args.saves):
            for interne in ids:
                pool = choices[interne]
                jobs.append((interne, rng.sample(pool, min(len(pool), rng.randint(10, 30))),
                             round_))
        done = threading.Event()
        refreshes: list[float] = []

        def keep_refreshing() -> None:
            while not done.is_set():
                refreshes.append(refresh_chances()[0])

        refresher = threading.Thread(target=keep_refreshing)
        if args.refresh_during_saves:
            refresher.start()
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.clients) as executor:
            latencies = list(executor.map(
                lambda job: post(url + "/api/liste", tokens[job[0]], {"voeux": job[1]}),
                jobs))
        duration = time.perf_counter() - start
        done.set()
        if args.refresh_during_saves:
            refresher.join()
        rss_after_saves = vm_kib(server.pid, "VmRSS")
        refresh, chances = refresh_chances()  # every list known
        peak = vm_kib(server.pid, "VmHWM")
        worker_peak = sum(vm_kib(c, "VmHWM") for c in children(server.pid))
    finally:
        server.terminate()
        server.wait()
    latencies.sort()
    ms = [x * 1000 for x in latencies]
    figures = {
        "internes": args.internes, "saves_per_interne": args.saves, "clients": args.clients,
        "saves": len(ms), "refresh_during_saves": args.refresh_during_saves,
        "refreshes_during_saves": len(refreshes), "duration_s": round(duration, 2),
        "saves_per_s": round(len(ms) / duration, 1),
        "save_ms_p50": round(statistics.median(ms), 2),
        "save_ms_p99": round(ms[int(0.99 * (len(ms) - 1))], 2),
        "save_ms_max": round(ms[-1], 2),
        "chances_refresh_none_known_s": round(refresh_none, 2),
        "chances_refresh_all_known_s": round(refresh, 2), "tirages": args.tirages,
        "listes_connues": chances["listes_connues"],
        "server_rss_mib_after_saves": round(rss_after_saves / 1024, 1),
        "server_peak_mib": round(peak / 1024, 1),
        "chances_worker_peak_mib": round(worker_peak / 1024, 1),
        "base_mib": round(base.stat().st_size / 2**20, 1),
    }
    for key, value in figures.items():
        print(f"{key:28} {value}")
    if not args.no_write:
        write_json(HERE / "results" / "voeux.json",
                   {"figures": figures, "machine": machine(), "commit": git_commit(HERE)})


if __name__ == "__main__":
    main()
