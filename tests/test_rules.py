"""One test (at least) per rule, citing its id; hand-made scenarios from the seed pages.

Each scenario runs through both engines and the checker.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affectation import Couple, Instance, InstanceError, Interne, Maquette, Round, Slot, Terrain
from affectation import serial_dictatorship as serial
from affectation.check import check
from affectation.cpsat import solve
from affectation.errors import NoAllocation
from affectation.maquettes import MG_2010, MG_2023
from affectation.result import SolveStatus
from affectation.rules.eligibility import completable, eligible_slot
from affectation.rules.mandatory import (
    MandatoryClasses,
    RoundFill,
    _max_flow,
    is_imposable,
    lowers_fill,
    max_matching,
    union_closure,
)
from affectation.rules.order import choice_order

URG = Terrain("URG", ["urgences"], 1)
URG2 = Terrain("URG2", ["urgences"], 2)
N1 = Terrain("N1", ["praticien_n1"], 1)
MED = Terrain("MED", ["medecine_adulte"], 2)
PSY = Terrain("PSY", ["libre"], 2)
SAS = Terrain("SAS", ["saspas"], 1)


def both(instance: Instance):
    """Both engines, checked, and equal; returns the serial result."""
    result = serial(instance)
    exact = solve(instance)
    assert check(instance, result) == []
    assert check(instance, exact) == []
    assert exact.same_allocation(result)
    return result


def placed(result, interne_id: str) -> str | None:
    return result.affectation(interne_id).terrain


# --- R-ORD --------------------------------------------------------------------------------


def test_r_ord_1_seniority_then_rank() -> None:
    """R-ORD-1: more validated semesters first, then the smaller rank."""
    internes = [
        Interne("young1", 1, 0, ["URG"]),
        Interne("old5", 5, 2, ["MED"]),
        Interne("old2", 2, 2, ["MED"]),
    ]
    instance = Instance(MG_2023, [URG, MED], internes)
    assert choice_order(instance) == ("old2", "old5", "young1")


def test_r_ord_1_full_tie_is_an_input_error() -> None:
    """R-ORD Reading: same seniority and rank is refused, not a coin toss."""
    with pytest.raises(InstanceError, match=r"même rang que Martin Léa \(a\) : l'ordre du "
                       r"choix est à égalité \(R-ORD-1\)") as caught:
        Instance(MG_2023, [URG], [Interne("a", 3, 0, [], nom="Martin", prenom="Léa"),
                                  Interne("b", 3, 0, [])])
    assert caught.value.code == "E-ENTREE" and caught.value.entity == "internes[1] (b)"


def test_r_val_3_non_validated_semester_counts_for_the_order() -> None:
    """R-VAL-3: ranked by semesters done, the non-validated one included."""
    a = Interne("a", 9, 1, [], semestres_effectues=2)
    b = Interne("b", 1, 2, [])
    c = Interne("c", 1, 1, [])
    instance = Instance(MG_2023, [URG], [c, a, b])
    assert choice_order(instance) == ("b", "a", "c")


def test_r_ord_2_couple_chooses_at_the_later_turn_with_a_joint_list() -> None:
    """R-ORD-2: both choose at the lower-ranked member's turn, the first pair open to both."""
    internes = [
        Interne("a", 1, 0, ["URG2"]),
        Interne("x", 2, 0, ["URG2"]),
        Interne("b", 3, 0, ["N1"]),
    ]
    couple = Couple(("a", "b"), [("URG2", "URG2"), ("URG2", "N1")])
    instance = Instance(MG_2023, [URG2, N1], internes, couples=[couple], obligatoires=[])
    assert choice_order(instance) == ("x", "a", "b")
    result = both(instance)
    # x took one URG2 poste first, so the pair on URG2 (two postes) is gone: second pair
    assert (placed(result, "a"), placed(result, "b")) == ("URG2", "N1")
    # FORMAT.md: voeu is the place in their own list (a: URG2 is wish 1; b never listed URG2)
    assert result.affectation("a").voeu == 1 and result.affectation("b").voeu == 1
    joint_turns = [t for t in result.trace if t.joint and t.terrain]
    assert [t.voeu for t in joint_turns] == [2, 2]  # the trace keeps the joint rank


