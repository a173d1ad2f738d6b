"""The pre-choice audit (issue 9, item 1): what it must catch, and bounds that hold."""

from __future__ import annotations

import json

import attrs
from click.testing import CliRunner
from hypothesis import given, settings
from strategies import instances, t1_heavy_instances

from affectation.audit import audit, bipartite_fill
from affectation.cli import main
from affectation.datasets import example
from affectation.io import save_instance
from affectation.maquettes import MG_2023
from affectation.model import Instance, Interne, Terrain
from affectation.serial import serial_dictatorship

URG = Terrain("URG", ["urgences"], 2)
N1 = Terrain("N1", ["praticien_n1"], 2)
MED = Terrain("MED", ["medecine_adulte"], 2)
N3 = Terrain("N3", ["niveau_3"], 12)


def t1(ident: str, rang: int, voeux=()) -> Interne:
    return Interne(ident, rang, 0, list(voeux))


def t4(ident: str, rang: int, voeux=()) -> Interne:
    """A 4th-year interne of mg-2023: their instance says ``consolidation="choix"``."""
    valides = [s.id for s in MG_2023.stages if not s.id.startswith("niveau_3")]
    return Interne(ident, rang, 6, list(voeux), valides=valides)


def finding(report, code):
    return next(f for f in report.findings if f.code == code)


def test_clean_instance_needs_no_decision():
    instance = Instance(MG_2023, [URG, N1], [t1(f"i{k}", k, ["URG", "N1"]) for k in range(1, 5)])
    report = audit(instance)
    assert not report.needs_decision and report.exit_status == 0
    fill = finding(report, "mandatory_fill")
    assert fill.severity == "info" and fill.figures["remplissage_max"] == 4


def test_category_opened_far_beyond_who_can_take_it():
    instance = Instance(MG_2023, [URG, N1, N3],
                        [t1("a", 1, ["URG"]), t1("b", 2), t1("c", 3), t1("d", 4), t4("z", 1)],
                        consolidation="choix")
    over = finding(audit(instance), "category_oversupply")
    assert over.figures == {"categorie": "niveau_3", "postes": 12, "internes": 1}
    assert over.terrains == ("N3",) and "11 resteront vacants" in over.message


def test_mandatory_category_that_cannot_be_filled():
    urg = Terrain("URG", ["urgences"], 5)
    instance = Instance(MG_2023, [urg, MED], [t1("a", 1, ["URG"]), t4("z", 1, ["MED"])],
                        consolidation="choix")
    report = audit(instance)
    fill = finding(report, "mandatory_fill")
    assert fill.severity == "decision" and report.exit_status == 3
    assert fill.figures["remplissage_max"] == 1 and fill.figures["non_garantis"] == 4
    assert fill.figures["vacants_certains"] == 4
    assert finding(report, "terrain_unreachable").terrains == ("MED",)


def test_interne_with_no_eligible_terrain_and_wishes_not_eligible():
    instance = Instance(MG_2023, [URG, MED], [t1("a", 1, ["URG", "MED"]), t4("z", 1, ["MED"])],
                        consolidation="choix")
    report = audit(instance)
    nothing = finding(report, "no_eligible_terrain")
    assert nothing.internes == ("z",) and nothing.severity == "decision"
    wishes = [f for f in report.findings if f.code == "wish_not_eligible"]
    assert {f.internes for f in wishes} == {("a",), ("z",)}


def test_maquette_that_can_no_longer_be_completed():
    # semester 7 of 8 with urgences still to do (window 1-2): cannot be completed
    late = Interne("late", 1, 6, ["URG"], valides=["praticien_n1", "medecine_adulte",
                                                   "pediatrie_gynecologie", "saspas", "libre",
                                                   "niveau_3_a"])
    report = audit(Instance(MG_2023, [URG, N3], [late, t1("a", 1)], consolidation="choix"))
    assert finding(report, "maquette_incompletable").internes == ("late",)


