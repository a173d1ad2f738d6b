"""plan_postes (affectation.cohort.plan): the hand-made cohort answered and proven, the plan one
poste short shown infeasible with the binding constraint named, the plan file, and invariants
of every plan on generated instances."""

from __future__ import annotations

import json

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import instances

from affectation.cohort import load_plan, plan_postes, save_plan
from affectation.cohort.plan import (
    arrivals,
    kinds_of,
    plan_from_dict,
    semester_labels,
    spread_postes,
)
from affectation.errors import InstanceError
from affectation.model import Instance, Interne, Maquette, Slot, Terrain
from affectation.rules.postes import minimum_postes

MINI = Maquette("mini-2", 2, (Slot("urgences", ["urgences"], (1, 2)),
                              Slot("libre", ["libre"], (1, 2))))
"""One urgences slot due in the first two semesters, and a libre one."""


def hand_cohort(**changes) -> Instance:
    """Ten T1s in their 1st semester (A) and ten in their 2nd who did libre (B), November."""
    terrains = (Terrain("U", ["urgences"], 10, agrement=changes.pop("agrement", None)),
                Terrain("L", ["libre"], 12))
    internes = [Interne(f"A{i}", i, 0, voeux=["L", "U"]) for i in range(1, 11)] + [
        Interne(f"B{i}", i, 1, valides=["libre"], voeux=["U"]) for i in range(1, 11)]
    return Instance(MINI, terrains, internes, date_choix="2026-11", **changes)


def test_r_pos_3_floor():
    assert [minimum_postes(n) for n in (0, 10, 20, 100, 429, 430, 1000)] == [
        0, 11, 22, 107, 460, 460, 1030]


def test_semesters_and_promotions_follow_date_choix():
    assert semester_labels("2026-11", 3) == ("2026-11", "2027-05", "2027-11")
    assert arrivals("2026-11", 4) == (False, False, True, False)
    assert arrivals("2027-05", 4) == (False, True, False, True)


def test_hand_made_cohort_by_hand():
    """By hand: B must do urgences now (10 postes in 2026-11); A does urgences in one of its
    two semesters and the new promotion of 2027-11 in 2027-11 or 2028-05. Every semester opens
    at least the R-POS-3 floor: 22 for 20 internes, then 11 for 10: 55 in all. Among those
    plans the fewest impositions puts A's urgences in 2027-05 (in 2026-11 an A who could take
    libre would be imposed one) and the new T1s' in 2028-05: 10, 10, 0, 10."""
    plan = plan_postes(hand_cohort(), promotions=10, semesters=4)
    assert plan.status == "OPTIMAL" and plan.value == plan.bound == 55 and plan.gap == 0
    assert [s.internes for s in plan.semestres] == [20, 10, 10, 10]
    assert [s.nouveaux for s in plan.semestres] == [0, 0, 10, 0]
    assert [s.total for s in plan.semestres] == [22, 11, 11, 11]
    assert [s.postes["urgences"] for s in plan.semestres] == [10, 10, 0, 10]
    assert [s.impositions for s in plan.semestres] == [0, 0, 0, 0]
    for s in plan.semestres:
        assert s.postes["urgences"] == s.demande["urgences"]  # R-IMP-1: no vacancy forced
    fewest = plan_postes(hand_cohort(), promotions=10, semesters=4, objective="impositions")
    assert fewest.value == fewest.bound == 0


def test_one_urgences_poste_fewer_is_infeasible_and_names_the_agrement():
    assert plan_postes(hand_cohort(agrement=10), 10, 4).status == "OPTIMAL"
    plan = plan_postes(hand_cohort(agrement=10), 10, 4, agrement={"urgences": 9})
    assert plan.status == "INFEASIBLE" and not plan.feasible
    named = {(b.constraint, b.semestre, b.categorie) for b in plan.binding}
    assert ("agrement", "2026-11", "urgences") in named
    assert all(b.semestre == "2026-11" for b in plan.binding)  # a minimal core
    assert named <= {("agrement", "2026-11", "urgences"), ("placement", "2026-11", None)}