def test_r_ord_2_couple_falls_back_to_own_lists() -> None:
    """R-ORD-2 Reading: no pair open, each takes from their own list, better-ranked first."""
    internes = [Interne("a", 1, 0, ["N1", "URG"]), Interne("b", 2, 0, ["N1"])]
    couple = Couple(("a", "b"), [("URG", "URG")])
    instance = Instance(MG_2023, [URG, N1], internes, couples=[couple], obligatoires=[])
    result = both(instance)
    assert placed(result, "a") == "N1"
    assert placed(result, "b") is None


def test_r_ord_4_dernier_de_son_semestre() -> None:
    """R-ORD-4: chooses after every interne of the same seniority."""
    internes = [Interne("hf", 1, 0, ["URG"], dernier_de_son_semestre=True),
                Interne("a", 7, 0, ["URG"])]
    instance = Instance(MG_2023, [URG], internes)
    assert choice_order(instance) == ("a", "hf")
    assert placed(both(instance), "a") == "URG"


def test_r_ord_6_percentile_interclassement() -> None:
    """R-ORD-6: 7911th of 10,140 (78.0 %) chooses after 500th of 600 (83.3 %)? No: before."""
    a = Interne("a", 7911, 0, ["URG"], effectif_promotion=10140)
    b = Interne("b", 500, 0, ["URG"], effectif_promotion=600)
    instance = Instance(MG_2023, [URG], [b, a], interclassement="percentile")
    assert choice_order(instance) == ("a", "b")
    assert Instance(MG_2023, [URG], [b, a]).internes and choice_order(
        Instance(MG_2023, [URG], [b, a])) == ("b", "a")


# --- R-ELI --------------------------------------------------------------------------------


def test_r_eli_1_validated_slot_not_filled_again_unless_derogation() -> None:
    """R-ELI-1: a validated slot is closed; a dérogation reopens it (here a DESC interne
    allowed a second urgences stage, in a maquette with a semester to spare)."""
    spare = Maquette("spare-4", 4, [Slot("urgences", ["urgences"], (1, 4)),
                                    Slot("medecine_adulte", ["medecine_adulte"], (1, 4)),
                                    Slot("libre", "*", (1, 4))])
    done = Interne("a", 1, 2, [], valides=["urgences", "libre"])
    assert eligible_slot(spare, done, URG) is None
    allowed = Interne("a", 1, 2, [], valides=["urgences", "libre"], derogations=["urgences"])
    assert eligible_slot(spare, allowed, URG) == "urgences"
    assert eligible_slot(spare, allowed, MED) == "medecine_adulte"


def test_r_eli_1_category_comes_back_through_libre() -> None:
    """R-ELI-1 Reading: a second urgences stage may fill the libre slot (002)."""
    interne = Interne("a", 1, 4, [], valides=["urgences", "praticien_n1", "medecine_adulte",
                                              "pediatrie_gynecologie"])
    assert eligible_slot(MG_2023, interne, URG) == "libre"  # doubling urgences as libre
    early = Interne("a", 1, 2, [], valides=["urgences", "praticien_n1"])
    assert eligible_slot(MG_2023, early, URG) is None  # semesters 3-4 are taken (R-MAQ-4)
    interne_2010 = Interne("b", 1, 1, [], valides=["urgences"])
    assert eligible_slot(MG_2010, interne_2010, URG) == "libre"


