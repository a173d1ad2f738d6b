"""Every problem of a file at once (FORMAT.md, Errors): up to 50, each naming the file, the
line or cell, the entity and the field; duplicates blamed on the duplicate; "vouliez-vous dire"."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from affectation import datasets
from affectation.cli import main
from affectation.errors import MAX_PROBLEMS, InstanceError
from affectation.io import instance_to_dict, load_instance, save_csv, save_excel


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _write(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    save_csv(datasets.example(), tmp_path / "choix")
    return tmp_path / "choix"


def test_two_mistakes_in_a_folder_are_both_reported(folder: Path, tmp_path: Path) -> None:
    terrains = _rows(folder / "terrains.csv")
    terrains[3][terrains[0].index("postes")] = "x"
    _write(folder / "terrains.csv", terrains)
    voeux = _rows(folder / "voeux.csv")
    good = voeux[4][2]
    voeux[4][2] = good[:1] + good[2] + good[1] + good[3:]  # two letters swapped
    _write(folder / "voeux.csv", voeux)
    out = tmp_path / "r.json"
    run = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out)])
    assert run.exit_code == 2 and not out.exists()
    assert "2 problèmes" in run.output, run.output
    assert "terrains.csv : ligne 4" in run.output and "clé « postes »" in run.output
    assert "voeux.csv : ligne 5" in run.output and f"vouliez-vous dire {good!r}" in run.output
    assert "Traceback" not in run.output


def test_a_duplicate_interne_is_blamed_on_the_duplicate(folder: Path) -> None:
    internes = _rows(folder / "internes.csv")
    lost = internes[2][0]
    internes[2][0] = internes[1][0]  # I0002's row now says I0001
    _write(folder / "internes.csv", internes)
    with pytest.raises(InstanceError) as info:
        load_instance(folder)
    first = info.value.problems[0]
    assert first.file.endswith("internes.csv") and first.entity.startswith("ligne 3")
    assert first.key == "id" and "déjà en ligne 2" in first.message
    assert any(f"celle de {lost!r}" in p.message for p in info.value.problems)


def test_at_most_fifty_problems_are_listed(folder: Path) -> None:
    doc = instance_to_dict(datasets.example())
    for interne in doc["internes"]:
        interne["rang"] = 0
    with pytest.raises(InstanceError) as info:
        from affectation.io import instance_from_dict

        instance_from_dict(doc)
    assert len(info.value.problems) == MAX_PROBLEMS
    assert info.value.left_out == len(doc["internes"]) - MAX_PROBLEMS
    assert f"et {info.value.left_out} de plus" in str(info.value)
    assert all(p.key == "rang" for p in info.value.problems)


def test_json_reports_every_entity(tmp_path: Path) -> None:
    doc = instance_to_dict(datasets.example())
    doc["terrains"][1]["postes"] = -1
    doc["internes"][4]["voeux"][0] = doc["terrains"][0]["id"].lower()
    doc["internes"][7]["id"] = doc["internes"][6]["id"]
    path = tmp_path / "i.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    keys = [(p.entity.split(" ")[0], p.key) for p in info.value.problems]
    assert ("terrains[1]", "postes") in keys
    assert ("internes[7]", "id") in keys, keys
    assert all(p.file == str(path) for p in info.value.problems)


def test_a_merged_title_row_is_to_be_deleted(tmp_path: Path) -> None:
    save_excel(datasets.example(), tmp_path / "i.xlsx")
    book = openpyxl.load_workbook(tmp_path / "i.xlsx")
    sheet = book["terrains"]
    sheet.insert_rows(1)
    sheet["A1"] = "Terrains de la subdivision"
    sheet.merge_cells("A1:F1")
    book.save(tmp_path / "titre.xlsx")
    with pytest.raises(InstanceError, match="supprimez cette ligne"):
        load_instance(tmp_path / "titre.xlsx")
    sheet.unmerge_cells("A1:F1")
    book.save(tmp_path / "titre2.xlsx")
    with pytest.raises(InstanceError, match="un titre : supprimez cette ligne"):
        load_instance(tmp_path / "titre2.xlsx")
