"""The room's pages as people use them, in a real headless Chromium (issue 9, item 5).

The operator records twenty choices through the operator page while the public page, open in a
second tab, must show the right counts; the server is killed (SIGKILL) and restarted half-way,
and nothing is lost. Uses the system Chromium (``/usr/bin/chromium``, installed by ``.ci/run``):
no browser is downloaded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter

import pytest

playwright = pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")

from affectation.datasets import example  # noqa: E402
from affectation.io import save_instance  # noqa: E402
from affectation.live import read_journal  # noqa: E402

CHROMIUM = os.environ.get("AFFECTATION_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        # the public page stays a background tab: keep it rendering at full speed
        "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
        "--disable-backgrounding-occluded-windows"]
TOKEN = "browser-test-token"

_NO_CHROMIUM = shutil.which(CHROMIUM) is None and not os.path.exists(CHROMIUM)
if _NO_CHROMIUM and os.environ.get("CI"):  # in CI the browser test must run, never skip
    raise RuntimeError(f"no system Chromium at {CHROMIUM}: .ci/run should have installed it")
pytestmark = pytest.mark.skipif(_NO_CHROMIUM,
                                reason=f"no system Chromium at {CHROMIUM} (.ci/run installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(instance_path, journal, port) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "affectation", "live", str(instance_path), "--journal",
         str(journal), "--port", str(port), "--token", TOKEN],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/state", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError(f"the server did not start: {server.communicate()[0]}")


def test_operator_records_twenty_choices_and_a_crash_loses_nothing(tmp_path):
    instance = example()
    source = tmp_path / "instance.json"
    save_instance(instance, source)
    journal = tmp_path / "journal.jsonl"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(source, journal, port)
    postes = {t.id: t.postes for t in instance.terrains}
    taken: Counter[str] = Counter()
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context()
            operator = context.new_page()
            public = context.new_page()
            operator.goto(f"{base}/operateur?token={TOKEN}")
            public.goto(f"{base}/")
            for n in range(1, 21):
                if n == 11:  # kill -9 mid-day, restart on the same journal
                    server.send_signal(signal.SIGKILL)
                    server.wait()
                    server = start(source, journal, port)
                    operator.reload()
                operator.wait_for_selector(f"#appel[data-seq='{n - 1}']")
                called = operator.get_attribute("#appel", "data-internes")
                operator.bring_to_front()
                button = operator.locator("button[data-choose]").first
                terrain = button.get_attribute("data-choose")
                button.click()
                operator.wait_for_selector(f"#appel[data-seq='{n}']")
                assert f"Entrée {n} enregistrée : {called} → {terrain}" in operator.inner_text(
                    "#message")
                if instance.interne(called).surnombre is None:
                    taken[terrain] += 1
                # the public tab (its event stream reconnects by itself after the crash)
                public.wait_for_selector(f"#appel[data-seq='{n}']", timeout=10_000)
                for t, k in taken.items():
                    row = public.locator(f"tr[data-terrain='{t}']")
                    assert row.get_attribute("data-libres") == str(postes[t] - k)
                assert public.locator("#derniers li").first.inner_text().startswith(called)
            browser.close()
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    records, _ = read_journal(journal, instance)
    assert [r["seq"] for r in records] == list(range(21))
    assert [r["kind"] for r in records[1:]] == ["choice"] * 20
    assert Counter(r["terrain"] for r in records[1:]
                   if instance.interne(r["interne"]).surnombre is None) == taken