def test_r_eli_2_completability() -> None:
    """R-ELI-2: a terrain is eligible only if the rest of the maquette still fits."""
    assert completable(MG_2023, frozenset(s.id for s in MG_2023.stages), 1)
    assert not completable(MG_2023, frozenset(s.id for s in MG_2023.stages), 2)
    # semester 2, praticien N1 not done: urgences validated, so only N1 is eligible
    interne = Interne("a", 1, 1, [], valides=["urgences"])
    assert eligible_slot(MG_2023, interne, N1) == "praticien_n1"
    assert eligible_slot(MG_2023, interne, MED) is None


def test_r_eli_3_phase_windows() -> None:
    """R-ELI-3: praticien N1 in T1 (2017); SASPAS in semesters 5-6 under R-MAQ-1."""
    t3 = Interne("a", 1, 4, [],
                 valides=["urgences", "medecine_adulte", "pediatrie_gynecologie", "praticien_n1"])
    assert eligible_slot(MG_2010, t3, SAS) == "saspas"
    t1 = Interne("b", 1, 0, [])
    assert eligible_slot(MG_2010, t1, SAS) is None
    assert eligible_slot(MG_2023, t1, N1) == "praticien_n1"
    t2 = Interne("c", 1, 4, [], valides=["urgences", "praticien_n1", "medecine_adulte",
                                         "pediatrie_gynecologie"])
    assert eligible_slot(MG_2023, t2, N1) == "libre"  # N1 slot closed; libre takes it
    n3 = Terrain("N3", ["niveau_3"], 1)
    assert eligible_slot(MG_2023, t2, n3) is None  # niveau 3 is for year 4 only


# --- R-IMP --------------------------------------------------------------------------------


def t1(ident: str, rang: int, voeux, **kw) -> Interne:
    return Interne(ident, rang, 0, voeux, **kw)


def test_r_imp_1_2_unfilled_mandatory_postes_imposed_from_the_last_ranked() -> None:
    """R-IMP-1, R-IMP-2: the empty urgences poste goes to the last-ranked T1."""
    internes = [t1("a", 1, ["PSY"]), t1("b", 2, ["N1"]), t1("c", 3, ["N1"])]
    psy = Terrain("PSY", ["urgences", "libre"], 1)  # a T1 may take it as urgences
    instance = Instance(MG_2023, [URG, N1, psy], internes)
    result = both(instance)
    # a takes PSY (counts as urgences), b takes N1, c (last) is imposed on URG
    assert placed(result, "a") == "PSY"
    assert placed(result, "b") == "N1"
    assert placed(result, "c") == "URG" and result.affectation("c").impose
    assert result.impositions == ("c",)
    assert result.affectation("c").voeu is None


def test_r_imp_3_besancon_rule_the_one_above_is_imposed() -> None:
    """R-IMP-3 (Besançon, seed 000): the last-ranked was imposed before, so the one ranked
    just above is imposed instead."""
    internes = [
        t1("a", 1, ["N1"]),
        Interne("b", 2, 1, ["N1", "MED"], valides=["urgences"]),
        Interne("c", 3, 1, ["N1"], valides=["urgences"]),
        Interne("d", 4, 1, ["N1"], valides=["praticien_n1"], impose=True),
        Interne("e", 5, 1, ["N1"], valides=["praticien_n1"]),
    ]
    n1 = Terrain("N1", ["praticien_n1"], 2)
    instance = Instance(MG_2023, [URG, n1, MED], internes)
    result = both(instance)
    # b and c (semester 2, urgences done) fill N1 ... no: they are ranked 2 and 3 among
    # seniority 1; seniority 1 chooses first: b, c, d, e, then a.
    assert result.ordre == ("b", "c", "d", "e", "a")
    assert placed(result, "b") == "N1" and placed(result, "c") == "N1"
    # URG (1 poste) must be filled: e (last of seniority 1, never imposed) can take it,
    # d was imposed before. a (T1, semester 1) is the last-ranked of all and can take it:
    assert placed(result, "a") == "URG" and result.affectation("a").impose
    assert placed(result, "d") is None and placed(result, "e") is None


