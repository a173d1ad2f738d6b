"""Comparing scenarios (R-POS-2): the table, the moves, the engines, the ``whatif`` command."""

from __future__ import annotations

import json
import sys
import types

import attrs
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from strategies import instances

from affectation.check import check
from affectation.cli import main
from affectation.compare import CHANGES, CompareError, compare
from affectation.datasets import generate
from affectation.io import save_instance
from affectation.maquettes import MG_2010
from affectation.model import DEFAULT_ROUND, Couple, Instance, Interne, Terrain
from affectation.scenarios import (
    BASE,
    ChangePromotion,
    OpenPostes,
    RemoveTerrain,
    Scenario,
    close_postes,
    open_postes,
)


@pytest.fixture(scope="module")
def subdivision() -> Instance:
    """200 internes under mg-2010: urgences and praticien N1 postes sized to the demand of
    the T1s, so opening more of them calls for impositions (R-IMP-1, R-IMP-2)."""
    return generate(200, seed=3, maquette="mg-2010")


@pytest.fixture(scope="module")
def urgences(subdivision: Instance):
    return compare(subdivision, open_postes("urgences", 3), close_postes("praticien_n1", 2))


def t2(id_: str, rang: int, voeux: list[str]) -> Interne:
    """An interne in their 3rd semester who has done urgences and N1: never imposable."""
    return Interne(id_, rang, 2, voeux=voeux, valides=["urgences", "praticien_n1"])


# --- the table ------------------------------------------------------------------------------


def test_table_has_one_row_per_scenario_and_the_documented_columns(subdivision, urgences):
    table = urgences.table
    assert list(table["scenario"]) == ["base", "urgences +3", "praticien_n1 -2"]
    assert list(table.columns[:9]) == [
        "scenario", "internes", "postes", "impositions", "sans_poste",
        "premier_voeu", "top3", "rang_median", "postes_vacants",
    ]
    vacant_columns = [c for c in table.columns if c.startswith("vacants_")]
    assert "vacants_urgences" in vacant_columns and "vacants_praticien_n1" in vacant_columns
    assert (table[vacant_columns].sum(axis=1) == table["postes_vacants"]).all()
    base_postes = sum(t.postes for t in subdivision.terrains)
    assert list(table["postes"]) == [base_postes, base_postes + 3, base_postes - 2]
    assert list(table["internes"]) == [200, 200, 200]
    for name, result in urgences.results.items():
        row = urgences.row(name)
        summary = result.summary()
        assert row["impositions"] == summary["impositions"]
        assert row["sans_poste"] == summary["sans_poste"]
        assert row["premier_voeu"] == pytest.approx(summary["premier_voeu"])
        assert row["postes_vacants"] == summary["postes_vacants"]


def test_opening_urgences_changes_the_allocation(subdivision, urgences):
    base, more = urgences.row("base"), urgences.row("urgences +3")
    assert more != {**base, "scenario": "urgences +3"}
    assert len(urgences.moves[urgences.moves["scenario"] == "urgences +3"]) > 0
    # every poste opened is taken or counted vacant: postes = placed on postes + vacants
    for name, result in urgences.results.items():
        instance = urgences.instances[name]
        assert check(instance, result) == []
        on_postes = sum(
            1 for a in result.affectations if a.terrain is not None and a.surnombre is None
        )
        row = urgences.row(name)
        assert on_postes + row["postes_vacants"] == row["postes"]
    assert urgences.instances["base"] is subdivision


def test_base_is_untouched_and_passing_base_adds_nothing(subdivision):
    before = attrs.evolve(subdivision)
    comparison = compare(subdivision, BASE, open_postes("urgences", 1))
    assert subdivision == before
    assert [s.name for s in comparison.scenarios] == ["base", "urgences +1"]


def test_compare_rejects_duplicate_names_and_unknown_methods(subdivision):
    with pytest.raises(ValueError, match="deux scénarios s'appellent 'urgences \\+1'"):
        compare(subdivision, open_postes("urgences", 1), open_postes("urgences", 1))
    with pytest.raises(ValueError, match="'base'"):
        compare(subdivision, Scenario("base", (OpenPostes("urgences", 1),)))
    with pytest.raises(ValueError, match="méthode : attendu serial ou cpsat") as caught:
        compare(subdivision, method="hungarian")
    assert caught.value.code == "E-SCENARIO"
    with pytest.raises(ValueError, match="aucun terrain n'est agréé pour 'cardiologie'"):
        compare(subdivision, open_postes("cardiologie", 1))


