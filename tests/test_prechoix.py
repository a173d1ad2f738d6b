"""The pré-choix (affectation.prechoix): known lists stay known, probabilities, rang limite,
calibration, the reports and the command."""

from __future__ import annotations

import itertools
import json

import attrs
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import instances

from affectation.cli import main
from affectation.datasets import generate
from affectation.engines import solve
from affectation.io import save_instance
from affectation.model import DEFAULT_ROUND, Instance
from affectation.prechoix import (
    FORMAT,
    calibrate,
    known_ids,
    prechoix,
    report_html,
    report_json,
    write_report,
)
from affectation.rules.order import choice_order
from affectation.sweep import CHOSEN, SURNOMBRE

N = 40


def unknown(instance: Instance, ids) -> Instance:
    """``instance`` with the lists of ``ids`` marked as not known (voeux_connus false)."""
    ids = set(ids)
    return attrs.evolve(instance, internes=[
        attrs.evolve(i, voeux_connus=False) if i.id in ids else i for i in instance.internes
    ])


@pytest.fixture(scope="module")
def half() -> Instance:
    """60 internes, every other one in the order of choice with an unknown list."""
    instance = generate(60, seed=5)
    order = choice_order(instance)
    return unknown(instance, order[1::2])


@pytest.fixture(scope="module")
def result(half):
    return prechoix(half, n_samples=N, seed=3, executor="inline")


# --- known lists stay known -------------------------------------------------------------------


@settings(max_examples=40)
@given(instances(), st.integers(0, 12), st.integers(0, 2**16))
def test_an_interne_no_unknown_list_can_reach_has_one_outcome(instance, cut, seed):
    """Single round: the turn of an interne whose list, and the lists of everyone before
    them in the order, are known cannot change, whatever the guesses: probability 1."""
    instance = attrs.evolve(instance, rounds=(DEFAULT_ROUND,))
    order = choice_order(instance)
    guessed = set(order[cut:])
    for couple in instance.couples:  # a couple is known or guessed as a whole
        if guessed & set(couple.internes):
            guessed |= set(couple.internes)
    instance = unknown(instance, guessed)
    outcome = prechoix(instance, n_samples=6, seed=seed, executor="inline")
    position = {i: p for p, i in enumerate(order)}
    first_guess = min((position[i] for i in guessed), default=len(order))
    for row, interne in enumerate(outcome.instance.internes):
        if position[interne.id] >= first_guess:
            continue
        at_turn = np.isin(outcome.how[:, row], (CHOSEN, SURNOMBRE))
        assert at_turn.all() or not at_turn.any()
        if at_turn.all():
            assert len(set(outcome.assignments[:, row].tolist())) == 1


def test_the_first_known_interne_gets_their_first_eligible_wish(half, result):
    first = choice_order(half)[0]
    alone = solve(half, "serial").affectation(first)
    assert first in result.known
    probabilities = result.probabilities().loc[first]
    assert probabilities[alone.terrain] == 1.0
    assert result.wishes(first)[alone.voeu - 1] == (alone.voeu, alone.terrain, 1.0)


def test_known_lists_are_the_given_ones_and_the_rest_is_redrawn(half, result):
    marked = {i.id for i in half.internes if i.voeux_connus}
    split = {m for c in half.couples if not set(c.internes) <= marked for m in c.internes}
    assert result.known == known_ids(half) == marked - split
    assert len(marked) == 30
    for interne in result.instance.internes:
        source = half.interne(interne.id)
        assert interne.voeux == (source.voeux if interne.id in result.known else ())


def test_a_couple_is_guessed_as_a_whole():
    instance = generate(60, seed=5)
    couple = instance.couples[0]
    marked = unknown(instance, couple.internes[:1])
    assert not set(couple.internes) & known_ids(marked)
    outcome = prechoix(marked, n_samples=4, executor="inline")
    assert outcome.instance.couples[0].voeux == ()


def test_every_list_known_every_sample_is_the_solve():
    instance = generate(40, seed=2)
    outcome = prechoix(instance, n_samples=5, executor="inline")
    alone = solve(instance, "serial")
    where = {a.interne: a.terrain for a in alone.affectations}
    table = outcome.probabilities()
    for interne_id, terrain in where.items():
        assert table.loc[interne_id, terrain or "sans_poste"] == 1.0


# --- the figures ------------------------------------------------------------------------------


def test_probabilities_sum_to_one_and_errors_follow(result):
    table = result.probabilities()
    assert np.allclose(table.sum(axis=1), 1.0)
    errors = result.standard_errors()
    assert np.allclose(errors, np.sqrt(table * (1 - table) / N))
    assert list(table.index) == list(result.order)