def test_r_imp_3_besancon_rule_prior_imposition_skips_the_last() -> None:
    """R-IMP-3: when the last-ranked T1 was imposed before, the one above is imposed."""
    internes = [t1("a", 1, ["N1"]), t1("b", 2, ["N1"]), t1("c", 3, ["MED"], impose=True)]
    n1 = Terrain("N1", ["praticien_n1"], 1)
    instance = Instance(MG_2023, [URG, n1, MED], internes)
    result = both(instance)
    assert placed(result, "a") == "N1"
    assert placed(result, "b") == "URG" and result.affectation("b").impose
    assert placed(result, "c") is None
    assert result.impositions == ("b",)


def test_r_imp_reading_imposition_inside_the_wish_list() -> None:
    """R-IMP Reading step 3: an imposable interne whose better open wish would leave a
    mandatory poste empty takes a later wish, and is recorded as imposed."""
    internes = [t1("a", 1, ["N1", "URG"]), t1("b", 2, ["N1"], impose=True)]
    n1 = Terrain("N1", ["praticien_n1"], 2)
    instance = Instance(MG_2023, [URG, n1], internes, obligatoires=["urgences"])
    result = both(instance)
    assert placed(result, "a") == "URG"
    assert result.affectation("a").voeu == 2 and result.affectation("a").impose
    assert placed(result, "b") == "N1"
    # with N1 mandatory too, taking N1 fills a mandatory poste: the fill is kept
    both_mandatory = both(Instance(MG_2023, [URG, n1], internes))
    assert placed(both_mandatory, "a") == "N1" and both_mandatory.vacants == {"URG": 1}


def test_r_imp_unfillable_mandatory_postes_stay_vacant() -> None:
    """R-IMP Reading: more mandatory postes than imposable internes: vacant, not an error."""
    instance = Instance(MG_2023, [Terrain("URG", ["urgences"], 5)], [t1("a", 1, [])])
    result = both(instance)
    assert placed(result, "a") == "URG" and result.affectation("a").impose
    assert result.vacants == {"URG": 4}


def test_r_imp_only_imposable_internes() -> None:
    """R-IMP-2, R-IMP-3 and the Reading: T1 never imposed, no surnombre, no couple."""
    instance = Instance(
        MG_2023, [URG],
        [t1("a", 1, []), t1("b", 2, [], impose=True), Interne("c", 3, 2, []),
         Interne("d", 4, 1, [], surnombre="validant", semestres_effectues=1)],
    )
    flags = [is_imposable(i, instance) for i in instance.internes]
    assert flags == [True, False, False, False]


def test_max_matching_is_the_min_cut() -> None:
    """R-IMP Reading, step 1: two classes (urgences, N1), three types of imposable."""
    caps = [1, 2]
    counts = {0b01: 2, 0b10: 1, 0b11: 1}
    assert max_matching(caps, counts) == 3
    assert lowers_fill(caps, counts, 0b01, None) is False  # the other 01 fills class 0
    assert lowers_fill(caps, counts, 0b11, None) is True  # only they could fill class 1
    assert lowers_fill(caps, counts, 0b11, 1) is False  # unless they take class 1 themself
    assert lowers_fill([1, 0], {0b01: 1, 0b11: 1}, 0b01, None) is False
    assert lowers_fill([1, 0], {0b01: 1}, 0b01, None) is True


# --- R-SUR --------------------------------------------------------------------------------


def test_r_sur_2_surnombre_validant_takes_nobodys_place() -> None:
    """R-SUR-2: chooses at their rank among terrains with a free poste; a poste is added."""
    internes = [
        Interne("s", 1, 2, ["MED"], valides=["urgences", "praticien_n1"], surnombre="validant"),
        Interne("a", 2, 2, ["MED"], valides=["urgences", "praticien_n1"]),
        Interne("b", 3, 2, ["MED"], valides=["urgences", "praticien_n1"]),
    ]
    result = both(Instance(MG_2023, [MED], internes))
    assert [placed(result, i) for i in "sab"] == ["MED"] * 3
    assert result.vacants == {}