def test_compare_is_deterministic(subdivision, urgences):
    again = compare(subdivision, open_postes("urgences", 3), close_postes("praticien_n1", 2))
    pd.testing.assert_frame_equal(again.table, urgences.table)
    pd.testing.assert_frame_equal(again.moves, urgences.moves)
    assert str(again) == str(urgences)


# --- the moves ------------------------------------------------------------------------------


def test_moves_are_exactly_the_internes_whose_terrain_differs(urgences):
    moves = urgences.moves
    assert list(moves.columns) == [
        "scenario", "interne", "terrain_base", "terrain_scenario", "voeu_base",
        "voeu_scenario", "change",
    ]
    assert set(moves["change"]) <= set(CHANGES)
    base = urgences.results["base"].by_interne
    for name in ("urgences +3", "praticien_n1 -2"):
        result = urgences.results[name].by_interne
        moved = moves[moves["scenario"] == name]
        differ = {i for i in base if base[i].terrain != result[i].terrain}
        assert set(moved["interne"]) == differ
        for row in moved.itertuples():
            assert row.terrain_base == base[row.interne].terrain
            assert row.terrain_scenario == result[row.interne].terrain


def test_closing_postes_nobody_else_can_use_is_a_loss():
    terrains = [Terrain("MED-A", ["medecine_adulte"], 1), Terrain("MED-B", ["medecine_adulte"], 1)]
    base = Instance(MG_2010, terrains, [t2("A", 1, ["MED-A", "MED-B"]), t2("B", 2, ["MED-B"])])
    comparison = compare(base, close_postes("medecine_adulte", 1, terrains=("MED-A",)))
    moves = comparison.moves.set_index("interne")
    assert moves.loc["A", "change"] == "perd"
    assert (moves.loc["A", "voeu_base"], moves.loc["A", "voeu_scenario"]) == (1, 2)
    assert moves.loc["B", "change"] == "sans poste"
    assert pd.isna(moves.loc["B", "terrain_scenario"])
    back = compare(comparison.instances["medecine_adulte -1 (MED-A)"],
                   open_postes("medecine_adulte", 1, terrains=("MED-A",)))
    assert sorted(back.moves["change"]) == ["gagne", "placé"]


def test_a_shifted_wish_list_is_read_in_the_base_order():
    """RemoveTerrain moves the wishes up: wish 2 before and after can be a loss."""
    terrains = [
        Terrain("X", ["medecine_adulte"], 0),
        Terrain("A", ["medecine_adulte"], 1),
        Terrain("B", ["medecine_adulte"], 1),
    ]
    base = Instance(MG_2010, terrains, [t2("P", 1, ["X", "A", "B"])])
    scenario = Scenario.of(RemoveTerrain("X"), OpenPostes("medecine_adulte", -1, terrains=("A",)))
    row = compare(base, scenario).moves.iloc[0]
    assert (row.terrain_base, row.voeu_base, row.terrain_scenario, row.voeu_scenario) == (
        "A", 2, "B", 2,
    )
    assert row.change == "perd"


def test_internes_added_or_removed_are_reported(subdivision):
    comparison = compare(
        subdivision,
        Scenario.of(ChangePromotion(0, 3, seed=1)),
        Scenario.of(ChangePromotion(0, -2)),
    )
    added = comparison.moves[comparison.moves["change"] == "ajouté"]
    assert len(added) == 3 and added["terrain_base"].isna().all()
    assert set(added["scenario"]) == {"promotion 0 sem. +3"}
    removed = comparison.moves[comparison.moves["change"] == "retiré"]
    assert len(removed) == 2 and removed["terrain_scenario"].isna().all()
    assert list(comparison.table["internes"]) == [200, 203, 198]


# --- what the serial engine guarantees ------------------------------------------------------


@given(instances(), st.data())
def test_without_impositions_couples_or_rounds_opening_postes_hurts_nobody(instance, data):
    """Resource monotonicity of the serial dictatorship (R-ORD-1, R-VOE-1): with one round,
    no couple and no mandatory category, each interne meets at their turn at least the free
    postes they met before, so nobody gets a worse wish and nobody loses their poste."""
    plain = attrs.evolve(instance, obligatoires=(), couples=(), rounds=(DEFAULT_ROUND,))
    terrain = data.draw(st.sampled_from(plain.terrains))
    n = data.draw(st.integers(1, 3))
    comparison = compare(plain, open_postes(terrain.categories[0], n))
    assert set(comparison.moves["change"]) <= {"gagne", "placé"}
    base, more = comparison.table.iloc[0], comparison.table.iloc[1]
    assert more["sans_poste"] <= base["sans_poste"]
    assert more["premier_voeu"] >= base["premier_voeu"]


