"""The live choice day: turn by turn, by procuration = the serial engine (issue 9, item 2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    couple_heavy_instances,
    instances,
    mixed_instances,
    ranked_instances,
    t1_heavy_instances,
)

from affectation.check import check
from affectation.datasets import example
from affectation.live import ChoiceDay, ChoiceRefused
from affectation.maquettes import MG_2023
from affectation.model import Couple, Instance, Interne, Terrain
from affectation.serial import serial_dictatorship


def play_by_procuration(instance, journal=None) -> ChoiceDay:
    day = ChoiceDay.open(instance, journal)
    steps = 0
    while not day.done:
        day.by_procuration()
        steps += 1
        assert steps <= 3 * len(instance.internes) * len(instance.rounds) + 3
    return day


def test_example_by_procuration_is_the_serial_engine():
    instance = example()
    day = play_by_procuration(instance)
    assert day.result().same_allocation(serial_dictatorship(instance))


@settings(max_examples=200)
@given(instances())
def test_day_by_procuration_equals_serial(instance):
    assert play_by_procuration(instance).result().same_allocation(serial_dictatorship(instance))


@settings(max_examples=100)
@given(mixed_instances())
def test_day_by_procuration_equals_serial_with_three_maquettes(instance):
    """R-MAQ-5: the room reads each interne's own maquette, as the serial engine does."""
    day = play_by_procuration(instance)
    assert day.result().same_allocation(serial_dictatorship(instance))
    assert check(instance, day.result()) == []


@settings(max_examples=40)
@given(couple_heavy_instances())
def test_day_by_procuration_equals_serial_with_couples(instance):
    assert play_by_procuration(instance).result().same_allocation(serial_dictatorship(instance))


@settings(max_examples=40)
@given(t1_heavy_instances())
def test_day_by_procuration_equals_serial_when_impositions_bind(instance):
    assert play_by_procuration(instance).result().same_allocation(serial_dictatorship(instance))


# --- hand-made turns ---------------------------------------------------------------------------

URG = Terrain("URG", ["urgences"], 2, nom="Urgences, CHU", ville="Nancy")
N1 = Terrain("N1", ["praticien_n1"], 1, ville="Metz")
MED = Terrain("MED", ["medecine_adulte"], 1, ville="Nancy")
N3 = Terrain("N3", ["niveau_3"], 1, ville="Nancy")


def t2(ident: str, rang: int, voeux=()) -> Interne:
    return Interne(ident, rang, 2, list(voeux), valides=["urgences", "praticien_n1"])


def small() -> Instance:
    internes = [Interne("a", 1, 0, ["N1", "URG"]), Interne("b", 2, 0, ["N1"]),
                t2("c", 1, ["MED"]), t2("d", 2, ["MED", "N3"])]
    return Instance(MG_2023, [URG, N1, MED, N3], internes, obligatoires=["urgences"])


def test_order_and_full_names_who_took_the_last_poste():
    day = ChoiceDay.open(small())
    assert [day.current.internes for _ in range(1)] == [("c",)]  # seniority first (R-ORD-1)
    day.choose("MED")
    assert day.current.internes == ("d",)
    options = {o.terrain: o for o in day.options()}
    assert options["MED"].reason == "full" and options["MED"].taken_by["interne"] == "c"
    assert options["N3"].reason == "not_eligible" and options["N3"].rule == "R-ELI"
    with pytest.raises(ChoiceRefused) as refused:
        day.choose("MED")
    assert refused.value.reason == "full" and "pris par c" in str(refused.value)
    with pytest.raises(ChoiceRefused, match="R-ELI"):
        day.choose("N3")
    with pytest.raises(ChoiceRefused) as unknown:
        day.choose("NOPE")
    assert unknown.value.reason == "unknown_terrain"


def test_mandatory_fill_refuses_then_imposes():
    day = ChoiceDay.open(small())
    day.choose("MED")
    day.pass_()  # d takes nothing: allowed, not imposable
    assert day.current.internes == ("a",)
    with pytest.raises(ChoiceRefused) as refused:
        day.choose("N1")  # leaves an urgences poste that only a can fill
    assert refused.value.reason == "would_leave_mandatory_empty" and refused.value.rule == "R-IMP"
    with pytest.raises(ChoiceRefused):
        day.pass_()
    record = day.choose("URG")
    assert record["impose"] is True  # held to the fill: an imposition (docs/howto-choice-day.md)
    assert day.current.internes == ("b",)
    with pytest.raises(ChoiceRefused):
        day.impose("N1")
    day.impose()  # step 4: the first mandatory terrain in file order
    assert day.done
    result = day.result()
    assert result.by_interne["b"].terrain == "URG" and result.by_interne["b"].impose
    assert result.by_interne["d"].terrain is None and "passe" in result.by_interne["d"].raison
    assert set(result.impositions) == {"a", "b"}