def test_r_sur_3_non_validant_takes_no_poste_and_no_maquette() -> None:
    """R-SUR-3: free poste or not, no maquette; R-SUR-4: never ambulatory."""
    internes = [
        Interne("s", 9, 3, ["N1", "URG"], surnombre="non_validant"),
        Interne("a", 1, 0, ["URG"]),
    ]
    result = both(Instance(MG_2023, [URG, N1], internes, obligatoires=[]))
    assert placed(result, "s") == "URG" and result.affectation("s").stage is None
    assert placed(result, "a") == "URG"


def test_r_sur_4_no_surnombre_in_ambulatory() -> None:
    """R-SUR-4: no surnombre in praticien N1, SASPAS or niveau 3."""
    s = Interne("s", 1, 1, ["N1"], valides=["urgences"], surnombre="validant")
    result = both(Instance(MG_2023, [N1], [s], obligatoires=[]))
    assert placed(result, "s") is None
    assert "non éligible" in result.affectation("s").raison


# --- R-VOE, R-ROUND -------------------------------------------------------------------------


def test_r_voe_1_exhausted_list_says_why() -> None:
    """R-VOE-1 Reading: an exhausted list leaves the interne without a poste, with a reason."""
    result = both(Instance(MG_2023, [URG], [t1("a", 1, ["URG"]), t1("b", 2, ["URG"])]))
    assert placed(result, "b") is None
    assert result.affectation("b").raison == (
        "liste de vœux épuisée (1 vœu : 1 complet(s) (R-POS-1)) (R-VOE-1)")
    empty = both(Instance(MG_2023, [URG], [Interne("a", 1, 2, [])], obligatoires=[]))
    assert "liste de vœux vide" in empty.affectation("a").raison


def test_r_round_1_ambulatory_round_first() -> None:
    """R-ROUND-1: internes placed in the ambulatory round leave the hospital one."""
    rounds = [Round("ambulatoire", ["praticien_n1", "saspas"]), Round("hospitalier", "*")]
    internes = [t1("a", 2, ["URG", "N1"]), t1("b", 1, ["URG"])]
    instance = Instance(MG_2023, [URG, N1], internes, rounds=rounds, obligatoires=[])
    result = both(instance)
    # round 1: a gets N1 though URG is their first wish; round 2: b gets URG
    assert placed(result, "a") == "N1" and result.affectation("a").round == "ambulatoire"
    assert placed(result, "b") == "URG" and result.affectation("b").round == "hospitalier"


def test_explain_tells_the_story() -> None:
    """The trace explains a refusal and an imposition in plain words."""
    internes = [t1("a", 1, ["N1"]), t1("b", 2, ["N1"])]
    result = serial(Instance(MG_2023, [URG, N1], internes))
    text = result.explain("b")
    assert "vœu 1 (N1) refusé : plus aucun poste libre" in text
    assert "imposition" in text and "R-IMP" in text


def test_explain_names_who_took_the_last_poste() -> None:
    """Why not my better wish (choice-day issue, item 6): a full wish names the interne who
    took its last poste, their rank and turn; the same from the CP-SAT result, which has no
    trace but the same allocation."""
    done = ["urgences", "praticien_n1", "medecine_adulte", "pediatrie_gynecologie"]
    internes = [Interne("x", 7, 4, ["MED"], valides=done),
                Interne("y", 3, 4, ["MED"], valides=done),
                Interne("z", 9, 4, ["MED", "PSY"], valides=done)]
    instance = Instance(MG_2023, [MED, PSY], internes)
    result = both(instance)
    text = result.explain("z", instance)
    assert "vœu 1 (MED) refusé : plus aucun poste libre ; son dernier poste est allé à x " \
           "(rang 7, appelé en position 2)" in text
    assert "son dernier poste est allé à x (appelé en position 2)" in result.explain("z")
    assert result.last_holders() == {"MED": ("x", 2), "PSY": ("z", 3)}
    assert solve(instance).last_holders() == result.last_holders()