def test_a_plan_one_poste_short_names_its_opening():
    """The optimal plan fixed as it is works. With its urgences (10 then 10) but one fewer in
    2027-05, the 20 internes who need urgences in their first year cannot all do them: the
    two openings are named. With every opening of 2027-05 fixed and one urgences fewer, the
    R-POS-3 floor is what breaks first, and is named with them."""
    best = plan_postes(hand_cohort(), 10, 4)
    assert plan_postes(hand_cohort(), 10, 4, fixed=best).status == "OPTIMAL"
    plan = plan_postes(hand_cohort(), 10, 4, fixed={(0, "urgences"): 10, (1, "urgences"): 9})
    assert plan.status == "INFEASIBLE"
    named = {(b.constraint, b.semestre, b.categorie) for b in plan.binding}
    openings = {("postes_fixes", "2026-11", "urgences"), ("postes_fixes", "2027-05", "urgences")}
    assert openings <= named
    assert named <= openings | {("placement", "2026-11", None), ("placement", "2027-05", None)}
    assert plan_postes(hand_cohort(), 10, 4,
                       fixed={(0, "urgences"): 10, (1, "urgences"): 10}).feasible
    short = {(s, k): v for s, row in enumerate(best.semestres) for k, v in row.postes.items()}
    short[(1, "urgences")] -= 1
    plan = plan_postes(hand_cohort(), 10, 4, fixed=short)
    named = {(b.constraint, b.semestre, b.categorie) for b in plan.binding}
    assert plan.status == "INFEASIBLE" and ("postes_fixes", "2027-05", "urgences") in named
    assert ("r_pos_3", "2027-05", None) in named


def test_per_terrain_plan_stays_within_each_agrement():
    terrains = (Terrain("U1", ["urgences"], 4, agrement=6), Terrain("U2", ["urgences"], 6),
                Terrain("L", ["libre"], 12))
    internes = [attrs.evolve(i, voeux=()) for i in hand_cohort().internes]
    instance = attrs.evolve(hand_cohort(), terrains=terrains, internes=internes)
    plan = plan_postes(instance, 10, 4, per_terrain=True, objective="change")
    assert plan.status == "OPTIMAL"
    moved = 0
    for s in plan.semestres:
        assert s.terrains["U1"] <= 6
        assert s.terrains["U1"] + s.terrains["U2"] == s.postes["urgences"]
        moved += sum(abs(s.terrains[t.id] - t.postes) for t in terrains)
    assert moved == plan.value  # the fewest postes moved, terrain by terrain


def test_plan_file_round_trip_and_excel(tmp_path):
    plan = plan_postes(hand_cohort(), 10, 4)
    save_plan(plan, tmp_path / "plan.json")
    doc = json.loads((tmp_path / "plan.json").read_text())
    assert doc["format"] == "affectation-plan/1" and doc["statut"] == "OPTIMAL"
    assert doc["semestres"][0]["postes"] == {"urgences": 10, "libre": 12}
    again = load_plan(tmp_path / "plan.json")
    assert again.semestres == plan.semestres and again.value == 55 and again.bound == 55
    save_plan(plan, tmp_path / "plan.xlsx")
    import pandas as pd

    sheets = pd.read_excel(tmp_path / "plan.xlsx", sheet_name=None)
    assert set(sheets) == {"plan", "postes", "demande"}
    assert list(sheets["postes"]["urgences"]) == [10, 10, 0, 10]


@pytest.mark.parametrize(("change", "entity", "key"), [
    ({"format": "x"}, "plan", "format"),
    ({"semestres": []}, "plan", "semestres"),
    ({"semestres": [{"semestre": "2026-11", "postes": {"urgences": -1}}]},
     "semestres[0] (2026-11)", "postes"),
    ({"semestres": [{"semestre": "2026-11", "postes": {"urgences": 1}, "internes": "x"}]},
     "semestres[0] (2026-11)", "internes"),
])
def test_bad_plan_document_names_entry_and_key(change, entity, key):
    doc = {**plan_postes(hand_cohort(), 10, 2).to_dict(), **change}
    with pytest.raises(InstanceError) as error:
        plan_from_dict(doc, file="plan.json")
    assert error.value.entity == entity and error.value.key == key
    assert "plan.json" in str(error.value)


