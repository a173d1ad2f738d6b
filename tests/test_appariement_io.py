"""Appariement files and command line: round trips, every problem listed, exit statuses, fuzz.

The fuzz follows tests/test_fuzz_loaders.py: valid files mutated (values, keys, bytes, CSV
cells, workbook cells) must end in a loaded appariement or an :class:`AppariementError`; on
the command line in exit 0 with a result or exit 2 with a French message and nothing
written, never a traceback.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affectation.appariement import AppariementError, apparier
from affectation.appariement.generate import generate
from affectation.appariement.io import (
    appariement_to_dict,
    load_appariement,
    load_resultat,
    save_appariement,
    save_resultat,
)
from affectation.cli import main

FUZZ = settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=60)
VALUES: list[Any] = [None, True, 0, -1, 2, 10**6, 2**70, 1.5, "", "x", "=1+1", "DJ0001",
                     "MSU-0001", [], [[]], ["x"], {}, {"a": 1}, "é" * 3]
CELLS = ["", "x", "-1", "2,5", "2,0", "=SUM(A1)", "oui", "peut-être", "DJ0001", "MSU-0002",
         "0", "9" * 30]


@pytest.fixture(scope="module")
def small():
    return generate(12, 10, voeux=3, seed=4, reconduction=0.1)


@pytest.mark.parametrize("name", ["a.json", "a.xlsx", "a"])
def test_round_trip(tmp_path, small, name):
    """JSON, workbook and CSV folder carry the same appariement."""
    save_appariement(small, tmp_path / name)
    assert load_appariement(tmp_path / name) == small


def test_result_round_trip_and_workbook(tmp_path, small):
    result = apparier(small)
    save_resultat(result, tmp_path / "r.json")
    assert load_resultat(tmp_path / "r.json") == result
    save_resultat(result, tmp_path / "r.xlsx", small)
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames[:3] == ["affectations", "terrains", "résumé"]
    assert [c.value for c in book["affectations"][1]][:3] == ["dj", "nom", "prénom"]


def _bad_doc(small) -> dict:
    doc = appariement_to_dict(small)
    doc["terrains"][0]["postes"] = -2
    doc["docteurs_juniors"][1]["voeux"].append("INCONNU")
    first = doc["terrains"][2]["classement"]
    doc["terrains"][2]["classement"] = [*first, ["DJ9999"], [first[0][0]]]
    return doc


def test_bad_json_lists_every_problem(tmp_path, small):
    """Negative postes, unknown terrain in a wish, unknown DJ in a ranking, a DJ ranked twice:
    four problems, each naming the file, the entity and the key."""
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_bad_doc(small)), encoding="utf-8")
    with pytest.raises(AppariementError) as caught:
        load_appariement(path)
    text = str(caught.value)
    assert len(caught.value.problems) == 4, text
    for part in ("postes négatifs", "terrain inconnu « INCONNU »", "DJ inconnu « DJ9999 »",
                 "classé deux fois", "clé « postes »", "clé « voeux »", "clé « classement »"):
        assert part in text
    assert all(p.file == str(path) for p in caught.value.problems)


def test_bad_csv_names_the_line(tmp_path, small):
    folder = tmp_path / "csv"
    save_appariement(small, folder)
    path = folder / "classements.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines.append(lines[1])  # the same terrain ranks the same DJ again
    lines.append("MSU-0001;DJ0404;1")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(AppariementError) as caught:
        load_appariement(folder)
    text = str(caught.value)
    assert "classé deux fois" in text and "ligne" in text and "DJ0404" in text


def test_cli_refuses_bad_input_with_exit_2_and_writes_nothing(tmp_path, small):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_bad_doc(small)), encoding="utf-8")
    out = tmp_path / "r.json"
    run = CliRunner().invoke(main, ["appariement", str(path), "--out", str(out)])
    assert run.exit_code == 2 and "4 problèmes" in run.output and not out.exists()


def test_cli_run_verify_explain_audit(tmp_path, small):
    source = tmp_path / "a.json"
    save_appariement(small, source)
    runner = CliRunner()
    for methode in ("acceptation-differee", "cpsat"):
        out = tmp_path / f"{methode}.json"
        run = runner.invoke(main, ["appariement", str(source), "--out", str(out),
                                   "--methode", methode])
        assert run.exit_code == 0, run.output
        check = runner.invoke(main, ["appariement", "verifier", str(source), str(out)])
        assert check.exit_code == 0 and "conforme" in check.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    placed = [a for a in doc["affectations"] if a["terrain"] and not a["reconduction"]]
    placed[0]["terrain"] = None
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc), encoding="utf-8")
    check = runner.invoke(main, ["appariement", "verifier", str(source), str(tampered)])
    assert check.exit_code == 1 and "violation" in check.output
    explain = runner.invoke(main, ["appariement", "expliquer", str(source), str(out),
                                   placed[0]["dj"]])
    assert explain.exit_code == 0 and placed[0]["dj"] in explain.output
    audit = runner.invoke(main, ["appariement", "audit", str(source)])
    assert audit.exit_code in (0, 3) and "Audit" in audit.output
    workbook = tmp_path / "r.xlsx"
    run = runner.invoke(main, ["appariement", str(source), "--out", str(workbook)])
    assert run.exit_code == 0 and workbook.exists()
    again = runner.invoke(main, ["appariement", str(source), "--out", str(source)])
    assert again.exit_code == 2  # never over an input


def test_cli_round_2_refuses_a_short_list_naming_the_dj(tmp_path):
    instance = generate(40, 30, voeux=3, seed=5)
    source = tmp_path / "t1.json"
    save_appariement(instance, source)
    first = tmp_path / "r1.json"
    assert CliRunner().invoke(main, ["appariement", str(source), "--out",
                                     str(first)]).exit_code == 0
    result = load_resultat(first)
    unplaced = [a.dj for a in result.affectations if a.terrain is None]
    out = tmp_path / "r2.json"
    run = CliRunner().invoke(main, ["appariement", str(source), "--tour", "2", "--apres",
                                    str(first), "--out", str(out)])
    assert run.exit_code == 2 and unplaced[0] in run.output and "R-APP-5" in run.output
    assert not out.exists()


# --- fuzz ------------------------------------------------------------------------------------


def _outcome(path: Path, tmp_path: Path, must_refuse: bool = False) -> None:
    try:
        load_appariement(path)
    except AppariementError as error:
        assert 0 < len(str(error)) < 40_000
        accepted = False
    else:
        accepted = True
    assert not (must_refuse and accepted), f"accepted a broken file: {path}"
    out = tmp_path / "fuzz-r.json"
    out.unlink(missing_ok=True)
    run = CliRunner().invoke(main, ["appariement", str(path), "--out", str(out)])
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exc_info
    if accepted:
        assert run.exit_code == 0, run.output
    else:
        assert run.exit_code == 2 and "erreur" in run.output and "Traceback" not in run.output
        assert not out.exists()


def _paths(doc: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _paths(value, (*path, index))
    return found


@given(st.integers(0, 2**32), st.sampled_from(["set", "delete", "key", "bytes"]))
@FUZZ
def test_mutated_json_is_accepted_or_refused_cleanly(tmp_path_factory, seed, kind):
    tmp_path = tmp_path_factory.mktemp("fuzz-app-json")
    rng = random.Random(seed)
    doc = appariement_to_dict(generate(6, 5, voeux=3, seed=seed % 7))
    nodes = [p for p in _paths(doc) if p]
    target = rng.choice(nodes)
    parent = doc
    for part in target[:-1]:
        parent = parent[part]
    if kind == "set":
        parent[target[-1]] = rng.choice(VALUES)
    elif kind == "delete":
        del parent[target[-1]]
    elif kind == "key":
        parent_dict = parent if isinstance(parent, dict) else doc
        parent_dict["zz_inconnu"] = 1
    data = json.dumps(doc, ensure_ascii=False).encode()
    if kind == "bytes":
        raw = bytearray(data)
        raw.insert(rng.randrange(len(raw)), rng.choice(b"\x00\xff{],\"\\"))
        data = bytes(raw)
    path = tmp_path / "a.json"
    path.write_bytes(data)
    _outcome(path, tmp_path, must_refuse=kind == "key")


@given(st.integers(0, 2**32), st.sampled_from(["csv", "xlsx"]))
@FUZZ
def test_mutated_tables_are_accepted_or_refused_cleanly(tmp_path_factory, seed, form):
    tmp_path = tmp_path_factory.mktemp("fuzz-app-tables")
    rng = random.Random(seed)
    instance = generate(6, 5, voeux=3, seed=seed % 7)
    if form == "csv":
        folder = tmp_path / "a"
        save_appariement(instance, folder)
        files = sorted(folder.glob("*.csv"))
        path = rng.choice(files)
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        n = rng.randrange(len(lines))
        cells = lines[n].split(";")
        cells[rng.randrange(len(cells))] = rng.choice(CELLS)
        lines[n] = ";".join(cells)
        if rng.random() < 0.2:
            lines.insert(rng.randrange(1, len(lines) + 1), lines[-1])
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        _outcome(folder, tmp_path)
    else:
        path = tmp_path / "a.xlsx"
        save_appariement(instance, path)
        book = openpyxl.load_workbook(path)
        sheet = book[rng.choice(book.sheetnames)]
        row = rng.randint(1, sheet.max_row)
        column = rng.randint(1, sheet.max_column)
        sheet.cell(row, column).value = rng.choice(CELLS)
        book.save(path)
        _outcome(path, tmp_path)


def test_cli_whatif_and_preappariement(tmp_path, small):
    source = tmp_path / "a.json"
    save_appariement(small, source)
    runner = CliRunner()
    run = runner.invoke(main, ["appariement", "whatif", str(source), "--zip", "2"])
    assert run.exit_code == 0 and "DJ placés" in run.output
    run = runner.invoke(main, ["appariement", "whatif", str(source), "--terrain", "NOPE"])
    assert run.exit_code == 2 and "terrain inconnu" in run.output
    out = tmp_path / "pre.json"
    run = runner.invoke(main, ["appariement", "preappariement", str(source), "--tirages", "5",
                               "--out", str(out)])
    assert run.exit_code == 0, run.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc["probabilites"]) == {d.id for d in small.docteurs_juniors}
