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

import attrs
import pytest

playwright = pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")

from affectation.datasets import example  # noqa: E402
from affectation.io import save_instance  # noqa: E402
from affectation.live import read_journal  # noqa: E402
from affectation.model import DEFAULT_ROUND  # noqa: E402

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
pytestmark = [pytest.mark.long,
              pytest.mark.skipif(_NO_CHROMIUM,
                                 reason=f"no system Chromium at {CHROMIUM} (.ci/run installs it)")]



def one_round_example():
    """The example in one round: in its ambulatory round an interne may be called with no
    terrain to take, and these tests click the first Choisir button of each turn."""
    return attrs.evolve(example(), rounds=(DEFAULT_ROUND,))

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(instance_path, journal, port) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "affectation", "live", str(instance_path), "--journal",
         str(journal), "--port", str(port)],
        env=dict(os.environ, AFFECTATION_JETON=TOKEN),
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
    instance = one_round_example()
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
            operator.goto(f"{base}/operateur#jeton={TOKEN}")
            public.goto(f"{base}/")
            for n in range(1, 21):
                if n == 11:  # kill -9 mid-day: the console says so, then reconnects by itself
                    server.send_signal(signal.SIGKILL)
                    server.wait()
                    operator.wait_for_selector("#connexion[data-etat='hors-ligne']")
                    operator.locator("button[data-choose]").first.click()
                    operator.wait_for_selector("#message.erreur")
                    assert "Serveur injoignable" in operator.inner_text("#message")
                    server = start(source, journal, port)
                    operator.wait_for_selector("#connexion[data-etat='ok']", timeout=20_000)
                operator.wait_for_selector(f"#appel[data-seq='{n - 1}']")
                called = operator.get_attribute("#appel", "data-internes")
                operator.bring_to_front()
                button = operator.locator("button[data-choose]").first
                terrain = button.get_attribute("data-choose")
                button.click()
                operator.wait_for_selector(f"#appel[data-seq='{n}']")
                who = instance.interne(called).libelle
                assert f"Entrée {n} enregistrée : {who} → {terrain}" in operator.inner_text(
                    "#message")
                assert operator.input_value("#terrain") == ""
                if instance.interne(called).surnombre is None:
                    taken[terrain] += 1
                # the public tab (its event stream reconnects by itself after the crash)
                public.wait_for_selector(f"#appel[data-seq='{n}']", timeout=10_000)
                for t, k in taken.items():
                    row = public.locator(f"tr[data-terrain='{t}']")
                    assert row.get_attribute("data-libres") == str(postes[t] - k)
                assert public.locator("#derniers li").first.inner_text().startswith(who)
            browser.close()
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    records, _ = read_journal(journal, instance)
    assert [r["seq"] for r in records] == list(range(21))
    assert [r["kind"] for r in records[1:]] == ["choice"] * 20
    assert Counter(r["terrain"] for r in records[1:]
                   if instance.interne(r["interne"]).surnombre is None) == taken


def test_console_confirms_names_the_interne_and_says_what_an_undo_undid(tmp_path):
    instance = one_round_example()
    source = tmp_path / "instance.json"
    save_instance(instance, source)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(source, tmp_path / "journal.jsonl", port)
    dialogs: list[str] = []
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"{base}/operateur#jeton={TOKEN}")
            page.wait_for_selector("#appel[data-seq='0']")
            assert "jeton" not in page.url  # the token left the address bar
            called = page.get_attribute("#appel", "data-internes")
            # a refused confirmation records nothing
            page.once("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.click("#procuration")
            page.wait_for_timeout(300)
            assert dialogs and called in dialogs[-1]
            assert page.get_attribute("#appel", "data-seq") == "0"
            # typed terrain, Enter; the field is cleared for the next interne
            terrain = page.locator("button[data-choose]").first.get_attribute("data-choose")
            page.fill("#terrain", terrain.lower())
            page.press("#terrain", "Enter")
            page.wait_for_selector("#appel[data-seq='1']")
            assert page.input_value("#terrain") == ""
            # the Choisir button is on screen at 390 px
            box = page.locator("button[data-choose]").first.bounding_box()
            assert box is not None and box["x"] + box["width"] <= 390
            page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
            page.click("#annuler")
            page.wait_for_selector("#appel[data-seq='2']")
            assert "Annuler l'entrée 1" in dialogs[-1] and called in dialogs[-1]
            message = page.inner_text("#message")
            assert message.startswith("Entrée 1 annulée") and terrain in message
            assert page.get_attribute("#appel", "data-internes") == called
            # the result, fetched with the bearer token (never a token in a link)
            with page.expect_download() as download:
                page.click("#resultat")
            assert download.value.suggested_filename == "resultat.xlsx"
            # the room's screen follows, with the journal head in its corner
            screen = browser.new_page(viewport={"width": 1920, "height": 1080})
            screen.clock.install()  # the page's timers on a clock the test moves
            screen.goto(f"{base}/ecran")
            screen.wait_for_selector("#tete[data-seq='2']")
            state = urllib.request.urlopen(f"{base}/api/state").read().decode()
            import json

            head = json.loads(state)["journal"]["tete"]
            assert head[:32] in screen.inner_text("#tete")
            assert screen.inner_text("#appel") == instance.interne(called).libelle
            assert screen.locator("#page-lignes .ligne").count() >= 3
            first = screen.get_attribute("#page", "data-categorie")
            # the categories turn by themselves (no eval: the page's policy forbids it), every
            # eight seconds of the page's clock
            screen.clock.run_for(9_000)
            screen.wait_for_selector(f"#page:not([data-categorie='{first}'])", timeout=5_000)
            size = screen.locator("#appel").bounding_box()["height"]
            assert size >= 60  # readable from the back of an amphitheatre at 1080p
            browser.close()
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
