"""The command line contract: solve, validate, explain, demo; exit 2 and no file on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from affectation.cli import main
from affectation.datasets import generate
from affectation.io import load_result, save_instance


@pytest.fixture(scope="module")
def instance_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "instance.json"
    save_instance(generate(60, seed=11, maquette="mg-2010"), path)
    return path


@pytest.fixture
def broken_file(tmp_path: Path, instance_file: Path) -> Path:
    doc = json.loads(instance_file.read_text(encoding="utf-8"))
    doc["internes"][2]["voeux"].append("NO-SUCH-TERRAIN")
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("method", ["serial", "cpsat"])
def test_solve_writes_the_result_file(instance_file: Path, tmp_path: Path, method: str) -> None:
    out = tmp_path / "result.json"
    run = CliRunner().invoke(main, ["solve", str(instance_file), "--method", method,
                                    "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "impositions" in run.output and f"écrit : {out}" in run.output
    result = load_result(out)
    assert result.methode == method
    assert len(result.affectations) == 60
    if method == "cpsat":
        assert "OPTIMAL" in run.output


def test_both_methods_write_the_same_allocation(instance_file: Path, tmp_path: Path) -> None:
    files = {}
    for method in ("serial", "cpsat"):
        files[method] = tmp_path / f"{method}.json"
        CliRunner().invoke(main, ["solve", str(instance_file), "--method", method,
                                  "--out", str(files[method])])
    assert load_result(files["serial"]).same_allocation(load_result(files["cpsat"]))


def test_bad_input_exits_2_and_writes_nothing(broken_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    run = CliRunner().invoke(main, ["solve", str(broken_file), "--out", str(out)])
    assert run.exit_code == 2
    assert "NO-SUCH-TERRAIN" in run.output and "voeux" in run.output
    assert "broken.json" in run.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [broken_file]


def test_validate(instance_file: Path, broken_file: Path) -> None:
    ok = CliRunner().invoke(main, ["validate", str(instance_file)])
    assert ok.exit_code == 0 and ok.output.startswith("conforme : 60 internes")
    bad = CliRunner().invoke(main, ["validate", str(broken_file)])
    assert bad.exit_code == 2 and "internes[2]" in bad.output


def test_validate_missing_file(tmp_path: Path) -> None:
    run = CliRunner().invoke(main, ["validate", str(tmp_path / "nope.json")])
    assert run.exit_code == 2 and "nope.json" in run.output


def test_explain(instance_file: Path) -> None:
    run = CliRunner().invoke(main, ["explain", str(instance_file), "I0001"])
    assert run.exit_code == 0 and "a choisi en position" in run.output
    assert run.output.startswith("I0001, rang ")
    unknown = CliRunner().invoke(main, ["explain", str(instance_file), "I00001"])
    assert unknown.exit_code == 2
    assert "interne inconnu 'I00001'" in unknown.output and "vouliez-vous dire" in unknown.output


def test_english_on_request(instance_file: Path, monkeypatch) -> None:
    """--lang en, or AFFECTATION_LANG=en, for the command line's own sentences."""
    run = CliRunner().invoke(main, ["--lang", "en", "validate", str(instance_file)])
    assert run.exit_code == 0 and run.output.startswith("OK: 60 internes")
    monkeypatch.setenv("AFFECTATION_LANG", "en")
    run = CliRunner().invoke(main, ["explain", str(instance_file), "NOBODY"])
    assert run.exit_code == 2 and "error : " in run.output and "unknown interne" in run.output
    monkeypatch.delenv("AFFECTATION_LANG")
    run = CliRunner().invoke(main, ["explain", str(instance_file), "NOBODY"])
    assert "erreur : " in run.output and "interne inconnu" in run.output


def test_one_error_boundary_maps_errors_to_exit_statuses() -> None:
    """Every library error goes through cli.EXIT_STATUS: bad input 2, no allocation 1."""
    from affectation.cli import CliError, error_text, exit_status
    from affectation.errors import InstanceError, NoAllocation, ScenarioError
    from affectation.io._files import OutputError
    from affectation.result import SolveInfo, SolveStatus

    info = SolveInfo(status=SolveStatus.INFEASIBLE, wall_time=0.0, variables=1,
                     constraints=1, optimal=False, conflict=("user", "capacity"))
    assert exit_status(NoAllocation(info)) == 1
    assert "groupes de règles en conflit : user, capacity" in error_text(NoAllocation(info))
    for error in (InstanceError("x"), OutputError("f", "y"), ScenarioError("z"), CliError("w")):
        assert exit_status(error) == 2
    assert InstanceError("x").code == "E-ENTREE" and CliError("w").code == "E-COMMANDE"


def test_demo_runs_both_engines_on_the_bundled_example() -> None:
    run = CliRunner().invoke(main, ["demo"])
    assert run.exit_code == 0, run.output
    assert "Même affectation, interne par interne : oui" in run.output
    assert "Vérificateur : 0 violation(s)" in run.output


def test_python_dash_m(instance_file: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "affectation", "validate", str(instance_file)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "conforme :" in done.stdout


def test_result_bytes_are_deterministic(instance_file: Path, tmp_path: Path) -> None:
    """The same instance gives the same result file, byte for byte (both engines)."""
    for method in ("serial", "cpsat"):
        a, b = tmp_path / f"a-{method}.json", tmp_path / f"b-{method}.json"
        for out in (a, b):
            CliRunner().invoke(main, ["solve", str(instance_file), "--method", method,
                                      "--out", str(out)])
        assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("form", ["csv-fr", "xlsx", "json"])
def test_exemple_writes_the_example_as_an_office_opens_it(tmp_path: Path, form: str) -> None:
    from affectation.datasets import example
    from affectation.io import load_instance

    folder = tmp_path / "exemple"
    run = CliRunner().invoke(main, ["exemple", str(folder), "--format", form])
    assert run.exit_code == 0, run.output
    if form == "csv-fr":
        data = (folder / "internes.csv").read_bytes()
        assert data.startswith("\ufeffid;rang;".encode())
        source = folder
    else:
        source = folder / f"exemple.{form}"
    assert load_instance(source) == example()
    again = CliRunner().invoke(main, ["exemple", str(folder), "--format", form])
    assert again.exit_code == 0, again.output  # the files the command wrote are replaced