def test_a_couple_can_make_an_opened_poste_cost_someone_their_poste():
    """Why monotonicity is tested without couples: one more poste on A makes the couple's
    joint wish (A, A) available (R-ORD-2), and the interne after them loses A."""
    terrains = [Terrain(t, ["medecine_adulte"], 1) for t in ("A", "C", "D")]
    base = Instance(
        MG_2010,
        terrains,
        [t2("M1", 1, ["C"]), t2("M2", 2, ["D"]), t2("Y", 3, ["A"])],
        [Couple(("M1", "M2"), [("A", "A")])],
        obligatoires=(),
    )
    comparison = compare(base, open_postes("medecine_adulte", 1, terrains=("A",)))
    assert list(comparison.table["sans_poste"]) == [0, 1]
    assert comparison.moves.set_index("interne").loc["Y", "change"] == "sans poste"


def test_opening_a_mandatory_poste_nobody_wants_is_imposed():
    """R-IMP-1, R-IMP-2: an urgences poste opened where no T1 wants to go is imposed on the
    last-ranked imposable T1, who loses their wish."""
    terrains = [Terrain("URG", ["urgences"], 0), Terrain("MED", ["medecine_adulte"], 2)]
    internes = [Interne("T1a", 1, 0, voeux=["MED"]), Interne("T1b", 2, 0, voeux=["MED"])]
    base = Instance(MG_2010, terrains, internes)
    comparison = compare(base, open_postes("urgences", 1))
    assert list(comparison.table["impositions"]) == [0, 1]
    assert list(comparison.table["vacants_urgences"]) == [0, 0]
    assert list(comparison.table["vacants_medecine_adulte"]) == [0, 1]
    move = comparison.moves.iloc[0]
    assert (move.interne, move.terrain_scenario, move.change) == ("T1b", "URG", "perd")
    assert pd.isna(move.voeu_scenario)
    assert comparison.results["urgences +1"].impositions == ("T1b",)


@given(instances())
def test_a_scenario_without_changes_gives_the_base_results(instance):
    comparison = compare(instance, Scenario("same", ()))
    assert comparison.moves.empty
    assert comparison.results["same"] == comparison.results["base"]
    rows = comparison.table.drop(columns="scenario")
    pd.testing.assert_series_equal(rows.iloc[0], rows.iloc[1], check_names=False)


# --- engines and display --------------------------------------------------------------------


def test_cpsat_gives_the_serial_comparison():
    instance = generate(60, seed=4, maquette="mg-2010")
    scenarios = (open_postes("urgences", 2), close_postes("praticien_n1", 1))
    serial = compare(instance, *scenarios)
    exact = compare(instance, *scenarios, method="cpsat")
    assert exact.method == "cpsat"
    assert all(r.methode == "cpsat" for r in exact.results.values())
    pd.testing.assert_frame_equal(exact.table, serial.table)
    pd.testing.assert_frame_equal(exact.moves, serial.moves)


def test_cpsat_without_an_allocation_is_an_error():
    instance = generate(60, seed=4, maquette="mg-2010")
    with pytest.raises(CompareError, match="n'a trouvé aucune affectation"):
        compare(instance, method="cpsat", time_limit=1e-9)


def test_text_html_and_dict(urgences):
    text = str(urgences)
    assert text.splitlines()[0].split() == ["base", "urgences", "+3", "praticien_n1", "-2"]
    assert "postes vacants (urgences)" in text and "1er vœu" in text  # metrics.label
    assert "mouvements (urgences +3) :" in text
    page = urgences._repr_html_()
    assert page.count("<table") == 2
    assert "<h4>Comparaison (serial)</h4>" in page
    moves_table = page.split("<h4>Mouvements par rapport à la base")[1]
    assert moves_table.count("<tr>") == min(20, len(urgences.moves))  # the header has a style
    doc = urgences.to_dict()
    json.dumps(doc, allow_nan=False)
    assert [r["scenario"] for r in doc["table"]] == ["base", "urgences +3", "praticien_n1 -2"]
    assert len(doc["moves"]) == len(urgences.moves)
    assert doc["scenarios"][1] == {"nom": "urgences +3", "changes": ["urgences +3"]}


def test_nan_median_is_shown_and_written_as_missing():
    terrains = [Terrain("MED", ["medecine_adulte"], 0)]
    comparison = compare(Instance(MG_2010, terrains, [t2("A", 1, ["MED"])]),
                         open_postes("medecine_adulte", 1))
    assert "rang médian du vœu" in str(comparison)  # metrics.label
    assert comparison.to_dict()["table"][0]["rang_median"] is None
    assert comparison.to_dict()["table"][1]["rang_median"] == 1.0


