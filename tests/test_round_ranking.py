"""A round's own ranking (R-ROUND-2), played by every engine, the checker and the room.

Hand cases that could fail (a ranking that reverses the promotion's rank, seniority before
the round's rank, internes it does not list, couples, the fill's last-ranked T1s) run through
both engines, the checker and the live day; the properties play generated instances whose
rounds carry a ranking.
"""

from __future__ import annotations

from hypothesis import given, settings
from strategies import ranked_instances

from affectation import Couple, Instance, Interne, Round, Terrain
from affectation import serial_dictatorship as serial
from affectation.check import check
from affectation.cpsat import solve
from affectation.live import ChoiceDay
from affectation.maquettes import MG_2023
from affectation.rules.order import choice_order, round_order, takes_part
from affectation.rules.reasons import Reason

N1 = Terrain("N1", ["praticien_n1"], 1)
N1B = Terrain("N1B", ["praticien_n1"], 1)
URG = Terrain("URG", ["urgences"], 1)


def rounds(classement: dict[str, int] | None) -> tuple[Round, Round]:
    return (Round("ambulatoire", ["praticien_n1", "saspas"], classement),
            Round("hospitalier", "*"))


def everywhere(instance: Instance):
    """Serial, CP-SAT and the day by procuration: equal, and the checker accepts each."""
    result = serial(instance)
    exact = solve(instance)
    assert exact.info is not None and exact.info.optimal
    day = ChoiceDay.open(instance)
    while not day.done:
        day.by_procuration()
    live = day.result()
    for other in (result, exact, live):
        assert check(instance, other) == []
    assert list(exact.affectations) == list(result.affectations)
    assert list(live.affectations) == list(result.affectations)
    return result


def test_a_ranking_that_reverses_the_rank_order_gives_the_reversed_choice() -> None:
    """R-ROUND-2: in the ambulatory round, b (rang 2) is ranked first by the faculté and
    takes the one N1 poste both want; the hospital round is by rang again."""
    internes = [Interne("a", 1, 0, ["N1", "URG"]), Interne("b", 2, 0, ["N1", "URG"])]
    plain = Instance(MG_2023, [N1, URG], internes, rounds=rounds(None), obligatoires=[])
    assert everywhere(plain).affectation("a").terrain == "N1"
    ranked = Instance(MG_2023, [N1, URG], internes, rounds=rounds({"b": 1, "a": 2}),
                      obligatoires=[])
    assert round_order(ranked, 0) == ("b", "a") and round_order(ranked, 1) == ("a", "b")
    result = everywhere(ranked)
    assert result.affectation("b").terrain == "N1"
    assert result.affectation("a").terrain == "URG"
    assert result.affectation("a").round == "hospitalier"


def test_seniority_comes_before_the_round_rank() -> None:
    """R-ROUND-2 Reading: within the round, seniority first, then the round's rank; the
    round's rank replaces rang (and the percentile)."""
    internes = [Interne("young", 1, 0, ["N1"]), Interne("old", 9, 1, ["N1"], valides=["urgences"]),
                Interne("young2", 2, 0, ["N1"])]
    instance = Instance(MG_2023, [N1, URG], internes,
                        rounds=rounds({"young2": 1, "young": 2, "old": 3}), obligatoires=[])
    assert round_order(instance, 0) == ("old", "young2", "young")
    assert choice_order(instance) == ("old", "young", "young2")
    assert everywhere(instance).affectation("old").terrain == "N1"


def test_an_interne_the_ranking_does_not_list_takes_no_part() -> None:
    """R-ROUND-2 Reading: an interne the round's ranking does not list is not called in that
    round: their wish there is refused for that reason (in French, with the rule), even
    with a free poste; they choose in the next round."""
    internes = [Interne("a", 1, 0, ["N1", "URG"]), Interne("b", 2, 0, ["N1B"])]
    instance = Instance(MG_2023, [N1, N1B, URG], internes, rounds=rounds({"b": 1}),
                        obligatoires=[])
    assert not takes_part(instance, 0, "a") and takes_part(instance, 1, "a")
    result = everywhere(instance)
    assert result.affectation("a").terrain == "URG"
    assert result.affectation("b").terrain == "N1B"
    last = Instance(MG_2023, [N1, N1B, URG], internes,
                    rounds=(Round("seul", "*", {"b": 1}),),
                    obligatoires=[])
    got = everywhere(last).affectation("a")
    assert got.terrain is None and "R-ROUND-2" in got.raison and "classement" in got.raison
    assert Reason.NOT_LISTED.rule == "R-ROUND-2"


