"""The wish-list model (affectation.preferences): determinism, eligibility, lengths, couples,
the two fits and common random numbers."""

from __future__ import annotations

import pickle

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import instances

from affectation.datasets import generate
from affectation.model import Instance, Terrain
from affectation.preferences import COUPLE_TOP, PreferenceModel
from affectation.rules.eligibility import eligible_slot
from affectation.rules.mandatory import imposables, mandatory_classes
from affectation.rules.order import choice_order
from affectation.rules.turn import slot_tables
from affectation.scenarios import AddTerrain, open_postes
from affectation.serial import serial_dictatorship


@pytest.fixture(scope="module")
def small() -> Instance:
    return generate(60, seed=5)


@pytest.fixture(scope="module")
def medium() -> Instance:
    return generate(300, seed=2)


@pytest.fixture(scope="module")
def model(small: Instance) -> PreferenceModel:
    return PreferenceModel.from_instance(small)


def draw(model: PreferenceModel, instance: Instance, seed: int, **kw) -> Instance:
    return model.sample(instance, np.random.default_rng(seed), **kw)


def test_same_rng_state_same_lists_other_seed_other_lists(model, small):
    first, again, other = draw(model, small, 1), draw(model, small, 1), draw(model, small, 2)
    assert first == again
    assert first != other
    assert [i.voeux for i in first.internes] != [i.voeux for i in small.internes]


def test_only_terrains_the_interne_may_take(model, small):
    """R-ELI-1, -2, -3 through eligible_slot; a surnombre lists no ambulatory terrain
    (R-SUR-4), and a surnombre non validant has no maquette check (R-SUR-3)."""
    for seed in range(5):
        drawn = draw(model, small, seed)
        for interne in drawn.internes:
            for terrain_id in interne.voeux:
                terrain = drawn.terrain(terrain_id)
                if interne.surnombre is not None:
                    assert not terrain.ambulatoire
                if interne.surnombre != "non_validant":
                    assert eligible_slot(drawn.maquette, interne, terrain) is not None


@pytest.mark.parametrize("relevance", ["listed", "eligible"])
def test_lengths_kept(medium, relevance):
    """Lists keep their length; an empty list stays empty (R-VOE-1)."""
    internes = list(medium.internes)
    internes[3] = attrs.evolve(internes[3], voeux=())
    instance = attrs.evolve(medium, internes=internes)
    model = PreferenceModel.from_instance(instance, relevance=relevance)
    drawn = draw(model, instance, 0)
    for before, after in zip(instance.internes, drawn.internes, strict=True):
        assert after.id == before.id
        # as long, unless the list held a terrain the interne may not take (datasets.md)
        takeable = [
            t for t in before.voeux
            if (before.surnombre is None or not instance.terrain(t).ambulatoire)
            and (before.surnombre == "non_validant"
                 or eligible_slot(instance.maquette, before, instance.terrain(t)))
        ]
        assert len(takeable) <= len(after.voeux) <= len(before.voeux)
    assert drawn.internes[3].voeux == ()
    kept = sum(len(a.voeux) == len(b.voeux) for a, b in zip(drawn.internes, instance.internes,
                                                              strict=True))
    assert kept > 0.9 * len(instance.internes)


def test_eligible_relevance_lists_more_kinds(medium):
    """``relevance="eligible"`` lets a T2 list what only their libre slot accepts."""
    def kinds(model: PreferenceModel) -> int:
        drawn = draw(model, medium, 0)
        return sum(
            len({drawn.terrain(t).category_set for t in i.voeux}) for i in drawn.internes
        )

    listed = PreferenceModel.from_instance(medium, relevance="listed")
    eligible = attrs.evolve(listed, relevance="eligible")
    assert kinds(eligible) > kinds(listed)


