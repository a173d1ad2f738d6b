"""The ``plan`` and ``simulate`` commands: files written whole, exit statuses, messages."""

from __future__ import annotations

import json

from click.testing import CliRunner
from test_cohort_plan import hand_cohort

from affectation.cli import main
from affectation.io import save_instance


def _instance(tmp_path, **changes):
    path = tmp_path / "choix.json"
    save_instance(hand_cohort(**changes), path)
    return path


def test_plan_writes_the_json_and_prints_the_table(tmp_path):
    path = _instance(tmp_path)
    out = tmp_path / "plan.json"
    run = CliRunner().invoke(main, ["plan", str(path), "--promotion", "10", "--semesters", "4",
                                    "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "borne prouvée 55" in run.output and "OPTIMAL" in run.output
    doc = json.loads(out.read_text())
    assert doc["format"] == "affectation-plan/1" and doc["valeur"] == doc["borne"] == 55
    assert [s["postes"]["urgences"] for s in doc["semestres"]] == [10, 10, 0, 10]
    again = tmp_path / "plan.xlsx"
    run = CliRunner().invoke(main, ["plan", str(path), "--promotion", "10", "--semesters", "4",
                                    "--out", str(again)])
    assert run.exit_code == 0 and again.exists()


def test_plan_without_solution_names_the_binding_constraint(tmp_path):
    path = _instance(tmp_path)
    out = tmp_path / "plan.json"
    run = CliRunner().invoke(main, ["plan", str(path), "--promotion", "10", "--semesters", "4",
                                    "--agrement", "urgences=9", "--out", str(out)])
    assert run.exit_code == 1
    assert "au plus 9 postes urgences" in run.output
    doc = json.loads(out.read_text())
    assert doc["statut"] == "INFEASIBLE"
    assert {"agrement"} <= {b["constraint"] for b in doc["contraintes_liantes"]}


def test_plan_bad_input_exits_2_and_writes_nothing(tmp_path):
    path = _instance(tmp_path)
    out = tmp_path / "plan.json"
    run = CliRunner().invoke(main, ["plan", str(path), "--promotion", "10", "--agrement",
                                    "urgences", "--out", str(out)])
    assert run.exit_code == 2 and "CATEGORIE=N" in run.output and not out.exists()
    run = CliRunner().invoke(main, ["plan", str(path), "--promotion", "10", "--out", str(path)])
    assert run.exit_code == 2 and "--out" in run.output
    run = CliRunner().invoke(main, ["plan", str(path), "--promotion", "10", "--agrement",
                                    "cardiologie=3"])
    assert run.exit_code == 2 and "cardiologie" in run.output


def test_simulate_with_the_plan(tmp_path):
    path = _instance(tmp_path)
    plan = tmp_path / "plan.json"
    CliRunner().invoke(main, ["plan", str(path), "--promotion", "10", "--semesters", "4",
                              "--out", str(plan)])
    out = tmp_path / "careers.csv"
    run = CliRunner().invoke(main, ["simulate", str(path), "--plan", str(plan), "--futures",
                                    "3", "--workers", "1", "--echec", "0", "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "2028-05" in run.output and "100% [100%–100%]" in run.output
    lines = out.read_text().splitlines()
    assert lines[0].startswith("futur,semestre,internes") and len(lines) == 1 + 3 * 4


def test_simulate_bad_plan_exits_2(tmp_path):
    path = _instance(tmp_path)
    plan = tmp_path / "plan.json"
    plan.write_text('{"format": "affectation-plan/1", "semestres": [{"semestre": "x", '
                    '"postes": {"urgences": "dix"}}]}')
    run = CliRunner().invoke(main, ["simulate", str(path), "--plan", str(plan)])
    assert run.exit_code == 2
    assert "plan.json" in run.output and "semestres[0] (x)" in run.output
    assert "postes" in run.output and "Traceback" not in run.output


def test_plan_file_bytes_are_deterministic(tmp_path):
    path = _instance(tmp_path)
    outputs = []
    for name in ("a.json", "b.json"):
        out = tmp_path / name
        run = CliRunner().invoke(main, ["plan", str(path), "--promotion", "10", "--semesters",
                                        "4", "--objective", "change", "--out", str(out)])
        assert run.exit_code == 0, run.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_plan_marge_keeps_postes_free(tmp_path):
    path = _instance(tmp_path)
    out = tmp_path / "plan.json"
    run = CliRunner().invoke(main, ["plan", str(path), "--promotion", "10", "--semesters", "4",
                                    "--marge", "urgences=1", "--marge", "libre=3",
                                    "--out", str(out)])
    assert run.exit_code == 0, run.output
    for row in json.loads(out.read_text())["semestres"]:
        assert row["postes"]["urgences"] == row["demande"]["urgences"] + 1
        assert row["postes"]["libre"] >= row["demande"]["libre"] + 3
    run = CliRunner().invoke(main, ["plan", str(path), "--promotion", "10", "--marge", "x"])
    assert run.exit_code == 2 and "--marge" in run.output


def test_tables_fit_in_100_columns_in_french_with_a_sentence_and_a_plot(tmp_path):
    """Issue 18, item 9: French headers, at most 100 columns, a sentence under each table,
    --plot writes the figure."""
    from affectation.datasets import example
    from affectation.io import save_instance as save

    # the example (mg-2023): the docteurs juniors leave the choice for the appariement
    path = tmp_path / "exemple.json"
    save(example(), path)
    plot = tmp_path / "plan.png"
    run = CliRunner().invoke(main, ["plan", str(path), "--promotion", "40", "--semesters", "8",
                                    "--plot", str(plot)])
    assert run.exit_code == 0, run.output
    assert max(len(line) for line in run.output.splitlines()) <= 100
    assert "Plancher R-POS-3" in run.output and "Chaque colonne est un semestre" in run.output
    assert "Niveau 3 (appariement)" in run.output and "docteurs juniors" in run.output
    assert "_" not in run.output.split("\n", 1)[0] + "".join(
        line.split()[0] for line in run.output.splitlines()[1:12] if line.strip())
    assert plot.read_bytes().startswith(b"\x89PNG")
    careers = tmp_path / "careers.png"
    run = CliRunner().invoke(main, ["simulate", str(path), "--futures", "2", "--semesters",
                                    "8", "--workers", "1", "--plot", str(careers)])
    assert run.exit_code == 0, run.output
    assert max(len(line) for line in run.output.splitlines()) <= 100
    assert "Sans poste" in run.output and "bande où tombent 90 %" in run.output
    assert "a_l_heure" not in run.output and "marge_r_pos_3" not in run.output
    assert "Docteurs juniors" in run.output
    assert careers.read_bytes().startswith(b"\x89PNG")
    bad = CliRunner().invoke(main, ["plan", str(path), "--promotion", "40", "--plot",
                                    str(tmp_path / "plan.gif")])
    assert bad.exit_code == 2 and "--plot" in bad.output


def test_whatif_and_prechoix_plot(tmp_path):
    path = _instance(tmp_path)
    for args, name in ((["whatif", str(path), "--open", "urgences:1"], "w.png"),
                       (["prechoix", str(path), "--samples", "3"], "p.png")):
        run = CliRunner().invoke(main, [*args, "--plot", str(tmp_path / name)])
        assert run.exit_code == 0, run.output
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