def test_same_seed_same_numbers_other_seed_other_numbers(half, result):
    again = prechoix(half, n_samples=N, seed=3, executor="inline", chunk_size=7)
    assert np.array_equal(result.assignments, again.assignments)
    assert report_json(result) == report_json(again)
    other = prechoix(half, n_samples=N, seed=4, executor="inline")
    assert not np.array_equal(result.assignments, other.assignments)


def test_rang_limite_is_the_last_chooser_of_each_sample(result):
    figures = result._per_terrain()
    positions = result.positions
    for sample in range(0, N, 9):
        for column, terrain in enumerate(result.instance.terrains):
            chose = (result.assignments[sample] == column) & (result.how[sample] == CHOSEN)
            takers = np.sort(positions[chose])
            assert figures["last"][sample, column] == (takers[-1] if len(takers) else 0)
            if terrain.postes == 0:
                assert figures["closing"][sample, column] == 0
            elif len(takers) >= terrain.postes:
                assert figures["closing"][sample, column] == takers[terrain.postes - 1]
            else:
                assert figures["closing"][sample, column] == len(positions) + 1


def test_free_at_is_non_increasing_and_matches_the_table(result):
    records = {r["terrain"]: r for r in result.terrain_records()}
    for terrain in result.instance.terrains[:12]:
        curve = [result.free_at(terrain.id, p) for p in range(1, len(result.order) + 2)]
        assert all(a >= b for a, b in itertools.pairwise(curve))
        if terrain.postes == 0:
            assert curve[0] == 0.0
        for level in (90, 50, 10):
            until = records[terrain.id][f"libre_jusqu_a_p{level}"]
            if until is None:  # free for every position with that chance
                assert curve[-2] >= level / 100
            elif until > 0:
                assert curve[until - 1] >= level / 100 > curve[until]


# --- calibration --------------------------------------------------------------------------------


def test_calibration_on_fully_known_lists():
    instance = generate(80, seed=4)
    calibration = calibrate(instance, hide=0.25, n_samples=30, executor="inline")
    assert len(calibration.hidden) == round(0.25 * (80 - 2 * len(instance.couples)))
    assert calibration.brier_floor == 0.0  # every other list known: the reference is exact
    assert 0.0 <= calibration.brier <= 2.0
    assert 0.0 <= calibration.brier_naive <= 2.0
    assert np.allclose(calibration.predicted.sum(axis=1), 1.0)
    assert set(np.unique(calibration.naive)) <= {0.0, 1.0}
    table = calibration.reliability()
    assert table["cells"].sum() == calibration.predicted.size
    assert calibration.brier < calibration.brier_naive  # the model beats the popularity order


def test_calibrate_refuses_a_silly_share():
    with pytest.raises(ValueError, match="hide"):
        calibrate(generate(20, seed=1), hide=1.0)


# --- reports and the command -------------------------------------------------------------------


def test_json_contract(result):
    doc = report_json(result)
    assert doc["format"] == FORMAT
    assert doc["samples"] == N and doc["seed"] == 3
    assert doc["voeux_connus"] + doc["voeux_devines"] == doc["internes_total"] == 60
    assert [e["interne"] for e in doc["internes"]] == list(result.order)
    for entry in doc["internes"]:
        assert set(entry) == {"interne", "position", "rang", "semestres_effectues",
                              "voeux_connus", "probabilites", "erreurs_types", "impose",
                              "voeux"}
        assert sum(entry["probabilites"].values()) == pytest.approx(1.0)
        assert set(entry["erreurs_types"]) == set(entry["probabilites"])
        assert entry["voeux_connus"] == bool(entry["voeux"]) or not entry["voeux"]
    for entry in doc["terrains"]:
        assert set(entry) == {"terrain", "postes", "rang_limite", "dernier", "pris", "vacant",
                              "libre_jusqu_a"}
        if entry["rang_limite"] is not None:
            limits = entry["rang_limite"]
            assert 1 <= limits["p05"] <= limits["median"] <= limits["p95"] <= 60
    json.dumps(doc, allow_nan=False)


