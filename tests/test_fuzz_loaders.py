"""Fuzzing the file contract: valid instances, mutated, through the loaders and the CLI.

Every mutation (types, keys, values, encodings, duplicated keys, bytes, separators, Excel
cells) must end in an :class:`InstanceError` or a loaded instance, and on the command line in
exit 0 with a result or exit 2 with a message and nothing written: never a traceback, never a
result on a refused input. Mutations that break the contract (``must_refuse``) must be
refused. Counts: the CI profile runs the numbers below (about 550 files); ``deep`` runs ten
times as many.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import openpyxl
from click.testing import CliRunner
from conftest import scaled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import instances

from affectation.cli import main
from affectation.errors import InstanceError
from affectation.io import load_instance, load_result, save_csv, save_excel
from affectation.io.json_format import instance_to_dict
from affectation.model import Instance

FUZZ = settings(deadline=None, suppress_health_check=list(HealthCheck))

VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 2, 10**6, 2**70, 1.5, 2.0, -0.0, "", "x", "2,0", "2,5",
    "=1+1", "urgences", "URG", "I001", "é" * 3, "\u00a0", "x" * 300, [], [1], ["urgences"],
    [[]], {}, {"a": 1}, "*",
]
BYTES = [b"\x00", b"\xff", b"\xe9", b"\x81", b"\xc3", b'"', b",", b";", b"\n", b"\r", b"{",
         b"]", b"\\", b"\xef\xbb\xbf"]
CELLS = ["", "x", "-1", "2,5", "2,0", "=SUM(A1)", "oui", "peut-être", "*", "urgences;libre",
         "Besançon", "'=x", "9" * 30, "a\tb", '"', "I0001", "1", "0"]


def _check_outcome(path: Path, tmp_path: Path, must_refuse: bool) -> None:
    """The loader and ``affectation solve --out`` on ``path``: clean acceptance or refusal."""
    try:
        loaded = load_instance(path)
    except InstanceError as error:
        assert 1 <= len(error.problems) <= 50
        for problem in error.problems:  # each problem a message, and a short one
            message = problem.line().removeprefix(str(problem.file))
            assert 0 < len(message) < 800, message
        accepted = False
    else:
        assert isinstance(loaded, Instance)
        accepted = True
    assert not (must_refuse and accepted), f"accepted a broken file: {path}"
    out = tmp_path / "fuzz-result.json"
    out.unlink(missing_ok=True)
    run = CliRunner().invoke(main, ["solve", str(path), "--out", str(out)])
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exc_info
    if accepted:
        assert run.exit_code == 0, run.output
        assert len(load_result(out).ordre) == len(loaded.internes)
    else:
        assert run.exit_code == 2, run.output
        assert "erreur :" in run.output and "Traceback" not in run.output
        assert not out.exists()


# --- JSON ------------------------------------------------------------------------------------


def _nodes(doc: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _nodes(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _nodes(value, (*path, index))
    return found


def _parent(doc: Any, path: tuple) -> tuple[Any, Any]:
    for part in path[:-1]:
        doc = doc[part]
    return doc, path[-1]


def _mutate_json(doc: dict, text: str, rng: random.Random, kind: str) -> tuple[bytes, bool]:
    """A mutated document as bytes, and whether the contract must refuse it."""
    nodes = [p for p in _nodes(doc) if p]
    path = rng.choice(nodes)
    parent, last = _parent(doc, path)
    if kind == "set":
        parent[last] = rng.choice(VALUES)
        return json.dumps(doc, ensure_ascii=False).encode(), False
    if kind == "delete":
        required = isinstance(last, str) and last in ("format", "maquette", "terrains",
                                                      "internes", "categories", "postes",
                                                      "rang", "semestres_valides", "voeux")
        del parent[last]
        return json.dumps(doc, ensure_ascii=False).encode(), required and len(path) <= 3 and (
            path[0] in ("terrains", "internes") or len(path) == 1) and not (
            path[0] == "internes" and last == "voeux" and len(path) != 3)
    if kind == "unknown_key":
        dicts = [p for p in _nodes(doc) if isinstance(_get(doc, p), dict)]
        target = _get(doc, rng.choice(dicts))
        target["zz_" + rng.choice(["poste", "x", "Rang", "voeu"])] = 1
        return json.dumps(doc, ensure_ascii=False).encode(), True
    if kind == "duplicate":
        keys = re.findall(r'"([a-z_]+)": ', text)
        key = rng.choice(keys)
        where = [m.start() for m in re.finditer(f'"{key}": ', text)]
        at = rng.choice(where)
        extra = f'"{key}": {json.dumps(rng.choice(VALUES))}, '
        return (text[:at] + extra + text[at:]).encode(), True
    if kind == "constant":
        number = [m.span() for m in re.finditer(r"(?<=: )\d+", text)]
        start, end = rng.choice(number)
        bad = rng.choice(["NaN", "Infinity", "-Infinity", "9" * 400, "1e999"])
        return (text[:start] + bad + text[end:]).encode(), True
    if kind == "surrogate":
        strings = [m.start() + 1 for m in re.finditer(r'"[A-Za-z]', text)]
        at = rng.choice(strings)
        return (text[:at] + "\\udc80" + text[at:]).encode(), True
    if kind == "truncate":
        cut = rng.randrange(1, max(2, len(text.rstrip()) - 1))
        return text[:cut].encode(), True
    if kind == "bytes":
        data = bytearray(text.encode())
        for _ in range(rng.randint(1, 3)):
            data.insert(rng.randrange(len(data)), rng.choice(BYTES)[0])
        return bytes(data), False
    if kind == "latin1":
        return text.encode("latin-1", errors="replace"), any(ord(c) > 127 for c in text)
    if kind == "deep":
        at = text.index('"nom": ') + 7
        depth = rng.choice([40, 5000])
        return (text[:at] + "[" * depth + "]" * depth + ", \"x\": " + text[at:]).encode(), True
    raise AssertionError(kind)


def _get(doc: Any, path: tuple) -> Any:
    for part in path:
        doc = doc[part]
    return doc


JSON_KINDS = ["set", "set", "set", "delete", "unknown_key", "duplicate", "constant",
              "surrogate", "truncate", "bytes", "latin1", "deep"]


@given(instances(max_internes=6, max_terrains=5), st.sampled_from(JSON_KINDS),
       st.integers(0, 2**32))
@settings(FUZZ, max_examples=scaled(300))
def test_mutated_json_is_accepted_or_refused_cleanly(tmp_path_factory, instance: Instance,
                                                     kind: str, seed: int) -> None:
    tmp_path = tmp_path_factory.mktemp("fuzz-json")
    doc = instance_to_dict(instance)
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    data, must_refuse = _mutate_json(doc, text, random.Random(seed), kind)
    path = tmp_path / "choix.json"
    path.write_bytes(data)
    _check_outcome(path, tmp_path, must_refuse)


# --- CSV folders -----------------------------------------------------------------------------

CSV_KINDS = ["cell", "cell", "separator_line", "drop_line", "dup_line", "drop_header",
             "encoding", "bytes", "unknown_file", "french"]


def _mutate_csv(folder: Path, rng: random.Random, kind: str) -> bool:
    files = sorted(folder.glob("*.csv"))
    path = rng.choice(files)
    lines = path.read_text(encoding="utf-8").splitlines()
    body = list(range(1, len(lines)))
    if kind == "cell" and body:
        n = rng.choice(body)
        cells = lines[n].split(",")
        cells[rng.randrange(len(cells))] = rng.choice(CELLS)
        lines[n] = ",".join(cells)
    elif kind == "separator_line" and body:
        n = rng.choice(body)
        if lines[n].count(",") >= 2 and '"' not in lines[n]:
            lines[n] = lines[n].replace(",", ";")
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return True
    elif kind == "drop_line" and body:
        del lines[rng.choice(body)]
    elif kind == "dup_line" and body:
        n = rng.choice(body)
        lines.insert(n, lines[n])
    elif kind == "drop_header":
        cells = lines[0].split(",")
        del cells[rng.randrange(len(cells))]
        lines[0] = ",".join(cells)
    elif kind == "encoding":
        path.write_bytes("\n".join(lines).encode(rng.choice(["utf-16", "cp1252", "utf-8-sig"]),
                                                 errors="replace"))
        return False
    elif kind == "bytes":
        data = bytearray(path.read_bytes())
        for _ in range(rng.randint(1, 3)):
            data.insert(rng.randrange(len(data) + 1), rng.choice(BYTES)[0])
        path.write_bytes(bytes(data))
        return False
    elif kind == "unknown_file":
        (folder / rng.choice(["couple.csv", "Terrain.csv", "voeu.csv"])).write_text("a,b\n1,2\n")
        return True
    elif kind == "french":  # the same folder as French Excel writes it: must load
        import csv
        import io

        for each in files:
            rows = list(csv.reader(io.StringIO(each.read_text(encoding="utf-8"))))
            buffer = io.StringIO()
            csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
            each.write_bytes(buffer.getvalue().encode("cp1252", errors="strict"))
        return False
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return False


@given(instances(max_internes=6, max_terrains=5), st.sampled_from(CSV_KINDS),
       st.integers(0, 2**32))
@settings(FUZZ, max_examples=scaled(200))
def test_mutated_csv_folder_is_accepted_or_refused_cleanly(tmp_path_factory, instance: Instance,
                                                           kind: str, seed: int) -> None:
    tmp_path = tmp_path_factory.mktemp("fuzz-csv")
    folder = tmp_path / "choix"
    save_csv(instance, folder)
    must_refuse = _mutate_csv(folder, random.Random(seed), kind)
    _check_outcome(folder, tmp_path, must_refuse)
    if kind == "french":
        assert load_instance(folder) == instance


# --- Excel -----------------------------------------------------------------------------------

XLSX_VALUES: list[Any] = ["=1+1", "x", -1, 2.5, 2.0, None, True, "2,0", "=A1", "Paramètres"]


@given(instances(max_internes=5, max_terrains=4),
       st.sampled_from(["cell", "date", "merge", "rename", "delete", "truncate"]),
       st.integers(0, 2**32))
@settings(FUZZ, max_examples=scaled(50))
def test_mutated_workbook_is_accepted_or_refused_cleanly(tmp_path_factory, instance: Instance,
                                                         kind: str, seed: int) -> None:
    import datetime

    rng = random.Random(seed)
    tmp_path = tmp_path_factory.mktemp("fuzz-xlsx")
    path = tmp_path / "choix.xlsx"
    save_excel(instance, path)
    must_refuse = False
    if kind == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: rng.randrange(1, len(data))])
        must_refuse = True
    else:
        book = openpyxl.load_workbook(path)
        sheet = rng.choice(book.worksheets)
        row = rng.randint(1, max(1, sheet.max_row))
        column = rng.randint(1, max(1, sheet.max_column))
        if kind == "cell":
            sheet.cell(row, column).value = rng.choice(XLSX_VALUES)
        elif kind == "date":
            sheet.cell(row, column).value = datetime.date(2025, 11, 1)
            must_refuse = True
        elif kind == "merge" and sheet.max_column > 1:
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
            must_refuse = True
        elif kind == "rename":
            sheet.title = rng.choice(["Terrain", "  " + sheet.title.upper() + " ", "Feuil1"])
        elif kind == "delete" and sheet.title in ("terrains", "internes", "voeux"):
            book.remove(sheet)
            must_refuse = True
        book.save(path)
    _check_outcome(path, tmp_path, must_refuse)