@settings(max_examples=25)
@given(instances(max_internes=8, max_terrains=5), st.integers(0, 4), st.integers(1, 4))
def test_every_plan_places_everyone_within_its_postes(instance, promotion, semesters):
    """Invariants of any plan: each semester places every interne (the demand sums to the
    internes choosing), never more than the postes, fills every mandatory poste, and opens at
    least the R-POS-3 floor; the objective is the postes opened, proven."""
    plan = plan_postes(instance, promotion, semesters)
    if not plan.feasible:
        assert plan.status == "INFEASIBLE" and plan.binding
        return
    assert plan.status == "OPTIMAL" and plan.value == plan.bound
    kinds = kinds_of(instance)
    mandatory = {k for k, ts in kinds.items() if instance.is_mandatory(ts[0])}
    for s in plan.semestres:
        assert sum(s.demande.values()) == s.internes
        assert s.total >= minimum_postes(s.internes) == s.minimum_r_pos_3
        for kind, postes in s.postes.items():
            assert s.demande[kind] <= postes
            if kind in mandatory:
                assert s.demande[kind] == postes
    assert plan.value == sum(s.total for s in plan.semestres)
    assert plan_postes(instance, promotion, semesters, fixed=plan).value == plan.value


@settings(max_examples=50)
@given(st.lists(st.tuples(st.integers(0, 6), st.one_of(st.none(), st.integers(0, 6))),
                min_size=1, max_size=5), st.integers(0, 20))
def test_spread_postes_keeps_the_total_within_agrements(rows, total):
    terrains = [Terrain(f"T{k}", ["libre"], p, agrement=None if a is None else max(a, p))
                for k, (p, a) in enumerate(rows)]
    caps = [t.agrement for t in terrains]
    if all(c is not None for c in caps) and total > sum(caps):
        with pytest.raises(ValueError, match="dépassent les agréments"):
            spread_postes(terrains, total)
        return
    shares = spread_postes(terrains, total)
    assert sum(shares.values()) == total
    for t in terrains:
        assert shares[t.id] >= 0 and (t.agrement is None or shares[t.id] <= t.agrement)


def test_plots_draw_the_plan_and_the_careers():
    from affectation.cohort.plots import plot_careers, plot_plan
    from affectation.cohort.simulate import simulate

    instance = hand_cohort()
    plan = plan_postes(instance, 10, 4)
    fig = plot_plan(plan)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2
    careers = simulate(instance, plan, futures=3, executor="inline")
    fig = plot_careers({"plan": careers, "aujourd'hui": careers})
    assert len(fig.axes) == 4 and fig.axes[0].get_legend() is not None


def test_free_postes_are_spread_over_the_non_mandatory_kinds():
    """The postes the R-POS-3 floor adds go up to two per non-mandatory kind before any kind
    gets a third (the spread tie-break). No surnombre: a poste kept free for the surnombres
    validants (R-SUR-2) is in ``postes - demande`` too but is not the spread's (on seed 5 with
    the default surnombres, a kept-free ped_gyn poste reads as a third free one while
    medecine_adulte has one: the xfail this test was, on the 6-semester mg-2017)."""
    from affectation.datasets import generate

    instance = attrs.evolve(generate(160, seed=5, maquette="mg-2017", surnombre_rate=0.0),
                            date_choix="2026-11")
    plan = plan_postes(instance, 40, 4)
    kinds = kinds_of(instance)
    free_kinds = [k for k, ts in kinds.items() if not instance.is_mandatory(ts[0])]
    for row in plan.semestres:
        free = {k: row.postes[k] - row.demande[k] for k in free_kinds}
        if max(free.values()) > 2:
            assert min(free.values()) >= 2, (row.semestre, free)


