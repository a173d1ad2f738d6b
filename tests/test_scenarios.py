"""Scenarios as immutable changes (R-POS-1, R-POS-2, R-IMP-1, R-ROUND-1, R-ORD-1, R-ORD-2)."""

from __future__ import annotations

import copy
import pickle

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import OBLIGATOIRES, ROUNDS, instances

from affectation.datasets import generate
from affectation.maquettes import MG_2010
from affectation.model import DEFAULT_ROUND, Couple, Instance, Interne, Round, Terrain
from affectation.scenarios import (
    BASE,
    AddTerrain,
    Change,
    ChangePromotion,
    OpenPostes,
    RemoveTerrain,
    Scenario,
    SetObligatoires,
    SetRounds,
    close_postes,
    open_postes,
    parse_change,
    wish_demand,
)


def small() -> Instance:
    """Three urgences terrains with known demand (top-3 wishes): URG-A 3, URG-B 4, URG-C 1."""
    terrains = [
        Terrain("URG-A", ["urgences"], 2),
        Terrain("URG-B", ["urgences"], 1),
        Terrain("URG-C", ["urgences"], 1),
        Terrain("MED-A", ["medecine_adulte"], 2),
        Terrain("N1-A", ["praticien_n1"], 1),
    ]
    internes = [
        Interne("I1", 1, 0, voeux=["URG-B", "MED-A", "URG-A"]),
        Interne("I2", 2, 0, voeux=["URG-B", "MED-A", "N1-A"]),
        Interne("I3", 3, 0, voeux=["MED-A", "URG-B", "URG-C"][:2]),
        Interne("I4", 4, 0, voeux=["N1-A", "MED-A", "URG-B", "URG-C"]),
        Interne("I5", 5, 0, voeux=["MED-A"]),
        Interne("I6", 6, 0, voeux=[]),
        Interne("I7", 7, 0, voeux=[]),
    ]
    couples = [Couple(("I6", "I7"), [("URG-C", "MED-A"), ("URG-A", "URG-A")])]
    return Instance(MG_2010, terrains, internes, couples)


def postes(instance: Instance) -> dict[str, int]:
    return {t.id: t.postes for t in instance.terrains}


# --- demand ---------------------------------------------------------------------------------


def test_wish_demand_counts_first_three_wishes_and_joint_lists():
    demand = wish_demand(small())
    # I6 and I7: URG-C / MED-A from the first joint pair, URG-A from the second (I6 and I7)
    assert demand == {"URG-A": 3, "URG-B": 4, "URG-C": 1, "MED-A": 6, "N1-A": 2}
    assert wish_demand(small(), top_k=1)["URG-B"] == 2


# --- OpenPostes -----------------------------------------------------------------------------


def test_demand_rule_opens_where_demand_exceeds_supply_most():
    base = small()
    # excess demand - postes: URG-A 3-2=1, URG-B 4-1=3, URG-C 1-1=0
    assert OpenPostes("urgences", 1).placement(base) == {"URG-B": 1}
    assert OpenPostes("urgences", 2).placement(base) == {"URG-B": 2}
    # after two: URG-B excess 1 ties URG-A 1; file order gives URG-A
    assert OpenPostes("urgences", 3).placement(base) == {"URG-A": 1, "URG-B": 2}
    assert OpenPostes("urgences", 5).placement(base) == {"URG-A": 2, "URG-B": 3}


def test_demand_rule_closes_lowest_demand_per_poste_first_never_below_zero():
    base = small()
    # demand / postes: URG-A 3/2, URG-B 4/1, URG-C 1/1
    assert OpenPostes("urgences", -1).placement(base) == {"URG-C": -1}
    assert OpenPostes("urgences", -2).placement(base) == {"URG-A": -1, "URG-C": -1}
    assert OpenPostes("urgences", -4).placement(base) == {"URG-A": -2, "URG-B": -1, "URG-C": -1}
    with pytest.raises(ValueError, match=r"impossible de fermer 5 postes.*que 4"):
        OpenPostes("urgences", -5).apply(base)


def test_even_rule_is_round_robin_in_file_order():
    base = small()
    assert OpenPostes("urgences", 4, rule="even").placement(base) == {
        "URG-A": 2, "URG-B": 1, "URG-C": 1,
    }
    # closing skips a terrain at 0: A, B, C, then A again
    assert OpenPostes("urgences", -4, rule="even").placement(base) == {
        "URG-A": -2, "URG-B": -1, "URG-C": -1,
    }


