"""The CP-SAT model's structure: groups in any order, step 4 by class, solver parameters.

The agreement with the serial engine on generated instances is tests/test_cpsat_agreement.py;
here, what the encoding itself promises (docs/model.md).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model
from strategies import instances, t1_heavy_instances

import affectation
from affectation import Instance, Interne, Terrain
from affectation import serial_dictatorship as serial
from affectation.check import check
from affectation.cpsat import ModelBuilder, solve
from affectation.cpsat.groups import RULES
from affectation.maquettes import MG_2023
from affectation.rules.mandatory import mandatory_classes


def solved_choices(instance: Instance, groups=None, explain: bool = False,
                   step4: str = "pairs") -> dict:
    builder = ModelBuilder(instance, explain=explain, step4=step4)
    model = builder.build(groups)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.cp_model_presolve = False
    status = solver.solve(model)
    assert status == cp_model.OPTIMAL, solver.status_name(status)
    return builder.choices(solver)


@settings(max_examples=40)
@given(st.one_of(instances(), t1_heavy_instances()), st.randoms(use_true_random=False))
def test_groups_in_any_order_give_the_same_solution(instance: Instance, random) -> None:
    """Item 3: the groups read only the instance and the variables, so their order in
    ``build()`` is free (same allocation, impositions outside the list included)."""
    names = list(RULES)
    random.shuffle(names)
    for step4 in ("pairs", "classes"):
        default = solved_choices(instance, step4=step4)
        assert solved_choices(instance, names, step4=step4) == default
        assert solved_choices(instance, list(reversed(names)), True, step4) == default


def test_build_refuses_a_missing_or_repeated_group() -> None:
    instance = Instance(MG_2023, [Terrain("X", ["libre"], 1)], [Interne("a", 1, 0, ["X"])])
    with pytest.raises(ValueError, match="once"):
        ModelBuilder(instance).build(["capacity", "capacity"])


# --- R-IMP Reading step 4: the class, then the first free terrain in file order -----------------

def t1(ident: str, rang: int, voeux) -> Interne:
    return Interne(ident, rang, 0, voeux)


def exact(instance: Instance):
    """The class encoding, checked, equal to the serial engine and to the default encoding,
    with and without the hint."""
    result = solve(instance, step4="classes")
    assert check(instance, result) == []
    assert result.same_allocation(serial(instance))
    assert solve(instance, hint=True, step4="classes").same_allocation(result)
    assert solve(instance).same_allocation(result)
    return result


def no_other(instance: Instance, interne_id: str, terrains) -> None:
    """The constraints alone fix the outcome: forcing ``interne_id`` onto any of
    ``terrains`` (other than the rulebook's) is infeasible."""
    for terrain_id in terrains:
        for step4 in ("classes", "pairs"):
            with pytest.raises(affectation.NoAllocation):
                solve(instance, forced={interne_id: terrain_id}, step4=step4)


def imposed_on(result, interne_id: str) -> str | None:
    a = result.affectation(interne_id)
    assert a.impose and a.voeu is None, a
    return a.terrain


N1X = Terrain("N1X", ["praticien_n1"], 5)
"""Open to a T1, not mandatory when only urgences is (MG_2023 phase socle, R-ELI-3)."""


def test_step_4_first_free_terrain_of_the_class_in_file_order() -> None:
    """Three urgences terrains (one class); the first in file order is full when the
    impositions start (a took it), so they go to the second, then to the larger third."""
    terrains = [Terrain("U1", ["urgences"], 1), Terrain("U2", ["urgences"], 1),
                Terrain("U3", ["urgences"], 3), N1X]
    internes = [t1("a", 1, ["U1"]), *(t1(i, k, ["N1X"]) for k, i in enumerate("bcdef", 2))]
    result = exact(Instance(MG_2023, terrains, internes, obligatoires=["urgences"]))
    # 5 urgences postes, 6 T1s: a takes U1, b may still take N1X, the four last may not
    assert [result.affectation(i).terrain for i in "bcdef"] == ["N1X", "U2", "U3", "U3", "U3"]
    assert [imposed_on(result, i) for i in "cdef"] == ["U2", "U3", "U3", "U3"]
    no_other(result_instance := Instance(MG_2023, terrains, internes,
                                         obligatoires=["urgences"]), "c", ["U3"])
    no_other(result_instance, "d", ["U2"])


def test_step_4_a_wish_taken_after_the_impositions_passed_is_refused() -> None:
    """Impositions fill U1 then U2; a later interne who listed U1 finds it full (the model
    counts the impositions on each terrain from the class's counts) and is imposed too."""
    terrains = [Terrain("U1", ["urgences"], 1), Terrain("U2", ["urgences"], 2), N1X]
    internes = [t1("a", 1, ["N1X"]), t1("b", 2, ["N1X"]), t1("c", 3, ["U1", "N1X"])]
    result = exact(Instance(MG_2023, terrains, internes, obligatoires=["urgences"]))
    assert [imposed_on(result, i) for i in "abc"] == ["U1", "U2", "U2"]


def test_step_4_across_classes_the_first_terrain_in_file_order() -> None:
    """Two classes, interleaved in the file (N1a, U1, N1b, U2): x validated urgences, so
    praticien N1 and urgences terrains are judged apart; the fresh T1s may be imposed on
    both and are each imposed on the first open one in file order, whatever its class."""
    terrains = [Terrain("N1a", ["praticien_n1"], 1), Terrain("U1", ["urgences"], 1),
                Terrain("N1b", ["praticien_n1"], 1), Terrain("U2", ["urgences"], 1)]
    internes = [t1("a", 1, ["N1a"]), t1("b", 2, []), t1("c", 3, []), t1("d", 4, []),
                Interne("x", 5, 1, [], valides=["urgences"])]
    instance = Instance(MG_2023, terrains, internes, obligatoires=["urgences", "praticien_n1"])
    assert mandatory_classes(instance, 0).n_classes == 2
    result = exact(instance)
    assert [imposed_on(result, i) for i in "bcd"] == ["U1", "N1b", "U2"]
    no_other(instance, "b", ["N1b", "U2"])
    no_other(instance, "c", ["U1", "U2"])


def test_step_4_a_class_whose_terrains_come_first_wins_while_open() -> None:
    """Classes in blocks (U1, U2, then N1): urgences while it is open, then praticien N1."""
    terrains = [Terrain("U1", ["urgences"], 1), Terrain("U2", ["urgences"], 1),
                Terrain("N1", ["praticien_n1"], 1)]
    internes = [t1(i, k, []) for k, i in enumerate("abc", 1)]
    result = exact(Instance(MG_2023, terrains, internes,
                            obligatoires=["urgences", "praticien_n1"]))
    assert [imposed_on(result, i) for i in "abc"] == ["U1", "U2", "N1"]
    no_other(Instance(MG_2023, terrains, internes, obligatoires=["urgences", "praticien_n1"]),
             "a", ["U2", "N1"])


def test_forced_onto_an_imposition_outside_the_list() -> None:
    """``forced`` onto a mandatory terrain outside the list: allowed on the terrain the file
    order gives, a conflict with the mandatory group on another."""
    terrains = [Terrain("U1", ["urgences"], 1), Terrain("U2", ["urgences"], 1), N1X]
    internes = [t1("a", 1, ["N1X"]), t1("b", 2, ["N1X"])]
    instance = Instance(MG_2023, terrains, internes, obligatoires=["urgences"])
    for step4 in ("classes", "pairs"):
        assert solve(instance, forced={"a": "U1"}, step4=step4).affectation("a").terrain == "U1"
        with pytest.raises(affectation.NoAllocation) as error:
            solve(instance, forced={"a": "U2"}, step4=step4)
        assert "mandatory" in error.value.info.conflict


# --- solver parameters ---------------------------------------------------------------------------

def test_linearization_level_is_an_option_of_the_engine() -> None:
    """``linearization_level`` (0 by default) reaches CP-SAT; the allocation does not depend
    on it."""
    instance = Instance(MG_2023, [Terrain("U1", ["urgences"], 1), N1X],
                        [t1("a", 1, ["N1X"]), t1("b", 2, ["N1X"])], obligatoires=["urgences"])
    default = affectation.solve(instance, method="cpsat")
    with_lp = affectation.solve(instance, method="cpsat", linearization_level=2)
    assert default.same_allocation(with_lp)
    assert default.same_allocation(serial(instance))


def solved_with(instance: Instance, step4: str) -> dict:
    builder = ModelBuilder(instance, step4=step4)
    model = builder.build()
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(model) == cp_model.OPTIMAL
    return builder.choices(solver)


@settings(max_examples=40)
@given(t1_heavy_instances())
def test_step_4_by_class_equals_one_literal_per_terrain(instance: Instance) -> None:
    """The class encoding of step 4 and the per-(interne, terrain) one (``step4="pairs"``,
    the encoding it replaced) give the same allocation, impositions included."""
    assert solved_with(instance, "classes") == solved_with(instance, "pairs")


# --- the one explainer (cpsat/explain.py) --------------------------------------------------------


def _feasible_with(instance, forced, on) -> bool:
    """The model with only the rule groups ``on``, the user constraints held."""
    builder = ModelBuilder(instance, forced=forced, explain=True)
    model = builder.build()
    model.clear_assumptions()
    model.add_assumptions([lit for name, lit in builder.groups.items() if name in on]
                          + list(builder.user_literals.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    return solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


@settings(max_examples=40)
@given(t1_heavy_instances(max_internes=7), st.data())
def test_the_conflict_is_minimal_and_the_drop_smallest(instance, data):
    """When forced assignments leave no allocation, the rule groups named are a minimal
    conflict (together they leave none; without any one of them, one exists), and the user
    constraints to drop are the fewest: dropping them gives an allocation, dropping fewer
    never does."""
    import itertools

    ids = [i.id for i in instance.internes]
    chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
    opened = [t.id for t in instance.terrains if t.postes > 0] or [instance.terrains[0].id]
    # mostly a wish of their own, on a terrain with postes: conflicts with priority, the fill,
    # couples and capacity, not only with a terrain that opens nothing
    forced = {i: data.draw(st.sampled_from(list(instance.interne(i).voeux) or opened)
                           | st.sampled_from(opened)) for i in chosen}
    try:
        solve(instance, forced=forced)
        return
    except affectation.NoAllocation as caught:
        info = caught.value.info if hasattr(caught, "value") else caught.info
    assert info.status == "INFEASIBLE" and info.conflict
    assert not _feasible_with(instance, forced, info.conflict)
    for group in info.conflict:
        assert _feasible_with(instance, forced, set(info.conflict) - {group}), group
    names = {f"forced[{i}]={t}": i for i, t in forced.items()}
    assert info.drop and set(info.drop) <= set(names)
    kept = {i: t for i, t in forced.items() if f"forced[{i}]={t}" not in info.drop}
    solve(instance, forced=kept)  # raises if dropping them is not enough
    for size in range(len(info.drop)):
        for subset in itertools.combinations(sorted(names), size):
            rest = {i: t for i, t in forced.items() if f"forced[{i}]={t}" not in subset}
            with pytest.raises(affectation.NoAllocation):
                solve(instance, forced=rest)
