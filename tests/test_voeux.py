"""The wishes online (issue 19): the store, the receipts, the server, the command line."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affectation.cli import main
from affectation.datasets import example
from affectation.io import load_instance, save_instance
from affectation.voeux import Campaign, CampaignError, Receipt, digest, verify
from affectation.voeux.store import SCHEMA

pytest.importorskip("starlette")
from starlette.testclient import TestClient

from affectation.voeux.app import Chances, RateLimit, create_app

ORGANISER = "organiser-token-for-tests"
INSTANCE = example()


def eligible(campaign: Campaign, interne_id: str) -> list[str]:
    return [t for t, why in campaign.eligibility(interne_id).items() if why is None]


@pytest.fixture
def campaign(tmp_path):
    with Campaign.open(INSTANCE, tmp_path / "v.sqlite") as c:
        yield c


@pytest.fixture
def served(campaign):
    tokens = campaign.issue_tokens([i.id for i in INSTANCE.internes[:3]])
    app = create_app(campaign, organiser_token=ORGANISER, rate=RateLimit(rate=1000, burst=1000),
                     chances=Chances(campaign, n_samples=20, interval=0))
    with TestClient(app) as client:
        yield client, campaign, tokens


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- the store ------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 5), st.randoms(use_true_random=False),
                          st.integers(0, 8)), max_size=15))
def test_the_export_is_every_internes_latest_saved_list(saves):
    with tempfile.TemporaryDirectory() as folder, \
            Campaign.open(INSTANCE, Path(folder) / "v.sqlite") as campaign:
        expected: dict[str, tuple[str, ...]] = {}
        for who, rng, length in saves:
            interne = INSTANCE.internes[who].id
            choices = eligible(campaign, interne)
            voeux = tuple(rng.sample(choices, min(length, len(choices))))
            campaign.save(interne, voeux)
            expected[interne] = voeux
        exported = Path(folder) / "choix.json"
        save_instance(campaign.current_instance(), exported)
        back = load_instance(exported)
        for interne in back.internes:
            if interne.id in expected:
                assert interne.voeux_connus and interne.voeux == expected[interne.id]
            else:
                assert not interne.voeux_connus and interne.voeux == ()
        history = campaign.history()
        assert len(history) == len(saves)  # append-only: every save kept


def test_history_is_append_only_and_the_schema_versioned(campaign):
    first = INSTANCE.internes[0].id
    campaign.save(first, eligible(campaign, first)[:2])
    import sqlite3

    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        campaign._db.execute("UPDATE lists SET voeux = '[]'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        campaign._db.execute("DELETE FROM lists")
    assert campaign._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA
    assert campaign._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_list_with_an_unknown_repeated_or_ineligible_terrain_is_refused(campaign):
    # a first-year: most terrains are closed to them in semesters 1-2 (R-ELI-2)
    interne = next(i.id for i in INSTANCE.internes if i.semestres_valides == 0)
    ok = eligible(campaign, interne)
    with pytest.raises(CampaignError, match="terrain inconnu"):
        campaign.save(interne, ["NOWHERE"])
    with pytest.raises(CampaignError, match="déjà dans la liste"):
        campaign.save(interne, [ok[0], ok[0]])
    closed = [t for t, why in campaign.eligibility(interne).items() if why is not None]
    assert closed, "a first-year should have terrains closed to them"
    with pytest.raises(CampaignError, match="pas accessible"):
        campaign.save(interne, [closed[0]])
    assert campaign.history() == []


def test_the_receipts_chain_and_a_backup_is_a_whole_copy(campaign, tmp_path):
    interne = INSTANCE.internes[1].id
    ok = eligible(campaign, interne)
    a = campaign.save(interne, ok[:3])
    b = campaign.save(interne, ok[1:4], previous=a.receipt)
    assert b.previous == a.receipt and a.previous == ""
    with pytest.raises(CampaignError, match="entre-temps"):
        campaign.save(interne, ok[:1], previous=a.receipt)  # a stale tab
    copy = Campaign(campaign.backup(tmp_path / "copie.sqlite"))
    assert copy.history() == campaign.history()
    assert copy.campaign_id == campaign.campaign_id


def test_a_forged_or_altered_receipt_is_refused(campaign, tmp_path):
    interne = INSTANCE.internes[2].id
    ok = eligible(campaign, interne)
    saved = campaign.save(interne, ok[:3])
    genuine = campaign.receipt_of(saved)
    assert verify(campaign, genuine)[0]
    doc = genuine.to_dict()
    altered_list = Receipt.from_dict({**doc, "voeux": list(reversed(doc["voeux"]))})
    altered_time = Receipt.from_dict({**doc, "heure": "2026-01-01T00:00:00.000000Z"})
    forged_voeux = ok[3:5]
    forged = Receipt.from_dict({**doc, "voeux": forged_voeux, "empreinte": digest(
        doc["campagne"], interne, forged_voeux, doc["heure"], doc["precedent"])})
    other_campaign = Receipt.from_dict({**doc, "campagne": "une-autre"})
    for bad, why in ((altered_list, "empreinte ne correspond"),
                     (altered_time, "empreinte ne correspond"),
                     (forged, "aucune liste enregistrée"),
                     (other_campaign, "autre campagne")):
        ok_, sentence = verify(campaign, bad)
        assert not ok_ and why in sentence
    # and through the command line: exit 0 for the genuine one, 1 for the altered one
    base = str(campaign.path)
    good_file, bad_file = tmp_path / "recu.json", tmp_path / "faux.json"
    good_file.write_text(json.dumps(doc), "utf-8")
    bad_file.write_text(json.dumps(altered_list.to_dict()), "utf-8")
    runner = CliRunner()
    good = runner.invoke(main, ["voeux", "recu", "verifier", "--base", base, str(good_file)])
    assert good.exit_code == 0 and "reçu valide" in good.output
    bad = runner.invoke(main, ["voeux", "recu", "verifier", "--base", base, str(bad_file)])
    assert bad.exit_code == 1 and "reçu refusé" in bad.output


# --- the server -----------------------------------------------------------------------------


def test_an_internes_token_opens_only_their_own_list(served):
    client, campaign, tokens = served
    (a, ta), (b, tb) = list(tokens.items())[:2]
    me = client.get("/api/moi", headers=auth(ta)).json()
    assert me["interne"] == a and me["libelle"]
    saved = client.post("/api/liste", headers=auth(ta),
                        json={"voeux": eligible(campaign, a)[:2]})
    assert saved.status_code == 200
    # B's token reads B's (empty) list, not A's; and naming A in the body is refused
    assert client.get("/api/moi", headers=auth(tb)).json()["voeux"] == []
    sneaky = client.post("/api/liste", headers=auth(tb),
                         json={"voeux": eligible(campaign, a)[:1], "interne": a})
    assert sneaky.status_code == 400 and "champ inconnu" in sneaky.json()["error"]
    assert campaign.latest_of(a).voeux == tuple(eligible(campaign, a)[:2])
    assert campaign.latest_of(b) is None
    # an interne's token opens nothing of the organiser's, and the reverse
    for path in ("/api/organisateur", "/api/export"):
        assert client.get(path, headers=auth(ta)).status_code == 401
    assert client.get("/api/moi", headers=auth(ORGANISER)).status_code == 401
    assert client.get("/api/moi").status_code == 401
    assert client.get("/api/moi?jeton=" + ta).status_code == 401  # never the query string


def test_save_gives_a_downloadable_receipt_and_the_organiser_sees_it(served):
    client, campaign, tokens = served
    a, ta = next(iter(tokens.items()))
    voeux = eligible(campaign, a)[:3]
    answer = client.post("/api/liste", headers=auth(ta), json={"voeux": voeux, "precedent": ""})
    receipt = answer.json()["recu"]
    assert receipt["voeux"] == voeux and verify(campaign, Receipt.from_dict(receipt))[0]
    download = client.get("/api/recu", headers=auth(ta))
    assert "attachment" in download.headers["content-disposition"]
    assert download.json()["empreinte"] == receipt["empreinte"]
    assert download.headers["x-frame-options"] == "DENY"
    summary = client.get("/api/organisateur", headers=auth(ORGANISER)).json()
    assert summary["enregistrees"] == 1
    assert summary["dernieres"][0]["interne"] == a
    assert len(summary["sans_liste"]) == len(INSTANCE.internes) - 1
    exported = client.get("/api/export", headers=auth(ORGANISER)).json()
    row = next(i for i in exported["internes"] if i["id"] == a)
    assert row["voeux"] == voeux


def test_a_procuration_is_recorded_and_exported(served, tmp_path):
    client, campaign, tokens = served
    a, ta = next(iter(tokens.items()))
    missing = client.post("/api/procuration", headers=auth(ta), json={"mode": "mandataire"})
    assert missing.status_code == 400 and "mandataire" in missing.json()["error"]
    done = client.post("/api/procuration", headers=auth(ta),
                       json={"mode": "mandataire", "mandataire": "Durand Paul"})
    assert done.status_code == 200 and "Durand Paul" in done.json()["message"]
    doc = campaign.procurations_document()
    assert doc["procurations"] == [{"interne": a, "absent": True, "mode": "mandataire",
                                    "mandataire": "Durand Paul",
                                    "heure": doc["procurations"][0]["heure"]}]


def test_the_chances_say_how_many_lists_are_known(served):
    client, campaign, tokens = served
    (a, ta), (b, tb) = list(tokens.items())[:2]
    client.post("/api/liste", headers=auth(ta), json={"voeux": eligible(campaign, a)[:3]})
    chances = client.get("/api/chances", headers=auth(ta)).json()
    assert chances["listes_connues"] == 1 and chances["internes"] == len(INSTANCE.internes)
    assert [w["rang"] for w in chances["voeux"]] == [1, 2, 3]
    assert all(isinstance(w["postes_surement_libres"], int) for w in chances["voeux"])
    assert all(0 <= w["probabilite"] <= 1 for w in chances["voeux"])
    client.post("/api/liste", headers=auth(tb), json={"voeux": eligible(campaign, b)[:1]})
    again = client.get("/api/chances", headers=auth(tb)).json()
    assert again["listes_connues"] == 2 and again["votre_liste_connue"]


def test_a_closed_campaign_refuses_saves(served):
    client, campaign, tokens = served
    _a, ta = next(iter(tokens.items()))
    campaign.close_lists()
    answer = client.post("/api/liste", headers=auth(ta), json={"voeux": []})
    assert answer.status_code == 409 and "fermée" in answer.json()["error"]
    assert campaign.history() == []


def test_the_rate_limit_answers_429_in_french(campaign):
    token = campaign.issue_tokens([INSTANCE.internes[0].id])[INSTANCE.internes[0].id]
    app = create_app(campaign, organiser_token=ORGANISER, rate=RateLimit(rate=0.001, burst=5))
    with TestClient(app) as client:
        codes = [client.get("/api/moi", headers=auth(token)).status_code for _ in range(8)]
        assert codes[:5] == [200] * 5 and codes[5:] == [429] * 3
        assert "trop de requêtes" in client.get("/api/moi", headers=auth(token)).json()["error"]
    assert RateLimit(rate=1, burst=1).allow("k", now=0.0)


BAD_BODIES = [
    b"", b"{", b"[]", b"null", b"1", b'"voeux"', b'{"voeux": "A"}', b'{"voeux": [1, 2]}',
    b'{"voeux": [null]}', b'{"voeux": [["A"]]}', b'{"voeux": [{}]}', b'{"voeux": {}}',
    b'{"voeux": true}', b'{"voeux": ["A"], "voeux": ["B"]}', b'{"autre": 1}',
    b'{"voeux": ["\\u0000"]}', b'{"voeux": ["' + b"x" * 300 + b'"]}',
    b'{"voeux": ["NOWHERE"]}', b'{"voeux": ' + json.dumps(["T"] * 600).encode() + b"}",
    b'{"voeux": [], "precedent": 3}', b'{"voeux": [], "precedent": ["a"]}',
    b'{"voeux": NaN}', b'{"voeux": [], "precedent": "faux"}', b"\xff\xfe", b"[" * 5000,
    b'{"voeux": ["\\ud800"]}', b'{"mode": "present"}', b'{"voeux": 1e999}',
    b"x" * 70_000,
]


@pytest.mark.parametrize("raw", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_every_malformed_save_is_a_4xx_in_french_and_saves_nothing(served, raw):
    client, campaign, tokens = served
    _a, ta = next(iter(tokens.items()))
    answer = client.post("/api/liste", content=raw,
                         headers={**auth(ta), "Content-Type": "application/json"})
    assert 400 <= answer.status_code < 500, answer.text
    message = answer.json()["error"]
    assert message and any(w in message for w in ("champ", "JSON", "corps", "vœu", "liste",
                                                  "page", "UTF-8"))
    assert campaign.history() == []


@pytest.mark.parametrize("path,kwargs", [
    ("/api/liste", {"content": b'{"voeux": []}', "headers": {"Content-Type": "text/plain"}}),
    ("/api/liste", {"content": b'{"voeux": []}', "headers": {}}),
    ("/api/procuration", {"json": {"mode": "parti"}}),
    ("/api/procuration", {"json": {"mode": 3}}),
    ("/api/procuration", {"json": {}}),
    ("/api/moi", {"json": {}}),
    ("/api/inexistant", {"json": {}}),
])
def test_other_bad_requests_are_4xx_in_french(served, path, kwargs):
    client, _campaign, tokens = served
    _a, ta = next(iter(tokens.items()))
    headers = {**auth(ta), **kwargs.pop("headers", {})}
    answer = client.post(path, headers=headers, **kwargs)
    assert 400 <= answer.status_code < 500
    assert answer.json()["error"]


def test_pages_hold_no_data_and_static_files_are_listed(served):
    client, _campaign, tokens = served
    page = client.get("/")
    assert page.status_code == 200 and "Mes vœux" in page.text
    assert not any(t in page.text for t in tokens.values())
    assert client.get("/static/voeux.js").status_code == 200
    assert client.get("/static/../store.py").status_code == 404


# --- the command line -----------------------------------------------------------------------


def test_the_command_line_opens_links_exports_and_refuses_bad_input(tmp_path):
    source = tmp_path / "instance.json"
    save_instance(INSTANCE, source)
    base = str(tmp_path / "v.sqlite")
    runner = CliRunner()
    bad = runner.invoke(main, ["voeux", "ouvrir", str(source), "--base", base,
                               "--fermeture", "demain"])
    assert bad.exit_code == 2 and "AAAA-MM-JJ" in bad.output and not Path(base).exists()
    assert runner.invoke(main, ["voeux", "ouvrir", str(source), "--base", base]).exit_code == 0
    again = runner.invoke(main, ["voeux", "ouvrir", str(source), "--base", base])
    assert again.exit_code == 2 and "existe déjà" in again.output
    out = tmp_path / "liens.csv"
    assert runner.invoke(main, ["voeux", "liens", "--base", base, "--out", str(out)]).exit_code == 0
    rows = out.read_text("utf-8").splitlines()
    assert rows[0] == "id;nom;prenom;lien" and len(rows) == len(INSTANCE.internes) + 1
    assert os.stat(out).st_mode & 0o077 == 0
    token = rows[1].rsplit("#jeton=", 1)[1]
    with Campaign(base) as c:
        assert c.interne_of(token) == INSTANCE.internes[0].id
        assert token not in Path(base).read_bytes().decode("latin-1")  # only its hash is kept
    twice = runner.invoke(main, ["voeux", "liens", "--base", base, "--out",
                                 str(tmp_path / "l2.csv")])
    assert twice.exit_code == 2 and not (tmp_path / "l2.csv").exists()
    renew = runner.invoke(main, ["voeux", "liens", "--base", base, "--out",
                                 str(tmp_path / "l3.csv"), "--renouveler",
                                 INSTANCE.internes[0].id])
    assert renew.exit_code == 0
    with Campaign(base) as c:
        assert c.interne_of(token) is None  # the old link no longer opens anything
    missing = runner.invoke(main, ["voeux", "exporter", "--base", str(tmp_path / "non.sqlite"),
                                   "--out", str(tmp_path / "c.json")])
    assert missing.exit_code == 2 and "introuvable" in missing.output
    exported = runner.invoke(main, ["voeux", "exporter", "--base", base, "--out",
                                    str(tmp_path / "c.json")])
    assert exported.exit_code == 0
    back = load_instance(tmp_path / "c.json")
    assert not any(i.voeux_connus for i in back.internes)
    assert json.loads((tmp_path / "c.procurations.json").read_text())["procurations"] == []
    assert runner.invoke(main, ["voeux", "fermer", "--base", base]).exit_code == 0
    with Campaign(base) as c:
        assert c.is_closed()


# --- a crash ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_kill_9_during_saves_loses_no_acknowledged_save(tmp_path):
    pytest.importorskip("uvicorn")
    base = tmp_path / "v.sqlite"
    with Campaign.open(INSTANCE, base) as c:
        ids = [i.id for i in INSTANCE.internes[:20]]
        tokens = c.issue_tokens(ids)
        choices = {i: eligible(c, i)[:5] for i in ids}
    port = _free_port()
    env = dict(os.environ, AFFECTATION_JETON=ORGANISER)
    server = subprocess.Popen([sys.executable, "-m", "affectation", "voeux", "serveur",
                               "--base", str(base), "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    acknowledged: list[str] = []
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=1).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)

        def save_loop() -> None:
            k = 0
            while True:
                interne = ids[k % len(ids)]
                voeux = choices[interne][: 1 + k % 5]
                request = urllib.request.Request(
                    url + "/api/liste", data=json.dumps({"voeux": voeux}).encode(),
                    headers={**auth(tokens[interne]), "Content-Type": "application/json"},
                    method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=5) as answer:
                        acknowledged.append(json.load(answer)["recu"]["empreinte"])
                except (OSError, urllib.error.URLError, ValueError, http.client.HTTPException):
                    return  # the server is gone (an answer cut by the kill: IncompleteRead)
                k += 1

        writer = threading.Thread(target=save_loop)
        writer.start()
        while len(acknowledged) < 40:
            time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)
        writer.join(10)
    finally:
        server.kill()
        server.wait()
    with Campaign(base) as c:
        kept = {s.receipt for s in c.history()}
        for receipt in acknowledged:
            assert receipt in kept
        assert len(kept) >= len(acknowledged)


# --- the postes certainly left ------------------------------------------------------------------


def test_postes_certainly_left_is_a_floor_of_the_replayed_day():
    """Every list known (the example's own): at each interne's turn in the serial replay, each
    of their wishes has at least the floor free; and an unknown list above only lowers it."""
    from affectation.serial import serial_dictatorship
    from affectation.voeux.certain import certainly_left

    result = serial_dictatorship(INSTANCE)
    order = result.ordre
    held = {a.interne: a.terrain for a in result.affectations}
    known = {i.id: i.voeux for i in INSTANCE.internes}
    checked = 0
    for k, interne_id in enumerate(order[::7]):
        interne = INSTANCE.interne(interne_id)
        floor = certainly_left(INSTANCE, interne_id, interne.voeux, known)
        before = order[:order.index(interne_id)]
        for terrain in interne.voeux:
            taken = sum(1 for j in before if held.get(j) == terrain
                        and INSTANCE.interne(j).surnombre is None)
            assert floor[terrain] <= INSTANCE.terrain(terrain).postes - taken
            checked += 1
        if k == 3 and interne.voeux:  # forget every list above: the floor can only drop
            fewer = certainly_left(INSTANCE, interne_id, interne.voeux, {})
            assert all(fewer[t] <= floor[t] for t in interne.voeux)
    assert checked > 50
    first = order[0]
    top = INSTANCE.interne(first).voeux
    assert certainly_left(INSTANCE, first, top, {}) == {
        t: INSTANCE.terrain(t).postes for t in top}  # nobody above: every poste is free


def test_the_chances_worker_ends_when_its_server_is_killed(tmp_path):
    """A server killed outright never shuts its pool down: its pré-choix worker must not
    outlive it (the worker watches its parent)."""
    script = tmp_path / "server.py"
    script.write_text(
        "import concurrent.futures, multiprocessing, os\n"
        "from affectation.voeux.app import _exit_with_parent\n"
        "if __name__ == '__main__':\n"
        "    pool = concurrent.futures.ProcessPoolExecutor(\n"
        "        1, mp_context=multiprocessing.get_context('spawn'),\n"
        "        initializer=_exit_with_parent, initargs=(os.getpid(),))\n"
        "    print(pool.submit(os.getpid).result(), flush=True)\n"
        "    os._exit(0)  # gone without a shutdown, as after kill -9\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, check=True)
    worker = int(done.stdout.split()[0])

    def alive() -> bool:
        try:
            status = Path(f"/proc/{worker}/status").read_text()
        except OSError:
            return False
        return "\nState:\tZ" not in status  # a zombie has ended

    deadline = time.monotonic() + 10
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive()