# --- what only the model can answer (issue 3) -------------------------------------------------


def test_conflict_explained_by_rule_groups() -> None:
    """A forced assignment that breaks rank priority is reported with the groups in conflict,
    never a bare "infeasible"."""
    instance = Instance(MG_2023, [URG, N1], [t1("a", 1, ["URG"]), t1("b", 2, ["URG", "N1"])])
    with pytest.raises(NoAllocation) as caught:
        solve(instance, forced={"b": "URG"})
    info = caught.value.info
    assert info.status == SolveStatus.INFEASIBLE
    # a minimal set: without any one of them an allocation exists (a's open first wish URG
    # keeps the fill, so R-IMP gives it to her; CP-SAT's own core also named "priority")
    assert info.conflict == ("capacity", "mandatory", "user")
    assert info.drop == ("forced[b]=URG",)
    assert "groupes de règles en conflit : capacity, mandatory, user" in str(caught.value)
    assert caught.value.code == "E-AUCUNE-AFFECTATION"


def test_conflict_with_eligibility() -> None:
    """R-ELI: forcing a terrain the maquette forbids names the eligibility group."""
    instance = Instance(MG_2023, [URG, MED], [t1("a", 1, ["URG"])])
    with pytest.raises(NoAllocation) as caught:
        solve(instance, forced={"a": "MED"})
    assert caught.value.info.status == "INFEASIBLE"
    assert set(caught.value.info.conflict) == {"user", "eligibility"}


def test_forced_assignment_that_the_rules_allow() -> None:
    """A forced assignment the rules already give is feasible and changes nothing."""
    instance = Instance(MG_2023, [URG, N1], [t1("a", 1, ["URG"]), t1("b", 2, ["URG", "N1"])])
    base = solve(instance)
    forced = solve(instance, forced={"a": "URG"}, must_place=["b"])
    assert forced.info.optimal and forced.same_allocation(base)


def test_postes_overrides_from_the_same_builder() -> None:
    """Opening or closing postes (R-POS-2) through the builder equals the serial engine on the
    changed instance."""
    import attrs

    instance = Instance(MG_2023, [URG, N1], [t1("a", 1, ["N1"]), t1("b", 2, ["N1", "URG"]),
                                             t1("c", 3, ["N1"])])
    opened = solve(instance, postes={"N1": 3})
    changed = attrs.evolve(instance, terrains=[URG, attrs.evolve(N1, postes=3)])
    assert opened.same_allocation(serial(changed))
    assert not opened.same_allocation(solve(instance))


def test_fewest_impositions_when_the_order_is_free() -> None:
    """R-IMP-2, R-IMP-3 relaxed: a is imposed on URG1 (their 2nd wish) because taking X
    would leave a mandatory poste empty; then b, who wanted URG1, is imposed on URG2. Had the
    administration imposed a on URG2, b would have had their first wish: one imposition."""
    from affectation.cpsat.whatif import fewest_impositions

    urg1, urg2 = Terrain("URG1", ["urgences"], 1), Terrain("URG2", ["urgences"], 1)
    x = Terrain("X", ["praticien_n1"], 1)
    internes = [t1("a", 1, ["X", "URG1"]), t1("b", 2, ["URG1"])]
    instance = Instance(MG_2023, [urg1, urg2, x], internes, obligatoires=["urgences"])
    result = both(instance)
    assert result.impositions == ("a", "b")
    answer = fewest_impositions(instance)
    assert answer.optimal
    assert (answer.minimum, answer.rulebook, answer.filled) == (1, 2, 2)
    assert answer.imposed == ("a",)