# --- the whatif command ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def instance_file(tmp_path_factory, subdivision) -> str:
    path = tmp_path_factory.mktemp("whatif") / "subdivision.json"
    save_instance(subdivision, path)
    return str(path)


def test_whatif_prints_the_table_and_writes_the_report(instance_file, tmp_path):
    out = tmp_path / "report.json"
    run = CliRunner().invoke(
        main,
        ["whatif", instance_file, "--open", "urgences:3", "--open", "praticien_n1:-2",
         "--out", str(out)],
    )
    assert run.exit_code == 0, run.output
    assert "urgences +3, praticien_n1 -2" in run.output
    assert "postes vacants (urgences)" in run.output and "impositions" in run.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["format"] == "affectation-whatif/1"
    assert doc["methode"] == "serial"
    assert [r["scenario"] for r in doc["table"]] == ["base", "urgences +3, praticien_n1 -2"]
    assert doc["moves"] and set(doc["moves"][0]) >= {"interne", "change"}


def test_whatif_separately_and_cpsat(instance_file):
    run = CliRunner().invoke(
        main,
        ["whatif", instance_file, "--open", "urgences:1", "--open", "urgences:-1:even",
         "--separately", "--method", "cpsat"],
    )
    assert run.exit_code == 0, run.output
    assert "urgences +1" in run.output and "urgences -1 even" in run.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--open", "urgences:x"], "n'est pas un nombre entier de postes"),
        (["--open", "cardiologie:2"], "aucun terrain n'est agréé pour 'cardiologie'"),
        (["--open", "urgences:-999"], "impossible de fermer 999 postes"),
        (["--open", "urgences:1@NOPE"], "terrain inconnu 'NOPE'"),
        ([], "au moins un --open"),
        (["--open", "urgences:1", "--samples", "-1"], "-1"),
    ],
)
def test_whatif_bad_input_exits_2_and_writes_nothing(instance_file, tmp_path, args, message):
    out = tmp_path / "report.json"
    run = CliRunner().invoke(main, ["whatif", instance_file, *args, "--out", str(out)])
    assert run.exit_code == 2
    assert message in run.output
    assert not out.exists()


def test_whatif_bad_instance_exits_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "affectation-instance/1"}', encoding="utf-8")
    out = tmp_path / "report.json"
    run = CliRunner().invoke(main, ["whatif", str(bad), "--open", "urgences:1", "--out", str(out)])
    assert run.exit_code == 2
    assert "erreur :" in run.output and not out.exists()


def test_whatif_samples_without_the_sweep_exits_2(instance_file, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "affectation.sweep", None)  # as if not installed
    out = tmp_path / "report.json"
    run = CliRunner().invoke(
        main, ["whatif", instance_file, "--open", "urgences:3", "--samples", "5", "--out", str(out)]
    )
    assert run.exit_code == 2
    assert "affectation.sweep" in run.output and not out.exists()


def test_whatif_samples_calls_the_sweep(instance_file, tmp_path, monkeypatch):
    calls = []

    class Sweep:
        def summary(self) -> pd.DataFrame:
            return pd.DataFrame({"scenario": ["urgences +3"], "sans_poste_moyen": [0.5]})

    def sweep(instance, scenarios, *, n_samples, seed, method):
        calls.append((len(instance.internes), [s.name for s in scenarios], n_samples, seed,
                      method))
        return Sweep()

    fake = types.ModuleType("affectation.sweep")
    fake.sweep = sweep
    monkeypatch.setitem(sys.modules, "affectation.sweep", fake)
    out = tmp_path / "report.json"
    run = CliRunner().invoke(
        main,
        ["whatif", instance_file, "--open", "urgences:3", "--samples", "7", "--seed", "2",
         "--out", str(out)],
    )
    assert run.exit_code == 0, run.output
    assert calls == [(200, ["base", "urgences +3"], 7, 2, "serial")]
    assert "sans_poste_moyen" in run.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["samples"] == 7 and doc["summary"][0]["sans_poste_moyen"] == 0.5


def test_whatif_samples_runs_the_real_sweep(instance_file, tmp_path):
    pytest.importorskip("affectation.sweep")
    out = tmp_path / "report.json"
    run = CliRunner().invoke(
        main,
        ["whatif", instance_file, "--open", "urgences:3", "--samples", "3", "--out", str(out)],
    )
    assert run.exit_code == 0, run.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert {row["scenario"] for row in doc["summary"]} == {"base", "urgences +3"}
