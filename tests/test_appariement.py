"""The appariement (R-APP): both engines, the checker, rounds, against ``matching``.

Properties on generated instances (CI profile: modest fixed counts): with strict rankings both
engines give the DJ-optimal stable matching, DJ by DJ, and so does ``matching``'s
``HospitalResident`` (resident-optimal); with ties CP-SAT's matching is weakly stable and never
smaller than deferred acceptance's; the checker accepts every engine's result and flags
tampered ones.
"""

from __future__ import annotations

import warnings

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from affectation.appariement import (
    Appariement,
    AppariementError,
    Decision,
    DocteurJunior,
    Regles,
    Terrain,
    apparier,
)
from affectation.appariement.check import verifier
from affectation.appariement.exact import NoMatching
from affectation.appariement.generate import generate
from affectation.appariement.rounds import decider, fusionner, tour2
from affectation.appariement.rules import blocking_pairs

PROPS = settings(max_examples=60)


@st.composite
def appariements(draw, ties: bool = False, renewals: bool = False, max_dj: int = 8
                 ) -> Appariement:
    """Small appariements: 1–8 DJ, 1–5 terrains, 0–2 postes, lists and rankings random."""
    n_t = draw(st.integers(1, 5))
    n_d = draw(st.integers(1, max_dj))
    t_ids = [f"T{i}" for i in range(n_t)]
    d_ids = [f"D{i}" for i in range(n_d)]
    lists = {d: draw(st.permutations(t_ids).flatmap(
        lambda p: st.integers(0, len(p)).map(lambda k, p=p: tuple(p[:k])))) for d in d_ids}
    terrains = []
    for t in t_ids:
        applicants = [d for d in d_ids if t in lists[d]]
        order = draw(st.permutations(applicants))
        ranked = [d for d in order if draw(st.integers(0, 9)) > 0]  # ~10 % unranked
        groups: list[list[str]] = []
        for d in ranked:
            if ties and groups and draw(st.booleans()):
                groups[-1].append(d)
            else:
                groups.append([d])
        terrains.append(Terrain(t, draw(st.integers(0, 2)), groups,
                                zip=draw(st.booleans())))
    djs = [DocteurJunior(d, lists[d], subdivision=draw(st.integers(0, 4)) > 0) for d in d_ids]
    if renewals:
        room = {t.id: t.postes for t in terrains}
        for i, d in enumerate(djs):
            if lists[d.id] and room[lists[d.id][0]] > 0 and draw(st.integers(0, 3)) == 0:
                room[lists[d.id][0]] -= 1
                djs[i] = attrs.evolve(d, reconduction=lists[d.id][0])
    return Appariement(terrains, djs, Regles(dj_par_msu=None))


def _resident_optimal(instance: Appariement) -> dict[str, str | None]:
    """``matching``'s HospitalResident, resident-optimal, on the same strict instance."""
    from matching.games import HospitalResident

    open_ = {t.id for t in instance.terrains if t.postes > 0}

    def ok(d: str, t: str) -> bool:
        return t in open_ and instance.groupe(t, d) is not None and t in instance.dj_by_id[
            d].voeux

    # the same game, given consistent (acceptable pairs only): matching 1.4.3's own cleaning
    # stumbles on a hospital with no capacity
    residents = {d.id: [t for t in d.voeux if ok(d.id, t)] for d in instance.docteurs_juniors}
    residents = {d: prefs for d, prefs in residents.items() if prefs}
    hospitals = {t.id: [g[0] for g in t.classement if g[0] in residents and ok(g[0], t.id)]
                 for t in instance.terrains if t.id in open_}
    hospitals = {t: prefs for t, prefs in hospitals.items() if prefs}
    capacities = {t.id: t.postes for t in instance.terrains if t.id in hospitals}
    out: dict[str, str | None] = {d.id: None for d in instance.docteurs_juniors}
    if not residents:
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = HospitalResident.create_from_dictionaries(residents, hospitals, capacities)
        solved = game.solve(optimal="resident")
    for hospital, held in solved.items():
        for resident in held:
            out[str(resident)] = str(hospital)
    return out


@PROPS
@given(appariements())
def test_strict_rankings_both_engines_give_the_dj_optimal_stable_matching(instance):
    """R-APP-4: strict rankings, one stable matching that is DJ-optimal; both engines give it
    DJ by DJ, and it is stable."""
    da = apparier(instance)
    exact = apparier(instance, "cpsat")
    bare = apparier(instance, "cpsat", reduire=False)  # the model without its pruning
    assert da.terrain_of() == exact.terrain_of() == bare.terrain_of()
    assert da.instables == () == exact.instables
    assert verifier(instance, da) == [] and verifier(instance, exact) == []


@settings(max_examples=40)
@given(appariements())
def test_deferred_acceptance_matches_matching_hospital_resident(instance):
    """Against daffidwilde/matching 1.4.3, resident-optimal, on the same strict instances."""
    assert apparier(instance).terrain_of() == _resident_optimal(instance)