def test_reports_are_deterministic_and_the_page_stands_alone(result, tmp_path):
    for suffix in ("json", "html"):
        a, b = tmp_path / f"a.{suffix}", tmp_path / f"b.{suffix}"
        write_report(result, a)
        write_report(result, b)
        assert a.read_bytes() == b.read_bytes()
    page = report_html(result)
    assert 'name="viewport"' in page
    assert "http" not in page.replace("http-equiv", "")  # no external file to fetch
    assert "Listes de vœux connues" in page
    write_report(result, tmp_path / "r.xlsx")
    import openpyxl

    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["pre-choix", "internes", "terrains"]
    assert book["internes"].max_row == 61 and book["terrains"].max_row == 1 + len(
        result.instance.terrains)
    with pytest.raises(ValueError, match=r"attendu un rapport \.json, \.xlsx ou \.html"):
        write_report(result, tmp_path / "r.pdf")


def test_command_writes_reports_and_refuses_bad_input(half, tmp_path):
    source = tmp_path / "choix.json"
    save_instance(half, source)
    runner = CliRunner()
    out = tmp_path / "report.json"
    done = runner.invoke(main, ["prechoix", str(source), "--samples", "8", "--seed", "2",
                                "--out", str(out), "--out", str(tmp_path / "r.html")])
    assert done.exit_code == 0, done.output
    doc = json.loads(out.read_text())
    expected = prechoix(half, n_samples=8, seed=2, executor="inline")
    assert doc["samples"] == 8 and doc["voeux_connus"] == len(expected.known)
    assert doc == json.loads(json.dumps(report_json(expected)))
    for args in (["--out", str(tmp_path / "r.pdf")], ["--out", str(source)],
                 ["--out", str(tmp_path / "no" / "r.json")]):
        before = source.read_bytes()
        refused = runner.invoke(main, ["prechoix", str(source), "--samples", "2", *args])
        assert refused.exit_code == 2 and "erreur :" in refused.output
        assert source.read_bytes() == before
    missing = runner.invoke(main, ["prechoix", str(tmp_path / "absent.json")])
    assert missing.exit_code == 2 and "absent.json" in missing.output
    from affectation.io import save_result

    past = tmp_path / "past.json"
    save_result(solve(half, "serial"), past)
    with_past = runner.invoke(main, ["prechoix", str(source), "--samples", "3", "--past",
                                     str(past), "--out", str(tmp_path / "p.xlsx")])
    assert with_past.exit_code == 0, with_past.output
    import openpyxl

    header = dict(openpyxl.load_workbook(tmp_path / "p.xlsx")["pre-choix"].iter_rows(
        min_row=2, values_only=True))
    assert header["Listes de vœux connues"] == len(expected.known)
    assert header["Listes devinées (modèle)"] == 60 - len(expected.known)
    past.write_text("{not json")
    broken = runner.invoke(main, ["prechoix", str(source), "--past", str(past)])
    assert broken.exit_code == 2 and "past.json" in broken.output


def test_figures(result):
    from affectation.plots import plot_rang_limite, plot_reliability

    calibration = calibrate(generate(40, seed=3), hide=0.3, n_samples=8, executor="inline")
    figure = plot_reliability(calibration)
    assert figure.axes[0].get_xlabel() == "predicted probability"
    some = [t.id for t in result.instance.terrains[:5]]
    figure = plot_rang_limite(result, some)
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels and set(labels) <= set(some)


def test_no_list_known_and_a_past_result():
    instance = generate(40, seed=6)
    past = solve(instance, "serial")
    nobody = unknown(instance, [i.id for i in instance.internes])
    outcome = prechoix(nobody, n_samples=6, past=past, executor="inline")
    assert outcome.known == frozenset()
    drawn_lengths = {len(i.voeux) for i in outcome.instance.internes}
    assert drawn_lengths == {0}  # every list emptied before the draws
    assert np.allclose(outcome.probabilities().sum(axis=1), 1.0)
    assert (outcome.assignments >= 0).mean() > 0.5  # guessed lists are full rankings: placed
    from affectation.prechoix import fit

    known = known_ids(instance)
    blended = fit(instance, known, past)
    alone, from_past = fit(instance, known), fit(nobody, frozenset(), past)
    for terrain in instance.terrains[:10]:
        assert blended.attractiveness[terrain.id] == pytest.approx(
            (alone.attractiveness[terrain.id] + from_past.attractiveness[terrain.id]) / 2)


