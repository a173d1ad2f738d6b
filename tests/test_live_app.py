"""The room's pages: token on every write, public page read-only (issue 9, item 4)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient

from affectation.datasets import example
from affectation.live import ChoiceDay
from affectation.live.app import create_app

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(tmp_path):
    day = ChoiceDay.open(example(), tmp_path / "j.jsonl")
    with TestClient(create_app(day, token=TOKEN)) as client:
        client.day = day
        yield client
    day.close()


def test_public_page_has_no_write_action(client):
    page = client.get("/").text
    assert "État des postes" in page and "/api/" not in page and "token" not in page
    state = client.get("/api/state").json()
    assert state["current"]["position"] == 1 and len(state["terrains"]) == 80


@pytest.mark.parametrize("path", ["/api/choose", "/api/procuration", "/api/procurations",
                                  "/api/pass", "/api/impose", "/api/undo"])
def test_every_write_needs_the_token(client, path):
    assert client.post(path, json={"terrain": "URG-LYON-CHU"}).status_code == 401
    assert client.post(path, json={}, headers={"Authorization": "Bearer wrong"}
                       ).status_code == 401
    # never from the query string, and never a bare token without its scheme
    assert client.post(f"{path}?token={TOKEN}", json={}).status_code == 401
    assert client.post(path, json={}, headers={"Authorization": TOKEN}).status_code == 401
    assert client.day.seq == 0
    assert client.get("/operateur").status_code == 200  # the page holds no data, no secret
    assert client.get("/api/options").status_code == 401
    assert client.get(f"/api/options?token={TOKEN}").status_code == 401
    assert client.get("/api/result.json").status_code == 401


def turn(client, **extra):
    """The body a console sends: the interne it shows as called and the seq it shows."""
    options = client.get("/api/options", headers=AUTH).json()
    return {"interne": "+".join(options["internes"]), "seq": options["seq"], **extra}


def test_operator_records_refusals_and_undo(client):
    options = client.get("/api/options", headers=AUTH).json()
    first = options["internes"][0]
    allowed = [o["terrain"] for o in options["members"][0]["options"] if o["reason"] is None]
    refused = [o for o in options["members"][0]["options"] if o["reason"]]
    answer = client.post("/api/choose", json=turn(client, terrain=refused[0]["terrain"]),
                         headers=AUTH)
    assert answer.status_code == 409 and answer.json()["rule"]
    # the refused announcement is kept in the record (R-IMP, in the room)
    assert client.get("/api/state").json()["seq"] == 1
    answer = client.post("/api/choose", json=turn(client, terrain=allowed[0]), headers=AUTH)
    assert answer.status_code == 200
    entry = answer.json()["entry"]
    assert entry["interne"] == first and entry["terrain"] == allowed[0] and entry["seq"] == 2
    state = client.get("/api/state").json()
    terrain = next(t for t in state["terrains"] if t["id"] == allowed[0])
    assert terrain["pris"] == 1 and state["choices"][0]["interne"] == first
    assert client.post("/api/procuration", json=turn(client), headers=AUTH).status_code == 200
    undo = client.post("/api/undo", json={"annule": 3}, headers=AUTH).json()["entry"]
    assert undo["kind"] == "undo" and undo["undoes"] == 3
    assert client.get("/api/state").json()["seq"] == 4
    result = client.get("/api/result.json", headers=AUTH).json()
    assert json.dumps(result)
    assert client.get("/api/result.xlsx", headers=AUTH).content[:2] == b"PK"


def test_a_procuration_names_who_took_a_full_better_wish(tmp_path):
    from affectation.maquettes import MG_2023
    from affectation.model import Instance, Interne, Terrain

    med = Terrain("MED", ["medecine_adulte"], 1)
    libre = Terrain("PSY", ["libre"], 1)
    # semester 5 of mg-2023: médecine adulte and libre both fill the libre slot
    valides = ["urgences", "praticien_n1", "medecine_adulte", "pediatrie_gynecologie"]
    internes = [Interne("c", 1, 4, ["MED"], valides=valides),
                Interne("d", 2, 4, ["MED", "PSY"], valides=valides)]
    day = ChoiceDay.open(Instance(MG_2023, [med, libre], internes, obligatoires=[]))
    with TestClient(create_app(day, token=TOKEN)) as client:
        client.post("/api/procuration", json=turn(client), headers=AUTH)
        answer = client.post("/api/procuration", json=turn(client), headers=AUTH).json()
    assert answer["entry"]["terrain"] == "PSY"
    assert answer["why_not"] == {"d": ["vœu 1 (MED) : complet, son dernier poste a été pris "
                                       "par c (rang 1, position 1, entrée 1)"]}


def test_live_command_refuses_a_broken_journal_naming_the_line(tmp_path):
    from click.testing import CliRunner

    from affectation.cli import main
    from affectation.io import save_instance

    source = tmp_path / "choix.json"
    save_instance(example(), source)
    journal = tmp_path / "j.jsonl"
    day = ChoiceDay.open(example(), journal)
    day.by_procuration()
    day.by_procuration()
    day.close()
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join([lines[0], lines[2]]) + "\n")  # line 2 removed
    run = CliRunner().invoke(main, ["live", str(source), "--journal", str(journal)])
    assert run.exit_code == 2
    assert f"{journal}: ligne 2: chaîne rompue" in run.output and "Traceback" not in run.output
    assert not journal.with_name("j.jsonl.jeton").exists()  # nothing created


def test_live_command_warns_when_serving_the_network(tmp_path):
    import signal
    import subprocess
    import sys

    from affectation.io import save_instance

    source = tmp_path / "choix.json"
    save_instance(example(), source)
    server = subprocess.Popen(
        [sys.executable, "-m", "affectation", "live", str(source), "--journal",
         str(tmp_path / "j.jsonl"), "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        warning = server.stderr.readline()
        assert warning.startswith("attention : servi sur 0.0.0.0")
    finally:
        server.send_signal(signal.SIGKILL)
        server.communicate()


def test_a_double_click_records_nothing_for_the_next_interne(client):
    body = turn(client)
    assert client.post("/api/procuration", json=body, headers=AUTH).status_code == 200
    again = client.post("/api/procuration", json=body, headers=AUTH)
    assert again.status_code == 409 and again.json()["reason"] == "not_current"
    assert client.day.seq == 1


def test_live_result_writes_the_journal_result(tmp_path):
    from click.testing import CliRunner

    from affectation.cli import main
    from affectation.io import load_result, save_instance
    from affectation.serial import serial_dictatorship

    instance = example()
    source = tmp_path / "choix.json"
    save_instance(instance, source)
    journal = tmp_path / "j.jsonl"
    day = ChoiceDay.open(instance, journal)
    while not day.done:
        day.by_procuration()
    day.close()
    entries = journal.read_bytes().count(b"\n") - 1  # a header, then a line a turn (two rounds)
    with open(journal, "ab") as handle:
        handle.write(b'{"seq":')  # a torn last line: --result must not cut it (read only)
    size = journal.stat().st_size
    runner = CliRunner()
    run = runner.invoke(main, ["live", str(source), "--journal", str(journal), "--result",
                               str(tmp_path / "r.json")])
    assert journal.stat().st_size == size
    assert run.exit_code == 0, run.output
    assert "la journée est terminée" in run.output
    assert load_result(tmp_path / "r.json").same_allocation(serial_dictatorship(instance))
    from affectation.live.verify import journal_head

    head = json.loads((tmp_path / "r.json").read_text())["journal"]
    assert head == journal_head(journal).to_dict() and head["seq"] == entries
    run = runner.invoke(main, ["live", str(source), "--journal", str(journal), "--result",
                               str(tmp_path / "r.xlsx")])
    assert run.exit_code == 0 and (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"
    run = runner.invoke(main, ["live", str(source), "--journal", str(tmp_path / "none.jsonl"),
                               "--result", str(tmp_path / "x.json")])
    assert run.exit_code == 2 and "journal illisible" in run.output
    assert not (tmp_path / "x.json").exists()


# --- issue 15: every write names what it acts on; bad requests are 4xx, never 500 -------------

import asyncio  # noqa: E402
import errno  # noqa: E402
import os  # noqa: E402

import httpx  # noqa: E402


def test_n_concurrent_identical_clicks_record_exactly_one(tmp_path):
    day = ChoiceDay.open(example(), tmp_path / "j.jsonl")
    app = create_app(day, token=TOKEN)
    first = day.current.internes[0]

    async def clicks(path, body, n=10):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            return await asyncio.gather(*(http.post(path, json=body, headers=AUTH)
                                          for _ in range(n)))

    answers = asyncio.run(clicks("/api/procuration", {"interne": first, "seq": 0}))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 9
    assert day.seq == 1 and len(day.placed) == 1 and first in day.placed
    # 5 "Annuler" at once undo one entry
    answers = asyncio.run(clicks("/api/undo", {"annule": 1}, n=5))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 4
    assert day.seq == 2 and not day.placed
    day.close()


def test_a_write_on_a_stale_state_is_refused(client):
    body = turn(client)
    other = next(i for i in client.day.order if i != body["interne"])
    for stale in ({**body, "seq": 7}, {**body, "interne": other}):
        answer = client.post("/api/procuration", json=stale, headers=AUTH)
        assert answer.status_code == 409 and answer.json()["reason"] == "not_current"
    assert client.post("/api/undo", json={"annule": 0}, headers=AUTH).status_code == 409
    assert client.day.seq == 0


def test_the_operator_name_comes_from_the_server(tmp_path):
    day = ChoiceDay.open(example(), tmp_path / "j.jsonl")
    with TestClient(create_app(day, token=TOKEN, operator="ARS Lyon",
                               tokens={"second-operator-token": "Poste 2"})) as client:
        body = turn(client, operator="Mallory")
        answer = client.post("/api/procuration", json=body, headers=AUTH)
        assert answer.status_code == 400 and "fixé par le serveur" in answer.json()["error"]
        assert client.post("/api/procuration", json=turn(client), headers=AUTH
                           ).json()["entry"]["operator"] == "ARS Lyon"
        second = {"Authorization": "Bearer second-operator-token"}
        assert client.post("/api/procuration", json=turn(client), headers=second
                           ).json()["entry"]["operator"] == "Poste 2"
    day.close()


MALFORMED = [
    # (name, raw body, content type, expected status)
    ("json array", b"[1, 2]", "application/json", 400),
    ("json string", b'"x"', "application/json", 400),
    ("json number", b"12", "application/json", 400),
    ("json null", b"null", "application/json", 400),
    ("deep nesting", b"[" * 50_000 + b"]" * 50_000, "application/json", 413),
    ("deep nesting under 64 KiB", b'{"interne":' + b"[" * 30_000 + b"]" * 30_000 + b"}",
     "application/json", 400),
    ("invalid utf-8", b'{"interne": "\xff\xfe"}', "application/json", 400),
    ("invalid escape", b'{"interne": "\\x41"}', "application/json", 400),
    ("5000-digit number", b'{"seq": ' + b"9" * 5000 + b"}", "application/json", 400),
    ("huge integer", b'{"seq": 99999999999999999999}', "application/json", 400),
    ("negative seq", b'{"seq": -1}', "application/json", 400),
    ("float seq", b'{"seq": 1.5}', "application/json", 400),
    ("boolean seq", b'{"seq": true}', "application/json", 400),
    ("NaN", b'{"seq": NaN}', "application/json", 400),
    ("Infinity", b'{"seq": Infinity}', "application/json", 400),
    ("lone surrogate", b'{"interne": "\\ud800"}', "application/json", 400),
    ("control character", b'{"interne": "a\\u0000b"}', "application/json", 400),
    ("list as terrain", b'{"terrain": ["A", "B", "C"]}', "application/json", 400),
    ("object as terrain", b'{"terrain": {"a": 1}}', "application/json", 400),
    ("number as interne", b'{"interne": 12}', "application/json", 400),
    ("list of numbers as terrain", b'{"terrain": [1, 2]}', "application/json", 400),
    ("10 MB operator", b'{"operator": "' + b"x" * 10_000_000 + b'"}', "application/json",
     413),
    ("65 KiB interne", b'{"interne": "' + b"x" * 66_000 + b'"}', "application/json", 413),
    ("long string", b'{"interne": "' + b"x" * 1000 + b'"}', "application/json", 400),
    ("operator in body", b'{"operator": "Mallory"}', "application/json", 400),
    ("unknown field", b'{"foo": 1}', "application/json", 400),
    ("duplicate field", b'{"seq": 0, "seq": 0}', "application/json", 400),
    ("truncated json", b'{"interne": "I', "application/json", 400),
    ("empty body", b"", "application/json", 400),
    ("text/plain", b'{"interne": "x"}', "text/plain", 415),
    ("form", b"interne=x", "application/x-www-form-urlencoded", 415),
    ("no content type", b'{"interne": "x"}', None, 415),
    ("missing fields", b"{}", "application/json", 400),
    ("null fields", b'{"interne": null, "seq": null}', "application/json", 400),
]


@pytest.mark.parametrize("path", ["/api/choose", "/api/procuration", "/api/procurations",
                                  "/api/pass", "/api/impose", "/api/undo"])
@pytest.mark.parametrize(("name", "raw", "ctype", "status"), MALFORMED,
                         ids=[m[0] for m in MALFORMED])
def test_a_malformed_body_is_a_4xx_in_french_and_records_nothing(client, path, name, raw,
                                                                  ctype, status):
    headers = dict(AUTH)
    if ctype is not None:
        headers["Content-Type"] = ctype
    answer = client.post(path, content=raw, headers=headers)
    assert answer.status_code == status, (name, answer.text)
    error = answer.json()["error"]
    assert error and "Traceback" not in answer.text
    assert client.day.seq == 0 and len(client.day.journal.records) == 1


def test_a_valid_body_with_a_terrain_pair_for_a_single_is_a_409(client):
    answer = client.post("/api/choose", json=turn(client, terrain=["A", "B"]), headers=AUTH)
    assert answer.status_code == 409 and client.day.seq == 0


def test_bearer_scheme_in_any_case_and_security_headers(client):
    for scheme in ("bearer", "BEARER", "Bearer"):
        answer = client.get("/api/options", headers={"Authorization": f"{scheme} {TOKEN}"})
        assert answer.status_code == 200
    for path in ("/", "/operateur", "/ecran", "/api/options", "/api/state", "/nope"):
        answer = client.get(path, headers=AUTH)
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert "script-src 'self'" in answer.headers["content-security-policy"]
    # the pages hold no inline script the policy would block
    for page in ("/", "/operateur", "/ecran"):
        assert "<script>" not in client.get(page).text


def test_an_unknown_result_format_is_404_and_unknown_routes_are_french_json(client):
    assert client.get("/api/result.foo", headers=AUTH).status_code == 404
    answer = client.get("/nope")
    assert answer.status_code == 404 and answer.json()["error"] == "page introuvable"
    assert client.get("/api/choose", headers=AUTH).status_code == 405
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/console.js").headers["content-type"].startswith(
        "text/javascript")


def test_the_host_header_is_checked_against_the_bound_names(tmp_path):
    from affectation.web import allowed_hosts

    day = ChoiceDay.open(example(), tmp_path / "j.jsonl")
    app = create_app(day, token=TOKEN, hosts=allowed_hosts("127.0.0.1", 8000))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/api/state").status_code == 200
        assert client.get("/api/state", headers={"Host": "localhost:8000"}).status_code == 200
        evil = client.get("/api/state", headers={"Host": "evil.example:8000"})
        assert evil.status_code == 400 and "nom d'hôte" in evil.json()["error"]
        assert client.get("/", headers={"Host": "127.0.0.1:9999"}).status_code == 400
    day.close()


def test_a_full_disk_answers_503_then_resumes(client, monkeypatch):
    real = os.fsync
    failing = {"on": True}

    def fsync(fd):
        if failing["on"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    client.post("/api/procuration", json=turn(client), headers=AUTH)
    size = client.day.journal.path.stat().st_size
    monkeypatch.setattr(os, "fsync", fsync)
    answer = client.post("/api/procuration", json=turn(client), headers=AUTH)
    assert answer.status_code == 503 and "disque plein" in answer.json()["error"]
    assert client.get("/api/state").json()["indisponible"]
    for path, body in (("/api/procuration", turn(client)), ("/api/undo", {"annule": 1}),
                       ("/api/pass", turn(client))):
        assert client.post(path, json=body, headers=AUTH).status_code == 503
    assert client.post("/api/reprendre", headers=AUTH).status_code == 503  # still full
    assert client.day.journal.path.stat().st_size == size and client.day.seq == 1
    failing["on"] = False
    resumed = client.post("/api/reprendre", headers=AUTH)
    assert resumed.status_code == 200 and resumed.json()["options"]["seq"] == 1
    assert client.post("/api/procuration", json=turn(client), headers=AUTH).status_code == 200
    assert client.day.seq == 2 and client.get("/api/state").json()["indisponible"] is None


def test_state_gives_the_journal_head_after_every_entry(client):
    from affectation.live.verify import journal_head

    for n in range(1, 4):
        client.post("/api/procuration", json=turn(client), headers=AUTH)
        head = client.get("/api/state").json()["journal"]
        assert head == journal_head(client.day.journal.path).to_dict() and head["seq"] == n
    result = client.get("/api/result.json", headers=AUTH).json()
    assert result["journal"] == head


# --- clean start-up and token hygiene (issue 15, items 5 and 6) --------------------------------

import socket  # noqa: E402
import stat  # noqa: E402

from click.testing import CliRunner  # noqa: E402

from affectation.cli import main  # noqa: E402


@pytest.fixture
def source(tmp_path):
    from affectation.io import save_instance

    path = tmp_path / "choix.json"
    save_instance(example(), path)
    return path


def live(args, env=None):
    return CliRunner().invoke(main, ["live", *map(str, args)], env=env or {})


def test_a_bad_start_says_why_in_french_exits_2_and_creates_nothing(tmp_path, source,
                                                                    monkeypatch):
    monkeypatch.delenv("AFFECTATION_JETON", raising=False)
    journal = tmp_path / "j.jsonl"
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    bad_instance = tmp_path / "bad.json"
    bad_instance.write_text("{")
    cases = [
        (["--journal", tmp_path / "missing" / "j.jsonl"], "le dossier"),
        (["--journal", journal, "--port", "70000"], "de 0 à 65535"),
        (["--journal", journal, "--port", "-1"], "de 0 à 65535"),
        (["--journal", journal, "--port", "huit"], "numéro de port"),
        (["--journal", journal, "--port", busy.getsockname()[1]], "déjà utilisé"),
        (["--journal", journal, "--host", "no-such-host.invalid"], "adresse inconnue"),
        (["--journal", journal, "--token", "a"], "--token n'est plus accepté"),
        (["--journal", tmp_path], "dossier"),
        (["--journal", journal, "--cle", tmp_path / "nokey"], "clé illisible"),
    ]
    try:
        for args, said in cases:
            run = live([source, *args])
            assert run.exit_code == 2, (args, run.output)
            assert said in run.output and "Traceback" not in run.output, (args, run.output)
            assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "choix.json"]
        run = live([bad_instance, "--journal", journal])
        assert run.exit_code == 2 and "Traceback" not in run.output
        run = live([source, "--journal", journal], env={"AFFECTATION_JETON": "short"})
        assert run.exit_code == 2 and "jeton trop court" in run.output
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "choix.json"]
    finally:
        busy.close()


def test_the_token_file_is_created_mode_600_and_reused_at_restart(tmp_path, source,
                                                                  monkeypatch):
    import affectation.live.app as app_module

    monkeypatch.delenv("AFFECTATION_JETON", raising=False)
    served = []
    monkeypatch.setattr(app_module, "serve", lambda app, **kw: served.append((app, kw)))
    journal = tmp_path / "j.jsonl"
    first = live([source, "--journal", journal, "--port", "0"])
    assert first.exit_code == 0, first.output
    token_file = tmp_path / "j.jsonl.jeton"
    token = token_file.read_text().strip()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600 and len(token) >= 16
    assert f"/operateur#jeton={token}" in first.output and "?token=" not in first.output
    second = live([source, "--journal", journal, "--port", "0"])
    assert second.exit_code == 0 and f"#jeton={token}" in second.output  # the same token
    assert "journal repris" in second.output and "tête du journal : 0:" in second.output
    token_file.chmod(0o644)
    run = live([source, "--journal", journal, "--port", "0"])
    assert run.exit_code == 2 and "lisible par d'autres" in run.output
    token_file.chmod(0o600)
    run = live([source, "--journal", journal, "--port", "0"],
               env={"AFFECTATION_JETON": "from-the-environment-1234"})
    assert run.exit_code == 0 and "#jeton=from-the-environment-1234" in run.output
    for _, kw in served:
        kw["sock"].close()


def test_two_servers_on_one_journal_the_second_is_refused(tmp_path, source, monkeypatch):
    monkeypatch.delenv("AFFECTATION_JETON", raising=False)
    journal = tmp_path / "j.jsonl"
    day = ChoiceDay.open(example(), journal)  # the first server, holding the journal
    try:
        run = live([source, "--journal", journal, "--port", "0"])
        assert run.exit_code == 2 and f"processus ({os.getpid()})" in run.output
        assert not (tmp_path / "j.jsonl.jeton").exists()
    finally:
        day.close()


def test_one_token_per_operator_from_a_file(tmp_path, source, monkeypatch):
    import affectation.live.app as app_module
    from affectation.web import TokenError, load_operator_tokens

    monkeypatch.delenv("AFFECTATION_JETON", raising=False)
    tokens = tmp_path / "jetons"
    tokens.write_text("# opérateurs\nARS Lyon:lyon-token-0123456789\n"
                      "Poste 2 : p2-token-0123456789\n")
    tokens.chmod(0o600)
    assert load_operator_tokens(tokens) == {"lyon-token-0123456789": "ARS Lyon",
                                            "p2-token-0123456789": "Poste 2"}
    for text, said in (("x:short", "trop court"), ("no colon here, long enough", "NOM:JETON"),
                       ("a:same-token-0123456789\nb:same-token-0123456789", "déjà donné"),
                       ("# nothing\n", "aucun jeton")):
        bad = tmp_path / "bad"
        bad.write_text(text)
        bad.chmod(0o600)
        with pytest.raises(TokenError, match=said):
            load_operator_tokens(bad)
    bad.chmod(0o644)
    with pytest.raises(TokenError, match="lisible par d'autres"):
        load_operator_tokens(bad)
    recorded = []

    def serve(app, sock):  # while the command serves: a write with the second token
        with TestClient(app, base_url=f"http://127.0.0.1:{sock.getsockname()[1]}") as client:
            second = {"Authorization": "Bearer p2-token-0123456789"}
            answer = client.post("/api/procuration", json=turn_with(client, second),
                                 headers=second)
            recorded.append(answer.json()["entry"]["operator"])
        sock.close()

    monkeypatch.setattr(app_module, "serve", serve)
    run = live([source, "--journal", tmp_path / "j.jsonl", "--port", "0", "--jetons", tokens])
    assert run.exit_code == 0, run.output
    assert "console de Poste 2" in run.output and "p2-token" not in run.output
    assert recorded == ["Poste 2"]


def turn_with(client, headers):
    options = client.get("/api/options", headers=headers).json()
    return {"interne": "+".join(options["internes"]), "seq": options["seq"]}


def test_the_audit_s_full_disk_end_to_end(tmp_path, source):
    """The audit's reproduction, on the real server: the journal on a 16 KiB tmpfs. Writes
    answer a JSON 503 in French once the disk is full, nothing refused reaches the file, the
    operator resumes after space is freed, and the day restarts from the journal (root and
    mount needed; skipped elsewhere, ``test_a_full_disk_answers_503_then_resumes`` simulates
    the same)."""
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    from affectation.live import read_journal

    LONG = "s3cret-token-long-enough"
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(tiny)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (not root, or no mount permission)")
    server = None
    try:
        (tiny / "filler").write_bytes(b"x" * 4096)
        journal = tiny / "j.jsonl"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "affectation", "live", str(source), "--journal",
             str(journal), "--port", str(port)],
            env={**os.environ, "AFFECTATION_JETON": LONG}, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/api/state", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)

        def call(path, body=None):
            data = None if body is None else json.dumps(body).encode()
            request = urllib.request.Request(f"{base}{path}", data=data, headers={
                "Authorization": f"Bearer {LONG}", "Content-Type": "application/json"},
                method="POST" if data or path == "/api/reprendre" else "GET")
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    return answer.status, json.loads(answer.read())
            except urllib.error.HTTPError as error:
                return error.code, json.loads(error.read())

        statuses = []
        for _ in range(200):
            _, options = call("/api/options")
            status, answer = call("/api/procuration", {"interne": "+".join(options["internes"]),
                                                       "seq": options["seq"]})
            statuses.append(status)
            if status != 200:
                break
        assert statuses[-1] == 503 and "disque plein" in answer["error"]
        acknowledged = statuses.count(200)
        records, good = read_journal(journal)
        assert good == journal.stat().st_size and len(records) == acknowledged + 1
        assert call("/api/undo", {"annule": acknowledged})[0] == 503
        status, still = call("/api/reprendre")  # the disk is still full
        assert status == 503 and "disque plein" in still["error"]
        (tiny / "filler").unlink()
        status, resumed = call("/api/reprendre")
        assert status == 200 and resumed["options"]["seq"] == acknowledged
        _, options = call("/api/options")
        assert call("/api/procuration", {"interne": "+".join(options["internes"]),
                                         "seq": options["seq"]})[0] == 200
        server.terminate()
        server.wait(10)
        day = ChoiceDay.resume(example(), journal)
        assert day.seq == acknowledged + 1
        day.close()
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()
        subprocess.run(["umount", str(tiny)], capture_output=True)


def test_an_unexpected_error_is_a_french_json_500_without_traceback(tmp_path, monkeypatch):
    day = ChoiceDay.open(example(), tmp_path / "j.jsonl")

    def broken(**_):
        raise RuntimeError("boom")

    monkeypatch.setattr(day, "by_procuration", broken)
    app = create_app(day, token=TOKEN)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post("/api/procuration", json=turn(client), headers=AUTH)
    assert answer.status_code == 500 and "erreur interne" in answer.json()["error"]
    assert "boom" not in answer.text and "Traceback" not in answer.text
    assert answer.headers["x-frame-options"] == "DENY"
    day.close()


def test_the_listed_absents_are_played_one_after_the_other_until_someone_is_there(client):
    """``/api/procurations``: every called interne absent with their list standing plays by
    procuration, in the order of the day, and the day stops at the first interne present or
    represented by a mandataire; the entries are those the Python method writes one by one."""
    from affectation.live.procurations import Procuration

    rehearsal = ChoiceDay.open(example())
    callers, expected = [], []
    for _ in range(4):
        callers.append(rehearsal.current.internes)
        expected.append(rehearsal.by_procuration())
    stands = {i: Procuration(i, "liste") for c in callers[:3] for i in c}
    stands.update({i: Procuration(i, "mandataire", "Durand Paul") for i in callers[3]})
    client.day.set_procurations(stands)
    assert client.get("/api/options", headers=AUTH).json()["absent_en_liste"]
    answer = client.post("/api/procurations", headers=AUTH, json=turn(client))
    assert answer.status_code == 200, answer.text
    entry, options = answer.json()["entry"], answer.json()["options"]
    assert entry["joues"] == 3 and entry["seq"] == 3
    assert options["internes"] == list(callers[3]) and not options["absent_en_liste"]
    records = [r for r in client.get("/api/result.json", headers=AUTH).json()["affectations"]
               if r["terrain"] is not None]
    played = {r["interne"]: r["terrain"] for r in records}
    assert played == {e["interne"]: e["terrain"] for e in expected[:3] if e["terrain"]}
    # refused when the called interne is not absent with a standing list: nothing written
    again = client.post("/api/procurations", headers=AUTH, json=turn(client))
    assert again.status_code == 409 and "n'est pas absent(e) avec sa liste" in again.json()[
        "error"]
    assert client.day.seq == 3