@PROPS
@given(appariements(ties=True, renewals=True))
def test_with_ties_cpsat_is_weakly_stable_and_never_smaller(instance):
    """R-APP-4 with ex aequo: CP-SAT's matching is weakly stable, of maximum size, so never
    smaller than deferred acceptance's (itself weakly stable); both pass the checker."""
    da = apparier(instance, seed=3)
    exact = apparier(instance, "cpsat")
    assert exact.taille >= da.taille
    if exact.taille == da.taille:
        assert exact.somme_rangs <= da.somme_rangs
    assert verifier(instance, da) == [] and verifier(instance, exact) == []


@settings(max_examples=40)
@given(appariements(ties=True, renewals=True), st.integers(0, 3))
def test_checker_flags_a_moved_dj(instance, which):
    """A result where one placed DJ is moved to another terrain is refused by the checker."""
    result = apparier(instance)
    placed = [a for a in result.affectations if a.terrain is not None]
    if not placed:
        return
    moved = placed[which % len(placed)]
    others = [t.id for t in instance.terrains if t.id != moved.terrain]
    target = others[0] if others else None
    affectations = tuple(attrs.evolve(a, terrain=target) if a.dj == moved.dj else a
                         for a in result.affectations)
    assert verifier(instance, attrs.evolve(result, affectations=affectations))


def _small() -> Appariement:
    terrains = [
        Terrain("A", 1, [["D1", "D2"], ["D3"]], nom="Cabinet A", ville="Givors", zip=True),
        Terrain("B", 1, [["D3"], ["D1"]], ville="Tarare"),
        Terrain("C", 2, [["D2"]], msu=["M1"]),
    ]
    djs = [DocteurJunior("D1", ["A", "B"], nom="Martin", prenom="Léa"),
           DocteurJunior("D2", ["A", "C"], subdivision=False),
           DocteurJunior("D3", ["A", "B"])]
    return Appariement(terrains, djs, Regles(dj_par_msu=1))


def test_tie_break_puts_the_subdivision_dj_first():
    """R-APP-4 reading: D1 and D2 are ex aequo at A; D1 is of the subdivision, D2 is not."""
    result = apparier(_small())
    assert result.terrain_of() == {"D1": "A", "D2": "C", "D3": "B"}
    assert result.tirage["graine"] == 0 and sorted(result.tirage["ordre"]) == ["D1", "D2", "D3"]


def test_dj_par_msu_caps_a_terrain():
    """R-APP-7: C opens 2 postes but has one MSU and dj_par_msu = 1: one place."""
    result = apparier(_small())
    assert "C" not in result.vacants  # one place, held by D2


def test_reconduction_is_placed_first():
    """R-APP-6: a renewing DJ keeps their terrain; the others compete for the rest."""
    instance = attrs.evolve(_small(), docteurs_juniors=[
        *_small().docteurs_juniors[:2], attrs.evolve(_small().docteurs_juniors[2],
                                                      reconduction="A")])
    for method in ("acceptation-differee", "cpsat"):
        result = apparier(instance, method)
        assert result.terrain_of()["D3"] == "A"
        assert result.terrain_of()["D1"] == "B"
        assert verifier(instance, result) == []


def test_bad_references_are_all_listed():
    """Bad input: every problem, each naming entity and key, in French."""
    with pytest.raises(AppariementError) as caught:
        Appariement([Terrain("A", -1, [["X"], ["D1", "D1"]])],
                    [DocteurJunior("D1", ["A", "Z"])])
    text = str(caught.value)
    assert len(caught.value.problems) == 4
    for part in ("postes négatifs", "DJ inconnu « X »", "classé deux fois",
                 "terrain inconnu « Z »"):
        assert part in text


def test_blocking_pairs_predicate():
    """A DJ left out while a terrain that ranks them has a free poste blocks."""
    instance = _small()
    assert ("D1", "A") in blocking_pairs(instance, {"D2": "C", "D3": "B"})


def test_imposed_conflict_is_explained():
    """An imposed placement that breaks stability: no matching, the groups named."""
    with pytest.raises(NoMatching) as caught:
        apparier(_small(), "cpsat", imposer={"D3": None})
    assert "stabilite" in caught.value.conflict and "imposer" in caught.value.conflict


def test_round_2_and_round_3():
    """R-APP-5: round 2 on the vacant postes for the unplaced; a list under 40 % is refused
    naming the DJ; round 3 records a decision of the ARS."""
    first_instance = generate(40, 30, voeux=3, seed=5)
    first = apparier(first_instance)
    unplaced = [a.dj for a in first.affectations if a.terrain is None]
    assert unplaced
    vacant = sorted(first.vacants)
    djs = [attrs.evolve(d, voeux=tuple(vacant)) if d.id in unplaced else d
           for d in first_instance.docteurs_juniors]
    terrains = [attrs.evolve(t, classement=[[d] for d in sorted(unplaced)])
                if t.id in first.vacants else t for t in first_instance.terrains]
    second_instance = attrs.evolve(first_instance, docteurs_juniors=djs, terrains=terrains,
                                   tour=2)
    second = tour2(second_instance, first)
    merged = fusionner(first, apparier(second))
    assert verifier(second_instance, merged, apres=first) == []
    short = [attrs.evolve(d, voeux=tuple(vacant[:1])) if d.id == unplaced[0] else d
             for d in djs]
    with pytest.raises(AppariementError, match=unplaced[0]):
        tour2(attrs.evolve(second_instance, docteurs_juniors=short), first)
    still = [a for a in merged.affectations if a.terrain is None]
    if still and merged.vacants:
        terrain = sorted(merged.vacants)[0]
        third = decider(second_instance, merged, [Decision(still[0].dj, terrain, "ARS")])
        assert verifier(second_instance, third, apres=first) == []