def test_couples_pair_their_new_first_wishes(model, small):
    """R-ORD-2: a joint list of pairs of the members' new top wishes, by summed utility."""
    assert small.couples
    for seed in range(3):
        drawn = draw(model, small, seed)
        for before, after in zip(small.couples, drawn.couples, strict=True):
            a, b = (drawn.interne(m) for m in after.internes)
            assert 0 < len(after.voeux) <= min(len(before.voeux), COUPLE_TOP**2)
            for ta, tb in after.voeux:
                assert ta in a.voeux[:COUPLE_TOP] and tb in b.voeux[:COUPLE_TOP]
                assert ta != tb or drawn.terrain(ta).postes >= 2
        serial_dictatorship(drawn)  # the engine accepts the drawn instance


def test_utilities_rank_the_lists(model, small):
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    utility = model.utilities(small, rng_a)
    drawn = model.sample(small, rng_b)
    index = {t.id: k for k, t in enumerate(small.terrains)}
    for row, interne in enumerate(drawn.internes):
        values = [utility[row, index[t]] for t in interne.voeux]
        assert values == sorted(values, reverse=True)
        assert np.all(np.isfinite(values))


def test_from_instance_recovers_a_known_model(medium):
    """Plackett–Luce MAP: lists drawn from known attractiveness give it back."""
    rng = np.random.default_rng(11)
    truth = PreferenceModel({t.id: float(rng.normal(0, 1)) for t in medium.terrains})
    drawn = draw(truth, medium, 3)
    fitted = PreferenceModel.from_instance(drawn)
    assert set(fitted.attractiveness) == {t.id for t in medium.terrains}
    listed = {t for i in drawn.internes for t in i.voeux}
    ids = [t.id for t in medium.terrains if t.id in listed]
    a = np.array([truth.attractiveness[t] for t in ids])
    b = np.array([fitted.attractiveness[t] for t in ids])
    assert np.corrcoef(a, b)[0, 1] > 0.9
    assert abs(np.mean(list(fitted.attractiveness.values()))) < 1e-9


def test_fit_from_result_reads_when_terrains_filled(medium):
    """worth = (taken + prior) / q, q = position of the last taker / N, 1 if vacant."""
    result = serial_dictatorship(medium)
    fitted = PreferenceModel.fit_from_result(medium, result, prior=0.5)
    position = {i: p for p, i in enumerate(result.ordre, start=1)}
    n = len(result.ordre)
    log_worth = {}
    for terrain in medium.terrains:
        takers = [a.interne for a in result.affectations
                  if a.terrain == terrain.id and a.surnombre is None]
        vacant = result.vacants.get(terrain.id, 0) > 0 or not takers
        q = 1.0 if vacant else max(position[i] for i in takers) / n
        log_worth[terrain.id] = np.log((len(takers) + 0.5) / q)
    mean = np.mean(list(log_worth.values()))
    for terrain_id, value in log_worth.items():
        assert fitted.attractiveness[terrain_id] == pytest.approx(value - mean)
    vacant = [t for t in result.vacants if result.vacants[t] > 0]
    assert vacant
    full = [t.id for t in medium.terrains if t.id not in result.vacants]
    assert np.mean([fitted.attractiveness[t] for t in vacant]) < np.mean(
        [fitted.attractiveness[t] for t in full]
    )


def test_common_random_numbers_across_scenarios(model, small):
    """With the base as reference, a scenario gets the same noise for every (interne, terrain)
    it shares with the base; more postes alone leave the lists unchanged."""
    more = open_postes("urgences", 2).apply(small)
    base_lists = draw(model, small, 4)
    more_lists = draw(model, more, 4, reference=small)
    assert [i.voeux for i in more_lists.internes] == [i.voeux for i in base_lists.internes]

    new = Terrain("URG-NEW-01", ["urgences"], 2, ville="Lyon")
    added = AddTerrain(new).apply(small)
    u_base = model.utilities(small, np.random.default_rng(4))
    u_added = model.utilities(added, np.random.default_rng(4), reference=small)
    assert u_added.shape == (u_base.shape[0], u_base.shape[1] + 1)
    np.testing.assert_array_equal(u_added[:, :-1], u_base)


