"""The synthetic generator (docs/datasets.md): determinism, sizes and the rules' invariants."""

from __future__ import annotations

from collections import Counter

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from affectation.datasets import EXAMPLE_PARAMETERS, example, generate
from affectation.model import Instance
from affectation.rules.eligibility import completable, eligible_slot
from affectation.rules.order import choice_order


def check_invariants(instance: Instance, n_internes: int, wish_length: int | None) -> None:
    """What every generated instance must satisfy, whatever the arguments."""
    maquette = instance.maquette
    slots = {slot.id: slot for slot in maquette.stages}
    terrain_ids = {t.id for t in instance.terrains}
    years = maquette.semestres // 2
    assert len(instance.internes) == n_internes
    assert len(choice_order(instance)) == n_internes  # R-ORD: no tie in the order

    promotions: dict[int, list[int]] = {}
    in_couple = {member for couple in instance.couples for member in couple.internes}
    for interne in instance.internes:
        year = interne.semestres_valides // 2
        assert 0 <= year < years
        promotions.setdefault(year, []).append(interne.rang)
        # Histories: one slot per validated semester, in its window, never twice (R-ELI-1,
        # R-ELI-3), the maquette still completable after each (R-ELI-2).
        assert len(interne.valides) == interne.semestres_valides
        assert len(set(interne.valides)) == len(interne.valides)
        for semester, slot_id in enumerate(interne.valides, start=1):
            start, end = slots[slot_id].window
            assert start <= semester <= end
            done = set(interne.valides[:semester])
            assert completable(maquette, maquette.slot_ids - done, semester + 1)
        assert interne.semestres_effectues - interne.semestres_valides in (0, 1)  # R-VAL-3
        assert not interne.impose or interne.semestres_valides == 1  # R-IMP-3
        assert set(interne.derogations) <= set(interne.valides)  # R-ELI-1
        # Wish lists: known terrains, no more than asked, at most one the interne may not take.
        assert set(interne.voeux) <= terrain_ids
        assert interne.voeux
        if wish_length is not None:
            assert len(interne.voeux) <= wish_length
        terrains = [instance.terrain(t) for t in interne.voeux]
        if interne.surnombre is None:
            refused = [t for t in terrains if eligible_slot(maquette, interne, t) is None]
            assert len(refused) <= 1
        else:
            assert interne.id not in in_couple
            assert not any(t.ambulatoire for t in terrains)  # R-SUR-4
            if interne.surnombre == "validant":
                assert all(eligible_slot(maquette, interne, t) for t in terrains)
    for ranks in promotions.values():  # ranks 1..n in each promotion (R-ORD-1)
        assert sorted(ranks) == list(range(1, len(ranks) + 1))

    for couple in instance.couples:  # R-ORD-2
        a, b = (instance.interne(member) for member in couple.internes)
        assert a.semestres_valides // 2 == b.semestres_valides // 2
        assert len(couple.voeux) <= 10
        for terrain_a, terrain_b in couple.voeux:
            assert terrain_a in a.voeux[:5] and terrain_b in b.voeux[:5]
            if terrain_a == terrain_b:
                assert instance.terrain(terrain_a).postes >= 2

    for terrain in instance.terrains:
        assert terrain.postes >= 1
        assert terrain.nom and terrain.ville


def t1s(instance: Instance) -> list:
    return [i for i in instance.internes if i.semestres_valides < 2]


def mandatory_postes(instance: Instance) -> int:
    return sum(t.postes for t in instance.terrains if instance.is_mandatory(t))


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_same_instance() -> None:
    assert generate(200, seed=7) == generate(200, seed=7)
    assert generate(150, seed=7, maquette="mg-2010", rounds=True) == generate(
        150, seed=7, maquette="mg-2010", rounds=True
    )


def test_different_seed_different_instance() -> None:
    first, second = generate(200, seed=7), generate(200, seed=8)
    assert first != second
    assert [i.voeux for i in first.internes] != [i.voeux for i in second.internes]


# --- sizes and postes ----------------------------------------------------------------------


def test_default_sizes() -> None:
    instance = generate(300, seed=1)
    assert len(instance.internes) == 300
    assert len(instance.terrains) == 80  # 300 / 3.75
    assert sum(t.postes for t in instance.terrains) == 330  # capacity_ratio 1.1
    assert instance.maquette_name == "mg-2023"
    assert instance.nom == "Synthetic subdivision, seed 1"
    assert len(instance.couples) == 2
    check_invariants(instance, 300, 40)


