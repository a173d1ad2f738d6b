"""Properties of the serial engine on generated instances (every rule exercised)."""

from __future__ import annotations

import json
from collections import Counter

import attrs
from hypothesis import given, settings
from strategies import couple_heavy_instances, instances, t1_heavy_instances

from affectation import serial_dictatorship
from affectation.check import check
from affectation.model import Instance
from affectation.rules.eligibility import eligible_slot
from affectation.rules.mandatory import is_imposable

N = max(200, settings().max_examples)


def imposable_link(instance: Instance, interne, terrain) -> bool:
    """R-IMP Reading: eligible through a slot not yet validated (never a dérogation slot)."""
    slot = eligible_slot(instance.maquette, interne, terrain)
    return slot is not None and slot not in interne.valides


def bipartite_max_matching(instance: Instance, round_index: int, internes) -> int:
    """Kuhn's augmenting paths on the expanded poste graph: independent of the min-cut
    formula that :mod:`affectation.rules.mandatory` uses."""
    postes = [
        t for t in instance.terrains
        if instance.terrain_round[t.id] == round_index and instance.is_mandatory(t)
        for _ in range(t.postes)
    ]
    edges = {
        i.id: [k for k, t in enumerate(postes) if imposable_link(instance, i, t)]
        for i in internes
    }
    owner: dict[int, str] = {}

    def augment(interne_id: str, seen: set[int]) -> bool:
        for k in edges[interne_id]:
            if k in seen:
                continue
            seen.add(k)
            if k not in owner or augment(owner[k], seen):
                owner[k] = interne_id
                return True
        return False

    return sum(augment(i.id, set()) for i in internes)


@settings(max_examples=N)
@given(instances())
def test_checker_accepts_every_serial_result(instance: Instance) -> None:
    """The solver-independent checker finds no violation (R-ORD, R-ELI, R-IMP, R-SUR)."""
    result = serial_dictatorship(instance)
    assert check(instance, result) == []


@settings(max_examples=N)
@given(instances())
def test_capacities_hold_surnombre_aside(instance: Instance) -> None:
    """R-POS-1, R-SUR-2: non-surnombre internes never exceed the postes opened."""
    result = serial_dictatorship(instance)
    used = Counter(a.terrain for a in result.affectations if a.terrain and a.surnombre is None)
    for terrain in instance.terrains:
        assert used[terrain.id] <= terrain.postes
        assert result.vacants.get(terrain.id, 0) == terrain.postes - used[terrain.id]


@settings(max_examples=N)
@given(instances())
def test_nobody_placed_where_not_eligible(instance: Instance) -> None:
    """R-ELI-1, -2, -3 and R-SUR-4."""
    result = serial_dictatorship(instance)
    for a in result.affectations:
        if a.terrain is None:
            assert a.raison
            continue
        interne, terrain = instance.interne(a.interne), instance.terrain(a.terrain)
        if interne.surnombre is not None:
            assert not terrain.ambulatoire
        if interne.surnombre != "non_validant":
            assert a.stage == eligible_slot(instance.maquette, interne, terrain) is not None


@settings(max_examples=N)
@given(instances())
def test_non_imposed_get_best_open_wish(instance: Instance) -> None:
    """R-ORD-1, R-VOE-1: an interne not imposed gets the best wish still open and eligible
    at their turn (outside couples' joint choices, checked by R-ORD-2 in the checker)."""
    result = serial_dictatorship(instance)
    position = {i: p for p, i in enumerate(result.ordre)}
    holders: dict[str, list[int]] = {}
    for a in result.affectations:
        if a.terrain and a.surnombre is None:
            holders.setdefault(a.terrain, []).append(position[a.interne])
    for a in result.affectations:
        interne = instance.interne(a.interne)
        if a.impose or interne.id in instance.couple_of or interne.surnombre == "non_validant":
            continue
        outcome_round = instance.terrain_round[a.terrain] if a.terrain else len(instance.rounds)
        for rank, terrain_id in enumerate(interne.voeux, start=1):
            terrain = instance.terrain(terrain_id)
            r = instance.terrain_round[terrain_id]
            if r > outcome_round or (r == outcome_round and a.voeu is not None and rank >= a.voeu):
                continue
            before = sum(1 for p in holders.get(terrain_id, []) if p < position[interne.id])
            open_ = terrain.postes - before > 0
            eligible = eligible_slot(instance.maquette, interne, terrain) is not None and not (
                interne.surnombre and terrain.ambulatoire
            )
            assert not (open_ and eligible), (interne.id, terrain_id)


