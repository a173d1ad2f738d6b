"""Round trip (issue 18, item 5): every instance the JSON loader accepts is read back equal from
the CSV folder and the workbook the library writes; what a spreadsheet would change (spaces
around a text, a text of spaces, a control character) is refused by every loader; CSV numbers
only in the documented forms."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from conftest import scaled
from hypothesis import given, settings
from hypothesis import strategies as st

from affectation.datasets import generate
from affectation.errors import InstanceError
from affectation.io import (
    instance_from_dict,
    instance_to_dict,
    load_csv,
    load_excel,
    save_csv,
    save_excel,
)

BASE = instance_to_dict(generate(5, seed=2, couples=0, n_terrains=7))

SPECIAL = ["=1+1", "'=x", "''", "'", "+3", "-", "@a", "1", "2,0", "2.0", "oui", "true",
           "null", "*", "a;b", "a,b", 'a"b', "é", "Ω", "a\nb", "a\tb", "0x10", "1e3", "٣", "３",
           "#N/A", "I0001"]
TEXT = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
            max_size=8).map(str.strip).filter(bool),
)
"""Texts a person may type: what a spreadsheet would change (spaces around, control
characters) is refused, and tested apart below."""


@st.composite
def documents(draw: st.DrawFn) -> dict:
    import copy

    doc = copy.deepcopy(BASE)
    terrain_ids = draw(st.lists(TEXT, min_size=len(doc["terrains"]),
                                max_size=len(doc["terrains"]), unique=True))
    rename = {t["id"]: new for t, new in zip(doc["terrains"], terrain_ids, strict=True)}
    for terrain in doc["terrains"]:
        terrain["id"] = rename[terrain["id"]]
        terrain["nom"], terrain["ville"] = draw(TEXT), draw(TEXT)
    interne_ids = draw(st.lists(TEXT, min_size=len(doc["internes"]),
                                max_size=len(doc["internes"]), unique=True))
    for interne, new in zip(doc["internes"], interne_ids, strict=True):
        interne["id"] = new
        interne["nom"] = draw(st.one_of(st.none(), TEXT))
        interne["prenom"] = draw(st.one_of(st.none(), TEXT))
        interne["voeux"] = [rename[t] for t in interne["voeux"]]
    doc["nom"] = draw(TEXT)
    return doc


@given(documents())
@settings(max_examples=scaled(60))
def test_what_json_accepts_csv_and_excel_read_back_equal(doc: dict) -> None:
    try:
        instance = instance_from_dict(doc)
    except InstanceError:
        return
    with tempfile.TemporaryDirectory() as tmp:
        save_csv(instance, Path(tmp) / "csv")
        assert load_csv(Path(tmp) / "csv") == instance
        save_csv(instance, Path(tmp) / "fr", dialect="excel-fr")
        assert load_csv(Path(tmp) / "fr") == instance
        save_excel(instance, Path(tmp) / "i.xlsx")
        assert load_excel(Path(tmp) / "i.xlsx") == instance


@pytest.mark.parametrize("bad", [" ", " A", "A ", "\tA", "x\x01"])
@pytest.mark.parametrize("where", ["terrain id", "interne id", "category", "terrain nom"])
def test_texts_a_spreadsheet_would_change_are_refused(bad: str, where: str) -> None:
    import copy

    doc = copy.deepcopy(BASE)
    if where == "terrain id":
        doc["terrains"][0]["id"] = bad
        key = "id"
    elif where == "interne id":
        doc["internes"][0]["id"] = bad
        key = "id"
    elif where == "category":
        doc["terrains"][0]["categories"] = [f" {doc['terrains'][0]['categories'][0]}"
                                            if bad.strip() else bad]
        key = "categories"
    else:
        doc["terrains"][0]["nom"] = bad
        key = "nom"
    with pytest.raises(InstanceError) as info:
        instance_from_dict(doc)
    assert any(p.key == key for p in info.value.problems), str(info.value)


def test_unknown_empty_key_is_named() -> None:
    import copy

    doc = copy.deepcopy(BASE)
    doc["terrains"][0][""] = 1
    with pytest.raises(InstanceError) as info:
        instance_from_dict(doc)
    assert info.value.key == "" and "clé «  »" in str(info.value)


@pytest.mark.parametrize("cell", ["+3", "3.", "٣", "３", "3.5", "1e3"])
def test_csv_numbers_only_in_the_documented_forms(tmp_path: Path, cell: str) -> None:
    save_csv(instance_from_dict(BASE), tmp_path / "csv")
    path = tmp_path / "csv" / "terrains.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    import csv
    import io

    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    rows[1][header.index("postes")] = cell
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(InstanceError) as info:
        load_csv(tmp_path / "csv")
    assert info.value.key == "postes" and repr(cell) in str(info.value)
    for good in ("2", "2.0", "2,0"):
        rows[1][header.index("postes")] = good
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
        assert load_csv(tmp_path / "csv").terrains[0].postes == 2
