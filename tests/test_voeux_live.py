"""From the wishes campaign to the choice day: the exported procurations are read by the day,
shown to the operator and played (issue 19, item 4)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from affectation.cli import main
from affectation.datasets import example
from affectation.io import load_instance
from affectation.live import ChoiceDay
from affectation.live.procurations import ProcurationsError, load_procurations, sibling
from affectation.voeux import Campaign

INSTANCE = example()


def test_an_absent_interne_is_played_by_the_list_saved_online(tmp_path):
    rehearsal = ChoiceDay.open(INSTANCE)
    first = rehearsal.current.internes[0]
    assert not rehearsal.current.couple
    open_now = [o.terrain for o in rehearsal.options(first) if o.open]
    rehearsal.by_procuration()
    second = rehearsal.current.internes[0]
    assert not rehearsal.current.couple
    # first: absent, their list (the third open terrain first) stands; second: a mandataire
    wishes = [open_now[2], open_now[0], open_now[1]]
    base = tmp_path / "v.sqlite"
    with Campaign.open(INSTANCE, base) as campaign:
        campaign.save(first, wishes)
        campaign.set_procuration(first, "liste")
        campaign.set_procuration(second, "mandataire", "Durand Paul")
    out = tmp_path / "choix.json"
    done = CliRunner().invoke(main, ["voeux", "exporter", "--base", str(base), "--out",
                                     str(out)])
    assert done.exit_code == 0, done.output
    assert sibling(out).is_file()

    exported = load_instance(out)
    procurations = load_procurations(sibling(out), exported)
    assert procurations[first].mode == "liste"
    assert procurations[second].mandataire == "Durand Paul"
    day = ChoiceDay.open(exported, tmp_path / "jour.jsonl")
    day.set_procurations(procurations)
    assert day.current.internes == (first,) and day.absent_by_list()
    played = day.play_procurations(operator="test")
    assert [e["kind"] for e in played] == ["procuration"]
    assert day.placed[first].terrain == open_now[2]  # their first wish, from the campaign
    assert day.current.internes == (second,)  # a mandataire announces: not played
    assert not day.absent_by_list()
    from affectation.live.app import _options

    member = _options(day)["members"][0]
    assert member["procuration"]["mode"] == "mandataire"
    assert "Durand Paul" in member["procuration"]["phrase"]
    day.close()


def test_a_bad_procurations_file_is_refused_in_french(tmp_path):
    path = tmp_path / "p.json"
    cases = [
        ("{", "illisible"),
        (json.dumps({"format": "autre"}), "affectation-procurations/1"),
        (json.dumps({"format": "affectation-procurations/1",
                     "procurations": [{"interne": "NOBODY", "mode": "liste"}]}),
         "interne inconnu"),
        (json.dumps({"format": "affectation-procurations/1",
                     "procurations": [{"interne": INSTANCE.internes[0].id,
                                       "mode": "mandataire"}]}), "mandataire manquant"),
        (json.dumps({"format": "affectation-procurations/1",
                     "procurations": [{"interne": INSTANCE.internes[0].id, "mode": "x"}]}),
         "mode"),
    ]
    for text, words in cases:
        path.write_text(text, "utf-8")
        with pytest.raises(ProcurationsError, match=words):
            load_procurations(path, INSTANCE)


def test_the_live_command_refuses_a_bad_procurations_file_before_serving(tmp_path):
    instance = tmp_path / "choix.json"
    from affectation.io import save_instance

    save_instance(INSTANCE, instance)
    sibling(instance).write_text('{"format": "autre"}', "utf-8")
    result = CliRunner().invoke(main, ["live", str(instance), "--journal",
                                       str(tmp_path / "j.jsonl"), "--port", "0"])
    assert result.exit_code == 2
    assert "affectation-procurations/1" in result.output
    assert not (tmp_path / "j.jsonl").exists()


def test_the_live_command_loads_the_procurations_beside_the_instance(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from affectation.io import save_instance

    instance = tmp_path / "choix.json"
    save_instance(INSTANCE, instance)
    first = ChoiceDay.open(INSTANCE).current.internes[0]
    sibling(instance).write_text(json.dumps({
        "format": "affectation-procurations/1",
        "procurations": [{"interne": first, "mode": "liste"}]}), "utf-8")
    server = subprocess.Popen(
        [sys.executable, "-m", "affectation", "live", str(instance), "--journal",
         str(tmp_path / "j.jsonl"), "--port", "0"],
        env={**os.environ, "AFFECTATION_JETON": "jeton-de-test-live"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [server.stdout.readline() for _ in range(3)]
        said = next((line for line in lines if line.startswith("procurations :")), "")
        assert str(sibling(instance)) in said and "1 absent(s)" in said, lines
    finally:
        server.send_signal(signal.SIGKILL)
        server.communicate()
