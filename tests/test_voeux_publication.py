"""The wishes online, continued: the anonymised publication (per interne opt-in), the schema
migration, the stable error codes, the chances' rang limite."""

from __future__ import annotations

import json
import sqlite3

import attrs
import pytest

from affectation.datasets import example
from affectation.voeux import Campaign, CampaignError
from affectation.voeux.store import _DDL, SCHEMA

pytest.importorskip("starlette")
from starlette.testclient import TestClient

from affectation.voeux.app import Chances, RateLimit, create_app

ORGANISER = "organiser-token-for-tests"


def _named(instance):
    """The example with a name for every interne (the example has none)."""
    internes = [attrs.evolve(i, nom=f"Nomfamille{k:04d}", prenom=f"Prenom{k:04d}")
                for k, i in enumerate(instance.internes)]
    return attrs.evolve(instance, internes=internes)


INSTANCE = _named(example())


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def served(tmp_path):
    with Campaign.open(INSTANCE, tmp_path / "v.sqlite") as campaign:
        ids = [i.id for i in INSTANCE.internes[:4]]
        tokens = campaign.issue_tokens(ids)
        app = create_app(campaign, organiser_token=ORGANISER,
                         rate=RateLimit(rate=1000, burst=1000),
                         chances=Chances(campaign, n_samples=20, interval=0, process=False))
        with TestClient(app) as client:
            yield client, campaign, tokens


def test_only_the_internes_who_opted_in_are_named_in_the_publication(served):
    client, campaign, tokens = served
    a, b, c = INSTANCE.internes[:3]
    for interne in (a, b):
        ok = [t for t, why in campaign.eligibility(interne.id).items() if why is None]
        assert client.post("/api/liste", headers=auth(tokens[interne.id]),
                           json={"voeux": ok[:3]}).status_code == 200
    said = client.post("/api/accord", headers=auth(tokens[a.id]), json={"nominatif": True})
    assert said.status_code == 200 and "sous votre nom" in said.json()["message"]
    # c said yes, then changed their mind: the latest word wins
    client.post("/api/accord", headers=auth(tokens[c.id]), json={"nominatif": True})
    client.post("/api/accord", headers=auth(tokens[c.id]), json={"nominatif": False})
    assert client.get("/api/moi", headers=auth(tokens[a.id])).json()["nominatif"] is True
    assert client.get("/api/moi", headers=auth(tokens[c.id])).json()["nominatif"] is False

    assert client.get("/api/publication").status_code == 404  # nothing published yet
    assert client.post("/api/publier", headers=auth(tokens[a.id]), json={}).status_code == 401
    published = client.post("/api/publier", headers=auth(ORGANISER), json={})
    assert published.status_code == 200, published.text
    public = client.get("/api/publication")  # no token: public, read-only
    assert public.status_code == 200
    doc = public.json()
    assert doc["format"] == "affectation-publication/1" and doc["nominatifs"] == 1
    assert doc["nombre_internes"] == len(INSTANCE.internes) and doc["listes_connues"] == 2
    text = public.text
    assert "Nomfamille0000 Prenom0000" in text  # a opted in
    for interne in INSTANCE.internes:
        assert interne.id not in text  # no id at all, not even the named one's
        if interne.id != a.id:
            assert interne.nom not in text and interne.prenom not in text
    anonymous = [i["libelle"] for i in doc["internes"] if not i["nominatif"]]
    assert anonymous and all(label.startswith("interne n° ") and "(semestre " in label
                             for label in anonymous)
    organiser = client.get("/api/organisateur", headers=auth(ORGANISER)).json()
    assert organiser["publication"] == doc and organiser["nominatifs"] == 1
    assert client.get("/publication").status_code == 200

    # a withdraws: the publication already made no longer names them
    client.post("/api/accord", headers=auth(tokens[a.id]), json={"nominatif": False})
    after = client.get("/api/publication").text
    assert "Nomfamille0000" not in after and "Prenom0000" not in after


def test_the_consent_is_durable_and_checked(served, tmp_path):
    client, campaign, tokens = served
    who = INSTANCE.internes[1].id
    for bad in ({"nominatif": "oui"}, {"nominatif": 1}, {}, {"nominatif": True, "x": 1}):
        answer = client.post("/api/accord", headers=auth(tokens[who]), json=bad)
        assert answer.status_code == 400 and answer.json()["error"], bad
    plain = client.post("/api/accord", headers=auth(tokens[who]), content=b'{"nominatif": true}')
    assert plain.status_code == 415
    assert client.post("/api/accord", json={"nominatif": True}).status_code == 401
    client.post("/api/accord", headers=auth(tokens[who]), json={"nominatif": True})
    again = Campaign(campaign.path)
    assert again.consents() == {who}
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        again._db.execute("DELETE FROM consents")
    again.close()