def test_r_pos_3_postes_offered():
    small = Instance(MG_2023, [URG], [t1(f"i{k}", k) for k in range(1, 3)])
    offered = finding(audit(small), "postes_offered")
    assert offered.figures == {"postes": 2, "internes": 2, "minimum": 3}
    assert offered.severity == "warning"
    big = audit(example())
    assert finding(big, "postes_offered").figures["minimum"] == 320  # ceil(1.07 x 299)


def test_all_semesters_validated_is_caught(tmp_path):
    """R-ELI-6: the loader refuses the file naming the interne; the audit reports the refusal
    as its finding, exits 2 and writes nothing."""
    base = Instance(MG_2023, [URG], [t1("a", 1, ["URG"])])
    path = tmp_path / "instance.json"
    save_instance(base, path)
    doc = json.loads(path.read_text())
    doc["internes"][0]["semestres_valides"] = 8
    doc["internes"][0]["semestres_effectues"] = 8
    path.write_text(json.dumps(doc))
    out = tmp_path / "report.json"
    run = CliRunner().invoke(main, ["audit", str(path), "--out", str(out)])
    assert run.exit_code == 2 and not out.exists()
    assert "instance_refused" in run.output and "internes[0] (a)" in run.output
    assert "R-ELI-6" in run.output and "Traceback" not in run.output


def test_cli_json_and_html_are_the_same_data(tmp_path):
    path = tmp_path / "instance.json"
    save_instance(example(), path)
    runner = CliRunner()
    as_json = runner.invoke(main, ["audit", str(path), "--out", str(tmp_path / "a.json")])
    as_html = runner.invoke(main, ["audit", str(path), "--out", str(tmp_path / "a.html")])
    assert as_json.exit_code == as_html.exit_code
    doc = json.loads((tmp_path / "a.json").read_text())
    page = (tmp_path / "a.html").read_text()
    assert doc["format"] == "affectation-audit/1" and page.startswith("<!doctype html>")
    assert page.count("<tr class=") == len(doc["findings"])
    assert 'lang="fr"' in page and "Gravité" in page
    bad = runner.invoke(main, ["audit", str(path), "--out", str(tmp_path / "a.txt")])
    assert bad.exit_code == 2 and not (tmp_path / "a.txt").exists()
    missing = runner.invoke(main, ["audit", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2 and "Traceback" not in missing.output


def test_bipartite_fill():
    assert bipartite_fill({"A": 1, "B": 1}, {"x": ["A", "B"], "y": ["A"]}) == 2
    assert bipartite_fill({"A": 2}, {"x": ["A"], "y": ["A"], "z": ["A"]}) == 2
    assert bipartite_fill({"A": 0}, {"x": ["A"]}) == 0


def _mandatory_outcome(instance, result):
    mandatory = [t for t in instance.terrains if instance.is_mandatory(t)]
    vacant = sum(result.vacants.get(t.id, 0) for t in mandatory)
    return vacant, len(result.impositions)


@settings(max_examples=60)
@given(t1_heavy_instances())
def test_mandatory_bounds_hold_on_the_serial_result(instance):
    """Single round: the serial result leaves at least the certain vacants, at most the postes
    R-IMP cannot guarantee, and imposes at least the audit's lower bound."""
    if len(instance.rounds) != 1:
        instance = attrs.evolve(instance, rounds=instance.rounds[-1:])
    report = audit(instance)
    result = serial_dictatorship(instance)
    vacant, imposed = _mandatory_outcome(instance, result)
    for f in report.findings:
        if f.code == "mandatory_fill":
            assert f.figures["vacants_certains"] <= vacant <= f.figures["non_garantis"]
            assert imposed >= f.figures["impositions_au_moins"]


@settings(max_examples=60)
@given(instances())
def test_audit_never_fails_and_json_is_plain(instance):
    doc = audit(instance).to_dict()
    assert json.loads(json.dumps(doc)) == doc