def test_fewest_impositions_never_above_the_rulebook() -> None:
    """The rulebook's allocation is feasible for the free model, so the minimum is at most
    the rulebook's count."""
    from affectation.cpsat.whatif import fewest_impositions
    from affectation.datasets import generate

    instance = generate(120, seed=4, maquette="mg-2010")
    answer = fewest_impositions(instance)
    assert answer.optimal
    assert 0 <= answer.minimum <= answer.rulebook


def test_forcing_an_unlisted_terrain_blames_the_wish_list() -> None:
    """R-VOE-1: an eligible terrain the interne did not list is no eligibility problem."""
    instance = Instance(MG_2023, [URG, N1], [t1("a", 1, ["URG"])], obligatoires=[])
    with pytest.raises(NoAllocation) as caught:
        solve(instance, forced={"a": "N1"})
    assert set(caught.value.info.conflict) == {"user", "priority"}
    with pytest.raises(ValueError, match="unknown interne"):
        solve(instance, forced={"zz": "N1"})
    with pytest.raises(ValueError, match="unknown terrain"):
        solve(instance, forced={"a": "ZZ"})


# --- rulebook update (engines issue, item 1) ------------------------------------------------

DEROG = Maquette(
    nom="derog-4",
    semestres=4,
    stages=(
        Slot("urgences", ["urgences"], (1, 4)),
        Slot("medecine_adulte", ["medecine_adulte"], (1, 4)),
        Slot("libre", "*", (3, 4)),
    ),
)
URG_D = Terrain("URG", ["urgences"], 1)
MED_D = Terrain("MED", ["medecine_adulte"], 1)


def derog_t1(voeux: list[str]) -> Interne:
    """A T1 in semester 2 who validated urgences and holds a dérogation on it."""
    return Interne("d", 1, 1, voeux, valides=["urgences"], derogations=["urgences"])


def test_r_eli_2_a_derogation_slot_is_optional_for_completability() -> None:
    """R-ELI-2 Reading (update): slot ``a`` validated with a dérogation on it, only ``b``
    left, in the last semester: the terrain that fills ``b`` is eligible, the one that fills
    ``a`` again is not (``b`` could no longer fit)."""
    maquette = Maquette("ab", 2, [Slot("a", ["urgences"], (1, 2)),
                                  Slot("b", ["medecine_adulte"], (1, 2))])
    interne = Interne("x", 1, 1, [], valides=["a"], derogations=["a"])
    assert eligible_slot(maquette, interne, MED_D) == "b"
    assert eligible_slot(maquette, interne, URG_D) is None


def test_r_eli_1_a_stage_counts_for_a_slot_still_to_do_before_a_derogation() -> None:
    """R-ELI-2 Reading (update): a dérogation is a permission, never a duty: a stage that
    counts for a slot still to do fills that one, not the dérogation slot."""
    interne = Interne("x", 1, 2, [], valides=["urgences", "libre"], derogations=["urgences"])
    wide = Maquette("w", 4, [Slot("urgences", ["urgences"], (1, 4)),
                             Slot("medecine_adulte", ["medecine_adulte", "urgences"], (1, 4)),
                             Slot("libre", "*", (1, 4))])
    assert eligible_slot(wide, interne, URG_D) == "medecine_adulte"


def test_r_imp_never_imposed_through_a_derogation_step_2() -> None:
    """R-IMP Reading (update), step 1-2: the T1 with a dérogation on urgences is not linked to
    the urgences poste, so taking MED keeps the fill: not imposed, the poste stays vacant."""
    result = both(Instance(DEROG, [URG_D, MED_D], [derog_t1(["MED"])], obligatoires=["urgences"]))
    a = result.affectation("d")
    assert (a.terrain, a.impose) == ("MED", False)
    assert result.vacants == {"URG": 1}