def test_a_couple_listed_together_chooses_at_the_later_turn_of_the_round() -> None:
    """R-ORD-2 in a ranked round: both members listed, they choose together at the later of
    their two turns in the round's order; one member not listed: the other chooses alone."""
    n1x2 = Terrain("N1", ["praticien_n1"], 2)
    internes = [Interne("a", 1, 0, []), Interne("x", 2, 0, ["N1"]), Interne("b", 3, 0, [])]
    couple = Couple(("a", "b"), [("N1", "N1")])
    instance = Instance(MG_2023, [n1x2, URG], internes, couples=[couple],
                        rounds=rounds({"a": 3, "x": 1, "b": 2}), obligatoires=[])
    assert round_order(instance, 0) == ("x", "b", "a")
    result = everywhere(instance)
    assert result.affectation("x").terrain == "N1"
    assert result.affectation("a").terrain is None and result.affectation("b").terrain is None
    reverse = Instance(MG_2023, [n1x2, URG], internes, couples=[couple],
                       rounds=rounds({"a": 1, "x": 3, "b": 2}), obligatoires=[])
    assert round_order(reverse, 0) == ("a", "b", "x")
    result = everywhere(reverse)
    assert result.affectation("a").terrain == "N1" and result.affectation("b").terrain == "N1"
    alone = Instance(MG_2023, [n1x2, URG], [*internes[:2], Interne("b", 3, 0, ["N1"])],
                     couples=[couple], rounds=rounds({"x": 2, "b": 1}), obligatoires=[])
    assert round_order(alone, 0) == ("b", "x")
    result = everywhere(alone)
    assert result.affectation("b").terrain == "N1" and result.affectation("a").terrain is None


def test_the_last_ranked_of_the_round_is_imposed() -> None:
    """R-IMP-2 in a ranked round: the mandatory N1 poste nobody wants goes to the T1 ranked
    last by the round's ranking, not to the last by rang."""
    urg = Terrain("URG", ["urgences"], 3)
    internes = [Interne(x, k, 0, ["URG"]) for k, x in enumerate("abc", start=1)]
    instance = Instance(MG_2023, [N1, urg], internes,
                        rounds=(Round("choix", "*", {"c": 1, "b": 2, "a": 3}),),
                        obligatoires=["praticien_n1"])
    result = everywhere(instance)
    assert result.affectation("a").terrain == "N1" and result.affectation("a").impose
    assert result.affectation("c").terrain == "URG" and result.affectation("b").terrain == "URG"
    plain = Instance(MG_2023, [N1, urg], internes, obligatoires=["praticien_n1"])
    assert everywhere(plain).affectation("c").terrain == "N1"


def test_explain_names_the_round_position_and_the_last_holder_of_the_round() -> None:
    """explain() with the instance: the place in the ranked round's call order, and the
    last holder of a full terrain read along that order (R-ROUND-2)."""
    internes = [Interne("a", 1, 0, ["N1", "URG"], nom="Martin", prenom="Léa"),
                Interne("b", 2, 0, ["N1", "URG"], nom="Petit", prenom="Hugo")]
    instance = Instance(MG_2023, [N1, URG], internes, rounds=rounds({"b": 1, "a": 2}),
                        obligatoires=[])
    result = serial(instance)
    assert result.last_holders(instance)["N1"] == ("b", 1)
    text = result.explain("a", instance)
    assert "appelé(e) en position 2 sur 2" in text and "R-ROUND-2" in text
    assert "Hugo Petit" in text or "Petit" in text