def test_a_terrain_named_null_is_refused_in_json(tmp_path):
    instance = generate(30, seed=2)
    renamed = attrs.evolve(instance, terrains=[
        attrs.evolve(t, id="null") if k == 0 else t for k, t in enumerate(instance.terrains)
    ], internes=[
        attrs.evolve(i, voeux=["null" if v == instance.terrains[0].id else v for v in i.voeux])
        for i in instance.internes
    ], couples=[
        attrs.evolve(c, voeux=[tuple("null" if v == instance.terrains[0].id else v for v in p)
                               for p in c.voeux]) for c in instance.couples
    ])
    outcome = prechoix(renamed, n_samples=2, executor="inline")
    with pytest.raises(ValueError, match="null"):
        report_json(outcome)
    source = tmp_path / "choix.json"
    save_instance(renamed, source)
    refused = CliRunner().invoke(main, ["prechoix", str(source), "--samples", "2", "--out",
                                        str(tmp_path / "r.json")])
    assert refused.exit_code == 2 and "null" in refused.output
    assert not (tmp_path / "r.json").exists()


@settings(max_examples=30)
@given(instances(), st.sets(st.integers(0, 11)), st.integers(0, 2**16))
def test_any_instance_any_unknown_lists(instance, hidden, seed):
    """Rounds, surnombres, couples, empty lists: the figures stay consistent."""
    guessed = [i.id for k, i in enumerate(instance.internes) if k in hidden]
    outcome = prechoix(unknown(instance, guessed), n_samples=5, seed=seed, executor="inline")
    n = len(instance.internes)
    assert np.allclose(outcome.probabilities().sum(axis=1), 1.0)
    doc = report_json(outcome)
    json.dumps(doc, allow_nan=False)
    for entry in doc["terrains"]:
        if entry["rang_limite"] is not None:
            assert 1 <= entry["rang_limite"]["p05"] <= entry["rang_limite"]["p95"] <= n
        for until in entry["libre_jusqu_a"].values():
            assert until is None or 0 <= until <= n
    for entry in doc["internes"]:
        assert 0.0 <= entry["impose"] <= 1.0
        if entry["voeux_connus"]:
            assert [w["terrain"] for w in entry["voeux"]] == list(
                instance.interne(entry["interne"]).voeux)


def test_prechoix_warns_when_internes_can_take_nothing(tmp_path):
    """Issue 18, item 11: "sans poste" at probability 1 is said to come from the instance,
    with the audit's reason, in the result, the reports and the command line."""
    import attrs

    from affectation.datasets import generate
    from affectation.io import save_instance
    from affectation.prechoix import prechoix as run
    from affectation.prechoix import report_json, stuck

    instance = generate(40, seed=1, couples=0, maquette="mg-2017")
    last = instance.maquette.semestres - 1
    first = attrs.evolve(instance.internes[0], semestres_valides=last,
                         semestres_effectues=last, valides=(), nom="Martin", prenom="Léa")
    instance = attrs.evolve(instance, internes=(first, *instance.internes[1:]))
    assert [i for i, _ in stuck(instance)] == [first.id]
    assert stuck(generate(40, seed=1, couples=0, maquette="mg-2017")) == ()
    result = run(instance, n_samples=4, seed=0)
    assert result.sans_issue[0][0] == first.id and "Martin Léa" in result.sans_issue[0][1]
    assert report_json(result)["sans_issue"][0]["interne"] == first.id
    path = tmp_path / "i.json"
    save_instance(instance, path)
    out = tmp_path / "p.html"
    cli = CliRunner().invoke(main, ["prechoix", str(path), "--samples", "4",
                                    "--out", str(out)])
    assert cli.exit_code == 0, cli.output
    assert "ne peuvent rien prendre" in cli.output and "Martin Léa" in cli.output
    assert "ne peuvent rien prendre" in out.read_text(encoding="utf-8")


def test_rang_limite_of_a_ranked_round_is_a_position_in_its_call_order() -> None:
    """R-ROUND-2 in the pré-choix: every list known, one N1 poste; the round's ranking calls
    b first, so the N1's rang limite is 1 (b, the first called in that round), and the
    hospital terrain's is read in the order of choice."""
    from affectation import Interne, Round, Terrain
    from affectation.maquettes import MG_2023

    n1 = Terrain("N1", ["praticien_n1"], 1)
    urg = Terrain("URG", ["urgences"], 2)
    internes = [Interne("a", 1, 0, ["N1", "URG"]), Interne("b", 2, 0, ["N1", "URG"])]
    instance = Instance(MG_2023, [n1, urg], internes, obligatoires=[], rounds=(
        Round("ambulatoire", ["praticien_n1"], {"b": 1, "a": 2}), Round("hospitalier", "*")))
    outcome = prechoix(instance, n_samples=3, seed=1, executor="inline")
    table = outcome.terrains_table().set_index("terrain")
    assert table.loc["N1", "rang_limite_median"] == 1
    assert table.loc["URG", "rang_limite_median"] == 1
    assert outcome.round_positions().tolist() == [[2, 1], [1, 2]]