def test_unknown_terrain_gets_its_kinds_mean(model, small):
    new = Terrain("URG-NEW-02", ["urgences"], 2)
    added = AddTerrain(new).apply(small)
    urgences = [model.attractiveness[t.id] for t in small.terrains
                if t.category_set == new.category_set]
    utility = model.utilities(added, np.random.default_rng(0))
    assert urgences
    assert np.isfinite(utility[:, -1]).any()
    from affectation.preferences import _attractiveness_vector

    assert _attractiveness_vector(model, added)[-1] == pytest.approx(np.mean(urgences))


def test_home_towns_given_or_inferred(small):
    """A given home town gets the bonus; otherwise the town of the current first wish."""
    interne = small.internes[0]
    terrain = small.terrain(interne.voeux[0])
    flat = PreferenceModel({t.id: 0.0 for t in small.terrains}, town_bonus=50.0, noise=0.01)
    drawn = draw(flat, small, 0)
    first = drawn.terrain(drawn.internes[0].voeux[0])
    assert first.ville == terrain.ville
    other = next(
        drawn.terrain(t).ville for t in drawn.internes[0].voeux
        if drawn.terrain(t).ville != terrain.ville
    )
    moved = attrs.evolve(flat, home_towns={interne.id: other})
    assert drawn_first_town(moved, small) == other


def drawn_first_town(model: PreferenceModel, instance: Instance) -> str:
    drawn = draw(model, instance, 0)
    return drawn.terrain(drawn.internes[0].voeux[0]).ville


def test_value_semantics():
    model = PreferenceModel({"A": 1, "B": -1}, home_towns={"I1": "Lyon"})
    assert model == pickle.loads(pickle.dumps(model))
    assert hash(model) == hash(PreferenceModel({"B": -1.0, "A": 1.0},
                                               home_towns={"I1": "Lyon"}))
    with pytest.raises(TypeError):
        model.attractiveness["A"] = 2.0  # type: ignore[index]
    with pytest.raises(ValueError, match="noise"):
        PreferenceModel({}, noise=0)
    with pytest.raises(ValueError, match="relevance"):
        PreferenceModel({}, relevance="all")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        PreferenceModel({"A": float("nan")})


# --- the trusted construction path (Instance._with_wishes) ----------------------------------

def validated(instance: Instance, drawn: Instance) -> Instance:
    """``drawn``'s lists put back through every validator (the slow, checked path)."""
    internes = tuple(
        attrs.evolve(i, voeux=list(d.voeux))
        for i, d in zip(instance.internes, drawn.internes, strict=True)
    )
    couples = tuple(
        attrs.evolve(c, voeux=[list(p) for p in d.voeux])
        for c, d in zip(instance.couples, drawn.couples, strict=True)
    )
    return attrs.evolve(instance, internes=internes, couples=couples)


@settings(max_examples=60)
@given(instances(), st.integers(0, 2**32 - 1), st.booleans())
def test_a_draw_equals_the_validated_instance(instance, seed, partial):
    model = PreferenceModel.from_instance(instance)
    serial_dictatorship(instance)  # fills the instance's tables, which a draw shares in part
    known = [i.id for i in instance.internes[::2]] if partial else None
    drawn = model.sample(instance, np.random.default_rng(seed), known=known)
    checked = validated(instance, drawn)
    assert drawn == checked
    # the shared look-ups are those the validated instance computes for itself
    assert drawn.tables.choice_order == choice_order(checked)
    for interne in drawn.internes:
        for terrain_id, slot in slot_tables(drawn)[interne.id].items():
            terrain = checked.terrain(terrain_id)
            assert slot == eligible_slot(checked.maquette, checked.interne(interne.id), terrain)
    for r, classes in drawn.tables.mandatory_classes.items():
        assert classes == mandatory_classes(checked, r, imposables(checked))
    # the imposable internes hold their wish lists: never shared with a draw
    assert drawn.tables.imposables in (None, imposables(checked))
    assert drawn.terrain_round == checked.terrain_round
    assert hash(drawn) == hash(checked)
    assert [hash(i) for i in drawn.internes] == [hash(i) for i in checked.internes]
    assert drawn.interne_by_id == checked.interne_by_id
    assert serial_dictatorship(drawn) == serial_dictatorship(checked)
    assert pickle.loads(pickle.dumps(drawn)) == checked