def test_r_imp_a_derogation_still_lets_them_choose_urgences() -> None:
    """R-ELI-1: with the dérogation they may choose urgences a second time."""
    result = both(Instance(DEROG, [URG_D, MED_D], [derog_t1(["URG", "MED"])],
                           obligatoires=["urgences"]))
    a = result.affectation("d")
    assert (a.terrain, a.stage, a.impose) == ("URG", "urgences", False)


def test_r_imp_never_imposed_through_a_derogation_step_4() -> None:
    """R-IMP Reading step 4 (update): no imposition outside the list through a dérogation
    slot; an imposable T1 who has not done urgences is imposed instead."""
    no_list = both(Instance(DEROG, [URG_D, MED_D], [derog_t1([])], obligatoires=["urgences"]))
    assert no_list.affectation("d").terrain is None
    other = Interne("e", 2, 0, [])
    result = both(Instance(DEROG, [URG_D, MED_D], [derog_t1([]), other],
                           obligatoires=["urgences"]))
    assert result.affectation("d").terrain is None
    assert (result.affectation("e").terrain, result.affectation("e").impose) == ("URG", True)


def brute_matching(caps: list[int], counts: dict[int, int]) -> int:
    """Max matching by the full min-cut over every class subset (the pre-update formula)."""
    n = len(caps)
    return min(
        sum(caps[c] for c in range(n) if b >> c & 1)
        + sum(k for m, k in counts.items() if m & ~b)
        for b in range(1 << n)
    )


@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=7).flatmap(
        lambda caps: st.tuples(
            st.just(caps),
            st.dictionaries(st.integers(1, (1 << len(caps)) - 1), st.integers(1, 3),
                            max_size=6),
        )
    )
)
def test_fill_is_exact_by_cuts_and_by_max_flow(case) -> None:
    """R-IMP Reading (update): the union-closure of the type masks and the max-flow give the
    min-cut over every class subset, so the fill is exact at any number of classes."""
    caps, counts = case
    expected = brute_matching(caps, counts)
    assert max_matching(caps, counts) == expected
    assert _max_flow(caps, counts) == expected
    assert max_matching(caps, counts, union_closure(counts)) == expected


@given(st.data())
def test_round_fill_follows_the_day(data) -> None:
    """RoundFill's running cut values stay equal to a fresh computation through takes,
    give-backs and finished turns, and ``lowers`` equals the plain formula."""
    caps = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=5))
    n = len(caps)
    masks = data.draw(st.lists(st.integers(1, (1 << n) - 1), min_size=1, max_size=8))
    waiting = {f"i{k}": m for k, m in enumerate(masks)}
    counts: dict[int, int] = {}
    for m in masks:
        counts[m] = counts.get(m, 0) + 1
    classes = MandatoryClasses({f"t{c}": c for c in range(n)}, n, dict(waiting),
                               union_closure(masks))
    fill = RoundFill(classes, list(caps), dict(counts), dict(waiting))
    live_caps, live_counts = list(caps), dict(counts)
    for _ in range(data.draw(st.integers(1, 12))):
        move = data.draw(st.sampled_from(("take", "give_back", "done", "ask")))
        c = data.draw(st.integers(0, n - 1))
        who = data.draw(st.sampled_from(sorted(waiting)))
        if move == "take" and live_caps[c] > 0:
            fill.take(f"t{c}")
            live_caps[c] -= 1
        elif move == "give_back":
            fill.give_back(f"t{c}")
            live_caps[c] += 1
        elif move == "done" and fill.mask(who):
            live_counts[waiting[who]] -= 1
            fill.done(who)
        elif move == "ask" and fill.mask(who):
            for taken in (None, f"t{c}"):
                expected = lowers_fill(live_caps, live_counts, waiting[who],
                                       None if taken is None else c)
                assert fill.lowers(who, taken) == expected
        assert fill.matching() == brute_matching(live_caps, live_counts)
        assert fill.copy().matching() == fill.matching()