@settings(max_examples=N)
@given(t1_heavy_instances())
def test_impositions_only_on_t1_never_imposed(instance: Instance) -> None:
    """R-IMP-2, R-IMP-3: imposed internes are T1, never imposed, no surnombre, no couple."""
    result = serial_dictatorship(instance)
    for interne_id in result.impositions:
        interne = instance.interne(interne_id)
        assert interne.semestres_valides < 2 and not interne.impose
        assert is_imposable(interne, instance)
        assert result.affectation(interne_id).impose


@settings(max_examples=N)
@given(t1_heavy_instances())
def test_mandatory_fill_is_maximal(instance: Instance) -> None:
    """R-IMP-1: each round fills at least as many mandatory postes as a maximum matching of
    its imposable internes could, and no vacant mandatory poste is left that an imposable
    interne without a poste could still take."""
    result = serial_dictatorship(instance)
    placed_before: set[str] = set()
    for r in range(len(instance.rounds)):
        imposable = [
            i for i in instance.internes
            if is_imposable(i, instance) and i.id not in placed_before
        ]
        best = bipartite_max_matching(instance, r, imposable)
        filled = sum(
            1 for a in result.affectations
            if a.terrain and a.surnombre is None and instance.terrain_round[a.terrain] == r
            and instance.is_mandatory(instance.terrain(a.terrain))
        )
        assert filled >= best
        placed_before |= {
            a.interne for a in result.affectations
            if a.terrain and instance.terrain_round[a.terrain] == r
        }
    if len(instance.rounds) == 1:
        unplaced = [
            instance.interne(a.interne) for a in result.affectations
            if a.terrain is None and is_imposable(instance.interne(a.interne), instance)
        ]
        for terrain_id, _left in result.vacants.items():
            terrain = instance.terrain(terrain_id)
            if instance.is_mandatory(terrain):
                assert not any(
                    eligible_slot(instance.maquette, i, terrain) for i in unplaced
                ), terrain_id


@settings(max_examples=N)
@given(instances())
def test_surnombre_takes_nobodys_place(instance: Instance) -> None:
    """R-SUR-2, R-SUR-3: removing the surnombre internes changes nobody else's affectation."""
    result = serial_dictatorship(instance)
    surnombre = {i.id for i in instance.internes if i.surnombre is not None}
    without = attrs.evolve(
        instance, internes=[i for i in instance.internes if i.id not in surnombre]
    )
    others = serial_dictatorship(without)
    assert [a for a in result.affectations if a.interne not in surnombre] == list(
        others.affectations
    )
    assert result.vacants == others.vacants


@settings(max_examples=N)
@given(instances())
def test_same_instance_same_bytes(instance: Instance) -> None:
    """Determinism: two replays give the same result, byte for byte."""
    from affectation.io import result_to_dict

    first = json.dumps(result_to_dict(serial_dictatorship(instance)), ensure_ascii=False)
    second = json.dumps(result_to_dict(serial_dictatorship(instance)), ensure_ascii=False)
    assert first == second


@settings(max_examples=N)
@given(couple_heavy_instances())
def test_checker_accepts_serial_results_with_couples(instance: Instance) -> None:
    """R-ORD-2: the checker's couple rule agrees with the serial engine."""
    assert check(instance, serial_dictatorship(instance)) == []


@given(instances())
def test_inlined_turns_give_the_same_result_and_trace(instance: Instance) -> None:
    """The inlined common and imposable turns (speed) give the same affectations, reasons and
    trace, refusal by refusal, as the kernel's general turn (``Round.procuration``)."""
    from affectation.rules.turn import Round

    fast = serial_dictatorship(instance)
    try:
        Round.inline = False
        slow = serial_dictatorship(instance)
    finally:
        Round.inline = True
    assert fast.same_allocation(slow)
    assert tuple(fast.affectations) == tuple(slow.affectations)
    assert tuple(fast.trace) == tuple(slow.trace)


@given(instances())
def test_placements_without_affectation_objects(instance: Instance) -> None:
    """A sweep reads ``placements()`` and ``summary()`` of thousands of results: the serial
    engine's compact form equals what the affectations say, and an evolved result with other
    affectations never reads the stale compact form."""
    import attrs

    result = serial_dictatorship(instance)
    from_objects = {a.interne: (a.terrain, a.voeu, a.impose) for a in result.affectations
                    if a.terrain is not None}
    assert result.placements() == from_objects
    plain = attrs.evolve(result, compact=None)

    def comparable(summary: dict) -> dict:
        return {k: ("nan" if v != v else v) for k, v in summary.items()}  # nan never equals

    assert comparable(result.summary()) == comparable(plain.summary())
    emptied = attrs.evolve(result, affectations=tuple(
        attrs.evolve(a, terrain=None, stage=None, voeu=None, impose=False, round=None,
                     raison="moved") for a in result.affectations))
    assert emptied.placements() == {}
