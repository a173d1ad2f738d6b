"""The checker finds what is wrong: any result moved one interne away from the rules' allocation
is flagged, and each kind of violation is reported with its rule id."""

from __future__ import annotations

from collections import Counter

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import instances

from affectation import Instance, Interne, Terrain
from affectation import serial_dictatorship as serial
from affectation.check import check
from affectation.maquettes import MG_2023
from affectation.result import Result
from affectation.rules.eligibility import eligible_slot
from affectation.rules.voeux import own_rank

N = max(200, settings().max_examples)


def rebook(instance: Instance, result: Result, affectations) -> Result:
    """A result with consistent vacants and impositions for ``affectations``."""
    used = Counter(a.terrain for a in affectations if a.terrain and a.surnombre is None)
    vacants = [(t.id, t.postes - used[t.id]) for t in instance.terrains
               if t.postes > used[t.id]]
    return attrs.evolve(result, affectations=tuple(affectations), vacants_items=vacants,
                        impositions=tuple(a.interne for a in affectations if a.impose))


@settings(max_examples=N)
@given(instances(), st.data())
def test_any_one_interne_moved_is_flagged(instance: Instance, data: st.DataObject) -> None:
    """Moving one interne to another terrain, or taking their poste away, breaks a rule
    (priority R-ORD-1, capacity R-POS-1, eligibility R-ELI, fill R-IMP, couples R-ORD-2)."""
    result = serial(instance)
    k = data.draw(st.integers(0, len(result.affectations) - 1))
    a = result.affectations[k]
    interne = instance.interne(a.interne)
    choices = [t.id for t in instance.terrains if t.id != a.terrain]
    target = data.draw(st.sampled_from([None, *choices]))
    if target is None and a.terrain is None:
        return  # nothing to move
    if target is None:
        moved = attrs.evolve(a, terrain=None, stage=None, voeu=None, impose=False, round=None,
                             raison="moved away by the test")
    else:
        terrain = instance.terrain(target)
        moved = attrs.evolve(
            a, terrain=target, raison=None, voeu=own_rank(interne, target),
            stage=None if interne.surnombre == "non_validant"
            else eligible_slot(instance.maquette, interne, terrain),
            round=instance.rounds[instance.terrain_round[target]].nom,
        )
    affectations = list(result.affectations)
    affectations[k] = moved
    assert check(instance, rebook(instance, result, affectations)) != []


def t1(ident: str, rang: int, voeux) -> Interne:
    return Interne(ident, rang, 0, voeux)


URG, N1 = Terrain("URG", ["urgences"], 1), Terrain("N1", ["praticien_n1"], 1)
MED = Terrain("MED", ["medecine_adulte"], 1)


def rules_of(instance: Instance, result: Result) -> set[str]:
    return {v.rule for v in check(instance, result)}


def test_envy_is_r_ord_1() -> None:
    instance = Instance(MG_2023, [URG, N1], [t1("a", 1, ["URG", "N1"]), t1("b", 2, ["URG", "N1"])],
                        obligatoires=[])
    good = serial(instance)
    a, b = good.affectations
    swapped = [attrs.evolve(a, terrain="N1", voeu=2, stage="praticien_n1"),
               attrs.evolve(b, terrain="URG", voeu=1, stage="urgences")]
    assert "R-ORD-1" in rules_of(instance, rebook(instance, good, swapped))


def test_over_capacity_is_r_pos_1() -> None:
    instance = Instance(MG_2023, [URG, N1], [t1("a", 1, ["URG"]), t1("b", 2, ["URG", "N1"])],
                        obligatoires=[])
    good = serial(instance)
    a, b = good.affectations
    both_urg = [a, attrs.evolve(b, terrain="URG", voeu=1, stage="urgences")]
    assert "R-POS-1" in rules_of(instance, rebook(instance, good, both_urg))


def test_not_eligible_is_r_eli() -> None:
    instance = Instance(MG_2023, [URG, MED], [t1("a", 1, ["URG", "MED"])], obligatoires=[])
    good = serial(instance)
    moved = [attrs.evolve(good.affectations[0], terrain="MED", voeu=2, stage="libre")]
    assert "R-ELI-2" in rules_of(instance, rebook(instance, good, moved))


def test_missing_imposition_is_r_imp() -> None:
    """The last-ranked T1 left without a poste while urgences stays empty (R-IMP-1, -2)."""
    instance = Instance(MG_2023, [URG, N1], [t1("a", 1, ["N1"]), t1("b", 2, ["N1"])])
    good = serial(instance)
    assert good.impositions == ("b",)
    a, b = good.affectations
    dropped = [a, attrs.evolve(b, terrain=None, stage=None, voeu=None, impose=False,
                               round=None, raison="test")]
    assert {"R-IMP-1", "R-IMP-2"} <= rules_of(instance, rebook(instance, good, dropped))


def test_wrong_bookkeeping_is_format() -> None:
    instance = Instance(MG_2023, [URG], [t1("a", 1, ["URG"])])
    good = serial(instance)
    assert {v.rule for v in check(instance, attrs.evolve(good, vacants_items=[("URG", 1)]))} \
        == {"FORMAT"}
    assert check(instance, attrs.evolve(good, ordre=("zz",))) != []


def test_violations_are_french_with_names_beside_ids() -> None:
    a_ = Interne("a", 1, 0, ["URG", "N1"], nom="Martin", prenom="Léa")
    instance = Instance(MG_2023, [URG, N1], [a_, t1("b", 2, ["URG", "N1"])], obligatoires=[])
    good = serial(instance)
    a, b = good.affectations
    swapped = [attrs.evolve(a, terrain="N1", voeu=2, stage="praticien_n1"),
               attrs.evolve(b, terrain="URG", voeu=1, stage="urgences")]
    envy = next(v for v in check(instance, rebook(instance, good, swapped))
                if v.rule == "R-ORD-1")
    assert envy.line(instance) == ("[R-ORD-1] Martin Léa (a), URG : le vœu 1 était ouvert et "
                                   "éligible à son tour mais il ou elle a eu N1")
    assert str(envy).startswith("[R-ORD-1] a, URG : le vœu 1")
