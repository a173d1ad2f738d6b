"""Issue 8: files as offices have them, and nothing lost (docs/formats.md).

French spreadsheets read as they are, Excel never read silently wrong, strict JSON and bounds,
R-ELI-6 at the command line, safe ``--out``, results as spreadsheets, no formula injection,
the public API and the ``check`` command. Each test builds the file it exercises.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import stat
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import instances

import affectation
from affectation.cli import main
from affectation.datasets import generate
from affectation.errors import InstanceError
from affectation.io import (
    load_instance,
    load_result,
    save_csv,
    save_excel,
    save_instance,
    save_result,
)
from affectation.io._cells import DANGEROUS, escape_text, unescape_text
from affectation.io._files import OutputError, check_output
from affectation.io.json_format import instance_to_dict
from affectation.serial import serial_dictatorship

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


@pytest.fixture(scope="module")
def instance():
    return generate(25, seed=5, maquette="mg-2023")


@pytest.fixture
def csv_folder(tmp_path: Path, instance) -> Path:
    folder = tmp_path / "choix"
    save_csv(instance, folder)
    return folder


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    # never a traceback: a clean exit or a SystemExit from the command
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output, result.exc_info)
    return result


def refused(exc: pytest.ExceptionInfo, *words: str) -> str:
    text = str(exc.value)
    for word in words:
        assert word in text, text
    return text


# --- 1. French spreadsheets read as they are -----------------------------------------------


def _reencode(folder: Path, sep: str, encoding: str) -> None:
    """Rewrite every CSV of ``folder`` as French Excel would: ``sep`` and ``encoding``."""
    import csv
    import io

    for path in folder.glob("*.csv"):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=sep, lineterminator="\r\n").writerows(rows)
        path.write_bytes(buffer.getvalue().encode(encoding))


@pytest.mark.parametrize("sep", [";", ","])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_folder_as_french_excel_writes_it(csv_folder: Path, instance, sep: str,
                                             encoding: str) -> None:
    _reencode(csv_folder, sep, encoding)
    assert (csv_folder / "terrains.csv").read_bytes().startswith(
        b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b"id")
    assert load_instance(csv_folder) == instance


def test_new_keys_survive_every_form_and_dialect(instance, tmp_path: Path) -> None:
    """date_choix, agrement and voeux_connus (FORMAT.md, added on main) through JSON, a CSV
    folder rewritten as French Excel writes it, and a workbook."""
    import attrs

    terrains = [attrs.evolve(t, agrement=t.postes + 2) if k % 2 else t
                for k, t in enumerate(instance.terrains)]
    internes = [attrs.evolve(i, voeux_connus=False) if k % 3 == 0 else i
                for k, i in enumerate(instance.internes)]
    full = attrs.evolve(instance, terrains=terrains, internes=internes, date_choix="2025-11")
    save_instance(full, tmp_path / "i.json")
    assert load_instance(tmp_path / "i.json") == full
    save_csv(full, tmp_path / "csv")
    _reencode(tmp_path / "csv", ";", "cp1252")
    assert load_instance(tmp_path / "csv") == full
    save_excel(full, tmp_path / "i.xlsx")
    assert load_instance(tmp_path / "i.xlsx") == full


def test_windows_1252_accents_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "parametres.csv").write_bytes(b"parametre;valeur\nmaquette;mg-2017\n")
    (folder / "terrains.csv").write_bytes(
        "id;nom;ville;categories;postes\nURG;Urgences, hôpital;Besançon;urgences;1\n"
        .encode("cp1252"))
    (folder / "internes.csv").write_bytes(b"id;rang;semestres_valides\nI1;1;0\n")
    (folder / "voeux.csv").write_bytes(b"interne;rang_voeu;terrain\nI1;1;URG\n")
    loaded = load_instance(folder)
    assert loaded.terrain("URG").ville == "Besançon"
    assert loaded.terrain("URG").nom == "Urgences, hôpital"


def test_neither_utf8_nor_windows_1252_names_line_and_byte(csv_folder: Path) -> None:
    path = csv_folder / "terrains.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2][:3] + b"\x81" + lines[2][3:]  # 0x81 is undefined in Windows-1252
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(InstanceError) as info:
        load_instance(csv_folder)
    refused(info, "terrains.csv", "ligne 3, octet 4", "0x81", "CSV UTF-8")


def test_mixed_encodings_are_refused(csv_folder: Path) -> None:
    path = csv_folder / "terrains.csv"
    text = path.read_text(encoding="utf-8")
    assert "é" in text  # the generated noms have accents (UTF-8 sequences)
    path.write_bytes(text.encode("utf-8") + "Ville\n".encode("cp1252") + b"\xe9t\xe9\n")
    with pytest.raises(InstanceError) as info:
        load_instance(csv_folder)
    refused(info, "terrains.csv", "mélange les encodages", "0xe9")


def test_utf16_is_refused_with_the_fix(csv_folder: Path) -> None:
    path = csv_folder / "voeux.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(InstanceError) as info:
        load_instance(csv_folder)
    refused(info, "voeux.csv", "UTF-16", "CSV UTF-8")


def test_header_mixing_separators_is_refused(csv_folder: Path) -> None:
    (csv_folder / "voeux.csv").write_text("interne;rang_voeu,terrain\nI0001;1,X\n")
    with pytest.raises(InstanceError) as info:
        load_instance(csv_folder)
    refused(info, "voeux.csv", "ligne 1", "mélange ';' et ','")


def _set_cell(path: Path, line: int, column: str, value: str) -> None:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[line - 1][rows[0].index(column)] = value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


@pytest.mark.parametrize(("cell", "postes"), [("2,0", 2), ("2.0", 2), ("3", 3), (" 4 ", 4)])
def test_integer_with_decimal_zero(csv_folder: Path, instance, cell: str, postes: int) -> None:
    _set_cell(csv_folder / "terrains.csv", 2, "postes", cell)
    assert load_instance(csv_folder).terrains[0].postes == postes


def test_integer_with_a_fraction_is_refused(csv_folder: Path, instance) -> None:
    _set_cell(csv_folder / "terrains.csv", 2, "postes", "2,5")
    with pytest.raises(InstanceError) as info:
        load_instance(csv_folder)
    refused(info, "terrains.csv", "ligne 2", "postes", "'2,5'")


def test_names_match_without_case_accents_or_spaces(csv_folder: Path, instance) -> None:
    (csv_folder / "parametres.csv").rename(csv_folder / "Paramètres.csv")
    (csv_folder / "terrains.csv").rename(csv_folder / "Terrains.csv")
    path = csv_folder / "Terrains.csv"
    header, *rest = path.read_text(encoding="utf-8").splitlines()
    header = header.replace("postes", " Postes ").replace("categories", "Catégories")
    path.write_text("\n".join([header, *rest]) + "\n", encoding="utf-8")
    voeux = csv_folder / "voeux.csv"
    header, *rest = voeux.read_text(encoding="utf-8").splitlines()
    voeux.write_text("\n".join(["Interne,Rang vœu,TERRAIN", *rest]) + "\n", encoding="utf-8")
    assert load_instance(csv_folder) == instance


def test_workbook_sheet_names_match_loosely(tmp_path: Path, instance) -> None:
    path = tmp_path / "choix.xlsx"
    save_excel(instance, path)
    book = openpyxl.load_workbook(path)
    book["terrains"].title = "Terrains "
    book["parametres"].title = "Paramètres"
    book["Terrains "]["E1"] = "Postes"
    book.save(path)
    assert load_instance(path) == instance


def test_duplicated_column_is_refused(csv_folder: Path) -> None:
    path = csv_folder / "terrains.csv"
    header, *rest = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([header.replace("ville", "Postes"), *rest]) + "\n",
                    encoding="utf-8")
    with pytest.raises(InstanceError) as info:
        load_instance(csv_folder)
    refused(info, "terrains.csv", "ligne 1", "postes", "deux fois")


# --- 2. Excel never read silently wrong ------------------------------------------------------


@pytest.fixture
def workbook(tmp_path: Path, instance) -> Path:
    path = tmp_path / "choix.xlsx"
    save_excel(instance, path)
    return path


def _edit_book(path: Path, sheet: str, edit) -> None:
    book = openpyxl.load_workbook(path)
    edit(book[sheet])
    book.save(path)


def test_formula_without_cached_value_is_refused(workbook: Path) -> None:
    _edit_book(workbook, "terrains", lambda ws: ws.__setitem__("E3", "=1+1"))
    with pytest.raises(InstanceError) as info:
        load_instance(workbook)
    refused(info, "choix.xlsx", "terrains!E3", "formula", "collez les valeurs")


def test_formula_with_cached_value_reads_the_value(workbook: Path, instance, tmp_path) -> None:
    # write the cached value by hand into the sheet XML, as Excel does when it saves
    import re
    import zipfile

    _edit_book(workbook, "terrains", lambda ws: ws.__setitem__("E2", "=1+1"))
    rebuilt = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(workbook) as src, zipfile.ZipFile(rebuilt, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("sheet2.xml"):
                data = re.sub(rb'(<c r="E2"[^>]*>)<f>1\+1</f><v\s*/>',
                              rb"\1<f>1+1</f><v>2</v>", data)
                assert b"<v>2</v>" in data
            dst.writestr(item, data)
    assert load_instance(rebuilt).terrains[0].postes == 2


def test_merged_cells_are_refused(workbook: Path) -> None:
    _edit_book(workbook, "internes", lambda ws: ws.merge_cells("D3:E3"))
    with pytest.raises(InstanceError) as info:
        load_instance(workbook)
    refused(info, "internes!D3", "fusionnées", "annulez la fusion")


def test_date_where_a_number_is_expected_is_refused(workbook: Path) -> None:
    _edit_book(workbook, "terrains", lambda ws: ws.__setitem__("E2", datetime.date(2025, 11, 2)))
    with pytest.raises(InstanceError) as info:
        load_instance(workbook)
    refused(info, "terrains!E2", "date", "Nombre")


def test_cell_longer_than_excel_allows_is_refused(workbook: Path) -> None:
    _edit_book(workbook, "terrains", lambda ws: ws.__setitem__("B2", "x" * 40_000))
    with pytest.raises(InstanceError) as info:
        load_instance(workbook)
    text = refused(info, "terrains!B2", "32\u00a0767 caractères ou plus")
    assert len(text) < 300


def test_decompression_bomb_is_refused(workbook: Path, monkeypatch) -> None:
    monkeypatch.setattr("affectation.io._sheets.MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(InstanceError) as info:
        load_instance(workbook)
    refused(info, "choix.xlsx", "se décompresse en", "bombe de décompression")


def test_too_many_rows_is_refused(workbook: Path, monkeypatch) -> None:
    monkeypatch.setattr("affectation.io._sheets.MAX_EXCEL_ROWS", 5)
    with pytest.raises(InstanceError) as info:
        load_instance(workbook)
    refused(info, "plus de 5 lignes")


def test_value_far_to_the_right_is_refused(workbook: Path) -> None:
    _edit_book(workbook, "terrains", lambda ws: ws.cell(2, 200, "loin"))
    with pytest.raises(InstanceError) as info:
        load_instance(workbook)
    refused(info, "terrains!GR2", "au-delà de la colonne 100")


def test_bogus_declared_dimension_is_not_walked(workbook: Path, instance, tmp_path) -> None:
    """A sheet that declares A1:XFD1048576 (17 billion cells) is read as stored, at once."""
    import re
    import zipfile

    rebuilt = tmp_path / "bogus.xlsx"
    with zipfile.ZipFile(workbook) as src, zipfile.ZipFile(rebuilt, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data, count = re.subn(rb'<dimension ref="[^"]*"\s*/>',
                                      b'<dimension ref="A1:XFD1048576"/>', data)
                if count == 0:
                    data = data.replace(b"<sheetViews>",
                                        b'<dimension ref="A1:XFD1048576"/><sheetViews>', 1)
            dst.writestr(item, data)
    assert load_instance(rebuilt) == instance


def test_memory_error_is_not_an_unreadable_workbook(workbook: Path, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(openpyxl, "load_workbook", boom)
    with pytest.raises(InstanceError) as info:
        load_instance(workbook)
    text = refused(info, "memory")
    assert "not a readable" not in text


def test_value_under_no_header_is_refused(workbook: Path) -> None:
    _edit_book(workbook, "voeux", lambda ws: ws.__setitem__("F2", "oops"))
    with pytest.raises(InstanceError) as info:
        load_instance(workbook)
    refused(info, "voeux!F2", "sans nom")


# --- 3. Strict JSON and bounds ---------------------------------------------------------------


@pytest.fixture
def json_text(instance) -> str:
    return json.dumps(instance_to_dict(instance), ensure_ascii=False, indent=1)


def _write(tmp_path: Path, text: str, name: str = "choix.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_duplicate_key_is_refused_naming_key_and_entity(tmp_path: Path, json_text: str) -> None:
    doc = json.loads(json_text)
    first = doc["terrains"][1]["id"]
    text = json_text.replace(f'"id": "{first}",', f'"id": "{first}", "postes": -1,', 1)
    path = _write(tmp_path, text)
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    refused(info, "choix.json", f"terrains[1] ({first})", "clé « postes »", "deux fois")
    cli = run("solve", str(path), "--out", str(tmp_path / "r.json"))
    assert cli.exit_code == 2 and not (tmp_path / "r.json").exists()


@pytest.mark.parametrize(("bad", "words"), [
    ('"postes": NaN', "NaN"),
    ('"postes": Infinity', "Infinity"),
    ('"postes": -Infinity', "Infinity"),
    ('"postes": ' + "9" * 5000, "5\u00a0000 chiffres"),
    ('"postes": 1e999', "trop grand"),
    ('"postes": 10001', "<= 10\u00a0000"),
    ('"nom": "\\ud800"', "paire de substitution"),
    ('"nom": "a\\u0000b"', "caractère de contrôle"),
    ('"nom": ' + "[" * 100_000 + "]" * 100_000, "niveaux d'imbrication"),
    ('"nom": ' + "[" * 40 + "]" * 40, "plus de 32 niveaux"),
])
def test_strict_json_refusals(tmp_path: Path, json_text: str, bad: str, words: str) -> None:
    doc = json.loads(json_text)
    first = doc["terrains"][0]["id"]
    key = bad.split(":")[0]
    text = json_text.replace(f'"id": "{first}",', f'"id": "{first}", {bad},', 1)
    if key == '"postes"':
        text = text.replace(f'"postes": {doc["terrains"][0]["postes"]},', "", 1)
    else:
        text = text.replace(f'"nom": {json.dumps(doc["terrains"][0]["nom"], ensure_ascii=False)},',
                            "", 1)
    path = _write(tmp_path, text)
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    message = refused(info, "choix.json", words)
    assert len(message) < 400
    cli = run("validate", str(path))
    assert cli.exit_code == 2 and "Traceback" not in cli.output


def test_bad_value_is_quoted_short(tmp_path: Path, json_text: str) -> None:
    doc = json.loads(json_text)
    doc["terrains"][0]["postes"] = "x" * 10_000
    path = _write(tmp_path, json.dumps(doc))
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    text = refused(info, "postes", "10\u00a0002 caractères")
    assert len(text.removeprefix(str(path))) < 200  # the temporary folder's length aside


def test_long_unknown_key_is_quoted_short(tmp_path: Path, json_text: str) -> None:
    doc = json.loads(json_text)
    doc["terrains"][0]["p" * 5000] = 1
    path = _write(tmp_path, json.dumps(doc))
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    assert len(refused(info, "clé inconnue")) < 400


@pytest.mark.parametrize(("key", "value", "bound"), [
    ("rang", 1_000_001, "1\u00a0000\u00a0000"), ("semestres_effectues", 101, "100"),
])
def test_interne_bounds(tmp_path: Path, json_text: str, key: str, value: int,
                        bound: str) -> None:
    doc = json.loads(json_text)
    doc["internes"][0][key] = value
    path = _write(tmp_path, json.dumps(doc))
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    refused(info, "internes[0]", key, bound)


# --- 4. R-ELI-6 at the command line ----------------------------------------------------------


def test_r_eli_6_interne_who_finished_is_refused_by_the_cli(tmp_path: Path,
                                                          json_text: str) -> None:
    doc = json.loads(json_text)
    interne = doc["internes"][3]
    interne["semestres_valides"] = interne["semestres_effectues"] = 8  # mg-2017: 8 semesters
    interne["rang"] = 999  # no tie with the promotion it would join
    path = _write(tmp_path, json.dumps(doc))
    out = tmp_path / "r.json"
    cli = run("solve", str(path), "--out", str(out))
    assert cli.exit_code == 2
    assert interne["id"] in cli.output and "R-ELI-6" in cli.output
    assert not out.exists()


def test_r_eli_6_in_a_csv_folder_names_the_line_and_the_interne(csv_folder: Path) -> None:
    path = csv_folder / "internes.csv"
    _set_cell(path, 3, "semestres_valides", "8")
    _set_cell(path, 3, "semestres_effectues", "8")
    _set_cell(path, 3, "rang", "999")
    interne = path.read_text(encoding="utf-8").splitlines()[2].split(",")[0]
    cli = run("validate", str(csv_folder))
    assert cli.exit_code == 2
    assert "internes.csv : ligne 3" in cli.output and interne in cli.output
    assert "R-ELI-6" in cli.output


# --- 5. Nothing lost on output ---------------------------------------------------------------


@pytest.fixture
def input_json(tmp_path: Path, instance) -> Path:
    path = tmp_path / "d" / "choix.json"
    path.parent.mkdir()
    save_instance(instance, path)
    return path


def _spellings(path: Path) -> list[str]:
    return [str(path), f"{path.parent}/../{path.parent.name}/{path.name}",
            f"{path.parent}/./{path.name}"]


def test_out_that_is_the_input_is_refused_before_solving(input_json: Path) -> None:
    before = input_json.read_bytes()
    link = input_json.parent / "lien.json"
    os.link(input_json, link)  # same inode, another name
    sym = input_json.parent / "sym.json"
    sym.symlink_to(input_json)
    for out in [*_spellings(input_json), str(link), str(sym)]:
        cli = run("solve", str(input_json), "--out", out)
        assert cli.exit_code == 2, (out, cli.output)
        assert "input" in cli.output and "impositions" not in cli.output  # before solving
    assert input_json.read_bytes() == before


def test_out_inside_an_input_csv_folder_is_refused(csv_folder: Path) -> None:
    before = sorted(p.name for p in csv_folder.iterdir())
    for out in (csv_folder / "r.json", csv_folder / "r.csv", csv_folder / "resultat"):
        cli = run("solve", str(csv_folder), "--out", str(out))
        assert cli.exit_code == 2 and "dans le dossier d'entrée" in cli.output
    cli = run("solve", str(csv_folder), "--out", str(csv_folder.parent))
    assert cli.exit_code == 2 and "contient l'entrée" in cli.output
    assert sorted(p.name for p in csv_folder.iterdir()) == before


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")
def test_out_that_is_not_a_regular_file_is_refused(input_json: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    folder = tmp_path / "dossier.json"
    folder.mkdir()
    for out, kind in (("/dev/null", "un périphérique"), (str(fifo), "un FIFO"),
                      (str(folder), "un dossier")):
        cli = run("solve", str(input_json), "--out", out)
        assert cli.exit_code == 2 and kind in cli.output, cli.output
        assert "impositions" not in cli.output  # refused before solving


def test_missing_folder_and_unknown_extension(input_json: Path, tmp_path: Path) -> None:
    cli = run("solve", str(input_json), "--out", str(tmp_path / "nope" / "r.json"))
    assert cli.exit_code == 2 and "n'existe pas" in cli.output
    cli = run("solve", str(input_json), "--out", str(tmp_path / "r.txt"))
    assert cli.exit_code == 2 and "extension inconnue '.txt'" in cli.output
    assert not (tmp_path / "r.txt").exists()


@pytest.mark.skipif(ROOT, reason="root may write in a read-only folder")
def test_read_only_folder(input_json: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        cli = run("solve", str(input_json), "--out", str(locked / "r.json"))
        assert cli.exit_code == 2 and "pas accessible en écriture" in cli.output
    finally:
        locked.chmod(0o700)


def test_read_only_folder_even_as_root(input_json: Path, tmp_path: Path, monkeypatch) -> None:
    """The guard asks the system (os.access); as root in CI, simulate its answer."""
    real = os.access
    monkeypatch.setattr("affectation.io._files.os.access",
                        lambda path, mode: False if Path(path) == tmp_path else real(path, mode))
    cli = run("solve", str(input_json), "--out", str(tmp_path / "r.json"))
    assert cli.exit_code == 2 and "pas accessible en écriture" in cli.output
    assert not (tmp_path / "r.json").exists()


def test_permission_denied_while_writing(input_json: Path, tmp_path: Path, monkeypatch) -> None:
    def denied(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("affectation.io._files.os.replace", denied)
    out = tmp_path / "out"
    out.mkdir()
    cli = run("solve", str(input_json), "--out", str(out / "r.xlsx"))
    assert cli.exit_code == 2 and "permission refusée ; rien n'a été écrit" in cli.output
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("name", ["r.json", "r.xlsx", "r.csv", "resultat"])
def test_full_disk_gives_exit_2_and_no_partial_file(input_json: Path, tmp_path: Path,
                                                    monkeypatch, name: str) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("affectation.io._files.os.fsync", full)
    cli = run("solve", str(input_json), "--out", str(out_dir / name))
    assert cli.exit_code == 2 and "disque est plein" in cli.output
    assert list(out_dir.iterdir()) == []


def test_existing_result_keeps_its_permissions(input_json: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert run("solve", str(input_json), "--out", str(out)).exit_code == 0
    out.chmod(0o640)
    assert run("solve", str(input_json), "--out", str(out)).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_csv_folder_is_replaced_whole_or_not_at_all(instance, tmp_path: Path,
                                                    monkeypatch) -> None:
    folder = tmp_path / "choix"
    save_csv(instance, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    other = generate(12, seed=9)
    calls = []
    real = Path.write_bytes

    def fail_on_third(self, data):
        calls.append(self.name)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", fail_on_third)
    with pytest.raises(OSError):
        save_csv(other, folder)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["choix"]
    save_csv(other, folder)
    assert load_instance(folder) == other


def test_csv_folder_with_other_files_is_not_replaced(instance, tmp_path: Path) -> None:
    folder = tmp_path / "choix"
    folder.mkdir()
    (folder / "notes.docx").write_bytes(b"mine")
    with pytest.raises(OutputError) as info:
        save_csv(instance, folder)
    refused(info, "notes.docx", "nouveau ou vide")
    assert (folder / "notes.docx").read_bytes() == b"mine"


def test_check_output_accepts_a_fresh_file(tmp_path: Path, input_json: Path) -> None:
    assert check_output(tmp_path / "r.json", [input_json]) == tmp_path / "r.json"


# --- 6. Results as spreadsheets --------------------------------------------------------------


@pytest.fixture(scope="module")
def solved(instance):
    return serial_dictatorship(instance)


def _table(sheet) -> list[tuple]:
    """The rows of an arrêté sheet from its header on (the title block above it skipped)."""
    rows = list(sheet.values)
    start = next(n for n, row in enumerate(rows) if row[0] is None and n > 0) + 1
    return rows[start:]


def test_solve_writes_an_xlsx_result(input_json: Path, tmp_path: Path, instance,
                                     solved) -> None:
    from affectation.io.arrete import AFFECTATIONS, result_digest

    out = tmp_path / "resultat.xlsx"
    cli = run("solve", str(input_json), "--out", str(out))
    assert cli.exit_code == 0 and str(out) in cli.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["affectations", "par terrain", "postes", "impositions"]
    sheet = book["affectations"]
    assert sheet["A1"].value.startswith("Affectation des internes")
    assert result_digest(solved) in sheet.oddFooter.left.text
    assert sheet.page_setup.orientation == "landscape"
    rows = _table(sheet)
    assert rows[0] == AFFECTATIONS
    assert sheet.auto_filter.ref == f"A{sheet.max_row - len(rows) + 1}:P{sheet.max_row}"
    assert sheet.print_title_rows.endswith(f"${sheet.max_row - len(rows) + 1}")
    assert len(rows) == len(instance.internes) + 1
    first = dict(zip(rows[0], rows[1], strict=True))
    a = solved.affectations[0]
    interne = instance.interne(a.interne)
    assert first["Ordre"] == 1 and first["Interne"] == a.interne
    assert first["Rang"] == interne.rang and first["Semestres validés"] == (
        interne.semestres_valides)
    assert first["Terrain"] == a.terrain and first["Rang du vœu"] == a.voeu
    assert first["Libellé du terrain"] == instance.terrain(a.terrain).nom
    assert first["Imposé"] is a.impose
    postes = _table(book["postes"])
    assert len(postes) == len(instance.terrains) + 1
    header = postes[0]
    for row in postes[1:]:
        cells = dict(zip(header, row, strict=True))
        assert cells["Pris"] + cells["Vacants"] == cells["Postes ouverts"]
        assert cells["Vacants"] == solved.vacants.get(cells["Terrain"], 0)
    imposed = [r[1] for r in _table(book["impositions"])[1:]]
    assert imposed == list(solved.impositions)
    par_terrain = _table(book["par terrain"])[1:]
    assert sorted(r[3] for r in par_terrain) == sorted(
        a.interne for a in solved.affectations if a.terrain is not None)
    # dimension records: a read-only reader sizes the sheets
    quick = openpyxl.load_workbook(out, read_only=True)
    assert quick["affectations"].max_row == sheet.max_row


def test_solve_writes_a_french_excel_csv(input_json: Path, tmp_path: Path, instance) -> None:
    out = tmp_path / "resultat.csv"
    assert run("solve", str(input_json), "--out", str(out)).exit_code == 0
    data = out.read_bytes()
    assert data.startswith("\ufeffOrdre;Interne;Nom;Prénom;Rang;".encode())
    assert data.decode("utf-8-sig").count("\n") == len(instance.internes) + 1
    plain = tmp_path / "plain.csv"
    assert run("solve", str(input_json), "--out", str(plain), "--csv-dialect",
               "plain").exit_code == 0
    assert plain.read_bytes().startswith(b"Ordre,Interne,Nom,")


def test_solve_writes_a_csv_folder(input_json: Path, tmp_path: Path) -> None:
    out = tmp_path / "resultat"
    assert run("solve", str(input_json), "--out", str(out)).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["affectations.csv", "impositions.csv",
                                                     "par_terrain.csv", "postes.csv"]
    assert run("solve", str(input_json), "--out", str(out)).exit_code == 0  # replaced whole


def test_json_out_keeps_the_format_md_result(input_json: Path, tmp_path: Path, solved) -> None:
    out = tmp_path / "r.json"
    assert run("solve", str(input_json), "--out", str(out)).exit_code == 0
    assert load_result(out).same_allocation(solved)


def test_save_result_from_python(tmp_path: Path, instance, solved) -> None:
    save_result(solved, tmp_path / "r.xlsx")  # without the instance: ids and figures
    save_result(solved, tmp_path / "r2.xlsx", instance=instance)
    bare = _table(openpyxl.load_workbook(tmp_path / "r.xlsx")["affectations"])
    full = _table(openpyxl.load_workbook(tmp_path / "r2.xlsx")["affectations"])
    assert bare[1][4] is None
    assert full[1][4] == instance.interne(solved.ordre[0]).rang
    with pytest.raises(OutputError):
        save_result(solved, tmp_path / "r.txt")
    assert not (tmp_path / "r.txt").exists()


def test_every_result_form_gives_the_same_bytes_twice(tmp_path: Path, instance, solved) -> None:
    for name in ("a.json", "a.csv", "a.xlsx"):
        first, again = tmp_path / name, tmp_path / f"again-{name}"
        save_result(solved, first, instance=instance)
        save_result(solved, again, instance=instance)
        assert first.read_bytes() == again.read_bytes(), name
    save_excel(instance, tmp_path / "i1.xlsx")
    save_excel(instance, tmp_path / "i2.xlsx")
    assert (tmp_path / "i1.xlsx").read_bytes() == (tmp_path / "i2.xlsx").read_bytes()
    import zipfile  # no clock in a workbook: the same bytes in a second or a year

    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"2000-01-01T00:00:00Z" in archive.read("docProps/core.xml")


def test_to_frame_keeps_its_columns_and_adds_the_new_ones(instance, solved) -> None:
    frame = solved.to_frame()
    for column in ("interne", "position", "terrain", "stage", "voeu", "impose", "surnombre",
                   "round", "raison"):
        assert column in frame.columns
    assert list(frame["interne"]) == list(solved.ordre)
    full = solved.to_frame(instance)
    assert list(full.columns) == list(affectation.result.AFFECTATION_COLUMNS)
    assert full["rang"].tolist() == [instance.interne(i).rang for i in solved.ordre]


# --- 7. No formula injection -----------------------------------------------------------------

NASTY = ["=HYPERLINK(\"http://x\",\"clic\")", "+33 1 23", "-urgences", "@SUM(A1)", "\tcmd",
         "\rcmd", "'=déjà", "''", "'"]


@given(st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "a", "é", " "]),
               max_size=6))
@settings(max_examples=150)
def test_escape_is_reversible_and_never_a_formula(text: str) -> None:
    escaped = escape_text(text)
    assert unescape_text(escaped) == text
    assert escaped[:1] not in DANGEROUS


@given(instances(max_internes=4, max_terrains=4),
       st.lists(st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "'", "a", "é", ";",
                                                   ",", '"', "\n"]), min_size=1, max_size=5),
                min_size=4, max_size=4))
@settings(max_examples=40, deadline=None)
def test_any_text_survives_csv_and_excel_and_is_never_a_formula(tmp_path_factory, instance,
                                                                texts) -> None:
    """Terrain noms and villes made of the characters spreadsheets treat specially: written
    by save_csv and save_excel, read back unchanged (spaces around a cell aside), and no cell
    of the workbook is a formula."""
    import attrs

    texts = [t.strip() or "x" for t in texts]  # spaces around a text: refused (test_round_trip)
    terrains = [attrs.evolve(t, nom=texts[k % 4], ville=texts[(k + 1) % 4])
                for k, t in enumerate(instance.terrains)]
    nasty = attrs.evolve(instance, terrains=terrains)
    folder = tmp_path_factory.mktemp("prop")
    save_csv(nasty, folder / "csv")
    assert load_instance(folder / "csv") == nasty
    save_excel(nasty, folder / "i.xlsx")
    assert load_instance(folder / "i.xlsx") == nasty
    book = openpyxl.load_workbook(folder / "i.xlsx")
    assert all(cell.data_type != "f" for sheet in book.worksheets for row in sheet.iter_rows()
               for cell in row)


def test_instance_writers_never_write_formulas(instance, tmp_path: Path) -> None:
    import attrs

    kept = [text for text in NASTY if text == text.strip()]  # "\tcmd": refused on reading
    terrains = [attrs.evolve(t, nom=kept[k % len(kept)] + "x", ville=kept[k % len(kept)])
                for k, t in enumerate(instance.terrains)]
    nasty = attrs.evolve(instance, terrains=terrains, nom="=1+1")
    save_csv(nasty, tmp_path / "csv")
    text = (tmp_path / "csv" / "terrains.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and ",'-urgences" in text and ",=" not in text
    assert load_instance(tmp_path / "csv") == nasty
    save_excel(nasty, tmp_path / "i.xlsx")
    book = openpyxl.load_workbook(tmp_path / "i.xlsx")
    for row in book["terrains"].iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
    # XML turns a carriage return into a line feed: a workbook keeps every other text as is
    back = load_instance(tmp_path / "i.xlsx")
    for written, read in zip(nasty.terrains, back.terrains, strict=True):
        for text, again in ((written.nom, read.nom), (written.ville, read.ville)):
            assert again == (text.removeprefix("\r") if text.startswith("\r") else text)


def test_result_writers_never_write_formulas(instance, tmp_path: Path) -> None:
    import attrs

    terrains = [attrs.evolve(t, nom="=cmd|' /C calc'!A0", ville="@x") for t in instance.terrains]
    nasty = attrs.evolve(instance, terrains=terrains)
    result = serial_dictatorship(nasty)
    save_result(result, tmp_path / "r.csv", instance=nasty)
    assert ";'=cmd|" in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    save_result(result, tmp_path / "r.xlsx", instance=nasty)
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
    assert _table(book["affectations"])[1][7] == "=cmd|' /C calc'!A0"


# --- 8. Public API and the check command -----------------------------------------------------


def test_public_api() -> None:
    for name in ("load_instance", "save_instance", "save_result", "load_result",
                 "serial_dictatorship", "solve", "check"):
        assert name in affectation.__all__ and callable(getattr(affectation, name))
    assert (Path(affectation.__file__).parent / "py.typed").exists()


def test_check_command(input_json: Path, tmp_path: Path, solved) -> None:
    out = tmp_path / "r.json"
    save_result(solved, out)
    ok = run("check", str(input_json), str(out))
    assert ok.exit_code == 0 and ok.output.startswith("conforme :")
    doc = json.loads(out.read_text(encoding="utf-8"))
    placed = [a for a in doc["affectations"] if a["terrain"]]
    placed = [placed[0], next(a for a in placed if a["terrain"] != placed[0]["terrain"])]
    placed[0]["terrain"], placed[1]["terrain"] = placed[1]["terrain"], placed[0]["terrain"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    wrong = run("check", str(input_json), str(bad))
    assert wrong.exit_code == 1 and "violation" in wrong.output
    assert placed[0]["interne"] in wrong.output
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert run("check", str(input_json), str(broken)).exit_code == 2


# --- 9. Readable in Jupyter and on the terminal ----------------------------------------------


def test_short_repr_and_html_views(instance, solved) -> None:
    from affectation.compare import compare
    from affectation.scenarios import Scenario, parse_change
    from affectation.sweep import sweep

    assert len(repr(instance)) < 300 and "25 internes" in repr(instance)
    assert len(repr(solved)) < 400 and "1er vœu" in repr(solved)
    page = solved._repr_html_()
    assert "1er vœu" in page and page.count("<tr>") == 1 + 8 + 1 + 10  # headline, 10 rows
    assert "<table>" in instance._repr_html_()
    scenario = Scenario.of(parse_change("urgences:1"))
    comparison = compare(instance, scenario)
    assert len(repr(comparison)) < 200 and "urgences +1" in repr(comparison)
    swept = sweep(instance, [scenario], n_samples=3, seed=1)
    assert repr(swept).startswith("<SweepResult serial: 1 scenario(s) × 3 samples")
    assert "1er vœu" in swept._repr_html_()


def test_one_vocabulary_across_solve_whatif_and_samples(input_json: Path) -> None:
    from affectation.metrics import label

    solve_out = run("solve", str(input_json)).output
    whatif_out = run("whatif", str(input_json), "--open", "urgences:1").output
    samples_out = run("whatif", str(input_json), "--open", "urgences:1", "--samples",
                      "4").output
    for key in ("impositions", "sans_poste", "premier_voeu", "top3", "rang_median",
                "postes_vacants"):
        for output in (solve_out, whatif_out, samples_out):
            assert label(key) in output, (key, output)


def test_samples_table_one_line_per_metric_no_negative_count_bound() -> None:
    import pandas as pd

    from affectation.metrics import sweep_table

    def row(scenario, metric, mean, low, high, delta, d_low, d_high):
        return {"scenario": scenario, "metric": metric, "n": 30, "mean": mean, "std": 1.0,
                "ci_low": low, "ci_high": high, "delta": delta, "delta_std": 1.0,
                "delta_ci_low": d_low, "delta_ci_high": d_high}

    summary = pd.DataFrame([
        row("base", "impositions", 0.2, -0.1, 0.5, 0.0, 0.0, 0.0),
        row("base", "premier_voeu", 0.61234, 0.6, 0.62468, 0.0, 0.0, 0.0),
        row("plus", "impositions", 0.1, -0.2, 0.4, -0.1, -0.3, 0.1),
        row("plus", "premier_voeu", 0.65, 0.64, 0.66, 0.03766, 0.03, 0.04532),
    ])
    table = sweep_table(summary)
    assert list(table.index) == ["impositions", "1er vœu"]
    assert list(table.columns) == ["base", "plus", "Δ plus"]
    assert table.loc["impositions", "base"] == "0.2 [0.0; 0.5]"  # a count: no negative bound
    assert table.loc["impositions", "Δ plus"] == "-0.1 [-0.3; +0.1]"  # a difference may be
    assert table.loc["1er vœu", "base"] == "61.2% [60.0; 62.5%]"
    assert table.loc["1er vœu", "Δ plus"] == "+3.8 pt [+3.0; +4.5 pt]"


# --- 5 (continued). Every command's output goes through the same guard -----------------------


def test_audit_out_is_guarded(input_json: Path, tmp_path: Path) -> None:
    before = input_json.read_bytes()
    cli = run("audit", str(input_json), "--out", str(input_json))
    assert cli.exit_code == 2 and "est l'entrée" in cli.output
    assert input_json.read_bytes() == before
    cli = run("audit", str(input_json), "--out", str(tmp_path / "audit.html"))
    assert cli.exit_code in (0, 3) and (tmp_path / "audit.html").exists()


def test_live_result_is_guarded_and_a_full_spreadsheet(input_json: Path, tmp_path: Path,
                                                        instance) -> None:
    from affectation.live import ChoiceDay

    journal = tmp_path / "journal.json"  # a journal whose name looks like a result
    day = ChoiceDay.open(instance, journal)
    while not day.done:
        day.by_procuration()
    day.close()
    before = journal.read_bytes(), input_json.read_bytes()
    for target in (journal, input_json):
        cli = run("live", str(input_json), "--journal", str(journal), "--result", str(target))
        assert cli.exit_code == 2 and "est l'entrée" in cli.output, cli.output
    assert (journal.read_bytes(), input_json.read_bytes()) == before
    out = tmp_path / "r.xlsx"
    cli = run("live", str(input_json), "--journal", str(journal), "--result", str(out))
    assert cli.exit_code == 0, cli.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["affectations", "par terrain", "postes", "impositions", "journal"]
    assert _table(book["affectations"])[1][4] is not None  # the interne's rang: instance given
    from affectation.live.verify import journal_head

    head = journal_head(journal)  # the final head, for anyone to compare with the room's
    assert [c.value for c in book["journal"][2]] == [head.seq, head.tete]