def test_undo_restores_the_state_and_stays_in_the_record(tmp_path):
    journal = tmp_path / "j.jsonl"
    day = ChoiceDay.open(small(), journal)
    day.choose("MED")
    before = day.state()
    day.by_procuration()
    day.undo()
    after = day.state()
    assert after["terrains"] == before["terrains"] and after["current"] == before["current"]
    assert [e["kind"] for e in day.entries] == ["choice", "procuration", "undo"]
    assert [c["undone"] for c in after["choices"]] == [False, True]
    day.close()
    again = ChoiceDay.resume(small(), journal)
    assert again.state() == after
    with pytest.raises(ChoiceRefused):
        ChoiceDay.open(small()).undo()


def test_a_couple_chooses_a_pair_or_falls_back():
    internes = [Interne("a", 1, 0, ["N1"]), Interne("b", 2, 0, ["URG"]), Interne("x", 3, 0, [])]
    couple = Couple(("a", "b"), [("N1", "N1"), ("N1", "URG")])
    instance = Instance(MG_2023, [URG, N1], internes, couples=[couple], obligatoires=[])
    day = ChoiceDay.open(instance)
    assert day.current.couple and day.current.internes == ("a", "b")
    assert [p[3] for p in day.pair_options()] == ["pair_unavailable", None]
    with pytest.raises(ChoiceRefused) as refused:
        day.choose(("N1", "N1"))
    assert refused.value.reason == "pair_unavailable"
    with pytest.raises(ChoiceRefused):
        day.choose("N1")
    day.choose(("N1", "URG"))
    assert day.current.internes == ("x",)
    day2 = ChoiceDay.open(instance)
    day2.pass_()  # choose alone, the better-ranked first
    assert day2.current.internes == ("a",)
    day2.choose("URG")
    assert day2.current.internes == ("b",)


@settings(max_examples=40)
@given(instances(), st.randoms(use_true_random=False))
def test_any_day_resumes_to_the_same_state(tmp_path_factory, instance, rng):
    """Room choices, procurations, passes, impositions and undos in any order: the journal
    replays to the same state and result, and undo is the exact inverse of the last entry."""
    path = tmp_path_factory.mktemp("day") / "j.jsonl"
    day = ChoiceDay.open(instance, path)
    states = [day.state()]
    while not day.done:
        move = rng.random()
        if move < 0.15 and day.entries and any(not c["undone"] for c in day.state()["choices"]):
            before = states[-2] if len(states) > 1 else None
            day.undo()
            states.pop()
            if before is not None:
                assert _core(day.state()) == _core(states[-1])
            continue
        caller = day.current
        try:
            if caller.couple or move < 0.5:
                day.by_procuration()
            else:
                open_ones = [o.terrain for o in day.options() if o.open]
                if open_ones and move < 0.9:
                    day.choose(rng.choice(open_ones))
                else:
                    try:
                        day.pass_()
                    except ChoiceRefused:
                        day.impose()
        except ChoiceRefused as error:  # pragma: no cover - a refusal here is a bug
            raise AssertionError(f"an allowed action was refused: {error}") from None
        states.append(day.state())
    day.close()
    again = ChoiceDay.resume(instance, path)
    assert again.state() == day.state()
    assert again.result().same_allocation(day.result())


def _core(state):
    return {k: state[k] for k in ("terrains", "current", "placed", "done")}


KEPT_BY_ANY_DAY = ("R-POS-1", "R-SUR-1", "R-SUR-4", "R-ELI-1", "R-ELI-2", "R-ROUND-1",
                   "R-IMP-1", "R-IMP-3")
"""What the checker verifies that no room choice may break (the rest, R-ORD-1 priority, R-VOE-1
lists and R-ORD-2's joint list, compares with wish lists a room choice does not follow: in the
room a couple may pass and each choose alone, docs/rules.md "The choice day", item 4)."""


