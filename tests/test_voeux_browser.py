"""An interne's page in a real headless Chromium at 390 px (issue 19, item 7).

The interne opens their link, adds three terrains, reorders them by keyboard and by drag and
drop, saves, sees their chances recomputed without a reload (with their list known) and the
rang limite of the terrains, and downloads the receipt, which ``verify`` accepts and which
holds the list in the order the page showed. Uses the system Chromium (``/usr/bin/chromium``):
no browser downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

playwright = pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")

from affectation.datasets import example  # noqa: E402
from affectation.voeux import Campaign, Receipt, verify  # noqa: E402

CHROMIUM = os.environ.get("AFFECTATION_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
_NO_CHROMIUM = shutil.which(CHROMIUM) is None and not os.path.exists(CHROMIUM)
if _NO_CHROMIUM and os.environ.get("CI"):
    raise RuntimeError(f"no system Chromium at {CHROMIUM}: .ci/run should have installed it")
pytestmark = [pytest.mark.long,
              pytest.mark.skipif(_NO_CHROMIUM, reason=f"no system Chromium at {CHROMIUM}")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_interne_reorders_saves_and_downloads_the_receipt_on_a_phone(tmp_path):
    instance = example()
    base = tmp_path / "v.sqlite"
    interne = instance.internes[0].id
    with Campaign.open(instance, base) as campaign:
        token = campaign.issue_tokens([interne])[interne]
    server, url = _serve(base, tmp_path)
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 390, "height": 844},
                                          accept_downloads=True)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{url}/#jeton={token}")
            page.wait_for_selector("#terrains li button")
            assert interne in page.text_content("#qui")
            for _ in range(3):
                page.locator("#terrains li button").first.click()
            items = page.locator("#liste li")
            assert items.count() == 3
            shown = [items.nth(k).get_attribute("data-id") for k in range(3)]
            # keyboard: the first wish goes down one place
            items.nth(0).focus()
            page.keyboard.press("Alt+ArrowDown")
            after_key = [items.nth(k).get_attribute("data-id") for k in range(3)]
            assert after_key == [shown[1], shown[0], shown[2]]
            # drag and drop: the last onto the first
            items.nth(2).drag_to(items.nth(0))
            order = [items.nth(k).get_attribute("data-id") for k in range(3)]
            assert sorted(order) == sorted(shown) and order != after_key
            page.click("#enregistrer")
            page.wait_for_selector("#telecharger:not([hidden])")
            assert "enregistrée" in page.text_content("#etat")
            # the chances refresh by themselves after the save, with this list known
            page.locator("#chances-resume", has_text="avec 1 listes connues").wait_for(
                timeout=120_000)
            assert page.locator("#limites li").count() > 0  # the rang limite of each terrain
            with page.expect_download() as download:
                page.click("#telecharger")
            path = tmp_path / "recu.json"
            download.value.save_as(path)
            # the page's width fits the phone: no horizontal scrolling
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            browser.close()
        assert errors == []
    finally:
        server.kill()
        server.wait()
    receipt = Receipt.from_dict(json.loads(path.read_text("utf-8")))
    assert list(receipt.voeux) == order
    with Campaign(base) as campaign:
        ok, sentence = verify(campaign, receipt)
        assert ok, sentence
        assert campaign.latest_of(interne).voeux == tuple(order)


def _serve(base, tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "affectation", "voeux", "serveur", "--base", str(base),
         "--port", str(port), "--tirages", "10", "--rafraichir", "0"],
        env=dict(os.environ, AFFECTATION_JETON="organiser-browser-token"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=1).read()
            return server, url
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise AssertionError(server.communicate()[0]) from None
            time.sleep(0.1)


def test_a_couple_proposes_and_confirms_and_the_organiser_publishes(tmp_path):
    import attrs

    instance = example()
    # names for everyone, so that the published page can be searched for them
    instance = attrs.evolve(instance, internes=[
        attrs.evolve(i, nom=f"Nomfamille{k:04d}", prenom="Prenom") for k, i in
        enumerate(instance.internes)])
    a, b = instance.couples[0].internes
    base = tmp_path / "v.sqlite"
    with Campaign.open(instance, base) as campaign:
        tokens = campaign.issue_tokens([a, b])
    server, url = _serve(base, tmp_path)
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 390, "height": 844})
            errors: list[str] = []
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            # a proposes two pairs and agrees to be named
            page.goto(f"{url}/#jeton={tokens[a]}")
            page.wait_for_selector("#couple:not([hidden]) #couple-t0 option", state="attached")
            page.click("#ajouter-paire")
            page.select_option("#couple-t0", index=1)
            page.click("#ajouter-paire")
            assert page.locator("#paires li").count() == 2
            page.click("#proposer")
            page.locator("#etat", has_text="proposée").wait_for()
            page.check("#nominatif")
            page.click("#accord")
            page.locator("#etat", has_text="sous votre nom").wait_for()
            # b sees it and confirms
            page.goto("about:blank")
            page.goto(f"{url}/#jeton={tokens[b]}")
            page.wait_for_selector("#confirmer:not([hidden])")
            assert page.locator("#paires li").count() == 2
            page.click("#confirmer")
            page.locator("#couple-etat", has_text="c'est celle du couple").wait_for()
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            # the organiser publishes; the public page names a alone
            page.goto("about:blank")
            page.goto(f"{url}/organisateur#jeton=organiser-browser-token")
            page.locator("#couples li", has_text="2 paires, confirmée le").wait_for()
            page.click("#publier")
            page.locator("#pub-etat", has_text="1 interne(s) nommé(s)").wait_for(
                timeout=120_000)
            page.goto("about:blank")
            page.goto(f"{url}/publication")
            page.wait_for_selector("#internes li")
            text = page.text_content("body")
            named = instance.interne(a)
            assert f"{named.nom} {named.prenom}" in text
            assert instance.interne(b).nom not in text and b not in text
            assert "interne n° " in text
            browser.close()
        assert errors == []
    finally:
        server.kill()
        server.wait()
    with Campaign(base) as campaign:
        assert len(campaign.couple_list(a).voeux) == 2