def test_promotions_follow_the_maquette() -> None:
    # mg-2023: three promotions in the choice, the 4th year goes to the appariement (R-MAQ-4)
    seniority_2023 = Counter(i.semestres_valides // 2 for i in generate(300, seed=2).internes)
    assert sorted(seniority_2023) == [0, 1, 2] and set(seniority_2023.values()) == {100}
    seniority_2017 = {i.semestres_valides for i in generate(300, maquette="mg-2017").internes}
    assert max(seniority_2017) <= 5
    seniority_2010 = {i.semestres_valides for i in generate(300, maquette="mg-2010").internes}
    assert max(seniority_2010) <= 5


def test_mandatory_postes_match_the_t1s() -> None:
    """R-IMP-1: under mg-2017 every T1 needs urgences or praticien N1; ``mandatory_ratio``
    sizes those postes against the T1s who take a poste (not a surnombre, R-SUR-2)."""
    instance = generate(300, seed=3)
    wanting = [i for i in t1s(instance) if i.surnombre is None]
    assert mandatory_postes(instance) == len(wanting)
    more = generate(300, seed=3, mandatory_ratio=1.5)
    assert mandatory_postes(more) == round(1.5 * len(wanting))
    assert generate(300, seed=3, obligatoires=()).obligatoires == ()


def test_t1_lists_only_their_socle_stages() -> None:
    """R-ELI-3: a T1 of mg-2017 lists urgences and praticien N1 terrains (and rarely one
    terrain they may not take)."""
    instance = generate(300, seed=4)
    for interne in t1s(instance):
        if interne.surnombre == "non_validant":
            continue  # takes no poste and needs no maquette check (R-SUR-3)
        others = [t for t in interne.voeux if not instance.is_mandatory(instance.terrain(t))]
        assert len(others) <= 1
        if interne.valides == ("urgences",) and interne.surnombre is None:
            off = [t for t in interne.voeux if instance.terrain(t).categories != ("praticien_n1",)]
            assert len(off) <= 1


def test_full_lists() -> None:
    """``wish_length=None``: every terrain a specific open slot takes is listed."""
    instance = generate(120, seed=5, wish_length=None)
    check_invariants(instance, 120, None)
    slots = {slot.id: slot for slot in instance.maquette.stages}
    for interne in instance.internes:
        if interne.surnombre is not None or len(interne.voeux) <= 3:
            continue  # a surnombre's list is hospital only; a short list is cut on purpose
        wanted = {
            t.id
            for t in instance.terrains
            if (slot := eligible_slot(instance.maquette, interne, t)) is not None
            and slots[slot].categories is not None
            and "libre" not in slots[slot].categories  # a specific slot, not libre
        }
        assert wanted <= set(interne.voeux)


def test_rounds_and_names() -> None:
    instance = generate(60, seed=6, rounds=True, nom="Essai", towns=("Besançon", "Dole"))
    assert [r.nom for r in instance.rounds] == ["ambulatoire", "hospitalier"]
    assert instance.nom == "Essai"
    assert {t.ville for t in instance.terrains} <= {"Besançon", "Dole"}
    assert any(t.id.startswith("URG-BESANCON-CHU") for t in instance.terrains)


def test_rare_cases_appear_in_a_large_instance() -> None:
    instance = generate(1500, seed=9, n_terrains=400, couples=5)
    internes = instance.internes
    assert len(instance.terrains) == 400 and len(instance.couples) == 5
    assert any(i.impose for i in internes)  # R-IMP-3
    assert {i.surnombre for i in internes} == {None, "validant", "non_validant"}  # R-SUR-2, -3
    assert any(i.semestres_effectues > i.semestres_valides for i in internes)  # R-VAL-3
    assert any(i.derogations for i in internes)  # R-ELI-1
    assert any(len(i.voeux) <= 3 for i in internes)  # lists that run out (R-VOE Reading)
    check_invariants(instance, 1500, 40)


def test_large_instance() -> None:
    instance = generate(5000, seed=10)
    assert len(instance.internes) == 5000
    assert len(instance.terrains) == round(5000 / 3.75)
    assert all(len(i.voeux) <= 40 for i in instance.internes)


@pytest.mark.parametrize(
    "arguments",
    [
        {"n_internes": 0},
        {"n_terrains": 3},
        {"wish_length": 0},
        {"capacity_ratio": 0},
        {"surnombre_rate": 1.5},
        {"couples": -1},
        {"towns": ()},
        {"towns": ("Lyon", "Lyon")},
        {"promotions": (10, 10, 10)},
        {"promotions": (20, 20, 10, 0)},
        {"late_2017": -1},
    ],
)
def test_bad_arguments(arguments: dict) -> None:
    with pytest.raises(ValueError):
        generate(**{"n_internes": 50, **arguments})


# --- the shipped example -------------------------------------------------------------------


def test_example_is_the_documented_generation() -> None:
    shipped = example()
    assert shipped == generate(**EXAMPLE_PARAMETERS)
    assert shipped.nom == EXAMPLE_PARAMETERS["nom"]
    # a subdivision of 2026 (issue 16, item 5): the ambulatory round first, a few late internes
    # on mg-2017 beside the promotions on mg-2023, every interne named (issue 18, item 1)
    assert [r.nom for r in shipped.rounds] == ["ambulatoire", "hospitalier"]
    late = [i for i in shipped.internes if i.maquette == "mg-2017"]
    assert len(late) == EXAMPLE_PARAMETERS["late_2017"] > 0
    assert all(i.nom and i.prenom for i in shipped.internes)
    assert len({(i.nom, i.prenom) for i in shipped.internes}) == len(shipped.internes)
    on_2023 = attrs.evolve(shipped, internes=tuple(i for i in shipped.internes
                                                   if i.maquette is None))
    check_invariants(on_2023, EXAMPLE_PARAMETERS["n_internes"], EXAMPLE_PARAMETERS["wish_length"])


# --- any seed, any small size --------------------------------------------------------------


@settings(max_examples=30)
@given(
    n_internes=st.integers(1, 60),
    seed=st.integers(0, 2**32 - 1),
    maquette=st.sampled_from(["mg-2023", "mg-2010"]),
    wish_length=st.none() | st.integers(1, 50),
    couples=st.integers(0, 3),
    rounds=st.booleans(),
    mandatory_ratio=st.floats(0.0, 2.0),
    surnombre_rate=st.floats(0.0, 0.3),
    prior_imposition_rate=st.floats(0.0, 1.0),
)
def test_any_small_subdivision(
    n_internes: int,
    seed: int,
    maquette: str,
    wish_length: int | None,
    couples: int,
    rounds: bool,
    mandatory_ratio: float,
    surnombre_rate: float,
    prior_imposition_rate: float,
) -> None:
    instance = generate(
        n_internes,
        seed=seed,
        maquette=maquette,
        wish_length=wish_length,
        couples=couples,
        rounds=rounds,
        mandatory_ratio=mandatory_ratio,
        surnombre_rate=surnombre_rate,
        prior_imposition_rate=prior_imposition_rate,
    )
    check_invariants(instance, n_internes, wish_length)
    assert len(instance.couples) <= couples


# --- the national intakes (issue 16, item 5) -----------------------------------------------


def test_intakes_follow_the_published_figures() -> None:
    """2025 MG postes: Paris 501, Lille 193, Marseille 168, Toulouse 144, Lyon 142 of 3,593;
    promotions of about 3,650 (2023), 2,960 (2024) and 3,590 (2025)."""
    from affectation.datasets import (
        NATIONAL_POSTES_2025,
        NATIONAL_PROMOTIONS,
        POSTES_2025,
        intakes,
        intakes_table,
    )

    assert POSTES_2025 == {"Paris": 501, "Lille": 193, "Marseille": 168, "Toulouse": 144,
                           "Lyon": 142}
    assert NATIONAL_POSTES_2025 == 3593
    assert NATIONAL_PROMOTIONS == {2023: 3650, 2024: 2960, 2025: 3590}
    assert intakes("Lyon") == (142, 142, 117)  # promotions 2026 (as 2025), 2025, 2024
    assert intakes("Paris") == (501, 501, 413)
    assert intakes("Lille", 2025) == (193, 159, 196)  # 2025, 2024, 2023
    table = intakes_table()
    assert max(len(line) for line in table.splitlines()) <= 100
    assert "France" in table and "3650" in table and "consolidation" in table
    with pytest.raises(ValueError, match="Bordeaux"):
        intakes("Bordeaux")


def test_a_subdivision_of_2026() -> None:
    """Promotions 2024-2026 on mg-2023 in the choice, sized by the intakes; the docteurs
    juniors (2023) out of it; a few late internes on mg-2017 with their own histories and
    lists; the ambulatory round first; the same for the same seed."""
    from affectation.datasets import intakes, subdivision
    from affectation.maquettes import MG_2017

    instance = subdivision("Lyon", seed=3, scale=0.25)
    assert instance == subdivision("Lyon", seed=3, scale=0.25)
    assert instance.date_choix == "2026-11" and instance.rounds[0].nom == "ambulatoire"
    sizes = tuple(round(0.25 * k) for k in intakes("Lyon"))
    mg_2023 = [i for i in instance.internes if i.maquette is None]
    late = [i for i in instance.internes if i.maquette == "mg-2017"]
    assert len(mg_2023) == sum(sizes) and late and len(late) == len(instance.internes) - sum(sizes)
    by_year = Counter(i.semestres_valides // 2 for i in mg_2023)
    assert (by_year[0], by_year[1], by_year[2]) == sizes
    assert all(i.semestre not in instance.maquette.consolidation for i in mg_2023)
    for interne in late:
        assert interne.semestre in (5, 6) and len(interne.valides) == interne.semestres_valides
        assert interne.voeux and all(
            eligible_slot(MG_2017, interne, instance.terrain(t)) is not None
            for t in interne.voeux)
    assert len(choice_order(instance)) == len(instance.internes)


def test_the_plan_of_a_subdivision_counts_the_waves() -> None:
    """The commission's question on a subdivision of 2026: the niveau 3 postes each semester
    are the docteurs juniors of today (``juniors``, promotion 2023) for two semesters, then
    each wave of the instance's internes reaching semesters 7-8."""
    from affectation.cohort import plan_postes
    from affectation.datasets import subdivision

    instance = subdivision("Toulouse", seed=1, scale=0.2)
    plan = plan_postes(instance, 29, 8, juniors=29)
    assert plan.status == "OPTIMAL"
    sixth = sum(1 for i in instance.internes if i.maquette is None and i.semestres_valides == 5
                and i.surnombre != "non_validant")
    assert [s.niveau_3 for s in plan.semestres][:2] == [29, 29 + sixth]
    assert all(s.niveau_3 > 0 for s in plan.semestres)


def test_merge_rankings_interleaves_the_facultes_by_relative_place() -> None:
    """R-ROUND-2 Reading: the k-th of a faculté of n at k / n, smaller first, equal places in
    the facultés' order; an interne in two rankings is refused."""
    from affectation.datasets import merge_rankings

    merged = merge_rankings({"A": ["a1", "a2", "a3", "a4"], "B": ["b1", "b2"]})
    assert sorted(merged, key=merged.__getitem__) == ["a1", "a2", "b1", "a3", "a4", "b2"]
    assert sorted(merged.values()) == [1, 2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match="deux classements"):
        merge_rankings({"A": ["x"], "B": ["x"]})


def test_ile_de_france_example(tmp_path) -> None:
    """The Île-de-France example (R-ROUND-2): the praticien N1 round by the facultés' merged
    rankings, then the hospital round; deterministic, loadable from JSON, the engines agree
    and the checker accepts them; the audit reports the round's ranking."""
    from affectation import serial_dictatorship
    from affectation.audit import audit
    from affectation.check import check
    from affectation.cpsat import solve
    from affectation.datasets import example_ile_de_france
    from affectation.io import load_instance, save_instance
    from affectation.rules.order import round_order

    instance = example_ile_de_france(90, seed=3)
    assert instance == example_ile_de_france(90, seed=3)
    first, second = instance.rounds
    assert first.categories == frozenset({"praticien_n1"}) and second.categories is None
    assert first.classement and second.classement is None
    listed = {i for i, _ in first.classement}
    assert all(instance.interne(i).semestre <= 2 for i in listed)
    assert set(round_order(instance, 0)) == listed
    save_instance(instance, tmp_path / "idf.json")
    assert load_instance(tmp_path / "idf.json") == instance
    result = serial_dictatorship(instance)
    exact = solve(instance)
    assert check(instance, result) == [] and check(instance, exact) == []
    assert exact.same_allocation(result)
    assert any(f.code == "round_classement" for f in audit(instance).findings)