def test_the_trusted_path_refuses_what_a_validator_would(small):
    n = len(small.internes)
    lengths = np.full(n, 2)
    good = np.tile(np.array([[0, 1]]), (n, 1))
    assert small._with_wishes(good, lengths).internes[0].voeux == tuple(
        t.id for t in small.terrains[:2])
    with pytest.raises(ValueError, match="twice"):
        small._with_wishes(np.zeros((n, 2), dtype=np.int64), lengths)
    with pytest.raises(ValueError, match="not a terrain index"):
        small._with_wishes(good + len(small.terrains), lengths)
    with pytest.raises(ValueError, match="not a terrain index"):
        small._with_wishes(good - 5, lengths)
    with pytest.raises(ValueError, match="length"):
        small._with_wishes(good, lengths + 1)
    with pytest.raises(ValueError, match="rows"):
        small._with_wishes(good[1:], lengths[1:])


# --- partial redraws: the pré-choix -----------------------------------------------------------


def test_known_lists_are_kept_and_the_others_share_the_full_redraw_noise(model, small):
    known = {i.id for i in small.internes[: len(small.internes) // 2]}
    in_couple = set(small.couple_of)
    partial = draw(model, small, 4, known=known)
    full = draw(model, small, 4)
    for before, kept, redrawn in zip(small.internes, partial.internes, full.internes,
                                     strict=True):
        if before.id in known and before.id not in in_couple:
            assert kept is before  # the very object: nothing rebuilt
        elif before.id not in known:
            assert kept.voeux == redrawn.voeux
    for couple, after in zip(small.couples, partial.couples, strict=True):
        if set(couple.internes) <= known:
            assert after == couple


def test_an_unknown_empty_list_gets_the_median_known_length(model, small):
    blank = {i.id for i in small.internes[:10]}
    instance = attrs.evolve(small, internes=[
        attrs.evolve(i, voeux=()) if i.id in blank else i for i in small.internes
    ], couples=[c for c in small.couples if not set(c.internes) & blank])
    known = {i.id for i in instance.internes} - blank
    drawn = draw(model, instance, 0, known=known)
    median = int(np.median([len(i.voeux) for i in instance.internes if i.id in known]))
    for interne in drawn.internes:
        if interne.id in blank:
            assert 0 < len(interne.voeux) <= median
            assert len(interne.voeux) == median or len(interne.voeux) == len(
                set(interne.voeux))


def test_fit_from_result_reads_a_ranked_round_in_its_call_order():
    """R-ROUND-2: the N1 terrain filled by the first called of its ranked round is read as
    filled at the very start (position 1 of 2), not at b's place in the order of choice."""
    from affectation import Instance, Interne, Round, Terrain
    from affectation import serial_dictatorship as serial
    from affectation.maquettes import MG_2023

    n1 = Terrain("N1", ["praticien_n1"], 1)
    n1b = Terrain("N1B", ["praticien_n1"], 1)
    internes = [Interne("a", 1, 0, ["N1B"]), Interne("b", 2, 0, ["N1"])]

    def fitted(classement):
        instance = Instance(MG_2023, [n1, n1b], internes, obligatoires=[], rounds=(
            Round("ambulatoire", "*", classement),))
        return PreferenceModel.fit_from_result(instance, serial(instance), prior=0.5)

    ranked = fitted({"b": 1, "a": 2}).attractiveness
    plain = fitted(None).attractiveness
    assert ranked["N1"] > ranked["N1B"] and plain["N1"] < plain["N1B"]
