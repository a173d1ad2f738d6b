"""The couples' joint lists online (R-ORD-2): one member proposes, the other confirms; the export
carries the confirmed list."""

from __future__ import annotations

import pytest

from affectation.datasets import example
from affectation.voeux import Campaign, CampaignError

pytest.importorskip("starlette")
from starlette.testclient import TestClient

from affectation.voeux.app import Chances, RateLimit, create_app

ORGANISER = "organiser-token-for-tests"
INSTANCE = example()
COUPLE = INSTANCE.couples[0]
A, B = COUPLE.internes


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def open_for(campaign: Campaign, interne: str) -> list[str]:
    return [t for t, why in campaign.eligibility(interne).items() if why is None]


@pytest.fixture
def served(tmp_path):
    with Campaign.open(INSTANCE, tmp_path / "v.sqlite") as campaign:
        single = next(i.id for i in INSTANCE.internes if i.id not in INSTANCE.couple_of)
        tokens = campaign.issue_tokens([A, B, single])
        app = create_app(campaign, organiser_token=ORGANISER,
                         rate=RateLimit(rate=1000, burst=1000),
                         chances=Chances(campaign, n_samples=10, interval=0, process=False))
        with TestClient(app) as client:
            yield client, campaign, tokens, single


def test_one_proposes_the_other_confirms_and_the_export_carries_it(served):
    client, campaign, tokens, _ = served
    ta, tb = open_for(campaign, A), open_for(campaign, B)
    pairs = [[ta[0], tb[1]], [ta[1], tb[0]]]
    view = client.get("/api/couple", headers=auth(tokens[B])).json()
    assert [m["interne"] for m in view["membres"]] == [A, B] and view["proposee"] is None
    proposed = client.post("/api/couple/proposer", headers=auth(tokens[B]),
                           json={"voeux": pairs})
    assert proposed.status_code == 200, proposed.text
    seq = proposed.json()["proposee"]["proposition"]
    assert "confirmée" in proposed.json()["message"]
    # not in effect until the other confirms; the author cannot confirm their own
    assert campaign.couple_list(A) is None
    assert campaign.current_instance().couple_of[A].voeux == COUPLE.voeux
    own = client.post("/api/couple/confirmer", headers=auth(tokens[B]),
                      json={"proposition": seq})
    assert own.status_code == 400 and "l'autre membre" in own.json()["error"]
    seen = client.get("/api/couple", headers=auth(tokens[A])).json()
    assert [[p[0]["id"], p[1]["id"]] for p in seen["proposee"]["voeux"]] == pairs
    assert not seen["proposee"]["de_vous"] and seen["proposee"]["confirmee"] is None
    done = client.post("/api/couple/confirmer", headers=auth(tokens[A]),
                       json={"proposition": seq})
    assert done.status_code == 200 and done.json()["en_vigueur"]["proposition"] == seq
    exported = campaign.current_instance()
    assert exported.couple_of[A].voeux == tuple(tuple(p) for p in pairs)
    assert exported.couple_of[B].internes == (A, B)
    # a new proposal does not replace the confirmed list until confirmed in turn; confirming
    # the old one now is stale
    client.post("/api/couple/proposer", headers=auth(tokens[A]), json={"voeux": pairs[:1]})
    assert campaign.couple_list(B).voeux == tuple(tuple(p) for p in pairs)
    stale = client.post("/api/couple/confirmer", headers=auth(tokens[B]),
                        json={"proposition": seq})
    assert stale.status_code == 409 and stale.json()["reason"] == "stale"
    organiser = client.get("/api/organisateur", headers=auth(ORGANISER)).json()
    row = next(c for c in organiser["couples"] if len(c["libelles"]) == 2
               and c["libelles"][0] == INSTANCE.interne(A).libelle)
    assert row["paires"] == 2 and row["en_attente"] is True
    # durable: a new connection reads the same
    with Campaign(campaign.path) as again:
        assert again.couple_list(A).voeux == tuple(tuple(p) for p in pairs)
        assert len(again.couple_proposal(A).voeux) == 1


def test_a_bad_joint_list_is_refused_in_french(served):
    client, campaign, tokens, single = served
    ta, tb = open_for(campaign, A), open_for(campaign, B)
    closed_b = [t for t, why in campaign.eligibility(B).items() if why is not None]
    cases = [
        ({"voeux": [[ta[0]]]}, 400, "paires"),
        ({"voeux": [ta[0], tb[0]]}, 400, "paires"),
        ({"voeux": [["NOWHERE", tb[0]]]}, 400, "terrain inconnu"),
        ({"voeux": [[ta[0], tb[0]], [ta[0], tb[0]]]}, 400, "déjà dans la liste"),
    ]
    if closed_b:
        cases.append(({"voeux": [[ta[0], closed_b[0]]]}, 400, "pas accessible"))
    for body, status, words in cases:
        answer = client.post("/api/couple/proposer", headers=auth(tokens[A]), json=body)
        assert answer.status_code == status and words in answer.json()["error"], body
    alone = client.get("/api/couple", headers=auth(tokens[single]))
    assert alone.status_code == 404 and "couple" in alone.json()["error"]
    assert client.post("/api/couple/proposer", json={"voeux": []}).status_code == 401
    assert client.post("/api/couple/confirmer", headers=auth(tokens[A]),
                       json={"proposition": 12345}).status_code == 409
    campaign.close_lists()
    with pytest.raises(CampaignError) as caught:
        campaign.propose_couple_list(A, [(ta[0], tb[0])])
    assert caught.value.motif == "closed"
    assert campaign.couple_proposal(A) is None