def test_a_schema_1_base_is_migrated_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("BEGIN;" + _DDL + "COMMIT;")
    from affectation.io import instance_to_dict

    db.executemany("INSERT INTO meta VALUES (?, ?)", [
        ("campagne", "c-1"), ("ouverture", "2026-01-01T00:00:00.000000Z"),
        ("instance", json.dumps(instance_to_dict(INSTANCE)))])
    interne = INSTANCE.internes[0].id
    db.execute("INSERT INTO lists (interne, voeux, time, previous, receipt) VALUES "
               "(?, '[]', '2026-01-01T00:00:00.000000Z', '', 'r1')", (interne,))
    db.execute("PRAGMA user_version=1")
    db.close()
    with Campaign(path) as campaign:
        assert campaign._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA == 2
        assert [s.receipt for s in campaign.history()] == ["r1"]  # nothing lost
        campaign.set_consent(interne, True)
        assert campaign.consents() == {interne} and campaign.published() is None
    with Campaign(path) as campaign:  # opened again: nothing to migrate
        assert campaign.consents() == {interne}


def test_a_base_of_an_unknown_version_is_refused(tmp_path):
    path = tmp_path / "future.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(CampaignError, match="version de base 99"):
        Campaign(path)


def test_the_refusals_carry_a_stable_code(served):
    client, campaign, tokens = served
    who = INSTANCE.internes[0].id
    ok = [t for t, why in campaign.eligibility(who).items() if why is None]
    first = client.post("/api/liste", headers=auth(tokens[who]), json={"voeux": ok[:2]}).json()
    stale = client.post("/api/liste", headers=auth(tokens[who]),
                        json={"voeux": ok[:1], "precedent": "0" * 64})
    assert stale.status_code == 409 and stale.json()["reason"] == "stale"
    unknown = client.post("/api/liste", headers=auth(tokens[who]), json={"voeux": ["NOWHERE"]})
    assert unknown.status_code == 400 and unknown.json()["reason"] == "refused"
    campaign.close_lists()
    closed = client.post("/api/liste", headers=auth(tokens[who]),
                         json={"voeux": ok[:1], "precedent": first["recu"]["empreinte"]})
    assert closed.status_code == 409 and closed.json()["reason"] == "closed"
    with pytest.raises(CampaignError) as caught:
        campaign.set_procuration(who, "liste")
    assert caught.value.motif == "closed" and caught.value.status == 409


def test_the_chances_give_the_rang_limite_of_every_open_terrain(served):
    client, campaign, tokens = served
    who = INSTANCE.internes[0].id
    chances = client.get("/api/chances", headers=auth(tokens[who])).json()
    open_terrains = [t for t, why in campaign.eligibility(who).items() if why is None]
    assert [t["terrain"] for t in chances["rangs_limites"]] == open_terrains
    assert all("rang_limite_median" in t and t["nom"] for t in chances["rangs_limites"])
    assert chances["calcule_le"] and chances["listes_connues"] == 0


def test_the_publier_command_writes_the_anonymised_file(tmp_path):
    from click.testing import CliRunner

    from affectation.cli import main

    base = tmp_path / "v.sqlite"
    named = INSTANCE.internes[5]
    with Campaign.open(INSTANCE, base) as campaign:
        campaign.set_consent(named.id, True)
    out = tmp_path / "publication.json"
    done = CliRunner().invoke(main, ["voeux", "publier", "--base", str(base), "--out",
                                     str(out), "--tirages", "10"])
    assert done.exit_code == 0, done.output
    text = out.read_text("utf-8")
    doc = json.loads(text)
    assert doc["nominatifs"] == 1 and doc["publication"] == 1
    assert f"{named.nom} {named.prenom}" in text
    for interne in INSTANCE.internes:
        assert interne.id not in text
        if interne.id != named.id:
            assert interne.nom not in text and interne.prenom not in text
    with Campaign(base) as campaign:  # kept in the base too: the page serves it
        assert campaign.published()[0] == 1


@pytest.fixture(scope="module")
def kept_simulation():
    from affectation.prechoix import prechoix
    from affectation.voeux.publication import simulation

    return simulation(prechoix(INSTANCE, n_samples=10, seed=0), "2027-01-01T00:00:00.000000Z")


def test_whatever_the_consents_no_one_else_is_named(kept_simulation):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from affectation.voeux.publication import render

    ids = [i.id for i in INSTANCE.internes]

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sets(st.sampled_from(ids), max_size=20))
    def check(named):
        doc = render(kept_simulation, INSTANCE, frozenset(named), number=1,
                     published_at="2027-01-02T00:00:00.000000Z")
        text = json.dumps(doc, ensure_ascii=False)
        assert doc["nominatifs"] == len(named)
        for interne in INSTANCE.internes:
            assert interne.id not in text
            shown = interne.nom in text  # every name is distinct (Nomfamille0000 ...)
            assert shown == (interne.id in named), interne.id

    check()