def test_example_plan_over_the_four_year_des_opens_niveau_3_postes():
    """The example (mg-2023, the docteurs juniors out of the choice): the plan over eight
    semesters is feasible; the niveau 3 postes follow the waves: none in the first semester
    (no docteur junior today, the instance refuses them), then the internes in their 6th
    semester today in the 2nd, and two semesters of each wave after."""
    from affectation.datasets import example

    instance = example()
    plan = plan_postes(instance, 40, 8)
    assert plan.status == "OPTIMAL" and plan.value == plan.bound
    on_2023 = [i for i in instance.internes if instance.maquette_of(i).nom == "mg-2023"]
    sixth = sum(1 for i in on_2023 if i.semestres_valides == 5 and i.surnombre != "non_validant")
    fifth = sum(1 for i in on_2023 if i.semestres_valides == 4 and i.surnombre != "non_validant")
    niveau_3 = [s.niveau_3 for s in plan.semestres]
    assert niveau_3[0] == 0 and niveau_3[1] == sixth and niveau_3[2] == sixth + fifth
    for row in plan.semestres:  # the docteurs juniors are not among those who choose
        assert row.total >= row.minimum_r_pos_3 == minimum_postes(row.internes)
    assert json.loads(json.dumps(plan.to_dict()))["semestres"][2]["niveau_3"] == niveau_3[2]
    # "consolidation": "choix" keeps them in the choice: with no niveau 3 terrain, no plan
    assert not plan_postes(attrs.evolve(instance, consolidation="choix"), 40, 8).feasible


def test_mixed_maquettes_plan_each_interne_on_their_own_maquette():
    """R-MAQ-5: late internes on mg-2017 (6 semesters, no niveau 3) among mg-2023 ones; each
    state follows its own maquette: an mg-2017 interne in semester 6 finishes and never needs
    a niveau 3 poste, an mg-2023 one in semester 6 goes to the appariement."""
    from affectation.maquettes import MG_2023

    terrains = (Terrain("U", ["urgences"], 2), Terrain("N", ["praticien_n1"], 2),
                Terrain("S", ["saspas"], 4), Terrain("L", ["libre"], 4),
                Terrain("M", ["medecine_adulte"], 2), Terrain("P", ["ped_gyn"], 4))
    done_2023 = ["urgences", "praticien_n1", "medecine_adulte", "pediatrie_gynecologie",
                 "libre"]
    done_2017 = ["urgences", "praticien_n1", "medecine_adulte", "sante_enfant", "sante_femme"]
    internes = [Interne(f"A{k}", k, 5, valides=done_2023, voeux=["S"]) for k in (1, 2)] + [
        Interne(f"B{k}", 2 + k, 5, valides=done_2017, voeux=["S"], maquette="mg-2017")
        for k in (1, 2, 3)]
    instance = Instance(MG_2023, terrains, internes, date_choix="2026-11")
    plan = plan_postes(instance, 0, 4)
    assert plan.status == "OPTIMAL" and not plan.hors_plan
    assert [s.internes for s in plan.semestres] == [5, 0, 0, 0]
    assert [s.niveau_3 for s in plan.semestres] == [0, 2, 2, 0]
    assert plan.semestres[0].demande["saspas"] == 5


def test_the_plan_s_figure_draws_the_niveau_3_postes_of_the_appariement():
    from affectation.cohort.plots import plot_plan
    from affectation.datasets import example

    instance = attrs.evolve(example(), date_choix="2026-11")
    plan = plan_postes(instance, 100, 8)
    assert any(s.niveau_3 for s in plan.semestres)  # mg-2023: the fourth year leaves the choice
    titles = [ax.get_title() for ax in plot_plan(plan).axes if ax.get_visible()]
    assert titles[-1] == "niveau 3 (appariement)" and len(titles) == len(plan.kinds) + 1
    panel = plot_plan(plan, ["urgences", "niveau_3"]).axes[1]
    assert [round(b.get_height()) for b in panel.patches] == [s.niveau_3 for s in plan.semestres]