@settings(max_examples=100)
@given(instances(), st.randoms(use_true_random=False))
def test_room_choices_keep_capacities_eligibility_and_the_fill(instance, rng):
    day = ChoiceDay.open(instance)
    while not day.done:
        caller = day.current
        open_ones = [o.terrain for o in day.options() if o.open]
        if caller.couple:
            pairs = [(a, b) for _, a, b, reason in day.pair_options() if reason is None]
            if pairs and rng.random() < 0.7:
                day.choose(rng.choice(pairs))
            else:
                day.pass_()
        elif open_ones and rng.random() < 0.8:
            day.choose(rng.choice(open_ones))
        else:
            try:
                day.pass_()
            except ChoiceRefused:
                day.impose()
    violations = [v for v in check(instance, day.result()) if v.rule in KEPT_BY_ANY_DAY]
    assert violations == []


def test_pairs_are_given_in_call_order_whatever_the_file_order():
    # the file lists the later-called member first
    internes = [Interne("b", 2, 0, ["URG"]), Interne("a", 1, 0, ["N1"])]
    couple = Couple(("b", "a"), [("URG", "N1")])
    day = ChoiceDay.open(Instance(MG_2023, [URG, N1], internes, couples=[couple],
                                  obligatoires=[]))
    assert day.current.internes == ("a", "b")
    assert day.pair_options() == [(1, "N1", "URG", None)]
    day.choose(("N1", "URG"))
    result = day.result()
    assert result.by_interne["a"].terrain == "N1" and result.by_interne["b"].terrain == "URG"


# --- the room played as the rulebook says (R-IMP, "In the room") -------------------------------


def test_a_t1_announcing_urgences_first_is_not_imposed():
    """The bug of issue 14: a T1 announcing their first wish, a mandatory terrain, was recorded
    as imposed because another terrain of the round would have lowered the fill."""
    day = ChoiceDay.open(small())
    day.choose("MED")
    day.pass_()
    record = day.choose("URG")  # a: first wish N1, but announces URG first
    assert record["impose"] is False
    assert day.result().by_interne["a"].impose is False


def play_in_the_room(instance, rng, journal=None) -> ChoiceDay:
    """Every interne announces their wishes in order until one is accepted (a couple its joint
    list); when none is, they pass, or the operator imposes when passing is refused (step 4).
    Now and then the operator undoes a turn and the interne announces again."""
    day = ChoiceDay.open(instance, journal)
    undone = 0
    while not day.done:
        caller = day.current
        if caller.couple:
            couple = instance.couple_of[caller.internes[0]]
            for ta, tb in couple.voeux:
                by_member = dict(zip(couple.internes, (ta, tb), strict=True))
                try:
                    day.choose((by_member[caller.internes[0]], by_member[caller.internes[1]]))
                    break
                except ChoiceRefused as refused:
                    assert refused.record is not None  # kept in the journal
            else:
                day.pass_()
        else:
            interne = instance.interne(caller.internes[0])
            for terrain in interne.voeux:
                try:
                    day.choose(terrain)
                    break
                except ChoiceRefused as refused:
                    assert refused.record is not None and refused.record["kind"] == "refused"
            else:
                try:
                    day.pass_()
                except ChoiceRefused:
                    day.impose()
        if undone < 3 and rng.random() < 0.2 and not day.done:
            day.undo()
            undone += 1
    return day


def _placements(result):
    return [(a.interne, a.terrain, a.voeu, a.impose, a.stage, a.round)
            for a in result.affectations]


@pytest.mark.parametrize("strategy", [instances, couple_heavy_instances, t1_heavy_instances,
                                      mixed_instances, ranked_instances])
def test_the_room_equals_the_serial_engine_and_passes_the_checker(strategy, tmp_path_factory):
    """R-IMP in the room: played announcement by announcement, the day equals the serial
    engine placement by placement and imposition by imposition; ``check`` accepts it whole
    (R-IMP-2 included); the journal, refused announcements and undos included, replays to the
    same day."""

    @settings(max_examples=60)
    @given(strategy(), st.randoms(use_true_random=False))
    def room(instance, rng):
        path = tmp_path_factory.mktemp("room") / "j.jsonl"
        day = play_in_the_room(instance, rng, path)
        result = day.result()
        serial = serial_dictatorship(instance)
        assert _placements(result) == _placements(serial)
        assert tuple(result.impositions) == tuple(serial.impositions)
        assert check(instance, result) == []
        day.close()
        assert ChoiceDay.resume(instance, path).state() == day.state()

    room()


@settings(max_examples=60)
@given(instances())
def test_a_day_by_procuration_passes_the_whole_checker(instance):
    assert check(instance, play_by_procuration(instance).result()) == []
