"""The file contract of FORMAT.md: round trips, the FORMAT.md example, and bad inputs refused
with the file, the entity and the key (FORMAT.md, Errors)."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import openpyxl
import pytest

from affectation.errors import InstanceError
from affectation.io import (
    dumps,
    instance_from_dict,
    instance_to_dict,
    load_csv,
    load_excel,
    load_instance,
    load_result,
    result_from_dict,
    result_to_dict,
    save_csv,
    save_excel,
    save_instance,
    save_result,
)
from affectation.io.json_format import INSTANCE_KEYS, RESULT_KEYS
from affectation.maquettes import MG_2017, MG_2023
from affectation.model import Instance
from affectation.result import Affectation, Result, SolveInfo, Turn

DATA = Path(__file__).parent / "data" / "io"

# A canonical document: every key explicit, in FORMAT.md order, round categories sorted
# (the model keeps them as a set), so that dict -> Instance -> dict gives it back.
CANONICAL: dict[str, Any] = {
    "format": "affectation-instance/1",
    "nom": "Besançon, choix de novembre 2025",
    "maquette": "mg-2023",
    "obligatoires": ["urgences", "praticien_n1"],
    "interclassement": "rang",
    "rounds": [
        {"nom": "ambulatoire", "categories": ["praticien_n1", "saspas"]},
        {"nom": "hospitalier", "categories": "*"},
    ],
    "terrains": [
        {"id": "URG-CHU", "nom": "Urgences, CHU", "ville": "Besançon",
         "categories": ["urgences"], "postes": 4, "ambulatoire": False},
        {"id": "PRAT-N1", "nom": "Cabinet Dr Martin", "ville": "Pontarlier",
         "categories": ["praticien_n1"], "postes": 2, "ambulatoire": True},
        {"id": "MED-DOLE", "nom": "Médecine polyvalente", "ville": "Dole",
         "categories": ["medecine_adulte"], "postes": 1, "ambulatoire": False},
        {"id": "PED-GYN", "nom": "", "ville": "",
         "categories": ["pediatrie", "gynecologie"], "postes": 1, "ambulatoire": False},
        {"id": "SASPAS-1", "nom": "Maison de santé", "ville": "Vesoul",
         "categories": ["saspas"], "postes": 1, "ambulatoire": True},
    ],
    "internes": [
        {"id": "I001", "rang": 12, "semestres_valides": 0, "semestres_effectues": 0,
         "valides": [], "impose": False, "voeux": ["URG-CHU", "PRAT-N1"],
         "surnombre": None, "derogations": [], "dernier_de_son_semestre": False},
        {"id": "I045", "rang": 45, "semestres_valides": 0, "semestres_effectues": 0,
         "valides": [], "impose": False, "voeux": [],
         "surnombre": None, "derogations": [], "dernier_de_son_semestre": False},
        {"id": "I010", "rang": 10, "semestres_valides": 2, "semestres_effectues": 3,
         "valides": ["urgences", "praticien_n1"], "impose": True,
         "voeux": ["MED-DOLE", "PED-GYN"], "surnombre": "validant",
         "derogations": ["urgences"], "dernier_de_son_semestre": False},
        {"id": "I020", "rang": 20, "semestres_valides": 2, "semestres_effectues": 2,
         "valides": ["urgences", "praticien_n1"], "impose": False,
         "voeux": ["SASPAS-1", "MED-DOLE"], "surnombre": "non_validant",
         "derogations": [], "dernier_de_son_semestre": True},
        {"id": "I030", "rang": 30, "semestres_valides": 0, "semestres_effectues": 0,
         "valides": [], "impose": False, "voeux": ["PRAT-N1", "URG-CHU"],
         "surnombre": None, "derogations": [], "dernier_de_son_semestre": False},
    ],
    "couples": [
        {"internes": ["I001", "I045"],
         "voeux": [["URG-CHU", "MED-DOLE"], ["URG-CHU", "URG-CHU"]]},
    ],
}

# An inline maquette (R-MAQ Reading), percentile interclassement (R-ORD-6), no impositions.
INLINE: dict[str, Any] = {
    "format": "affectation-instance/1",
    "nom": "",
    "maquette": {
        "nom": "besancon-2010",
        "semestres": 6,
        "stages": [
            {"id": "urgences", "categories": ["urgences"], "semestres": [1, 6]},
            {"id": "libre", "categories": "*", "semestres": [1, 6]},
            {"id": "saspas", "categories": ["saspas"], "semestres": [5, 6]},
        ],
    },
    "obligatoires": [],
    "interclassement": "percentile",
    "rounds": [{"nom": "choix", "categories": "*"}],
    "terrains": [
        {"id": "URG", "nom": "", "ville": "", "categories": ["urgences"], "postes": 2,
         "ambulatoire": False},
        {"id": "SAS", "nom": "", "ville": "", "categories": ["saspas"], "postes": 0,
         "ambulatoire": True},
        {"id": "LIB", "nom": "", "ville": "", "categories": ["medecine_adulte", "libre"],
         "postes": 3, "ambulatoire": False},
    ],
    "internes": [
        {"id": "A", "rang": 100, "effectif_promotion": 1000, "semestres_valides": 4,
         "semestres_effectues": 4, "valides": ["urgences", "libre"], "impose": False,
         "voeux": ["SAS", "LIB"], "surnombre": None, "derogations": ["libre"],
         "dernier_de_son_semestre": False},
        {"id": "B", "rang": 50, "effectif_promotion": 200, "semestres_valides": 4,
         "semestres_effectues": 4, "valides": [], "impose": False,
         "voeux": ["LIB"], "surnombre": None, "derogations": [],
         "dernier_de_son_semestre": False},
    ],
    "couples": [],
}


def canonical() -> dict[str, Any]:
    return copy.deepcopy(CANONICAL)


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def expect(err: InstanceError, file: str | None, entity: str | None, key: str | None) -> None:
    """The error names the file, the entity and the key (FORMAT.md, Errors)."""
    text = str(err)
    if file is not None:
        assert file in text, text
        assert err.file is not None and file in err.file
    if entity is not None:
        assert entity in text, text
        assert err.entity == entity, text
    if key is not None:
        assert f"clé « {key} »" in text, text
        assert err.key == key, text


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("doc", [CANONICAL, INLINE], ids=["builtin", "inline"])
def test_dict_round_trip(doc: dict[str, Any]) -> None:
    instance = instance_from_dict(doc)
    assert instance_to_dict(instance) == doc
    assert instance_from_dict(instance_to_dict(instance)) == instance


def test_dict_keys_in_format_order() -> None:
    """Keys in FORMAT.md order; the keys added later (date_choix, agrement, voeux_connus)
    are written only when set, so older files keep their bytes."""
    out = instance_to_dict(instance_from_dict(CANONICAL))
    optional = ("date_choix", "maquettes", "consolidation")
    assert tuple(out) == tuple(k for k in INSTANCE_KEYS if k not in optional)
    assert list(out["terrains"][0]) == ["id", "nom", "ville", "categories", "postes",
                                        "ambulatoire"]
    assert "voeux_connus" not in out["internes"][0]


def test_new_keys_round_trip(tmp_path) -> None:
    """date_choix, terrains[].agrement and internes[].voeux_connus (FORMAT.md) are read,
    written in FORMAT.md order and read back, in JSON and in CSV folders."""
    doc = copy.deepcopy(CANONICAL)
    doc["date_choix"] = "2026-11"
    doc["terrains"][0]["agrement"] = doc["terrains"][0]["postes"] + 2
    doc["internes"][0]["voeux_connus"] = False
    instance = instance_from_dict(doc)
    assert instance.date_choix == "2026-11"
    assert instance.terrains[0].agrement == doc["terrains"][0]["postes"] + 2
    assert not instance.internes[0].voeux_connus and instance.internes[1].voeux_connus
    out = instance_to_dict(instance)
    assert tuple(out) == tuple(k for k in INSTANCE_KEYS if k not in ("maquettes", "consolidation"))
    assert list(out["terrains"][0])[-1] == "agrement"
    assert out["internes"][0]["voeux_connus"] is False
    assert instance_from_dict(out) == instance
    save_csv(instance, tmp_path / "csv")
    assert load_csv(tmp_path / "csv") == instance


@pytest.mark.parametrize(
    ("entity", "key", "value", "words"),
    [
        ("instance", "date_choix", "2026-13", "AAAA-MM"),
        ("instance", "date_choix", "nov. 2026", "AAAA-MM"),
        ("terrains", "agrement", 0, "postes"),
        ("terrains", "agrement", "many", "entier"),
        ("internes", "voeux_connus", "oui", "true ou false"),
    ],
)
def test_new_keys_refused(entity: str, key: str, value: Any, words: str) -> None:
    doc = copy.deepcopy(CANONICAL)
    target = doc if entity == "instance" else doc[entity][0]
    target[key] = value
    if key == "agrement":
        target["postes"] = max(target["postes"], 1)
    with pytest.raises(InstanceError) as caught:
        instance_from_dict(doc)
    assert caught.value.key == key
    assert words in caught.value.message


def test_r_eli_6_an_interne_who_validated_every_semester_is_refused() -> None:
    """R-ELI-6: semestres_valides >= the maquette's length is refused, naming the interne
    (the 2019 Île-de-France re-run)."""
    doc = copy.deepcopy(CANONICAL)
    interne = doc["internes"][0]
    interne["semestres_valides"] = interne["semestres_effectues"] = 8  # mg-2017: 8 semesters
    interne["valides"] = []
    with pytest.raises(InstanceError) as caught:
        instance_from_dict(doc)
    assert caught.value.key == "semestres_valides"
    assert interne["id"] in caught.value.entity
    assert "R-ELI-6" in caught.value.message


def test_defaults_of_format_md() -> None:
    doc = {
        "format": "affectation-instance/1",
        "maquette": "mg-2010",
        "terrains": [{"id": "N1", "categories": ["praticien_n1"], "postes": 1},
                     {"id": "U", "categories": ["urgences"], "postes": 1}],
        "internes": [{"id": "X", "rang": 1, "semestres_valides": 1, "voeux": ["N1"]}],
    }
    instance = instance_from_dict(doc)
    assert instance.maquette_name == "mg-2010"
    assert instance.obligatoires == ("urgences", "praticien_n1")
    assert instance.interclassement == "rang"
    assert [r.nom for r in instance.rounds] == ["choix"]
    assert instance.terrain("N1").ambulatoire and not instance.terrain("U").ambulatoire
    interne = instance.interne("X")
    assert interne.semestres_effectues == 1
    assert (interne.valides, interne.derogations, interne.surnombre) == ((), (), None)
    assert instance.couples == ()


@pytest.mark.parametrize("doc", [CANONICAL, INLINE], ids=["builtin", "inline"])
def test_json_file_round_trip(tmp_path: Path, doc: dict[str, Any]) -> None:
    source = write_json(tmp_path / "in.json", doc)
    first = load_instance(source)
    save_instance(first, tmp_path / "out.json")
    assert load_instance(tmp_path / "out.json") == first
    written = (tmp_path / "out.json").read_bytes()
    assert written == dumps(doc)
    assert written.endswith(b"}\n")
    assert ("Besançon".encode() in written) == (doc is CANONICAL)  # ensure_ascii=False
    save_instance(first, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == written  # deterministic bytes


@pytest.mark.parametrize("doc", [CANONICAL, INLINE], ids=["builtin", "inline"])
def test_csv_round_trip(tmp_path: Path, doc: dict[str, Any]) -> None:
    instance = instance_from_dict(doc)
    save_csv(instance, tmp_path / "csv")
    loaded = load_csv(tmp_path / "csv")
    assert loaded == instance
    assert instance_to_dict(loaded) == doc
    assert load_instance(tmp_path / "csv") == instance  # a folder dispatches to CSV


@pytest.mark.parametrize("doc", [CANONICAL, INLINE], ids=["builtin", "inline"])
def test_excel_round_trip(tmp_path: Path, doc: dict[str, Any]) -> None:
    instance = instance_from_dict(doc)
    save_instance(instance, tmp_path / "instance.xlsx")
    loaded = load_excel(tmp_path / "instance.xlsx")
    assert instance_to_dict(loaded) == doc
    assert load_instance(tmp_path / "instance.xlsx") == instance
    assert [s for s in os.listdir(tmp_path)] == ["instance.xlsx"]  # no temp file left


def test_csv_encoding(tmp_path: Path) -> None:
    save_csv(instance_from_dict(CANONICAL), tmp_path)
    assert sorted(os.listdir(tmp_path)) == [
        "couples.csv", "internes.csv", "parametres.csv", "terrains.csv", "voeux.csv",
    ]
    parametres = (tmp_path / "parametres.csv").read_text(encoding="utf-8")
    assert "rounds,ambulatoire:praticien_n1;saspas|hospitalier:*\n" in parametres
    assert "obligatoires,urgences;praticien_n1\n" in parametres
    voeux = (tmp_path / "voeux.csv").read_text(encoding="utf-8").splitlines()
    assert voeux[:3] == ["interne,rang_voeu,terrain", "I001,1,URG-CHU", "I001,2,PRAT-N1"]
    couples = (tmp_path / "couples.csv").read_text(encoding="utf-8").splitlines()
    assert couples[1] == "I001,I045,1,URG-CHU,MED-DOLE"


def test_csv_cells_are_lenient_where_documented(tmp_path: Path) -> None:
    """Empty cells take the defaults, booleans read oui/non/1/0, rows in any order."""
    (tmp_path / "parametres.csv").write_text("parametre,valeur\nmaquette,mg-2017\n")
    (tmp_path / "terrains.csv").write_text(
        "\ufeffid,categories,postes,ambulatoire\nU,urgences,2,\nN,praticien_n1,1,NON\n",
        encoding="utf-8",
    )
    (tmp_path / "internes.csv").write_text(
        "id,rang,semestres_valides,impose,valides\nA,1,0,oui,\nB,2,1,0,urgences; \n"
    )
    (tmp_path / "voeux.csv").write_text("interne,rang_voeu,terrain\nA,2,N\nA,1,U\n\nB,1,U\n")
    instance = load_instance(tmp_path)
    assert instance.interne("A").voeux == ("U", "N")
    assert instance.interne("A").impose is True
    assert instance.interne("B").valides == ("urgences",)
    assert instance.terrain("N").ambulatoire is False
    assert instance.terrain("U").ambulatoire is False
    assert instance.obligatoires == ("urgences", "praticien_n1")


def test_save_instance_dispatch(tmp_path: Path) -> None:
    instance = instance_from_dict(CANONICAL)
    (tmp_path / "folder").mkdir()
    save_instance(instance, tmp_path / "folder")
    assert (tmp_path / "folder" / "terrains.csv").exists()
    save_instance(instance, tmp_path / "x.json")
    assert json.loads((tmp_path / "x.json").read_text(encoding="utf-8")) == CANONICAL


def test_csv_save_removes_stale_inline_maquette(tmp_path: Path) -> None:
    save_csv(instance_from_dict(INLINE), tmp_path)
    assert (tmp_path / "maquette.csv").exists()
    save_csv(instance_from_dict(CANONICAL), tmp_path)
    assert load_csv(tmp_path).maquette == MG_2023


# --- the FORMAT.md example ------------------------------------------------------------------


def test_format_md_example_loads() -> None:
    instance = load_instance(DATA / "format_example.json")
    assert instance.nom == "Besançon, choix de novembre 2025"
    assert instance.maquette == MG_2017 and instance.maquette_name == "mg-2017"
    assert [r.nom for r in instance.rounds] == ["ambulatoire", "hospitalier"]
    assert instance.rounds[1].categories is None
    assert instance.terrain("URG-CHU").postes == 4
    assert instance.couples[0].voeux == (("URG-CHU", "MED-DOLE"),)
    assert instance.terrain("MED-DOLE").ambulatoire is False


def test_format_md_example_as_printed_names_the_missing_interne() -> None:
    """The example of FORMAT.md is a fragment: its couple names I045, who is not listed."""
    with pytest.raises(InstanceError) as info:
        load_instance(DATA / "format_example_literal.json")
    expect(info.value, "format_example_literal.json", "couples[0]", "internes")
    assert "I045" in str(info.value)


# --- bad documents --------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """Set ``a.0.b`` in the document."""

    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return mutate


def _append(path: str, value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        target: Any = doc
        for part in path.split("."):
            target = target[int(part)] if part.isdigit() else target[part]
        target.append(copy.deepcopy(value))

    return mutate


def _inline(mutate: Mutation) -> Mutation:
    def both(doc: dict[str, Any]) -> None:
        doc["maquette"] = copy.deepcopy(INLINE["maquette"])
        mutate(doc)

    return both


I030 = CANONICAL["internes"][4]

BAD_DOCUMENTS: list[tuple[str, Mutation, str, str, str]] = [
    # (id, mutation, entity, key, words of the message)
    ("terrain inconnu in voeux", _append("internes.0.voeux", "NOPE"),
     "internes[0] (I001)", "voeux", "terrain inconnu 'NOPE'"),
    ("terrain inconnu in couple pair", _append("couples.0.voeux", ["URG-CHU", "NOPE"]),
     "couples[0]", "voeux", "terrain inconnu 'NOPE'"),
    ("duplicate terrain id", _set("terrains.2.id", "URG-CHU"),
     "terrains[2] (URG-CHU)", "id", "en double"),
    ("duplicate interne id", _set("internes.4.id", "I010"),
     "internes[4] (I010)", "id", "en double"),
    ("tie in the order", _set("internes.4.rang", 12),
     "internes[4] (I030)", "rang", "à égalité"),
    ("negative postes", _set("terrains.0.postes", -1),
     "terrains[0] (URG-CHU)", "postes", "attendu un entier >= 0, reçu -1"),
    ("postes as a string", _set("terrains.0.postes", "trois"),
     "terrains[0] (URG-CHU)", "postes", "attendu un entier >= 0, reçu 'trois'"),
    ("postes as a boolean", _set("terrains.1.postes", True),
     "terrains[1] (PRAT-N1)", "postes", "reçu true"),
    ("postes as a float", _set("terrains.1.postes", 2.5),
     "terrains[1] (PRAT-N1)", "postes", "reçu 2.5"),
    ("postes null", _set("terrains.1.postes", None),
     "terrains[1] (PRAT-N1)", "postes", "reçu null"),
    ("stage inconnu in valides", _set("internes.2.valides", ["urgences", "stomatologie"]),
     "internes[2] (I010)", "valides", "stage inconnu 'stomatologie'"),
    ("stage inconnu in derogations", _set("internes.2.derogations", ["saspass"]),
     "internes[2] (I010)", "derogations", "stage inconnu 'saspass'"),
    ("catégorie inconnue in terrain", _set("terrains.3.categories", ["pediatry"]),
     "terrains[3] (PED-GYN)", "categories", "catégorie inconnue 'pediatry'"),
    ("empty categories", _set("terrains.3.categories", []),
     "terrains[3] (PED-GYN)", "categories", "liste non vide"),
    ("catégorie inconnue in obligatoires", _set("obligatoires", ["urgence"]),
     "instance", "obligatoires", "catégorie inconnue 'urgence'"),
    ("catégorie inconnue in a round", _set("rounds.0.categories", ["ambulatoire"]),
     "rounds[0] (ambulatoire)", "categories", "catégorie inconnue 'ambulatoire'"),
    ("couple with a missing interne", _set("couples.0.internes", ["I001", "I999"]),
     "couples[0]", "internes", "interne inconnu 'I999'"),
    ("interne in two couples", _append("couples", {"internes": ["I030", "I001"]}),
     "couples[1]", "internes", "est dans deux couples"),
    ("couple of three", _set("couples.0.internes", ["I001", "I045", "I030"]),
     "couples[0]", "internes", "attendu deux identifiants d'internes"),
    ("couple pair of three terrains", _set("couples.0.voeux.1", ["URG-CHU"] * 3),
     "couples[0]", "voeux", "en position 2"),
    ("wrong format string", _set("format", "affectation-instance/2"),
     "instance", "format", "attendu 'affectation-instance/1'"),
    ("missing format", _delete("format"), "instance", "format", "clé obligatoire absente"),
    ("missing terrains", _delete("terrains"), "instance", "terrains", "clé obligatoire absente"),
    ("terrains not a list", _set("terrains", {"URG-CHU": 4}),
     "instance", "terrains", "attendu une liste, reçu un objet"),
    ("missing interne rang", _delete("internes.3.rang"),
     "internes[3] (I020)", "rang", "clé obligatoire absente"),
    ("missing interne voeux", _delete("internes.3.voeux"),
     "internes[3] (I020)", "voeux", "clé obligatoire absente"),
    ("voeux as a string", _set("internes.3.voeux", "SASPAS-1"),
     "internes[3] (I020)", "voeux", "attendu une liste, reçu un texte"),
    ("rang 0", _set("internes.0.rang", 0),
     "internes[0] (I001)", "rang", "attendu un entier >= 1, reçu 0"),
    ("semestres_effectues below semestres_valides", _set("internes.2.semestres_effectues", 1),
     "internes[2] (I010)", "semestres_effectues", "au moins semestres_valides (2)"),
    ("more valides than semesters", _set("internes.3.valides", ["urgences", "saspas", "libre"]),
     "internes[3] (I020)", "valides", "3 stages validés"),
    ("impose null", _set("internes.0.impose", None),
     "internes[0] (I001)", "impose", "attendu true ou false, reçu null"),
    ("unknown maquette name", _set("maquette", "mg-2027"),
     "instance", "maquette", "maquette inconnue 'mg-2027'"),
    ("inline maquette window out of range", _inline(_set("maquette.stages.2.semestres", [5, 7])),
     "maquette.stages[2] (saspas)", "semestres", "<= 6"),
    ("inline maquette window reversed", _inline(_set("maquette.stages.0.semestres", [3, 1])),
     "maquette.stages[0] (urgences)", "semestres", "reçu [3, 1]"),
    ("surnombre bad value", _set("internes.2.surnombre", "oui"),
     "internes[2] (I010)", "surnombre", "reçu 'oui'"),
    ("non validant in the 1st semester", _set("internes.4.surnombre", "non_validant"),
     "internes[4] (I030)", "surnombre", "R-SUR-3"),
    ("surnombre in a couple", _set("internes.1.surnombre", "validant"),
     "couples[0]", "internes", "surnombre"),
    ("percentile without effectif_promotion", _set("interclassement", "percentile"),
     "internes[0] (I001)", "effectif_promotion", "demande effectif_promotion"),
    ("effectif_promotion below rang", _set("internes.1.effectif_promotion", 40),
     "internes[1] (I045)", "effectif_promotion", "attendu un entier >= rang (45)"),
    ("bad interclassement", _set("interclassement", "age"),
     "instance", "interclassement", "reçu 'age'"),
    ("repeated terrain in voeux", _set("internes.4.voeux", ["PRAT-N1", "URG-CHU", "PRAT-N1"]),
     "internes[4] (I030)", "voeux", "'PRAT-N1' apparaît deux fois"),
    ("clé inconnue in a terrain", _set("terrains.0.poste", 3),
     "terrains[0] (URG-CHU)", "poste", "vouliez-vous dire 'postes'"),
    ("clé inconnue at the top", _set("commentaire", "hello"),
     "instance", "commentaire", "clé inconnue"),
    ("terrain not an object", _set("terrains.1", "PRAT-N1"),
     "terrains[1]", None, "attendu un objet, reçu un texte"),  # type: ignore[list-item]
    ("empty rounds", _set("rounds", []), "instance", "rounds", "au moins un tour"),
    ("two rounds of the same name", _set("rounds.1.nom", "ambulatoire"),
     "instance", "rounds", "même nom"),
]


@pytest.mark.parametrize(
    ("mutate", "entity", "key", "words"),
    [case[1:] for case in BAD_DOCUMENTS],
    ids=[case[0] for case in BAD_DOCUMENTS],
)
def test_bad_document_is_refused(
    tmp_path: Path, mutate: Mutation, entity: str, key: str | None, words: str
) -> None:
    doc = canonical()
    mutate(doc)
    path = write_json(tmp_path / "choix-nov-2025.json", doc)
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    expect(info.value, "choix-nov-2025.json", entity, key)
    assert words in str(info.value)
    # The dict entry point says the same, without a file.
    with pytest.raises(InstanceError) as direct:
        instance_from_dict(doc)
    assert direct.value.file is None
    assert [p.line() for p in info.value.problems] == [
        f"{path} : {p.line()}" for p in direct.value.problems]


def test_no_bad_document_is_accepted_by_accident() -> None:
    assert len(BAD_DOCUMENTS) >= 25
    assert len({case[0] for case in BAD_DOCUMENTS}) == len(BAD_DOCUMENTS)


# --- bad files ------------------------------------------------------------------------------


def _csv_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "choix"
    save_csv(instance_from_dict(CANONICAL), folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def bad_empty(tmp_path: Path) -> Path:
    (tmp_path / "empty.json").write_bytes(b"")
    return tmp_path / "empty.json"


def bad_blank(tmp_path: Path) -> Path:
    (tmp_path / "blank.json").write_text("  \n\n")
    return tmp_path / "blank.json"


def bad_not_json(tmp_path: Path) -> Path:
    (tmp_path / "broken.json").write_text('{\n  "format": "affectation-instance/1",\n  nom\n}')
    return tmp_path / "broken.json"


def bad_array(tmp_path: Path) -> Path:
    return write_json(tmp_path / "array.json", [CANONICAL])


def bad_not_utf8(tmp_path: Path) -> Path:
    (tmp_path / "latin1.json").write_bytes('{"nom": "Besançon"}'.encode("latin-1"))
    return tmp_path / "latin1.json"


def bad_missing_file(tmp_path: Path) -> Path:
    return tmp_path / "nowhere.json"


def bad_csv_without_terrains(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    (folder / "terrains.csv").unlink()
    return folder


def bad_csv_empty_terrains(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    (folder / "terrains.csv").write_text("")
    return folder


def bad_csv_unknown_file(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    (folder / "couples.csv").rename(folder / "couple.csv")
    return folder


def bad_csv_rank_gap(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    _edit(folder / "voeux.csv", "I001,2,PRAT-N1", "I001,3,PRAT-N1")
    return folder


def bad_csv_rank_twice(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    _edit(folder / "voeux.csv", "I001,2,PRAT-N1", "I001,1,PRAT-N1")
    return folder


def bad_csv_rank_text(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    _edit(folder / "voeux.csv", "I001,2,PRAT-N1", "I001,deux,PRAT-N1")
    return folder


def bad_csv_voeu_unknown_terrain(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    _edit(folder / "voeux.csv", "I001,2,PRAT-N1", "I001,2,PRAT-N2")
    return folder


def bad_csv_voeu_unknown_interne(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    _edit(folder / "voeux.csv", "I001,2,PRAT-N1", "I002,1,PRAT-N1")
    return folder


def bad_csv_postes(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    _edit(folder / "terrains.csv", "praticien_n1,2,true", "praticien_n1,trois,true")
    return folder


def bad_csv_bool(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    _edit(folder / "terrains.csv", "praticien_n1,2,true", "praticien_n1,2,peut-être")
    return folder


def bad_csv_unknown_column(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    _edit(folder / "internes.csv", "id,rang,", "id,classement,")
    return folder


def bad_csv_mixed_separators(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    (folder / "voeux.csv").write_text("interne;rang_voeu;terrain\nI001;1;URG-CHU\n"
                                      "I001,2,PRAT-N1\n")
    return folder


def bad_csv_missing_column(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    (folder / "terrains.csv").write_text("id,categories\nURG-CHU,urgences\n")
    return folder


def bad_csv_duplicate_interne(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    with open(folder / "internes.csv", "a", encoding="utf-8") as handle:
        handle.write("I010,99,,0,0,,false,,,false\n")
    return folder


def bad_csv_couple_unknown(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    (folder / "couples.csv").write_text(
        "interne_a,interne_b,rang_voeu,terrain_a,terrain_b\nI001,I046,,,\n"
    )
    return folder


def bad_csv_unknown_parametre(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    _edit(folder / "parametres.csv", "interclassement,rang", "interclassment,rang")
    return folder


def bad_csv_rounds(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    _edit(folder / "parametres.csv", "|hospitalier:*", "|hospitalier")
    return folder


def bad_csv_round_category(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    _edit(folder / "parametres.csv", "|hospitalier:*", "|hospitalier:hopital")
    return folder


def bad_csv_no_parametres(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    (folder / "parametres.csv").unlink()
    return folder


def bad_excel_missing_sheet(tmp_path: Path) -> Path:
    path = tmp_path / "choix.xlsx"
    save_excel(instance_from_dict(CANONICAL), path)
    book = openpyxl.load_workbook(path)
    del book["voeux"]
    book.save(path)
    return path


def bad_single_csv_file(tmp_path: Path) -> Path:
    folder = _csv_folder(tmp_path)
    return folder / "terrains.csv"


def bad_excel_postes(tmp_path: Path) -> Path:
    path = tmp_path / "choix.xlsx"
    save_excel(instance_from_dict(CANONICAL), path)
    book = openpyxl.load_workbook(path)
    book["terrains"]["E3"] = -2  # PRAT-N1's postes
    book.save(path)
    return path


def bad_excel_not_a_workbook(tmp_path: Path) -> Path:
    (tmp_path / "choix.xlsx").write_text("id,postes\n")
    return tmp_path / "choix.xlsx"


BAD_FILES: list[tuple[Callable[[Path], Path], str, str | None, str | None, str]] = [
    # (make, file named, entity, key, words)
    (bad_empty, "empty.json", None, None, "vide"),
    (bad_blank, "blank.json", None, None, "vide"),
    (bad_not_json, "broken.json", None, None, "JSON invalide"),
    (bad_array, "array.json", None, None, "au premier niveau, reçu une liste"),
    (bad_not_utf8, "latin1.json", None, None, "pas du texte UTF-8"),
    (bad_missing_file, "nowhere.json", None, None, "fichier introuvable"),
    (bad_csv_without_terrains, "terrains.csv", None, None, "fichier absent"),
    (bad_csv_empty_terrains, "terrains.csv", None, None, "vide"),
    (bad_csv_unknown_file, "couple.csv", None, None, "table inconnue"),
    (bad_csv_rank_gap, "voeux.csv", "ligne 3 (I001)", "rang_voeu", "attendu le rang 2, reçu 3"),
    (bad_csv_rank_twice, "voeux.csv", "ligne 3 (I001)", "rang_voeu", "apparaît deux fois"),
    (bad_csv_rank_text, "voeux.csv", "ligne 3 (I001)", "rang_voeu", "reçu 'deux'"),
    (bad_csv_voeu_unknown_terrain, "voeux.csv", "ligne 3 (I001)", "terrain",
     "terrain inconnu 'PRAT-N2'"),
    (bad_csv_voeu_unknown_interne, "voeux.csv", "ligne 3 (I002)", "interne",
     "interne inconnu 'I002'"),
    (bad_csv_postes, "terrains.csv", "ligne 3 (PRAT-N1)", "postes",
     "attendu un entier >= 0, reçu 'trois'"),
    (bad_csv_bool, "terrains.csv", "ligne 3 (PRAT-N1)", "ambulatoire", "reçu 'peut-être'"),
    (bad_csv_unknown_column, "internes.csv", "ligne 1", "classement", "colonne inconnue"),
    (bad_csv_mixed_separators, "voeux.csv", None, None, "la ligne 3 est séparée par ','"),
    (bad_csv_missing_column, "terrains.csv", "ligne 1", "postes", "colonne obligatoire absente"),
    (bad_csv_duplicate_interne, "internes.csv", "ligne 7 (I010)", "id", "en double"),
    (bad_csv_couple_unknown, "couples.csv", "ligne 2 (I001, I046)", "interne_a/interne_b",
     "interne inconnu 'I046'"),
    (bad_csv_unknown_parametre, "parametres.csv", "ligne 6", "interclassment",
     "paramètre inconnu"),
    (bad_csv_rounds, "parametres.csv", "ligne 7", "rounds", "attendu nom:cat1;cat2"),
    (bad_csv_round_category, "parametres.csv", "ligne 7 (hospitalier)", "rounds",
     "catégorie inconnue 'hopital'"),
    (bad_csv_no_parametres, "parametres.csv", None, "maquette", "clé obligatoire absente"),
    (bad_excel_missing_sheet, "choix.xlsx", "feuille voeux", None, "feuille absente"),
    (bad_excel_postes, "choix.xlsx", "feuille terrains, ligne 3 (PRAT-N1)", "postes",
     "attendu un entier >= 0, reçu -2"),
    (bad_excel_not_a_workbook, "choix.xlsx", None, None, "pas un classeur Excel lisible"),
    (bad_single_csv_file, "terrains.csv", None, None, "un dossier de fichiers CSV"),
]


@pytest.mark.parametrize(
    ("make", "file", "entity", "key", "words"),
    BAD_FILES,
    ids=[case[0].__name__.removeprefix("bad_") for case in BAD_FILES],
)
def test_bad_file_is_refused(
    tmp_path: Path, make: Callable[[Path], Path], file: str, entity: str | None,
    key: str | None, words: str,
) -> None:
    path = make(tmp_path)
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    expect(info.value, file, entity, key)
    assert words in str(info.value)


def test_invalid_json_says_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(InstanceError, match=r"ligne 3, colonne 3"):
        load_instance(bad_not_json(tmp_path))


def test_csv_error_has_the_json_message(tmp_path: Path) -> None:
    """CSV goes through instance_from_dict: the message is the JSON one, placed in the file."""
    folder = _csv_folder(tmp_path)
    _edit(folder / "internes.csv", "I030,30,", "I030,12,")
    with pytest.raises(InstanceError) as from_csv:
        load_instance(folder)
    doc = canonical()
    doc["internes"][4]["rang"] = 12
    with pytest.raises(InstanceError) as from_dict:
        instance_from_dict(doc)
    assert from_csv.value.message == from_dict.value.message
    expect(from_csv.value, "internes.csv", "ligne 6 (I030)", "rang")


def test_csv_folder_missing(tmp_path: Path) -> None:
    with pytest.raises(InstanceError) as info:
        load_csv(tmp_path / "absent")
    expect(info.value, "absent", None, None)


# --- results --------------------------------------------------------------------------------


def make_result(info: SolveInfo | None = None) -> Result:
    return Result(
        methode="serial" if info is None else "cpsat",
        ordre=("I010", "I001", "I045", "I030"),
        affectations=(
            Affectation("I010", "MED-DOLE", "medecine_adulte", 1, False, "validant",
                        "hospitalier", None),
            Affectation("I001", "URG-CHU", "urgences", 1, round="hospitalier"),
            Affectation("I045", None, raison="no wish left: the pair was not available (R-ORD-2)"),
            Affectation("I030", "PRAT-N1", "praticien_n1", None, True, None, "ambulatoire", None),
        ),
        vacants_items=(("SASPAS-1", 1), ("PED-GYN", 1)),
        impositions=("I030",),
        trace=(Turn("I010", "hospitalier", "MED-DOLE", 1, 0),),
        info=info,
    )


SOLVE_INFO = SolveInfo("OPTIMAL", 0.125, 120, 340, True, ("R-IMP",))


@pytest.mark.parametrize("info", [None, SOLVE_INFO], ids=["serial", "cpsat"])
def test_result_round_trip(tmp_path: Path, info: SolveInfo | None) -> None:
    result = make_result(info)
    doc = result_to_dict(result)
    assert tuple(doc) == (RESULT_KEYS if info else RESULT_KEYS[:-1])
    assert list(doc["vacants"]) == ["SASPAS-1", "PED-GYN"]  # the Result's order
    back = result_from_dict(doc)
    assert back == result and back.same_allocation(result)
    # the wall time is not written (same instance and seed, same bytes)
    written = None if info is None else attrs.evolve(info, wall_time=0.0)
    assert back.info == written and back.trace == ()
    save_result(result, tmp_path / "result.json")
    loaded = load_result(tmp_path / "result.json")
    assert loaded == result and loaded.info == written
    data = (tmp_path / "result.json").read_bytes()
    assert data == dumps(doc) and data.endswith(b"\n")
    assert b"trace" not in data
    assert (b'"solveur"' in data) == (info is not None)


def test_result_document_matches_format_md() -> None:
    doc = result_to_dict(make_result())
    assert doc["format"] == "affectation-result/1"
    assert doc["affectations"][1] == {
        "interne": "I001", "terrain": "URG-CHU", "stage": "urgences", "voeu": 1,
        "impose": False, "surnombre": None, "round": "hospitalier", "raison": None,
    }
    assert doc["vacants"] == {"SASPAS-1": 1, "PED-GYN": 1}
    assert doc["impositions"] == ["I030"]


BAD_RESULTS: list[tuple[str, Mutation, str, str]] = [
    ("wrong format", _set("format", "affectation-instance/1"), "result", "format"),
    ("affectations out of ordre", _set("ordre", ["I001", "I010", "I045", "I030"]),
     "result", "affectations"),
    ("negative vacants", _set("vacants", {"SASPAS-1": -1}), "result", "vacants"),
    ("voeu 0", _set("affectations.0.voeu", 0), "affectations[0] (I010)", "voeu"),
    ("missing raison", _delete("affectations.2.raison"), "affectations[2] (I045)", "raison"),
    ("clé inconnue", _set("affectations.1.rank", 1), "affectations[1] (I001)", "rank"),
    ("imposition not in ordre", _set("impositions", ["I999"]), "result", "impositions"),
    ("solveur without status", _set("solveur", {"wall_time": 1.0}), "result.solveur", "status"),
]


@pytest.mark.parametrize(
    ("mutate", "entity", "key"), [c[1:] for c in BAD_RESULTS], ids=[c[0] for c in BAD_RESULTS]
)
def test_bad_result_is_refused(tmp_path: Path, mutate: Mutation, entity: str, key: str) -> None:
    doc = result_to_dict(make_result())
    mutate(doc)
    path = write_json(tmp_path / "result.json", doc)
    with pytest.raises(InstanceError) as info:
        load_result(path)
    expect(info.value, "result.json", entity, key)


# --- writing whole or not at all; reading never writes ---------------------------------------


def _listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_failed_save_result_leaves_nothing(tmp_path: Path) -> None:
    bad = attrs.evolve(make_result(), affectations=(Affectation("I010", object()),))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        save_result(bad, tmp_path / "result.json")
    assert _listing(tmp_path) == []


def test_failed_save_result_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    save_result(make_result(), target)
    before = target.read_bytes()
    good = make_result()
    nan = attrs.evolve(good.affectations[0], raison=float("nan"))  # not JSON
    bad = attrs.evolve(good, affectations=(nan, *good.affectations[1:]))
    with pytest.raises(ValueError):
        save_result(bad, target)
    assert target.read_bytes() == before
    assert _listing(tmp_path) == ["result.json"]


def test_save_result_into_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        save_result(make_result(), tmp_path / "missing" / "result.json")
    assert _listing(tmp_path) == []


def test_interrupted_replace_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(src: Any, dst: Any) -> None:
        assert Path(src).exists()  # the data was written to a temp file first
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_result(make_result(), tmp_path / "result.json")
    with pytest.raises(OSError, match="disk full"):
        save_excel(instance_from_dict(CANONICAL), tmp_path / "instance.xlsx")
    with pytest.raises(OSError, match="disk full"):
        save_instance(instance_from_dict(CANONICAL), tmp_path / "instance.json")
    assert _listing(tmp_path) == []


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    paths = [root] if root.is_file() else sorted(root.rglob("*"))
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in paths if p.is_file()}


@pytest.mark.parametrize("kind", ["json", "csv", "xlsx", "bad-json", "bad-csv"])
def test_loading_never_modifies_the_input(tmp_path: Path, kind: str) -> None:
    instance = instance_from_dict(CANONICAL)
    if kind in ("json", "bad-json"):
        path = tmp_path / "in.json"
        doc = canonical()
        if kind == "bad-json":
            doc["terrains"][0]["postes"] = -1
        write_json(path, doc)
    elif kind in ("csv", "bad-csv"):
        path = tmp_path / "in"
        save_csv(instance, path)
        if kind == "bad-csv":
            _edit(path / "voeux.csv", "I001,2,", "I001,5,")
    else:
        path = tmp_path / "in.xlsx"
        save_excel(instance, path)
    before, listing = _snapshot(tmp_path), _listing(tmp_path)
    try:
        assert load_instance(path) == instance
    except InstanceError:
        assert kind.startswith("bad")
    assert _snapshot(tmp_path) == before
    assert _listing(tmp_path) == listing


def test_instance_value_is_unchanged_by_writing(tmp_path: Path) -> None:
    instance = instance_from_dict(CANONICAL)
    copy_before = attrs.evolve(instance)
    save_instance(instance, tmp_path / "i.json")
    save_csv(instance, tmp_path / "csv")
    assert instance == copy_before
    assert isinstance(instance, Instance)


# --- several maquettes (R-MAQ-5), consolidation (R-MAQ-4), a round's ranking (R-ROUND-2) ----


def mixed() -> dict[str, Any]:
    """CANONICAL on mg-2023 with an interne on mg-2017, one on an inline maquette, a ranking
    of its own for the ambulatory round and consolidation spelled out."""
    doc = canonical()
    doc["maquettes"] = [{"nom": "reims-2017", "semestres": 6, "stages": [
        {"id": "urgences", "categories": ["urgences"], "semestres": [1, 2]},
        {"id": "libre", "categories": "*", "semestres": [1, 6]}]}]
    doc["consolidation"] = "choix"
    doc["internes"][1]["maquette"] = "mg-2017"
    doc["internes"][4]["maquette"] = "reims-2017"
    doc["rounds"][0]["classement"] = {"I030": 1, "I001": 2, "I045": 3}
    return doc


def test_several_maquettes_round_trip(tmp_path) -> None:
    """maquettes, internes[].maquette, consolidation and rounds[].classement are read,
    written and read back in JSON, a CSV folder and a workbook (FORMAT.md)."""
    instance = instance_from_dict(mixed())
    assert instance.maquette_of(instance.interne("I045")) == MG_2017
    assert instance.maquette_of(instance.interne("I030")).nom == "reims-2017"
    assert instance.maquette_of(instance.interne("I001")) == MG_2023
    assert instance.rounds[0].rank_of == {"I030": 1, "I001": 2, "I045": 3}
    out = instance_to_dict(instance)
    assert out["consolidation"] == "choix" and out["internes"][1]["maquette"] == "mg-2017"
    assert instance_from_dict(out) == instance
    save_csv(instance, tmp_path / "csv")
    assert load_csv(tmp_path / "csv") == instance
    save_excel(instance, tmp_path / "i.xlsx")
    assert load_excel(tmp_path / "i.xlsx") == instance


@pytest.mark.parametrize(
    ("change", "entity", "key", "words"),
    [
        (_set("internes.1.maquette", "mg-2030"), "internes[1] (I045)", "maquette",
         "maquette inconnue 'mg-2030'"),
        (_set("rounds.0.classement", {"I999": 1}), "rounds[0] (ambulatoire)", "classement",
         "interne inconnu 'I999'"),
        (_set("rounds.0.classement", {"I001": 1, "I030": 1}), "rounds[0] (ambulatoire)",
         "classement", "le rang 1 est donné deux fois"),
        (_set("rounds.0.classement", {"I001": 0}), "rounds[0] (ambulatoire)",
         "classement", "entier >= 1"),
        (_set("consolidation", "rang"), "instance", "consolidation", "'appariement', 'choix'"),
        (_set("maquettes.0.nom", "mg-2017"), "maquettes[0] (mg-2017)", "nom", "déjà celui"),
    ],
)
def test_several_maquettes_bad_input(change, entity, key, words) -> None:
    """Bad input names the entity and the key (FORMAT.md, Errors)."""
    doc = mixed()
    change(doc)
    with pytest.raises(InstanceError) as info:
        instance_from_dict(doc)
    assert info.value.entity == entity and info.value.key == key
    assert words in info.value.message


def test_docteur_junior_refused_unless_consolidation_choix() -> None:
    """R-MAQ-4 Reading: an interne of mg-2023 about to start semester 7 is refused in a
    choice by rank, naming them and pointing to the appariement, unless consolidation is
    "choix"; past the last semester of mg-2017, R-ELI-6 points to mg-2023."""
    doc = canonical()
    doc["internes"][2].update(semestres_valides=6, semestres_effectues=6)
    with pytest.raises(InstanceError) as info:
        instance_from_dict(doc)
    assert info.value.entity == "internes[2] (I010)" and info.value.key == "semestres_valides"
    assert "appariement" in info.value.message and "I010" in info.value.message
    doc["consolidation"] = "choix"
    assert instance_from_dict(doc).interne("I010").semestre == 7
    doc["maquette"] = "mg-2017"
    with pytest.raises(InstanceError) as info:
        instance_from_dict(doc)
    assert "R-ELI-6" in info.value.message and "mg-2023" in info.value.message


def test_classement_of_an_unknown_round_in_csv(tmp_path) -> None:
    """The classements table names file, line and key."""
    instance = instance_from_dict(mixed())
    save_csv(instance, tmp_path / "csv")
    path = tmp_path / "csv" / "classements.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("ambulatoire", "ambu"),
                    encoding="utf-8")
    with pytest.raises(InstanceError) as info:
        load_csv(tmp_path / "csv")
    assert info.value.file.endswith("classements.csv") and info.value.key == "round"


def test_engines_play_a_round_ranking(tmp_path) -> None:
    """R-ROUND-2 is played: the command line solves an instance with a round's own ranking
    (exit 0), and the result passes the checker."""
    from click.testing import CliRunner

    from affectation import serial_dictatorship
    from affectation.check import check
    from affectation.cli import main

    instance = instance_from_dict(mixed())
    assert check(instance, serial_dictatorship(instance)) == []
    path = tmp_path / "i.json"
    path.write_text(json.dumps(mixed()), encoding="utf-8")
    out = tmp_path / "r.json"
    run = CliRunner().invoke(main, ["solve", str(path), "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert out.exists()


@pytest.mark.parametrize(
    ("classement", "words"),
    [({"I999": 1, "I001": 2}, "interne inconnu 'I999'"),
     ({"I001": 1, "I030": 1}, "le rang 1 est donné deux fois")],
)
def test_a_bad_round_ranking_exits_2_naming_file_entity_and_key(tmp_path, classement,
                                                                  words) -> None:
    """Bad input (R-ROUND-2, FORMAT.md Errors): a classement naming an unknown interne or a
    rank twice is refused before anything is solved, in French, naming the file, the round
    and the key; exit 2, nothing written."""
    from click.testing import CliRunner

    from affectation.cli import main

    doc = mixed()
    doc["rounds"][0]["classement"] = classement
    path = tmp_path / "choix.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "r.json"
    run = CliRunner().invoke(main, ["solve", str(path), "--out", str(out)])
    assert run.exit_code == 2 and not out.exists()
    assert "choix.json" in run.output and "rounds[0] (ambulatoire)" in run.output
    assert "classement" in run.output and words in run.output