def test_named_terrains_round_robin_in_given_order():
    base = small()
    change = OpenPostes("urgences", 3, terrains=("URG-C", "URG-A"))
    assert change.placement(base) == {"URG-C": 2, "URG-A": 1}
    after = change.apply(base)
    assert postes(after) == {"URG-A": 3, "URG-B": 1, "URG-C": 3, "MED-A": 2, "N1-A": 1}
    closing = OpenPostes("urgences", -2, terrains=("URG-C", "URG-A"))
    assert closing.placement(base) == {"URG-C": -1, "URG-A": -1}
    with pytest.raises(ValueError, match="URG-C, URG-A n'en ouvrent que 3"):
        OpenPostes("urgences", -4, terrains=("URG-C", "URG-A")).apply(base)


def test_open_postes_moves_postes_and_leaves_the_base_untouched():
    base = small()
    before = copy.deepcopy(base)
    after = open_postes("urgences", 3).apply(base)
    assert base == before
    assert postes(base) == postes(before)
    assert sum(postes(after).values()) == sum(postes(base).values()) + 3
    assert after.internes == base.internes and after.couples == base.couples


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (OpenPostes("saspas", 2), "aucun terrain n'est agréé pour 'saspas'"),
        (OpenPostes("urgences", 1, terrains=("MED-A",)),
         r"'MED-A'\)? n'est pas agréé pour 'urgences'"),
        (OpenPostes("urgences", 1, terrains=("NOPE",)), "terrain inconnu 'NOPE'"),
        (OpenPostes("urgences", -9, rule="even"), "impossible de fermer 9 postes"),
    ],
)
def test_open_postes_errors_at_apply(change, message):
    with pytest.raises(ValueError, match=message):
        change.apply(small())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"category": "urgences", "n": 0},
        {"category": "", "n": 1},
        {"category": "urgences", "n": 1, "rule": "random"},
        {"category": "urgences", "n": 1, "terrains": ()},
        {"category": "urgences", "n": 1, "terrains": ("URG-A", "URG-A")},
        {"category": "urgences", "n": True},
        {"category": "urgences", "n": 1, "top_k": 0},
    ],
)
def test_open_postes_rejects_bad_fields(kwargs):
    with pytest.raises(ValueError):
        OpenPostes(**kwargs)


def test_open_and_close_helpers_name_the_scenario():
    assert open_postes("urgences", 3).name == "urgences +3"
    assert close_postes("praticien_n1", 2) == Scenario(
        "praticien_n1 -2", (OpenPostes("praticien_n1", -2),)
    )
    assert open_postes("urgences", 2, terrains=("URG-A",)).name == "urgences +2 (URG-A)"
    assert open_postes("urgences", 2, rule="even").name == "urgences +2 even"
    with pytest.raises(ValueError, match="close_postes"):
        open_postes("urgences", -1)
    with pytest.raises(ValueError):
        close_postes("urgences", -1)


# --- terrains -------------------------------------------------------------------------------


def test_add_terrain_appends_it():
    base = small()
    new = Terrain("URG-D", ["urgences"], 2)
    after = AddTerrain(new).apply(base)
    assert after.terrains == (*base.terrains, new)
    assert len(base.terrains) == 5
    with pytest.raises(ValueError, match="existe déjà"):
        AddTerrain(Terrain("URG-A", ["urgences"], 1)).apply(base)


def test_remove_terrain_cleans_wish_lists_and_joint_lists():
    base = small()
    after = RemoveTerrain("URG-B").apply(base)
    assert "URG-B" not in after.terrain_by_id
    assert after.interne("I1").voeux == ("MED-A", "URG-A")  # the list shifts up
    assert after.interne("I4").voeux == ("N1-A", "MED-A", "URG-C")
    after = RemoveTerrain("URG-C").apply(base)
    assert after.couples[0].voeux == (("URG-A", "URG-A"),)
    assert base.couples[0].voeux == (("URG-C", "MED-A"), ("URG-A", "URG-A"))
    assert base.interne("I1").voeux == ("URG-B", "MED-A", "URG-A")
    with pytest.raises(ValueError, match="terrain inconnu 'NOPE'"):
        RemoveTerrain("NOPE").apply(base)


# --- promotions -----------------------------------------------------------------------------