def test_same_seed_same_bytes():
    """Determinism: the same instance and seed give the same result bytes."""
    from affectation.appariement.io import dumps, resultat_to_dict

    instance = generate(60, 80, seed=1)
    for method in ("acceptation-differee", "cpsat"):
        a = dumps(resultat_to_dict(apparier(instance, method)))
        b = dumps(resultat_to_dict(apparier(instance, method)))
        assert a == b


def test_audit_names_the_breaches():
    """R-APP-2/3: a short list, a terrain ranking too few, the subdivision priority, a ranking
    naming a DJ who did not apply; ZIP postes nobody can fill; exit status 3."""
    from affectation.appariement.audit import auditer

    instance = Appariement(
        [Terrain("A", 1, [["D2"], ["D3"]], zip=True),  # D1 applied, unranked; D3 did not apply
         Terrain("B", 2, [["D1"]], zip=True)],
        [DocteurJunior("D1", ["A", "B"]), DocteurJunior("D2", ["A"], subdivision=False),
         DocteurJunior("D3", ["B"])])
    report = auditer(instance)
    codes = report.codes()
    for code in ("voeux_insuffisants", "classement_insuffisant", "priorite_subdivision",
                 "classement_hors_liste", "zip_vacant_probable"):
        assert code in codes, (code, str(report))
    assert report.exit_status == 3


def test_explanations_name_the_last_holder():
    """R-APP-4 in words: a DJ refused by a full terrain is told who was retained last."""
    from affectation.appariement.explain import expliquer_dj, expliquer_terrain

    instance = _small()
    result = apparier(instance)
    text = expliquer_dj(instance, result, "D2")
    assert "Vœu 1" in text and "D1 (Léa Martin)" in text and "ex aequo" in text
    text = expliquer_dj(instance, result, "D3")
    assert "D1 (Léa Martin)" in text
    assert "pourvus" in expliquer_terrain(instance, result, "A")


def test_whatif_and_preappariement():
    """Opening ZIP postes never places fewer DJ (deferred acceptance, more postes); the
    Monte Carlo gives each DJ a probability distribution that sums to 1."""
    from affectation.appariement.whatif import comparer, ouvrir, preappariement

    instance = generate(60, 80, voeux=4, seed=2)
    comparison = comparer(instance, ouvrir(instance, 5, zip=True))
    rows = {label: (a, b) for label, a, b in comparison.lignes}
    assert rows["DJ placés"][1] >= rows["DJ placés"][0]
    assert rows["postes ZIP pourvus"][1] >= rows["postes ZIP pourvus"][0]
    assert "DJ placés" in str(comparison)
    partial = attrs.evolve(instance, docteurs_juniors=[
        attrs.evolve(d, voeux=()) if i % 2 else d
        for i, d in enumerate(instance.docteurs_juniors)])
    pre = preappariement(partial, 20, seed=1)
    for probabilities in pre.probabilites.values():
        assert abs(sum(probabilities.values()) - 1) < 1e-9
    assert pre == preappariement(partial, 20, seed=1)


def _brute_force_best(instance: Appariement) -> tuple[int, int]:
    """(largest size, then smallest sum of ranks) over every weakly stable matching, by
    enumerating every assignment: an oracle that shares no code with the exact model."""
    import itertools

    from affectation.appariement.rules import free_postes, participants

    free = free_postes(instance)
    people = participants(instance)
    options = [[None, *[t for t in d.voeux if instance.groupe(t, d.id) is not None]]
               for d in people]
    best = (-1, 0)
    for choice in itertools.product(*options):
        counts: dict[str, int] = {}
        for t in choice:
            if t is not None:
                counts[t] = counts.get(t, 0) + 1
        if any(n > free[t] for t, n in counts.items()):
            continue
        matching = {d.id: t for d, t in zip(people, choice, strict=True)}
        if blocking_pairs(instance, matching):
            continue
        size = sum(t is not None for t in choice)
        total = sum(d.voeux.index(t) + 1 for d, t in zip(people, choice, strict=True) if t)
        best = max(best, (size, -total))
    return best[0], -best[1]


@settings(max_examples=40)
@given(appariements(ties=True, renewals=True, max_dj=5))
def test_cpsat_is_exact_against_enumeration(instance):
    """R-APP-4 with ties: CP-SAT's (size, sum of ranks) is the best over all weakly stable
    matchings, found by enumeration."""
    best = _brute_force_best(instance)
    for reduire in (True, False):
        exact = apparier(instance, "cpsat", reduire=reduire)
        assert (exact.taille, exact.somme_rangs) == best