def test_the_checker_flags_a_ranked_round_played_in_the_instance_order() -> None:
    """The checker reads the round's order from the rules: a result that played the round by
    rang is flagged (R-ORD-1 envy at b's turn), and so is an interne the round's ranking does
    not list placed in it (R-ROUND-2)."""
    internes = [Interne("a", 1, 0, ["N1", "URG"]), Interne("b", 2, 0, ["N1", "URG"])]
    plain = Instance(MG_2023, [N1, URG], internes, rounds=rounds(None), obligatoires=[])
    ranked = Instance(MG_2023, [N1, URG], internes, rounds=rounds({"b": 1, "a": 2}),
                      obligatoires=[])
    assert {v.rule for v in check(ranked, serial(plain))} >= {"R-ORD-1"}
    only_b = Instance(MG_2023, [N1, URG], internes, rounds=rounds({"b": 1}), obligatoires=[])
    assert "R-ROUND-2" in {v.rule for v in check(only_b, serial(plain))}


def test_the_room_calls_by_the_round_ranking() -> None:
    """The live day calls the round's internes by its ranking (the position is theirs in the
    round), leaves out the internes it does not list, then calls the next round by rank."""
    internes = [Interne("a", 1, 0, ["N1", "URG"], nom="Martin", prenom="Léa"),
                Interne("b", 2, 0, ["N1B"]), Interne("c", 3, 0, ["URG"])]
    instance = Instance(MG_2023, [N1, N1B, URG], internes,
                        rounds=rounds({"c": 1, "b": 2}), obligatoires=[])
    day = ChoiceDay.open(instance)
    assert day.current is not None and day.current.internes == ("c",)
    assert day.current.position == 1 and day.state()["current"]["of"] == 2
    day.pass_()
    assert day.current.internes == ("b",)
    day.choose("N1B")
    assert day.current.internes == ("a",) and day.current.round == "hospitalier"
    day.choose("URG")
    assert day.current.internes == ("c",)
    day.pass_()
    assert day.done and check(instance, day.result()) == []


def test_the_audit_names_the_internes_a_ranking_leaves_out() -> None:
    """R-ROUND-2 in the audit: a warning naming (with their names) the internes the round's
    ranking does not list who wish a terrain of that round; the round's R-IMP bounds count
    only the internes it calls."""
    from affectation.audit import audit

    internes = [Interne("a", 1, 0, ["N1", "URG"], nom="Martin", prenom="Léa"),
                Interne("b", 2, 0, ["N1B"])]
    instance = Instance(MG_2023, [N1, N1B, URG], internes, rounds=rounds({"b": 1}))
    found = [f for f in audit(instance).findings if f.code == "round_classement"]
    assert len(found) == 1 and found[0].severity == "warning" and found[0].internes == ("a",)
    assert "Léa Martin" in found[0].message or "Martin" in found[0].message
    fill = next(f for f in audit(instance).findings if f.code == "mandatory_fill"
                and f.figures["round"] == "ambulatoire")
    assert fill.figures["imposables"] == 1


def test_a_promotion_scenario_keeps_the_round_ranking() -> None:
    """ChangePromotion on a ranked round: clones of listed internes are ranked after every
    rank of the round, dropped internes leave its ranking; the engines still agree."""
    from affectation.scenarios import ChangePromotion

    internes = [Interne("a", 1, 0, ["N1", "URG"]), Interne("b", 2, 0, ["N1B", "URG"]),
                Interne("c", 3, 0, ["URG"])]
    instance = Instance(MG_2023, [N1, N1B, URG], internes, rounds=rounds({"b": 1, "a": 5}),
                        obligatoires=[])
    more = ChangePromotion(0, 3).apply(instance)
    assert {i for i, _ in more.rounds[0].classement} >= {"a", "b"}
    assert all(k > 5 for i, k in more.rounds[0].classement if i not in ("a", "b"))
    everywhere(more)
    fewer = ChangePromotion(0, -2).apply(instance)
    assert len(fewer.internes) == 1
    assert all(i in fewer.interne_by_id for i, _ in fewer.rounds[0].classement)
    everywhere(fewer)


@settings(max_examples=settings().max_examples)
@given(ranked_instances(mixed=True))
def test_cpsat_equals_serial_with_round_rankings(instance: Instance) -> None:
    """R-ROUND-2 with couples, surnombres, dérogations and three maquettes: serial and
    CP-SAT agree interne by interne (CP-SAT unhinted) and the checker accepts both."""
    result = serial(instance)
    exact = solve(instance)
    assert exact.info is not None and exact.info.optimal, exact.info
    assert check(instance, result) == []
    assert check(instance, exact) == []
    assert list(exact.affectations) == list(result.affectations)
    assert exact.same_allocation(result)
