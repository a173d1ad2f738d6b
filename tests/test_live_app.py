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


@pytest.mark.parametrize("path", ["/api/choose", "/api/procuration", "/api/pass",
                                  "/api/impose", "/api/undo"])
def test_every_write_needs_the_token(client, path):
    assert client.post(path, json={"terrain": "URG-LYON-CHU"}).status_code == 401
    assert client.post(path, json={}, headers={"Authorization": "Bearer wrong"}
                       ).status_code == 401
    assert client.day.seq == 0
    assert client.get("/operateur").status_code == 401
    assert client.get("/api/options").status_code == 401
    assert client.get("/api/result.json").status_code == 401


def test_operator_records_refusals_and_undo(client):
    assert client.get(f"/operateur?token={TOKEN}").status_code == 200
    options = client.get("/api/options", headers=AUTH).json()
    first = options["internes"][0]
    allowed = [o["terrain"] for o in options["members"][0]["options"] if o["reason"] is None]
    refused = [o for o in options["members"][0]["options"] if o["reason"]]
    answer = client.post("/api/choose", json={"terrain": refused[0]["terrain"]}, headers=AUTH)
    assert answer.status_code == 409 and answer.json()["rule"]
    answer = client.post("/api/choose", json={"terrain": allowed[0]}, headers=AUTH)
    assert answer.status_code == 200
    entry = answer.json()["entry"]
    assert entry["interne"] == first and entry["terrain"] == allowed[0] and entry["seq"] == 1
    state = client.get("/api/state").json()
    terrain = next(t for t in state["terrains"] if t["id"] == allowed[0])
    assert terrain["pris"] == 1 and state["choices"][0]["interne"] == first
    assert client.post("/api/procuration", headers=AUTH).status_code == 200
    assert client.post("/api/undo", headers=AUTH).json()["entry"]["kind"] == "undo"
    assert client.get("/api/state").json()["seq"] == 3
    result = client.get("/api/result.json", headers=AUTH).json()
    assert json.dumps(result)
    assert client.get("/api/result.xlsx", headers=AUTH).content[:2] == b"PK"


def test_a_procuration_names_who_took_a_full_better_wish(tmp_path):
    from affectation.maquettes import MG_2017
    from affectation.model import Instance, Interne, Terrain

    med = Terrain("MED", ["medecine_adulte"], 1)
    libre = Terrain("PSY", ["libre"], 1)
    valides = ["urgences", "praticien_n1"]
    internes = [Interne("c", 1, 2, ["MED"], valides=valides),
                Interne("d", 2, 2, ["MED", "PSY"], valides=valides)]
    day = ChoiceDay.open(Instance(MG_2017, [med, libre], internes, obligatoires=[]))
    with TestClient(create_app(day, token=TOKEN)) as client:
        client.post("/api/procuration", headers=AUTH)
        answer = client.post("/api/procuration", headers=AUTH).json()
    assert answer["entry"]["terrain"] == "PSY"
    assert answer["why_not"] == {"d": ["wish 1 (MED): full, its last poste was taken by c "
                                       "(rang 1, position 1, entry 1)"]}


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
    assert f"{journal}: line 2: broken chain" in run.output and "Traceback" not in run.output


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
    first = client.get("/api/options", headers=AUTH).json()["internes"][0]
    assert client.post("/api/procuration", json={"interne": first}, headers=AUTH
                       ).status_code == 200
    again = client.post("/api/procuration", json={"interne": first}, headers=AUTH)
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
    run = runner.invoke(main, ["live", str(source), "--journal", str(journal), "--result",
                               str(tmp_path / "r.xlsx")])
    assert run.exit_code == 0 and (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"
    run = runner.invoke(main, ["live", str(source), "--journal", str(tmp_path / "none.jsonl"),
                               "--result", str(tmp_path / "x.json")])
    assert run.exit_code == 2 and "cannot read the journal" in run.output
    assert not (tmp_path / "x.json").exists()