def test_change_promotion_clones_deterministically_after_the_last_rank():
    base = generate(120, seed=5, maquette="mg-2010")
    change = ChangePromotion(0, 7, seed=11)
    first, second = change.apply(base), change.apply(base)
    assert first == second
    assert ChangePromotion(0, 7, seed=12).apply(base) != first
    clones = first.internes[len(base.internes):]
    assert len(clones) == 7
    last = max(i.rang for i in base.internes)
    assert [c.rang for c in clones] == list(range(last + 1, last + 8))
    for clone in clones:
        source = base.interne(clone.id.rsplit("-c", 1)[0])
        assert clone.id not in base.interne_by_id
        assert clone.semestres_valides == 0 == source.semestres_valides
        assert clone.voeux == source.voeux and clone.valides == source.valides
        assert source.id not in base.couple_of
    assert first.internes[: len(base.internes)] == base.internes


def test_change_promotion_clones_each_once_before_any_twice():
    base = small()  # five T1s outside the couple
    clones = ChangePromotion(0, 12).apply(base).internes[len(base.internes):]
    sources = [c.id.rsplit("-c", 1)[0] for c in clones]
    assert sorted(sources[:5]) == ["I1", "I2", "I3", "I4", "I5"]
    assert len({c.id for c in clones}) == 12


def test_change_promotion_removes_the_last_ranked_and_dissolves_their_couple():
    base = small()
    after = ChangePromotion(0, -2).apply(base)
    assert [i.id for i in after.internes] == ["I1", "I2", "I3", "I4", "I5"]
    assert after.couples == ()
    after = ChangePromotion(0, -3).apply(base)
    assert "I5" not in after.interne_by_id
    with pytest.raises(ValueError, match="il y en a 7"):
        ChangePromotion(0, -8).apply(base)
    with pytest.raises(ValueError, match="aucun interne à 3 semestres validés"):
        ChangePromotion(3, 1).apply(base)
    with pytest.raises(ValueError):
        ChangePromotion(0, 0)


def test_change_promotion_keeps_percentile_instances_valid():
    base = attrs.evolve(
        small(),
        internes=[attrs.evolve(i, effectif_promotion=97) for i in small().internes],
        interclassement="percentile",
    )
    after = ChangePromotion(0, 4).apply(base)
    clones = after.internes[len(base.internes):]
    assert all(c.effectif_promotion >= c.rang for c in clones)


# --- obligatoires and rounds ----------------------------------------------------------------


def test_set_obligatoires_and_rounds():
    base = small()
    assert SetObligatoires(()).apply(base).obligatoires == ()
    assert SetObligatoires(["urgences"]).apply(base).obligatoires == ("urgences",)
    assert base.obligatoires == ("urgences", "praticien_n1")
    rounds = (Round("ambulatoire", ["praticien_n1"]), Round("hospitalier", "*"))
    two = SetRounds(rounds).apply(base)
    assert two.rounds == rounds
    assert SetRounds(None).apply(two).rounds == (DEFAULT_ROUND,)
    with pytest.raises(ValueError, match="catégorie inconnue"):
        SetObligatoires(("cardiologie",)).apply(base)
    assert SetObligatoires(()).label == "sans impositions"
    assert SetRounds(None).label == "tour unique"


# --- scenarios ------------------------------------------------------------------------------


def test_scenario_applies_changes_in_order():
    base = small()
    scenario = Scenario.of(RemoveTerrain("URG-C"), OpenPostes("urgences", -3, rule="even"))
    assert scenario.name == "- URG-C, urgences -3 even"
    after = scenario.apply(base)
    assert postes(after) == {"URG-A": 0, "URG-B": 0, "MED-A": 2, "N1-A": 1}
    # the other order closes URG-C's poste first, then removes the terrain
    other = Scenario.of(OpenPostes("urgences", -3, rule="even"), RemoveTerrain("URG-C"))
    assert postes(other.apply(base)) == {"URG-A": 1, "URG-B": 0, "MED-A": 2, "N1-A": 1}
    assert BASE.apply(base) == base


def test_scenarios_are_hashable_and_picklable():
    scenario = Scenario.of(
        OpenPostes("urgences", 2, terrains=["URG-A"]),
        AddTerrain(Terrain("URG-D", ["urgences"], 2)),
        RemoveTerrain("URG-B"),
        ChangePromotion(0, 3, seed=4),
        SetObligatoires(()),
        SetRounds((Round("ambulatoire", ["praticien_n1"]), Round("hospitalier", "*"))),
        name="all kinds",
    )
    copy_ = pickle.loads(pickle.dumps(scenario))
    assert copy_ == scenario and hash(copy_) == hash(scenario)
    assert {scenario: 1}[copy_] == 1
    assert copy_.apply(small()) == scenario.apply(small())
    assert all(isinstance(c, Change) for c in scenario.changes)
    with pytest.raises(TypeError):
        Scenario("bad", ("urgences:3",))
    with pytest.raises(ValueError):
        Scenario("", ())


# --- parse_change ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("urgences:3", OpenPostes("urgences", 3)),
        ("urgences:+3", OpenPostes("urgences", 3)),
        (" praticien_n1:-2 ", OpenPostes("praticien_n1", -2)),
        ("urgences:3:even", OpenPostes("urgences", 3, rule="even")),
        ("urgences:-1:demand", OpenPostes("urgences", -1)),
        ("urgences:2@URG-A", OpenPostes("urgences", 2, terrains=("URG-A",))),
        ("urgences:2@URG-A, URG-C", OpenPostes("urgences", 2, terrains=("URG-A", "URG-C"))),
    ],
)
def test_parse_change(text, expected):
    assert parse_change(text) == expected


@pytest.mark.parametrize(
    "text",
    ["urgences", "urgences:", ":3", "urgences:x", "urgences:0", "urgences:3:random",
     "urgences:1:2:3", "urgences:2:even@URG-A", "urgences:2@", "urgences:2@URG-A,,URG-B",
     "urgences:2.5"],
)
def test_parse_change_rejects(text):
    with pytest.raises(ValueError, match="illisible"):
        parse_change(text)


# --- properties -----------------------------------------------------------------------------


@st.composite
def instance_and_changes(draw: st.DrawFn) -> tuple[Instance, list[Change]]:
    """A small instance and a few changes that fit it."""
    instance = draw(instances())
    changes: list[Change] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(("open", "close", "remove", "promotion", "oblig", "rounds")))
        terrain = draw(st.sampled_from(instance.terrains))
        category = terrain.categories[0]
        if kind == "open":
            changes.append(OpenPostes(category, draw(st.integers(1, 4)),
                                      rule=draw(st.sampled_from(("demand", "even")))))
        elif kind == "close" and terrain.postes:
            changes.append(OpenPostes(category, -draw(st.integers(1, terrain.postes)),
                                      rule=draw(st.sampled_from(("demand", "even")))))
        elif kind == "remove" and len(instance.terrains) > 1:
            changes.append(RemoveTerrain(terrain.id))
        elif kind == "promotion":
            interne = draw(st.sampled_from(instance.internes))
            if interne.id not in instance.couple_of:
                delta = draw(st.sampled_from((-1, 1, 2)))
                changes.append(ChangePromotion(interne.semestres_valides, delta,
                                               seed=draw(st.integers(0, 3))))
        elif kind == "oblig":
            changes.append(SetObligatoires(draw(st.sampled_from(OBLIGATOIRES))))
        elif kind == "rounds":
            changes.append(SetRounds(draw(st.sampled_from(ROUNDS))))
    return instance, changes


@given(instance_and_changes())
def test_apply_never_mutates_the_base(case):
    instance, changes = case
    before = copy.deepcopy(instance)
    snapshot = pickle.dumps(instance)
    scenario = Scenario.of(*changes, name="random")
    try:
        after = scenario.apply(instance)
    except ValueError:
        after = None  # a later change may not fit (e.g. closing on a removed terrain)
    assert instance == before
    assert pickle.dumps(instance) == snapshot
    if after is not None:
        assert scenario.apply(before) == after  # a pure function of the instance


@given(instances(), st.data())
def test_open_postes_changes_the_total_by_n_on_the_category_only(instance, data):
    terrain = data.draw(st.sampled_from(instance.terrains))
    category = terrain.categories[0]
    have = sum(t.postes for t in instance.terrains if category in t.categories)
    n = data.draw(st.integers(-have, 5).filter(lambda k: k != 0)) if have else 3
    rule = data.draw(st.sampled_from(("demand", "even")))
    after = OpenPostes(category, n, rule=rule).apply(instance)
    assert sum(postes(after).values()) == sum(postes(instance).values()) + n
    for old, new in zip(instance.terrains, after.terrains, strict=True):
        assert new.postes >= 0
        if category not in old.categories:
            assert new == old
        elif new.postes != old.postes:
            assert (new.postes > old.postes) == (n > 0)
