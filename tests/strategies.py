"""Hypothesis strategies: small instances that exercise every rule.

Impositions and prior impositions (R-IMP-2, -3), surnombre of both kinds (R-SUR-2, -3, -4),
couples (R-ORD-2), rounds (R-ROUND-1), tight maquette windows (R-ELI-2, -3), dérogations
(R-ELI-1), zero-capacity terrains, empty and short wish lists (R-VOE-1), seniority ties broken
by ``dernier_de_son_semestre`` (R-ORD-4) and percentile interclassement (R-ORD-6); with
``mixed``, internes of three maquettes in one choice (R-MAQ-5); with ``classement``, rounds
that carry their own ranking (R-ROUND-2).
"""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

from affectation.maquettes import MG_2010, MG_2017, MG_2023
from affectation.model import Couple, Instance, Interne, Maquette, Round, Slot, Terrain

TIGHT = Maquette(
    nom="tight-4",
    semestres=4,
    stages=(
        Slot("urgences", ["urgences"], (1, 2)),
        Slot("praticien_n1", ["praticien_n1"], (1, 2)),
        Slot("medecine_adulte", ["medecine_adulte", "urgences"], (2, 4)),
        Slot("libre", "*", (3, 4)),
    ),
)
"""A small inline maquette whose windows bind often (R-ELI-2, R-ELI-3)."""

MAQUETTES = (MG_2023, MG_2010, TIGHT)

MIXED = (MG_2023, MG_2017, TIGHT)
"""The maquettes of a mixed choice (R-MAQ-5): the 2023 and 2017 reforms and an inline one."""

PRIMES = (37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113)

CATEGORY_SETS = (
    ("urgences",),
    ("urgences",),
    ("praticien_n1",),
    ("praticien_n1",),
    ("medecine_adulte",),
    ("ped_gyn",),
    ("saspas",),
    ("niveau_3",),
    ("libre",),
    ("urgences", "medecine_adulte"),
)

OBLIGATOIRES = (("urgences", "praticien_n1"), ("urgences",), (), ("urgences", "medecine_adulte"))

ROUNDS = (
    None,
    (Round("ambulatoire", ["praticien_n1", "saspas"]), Round("hospitalier", "*")),
)


@cache
def _one_of(values: tuple) -> st.SearchStrategy:
    """``st.sampled_from(values)`` built and validated once: the generator draws thousands of
    times per property, and rebuilding its strategies cost half of its time."""
    return st.sampled_from(values)


@cache
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@cache
def _subset(values: tuple, max_size: int) -> st.SearchStrategy[list]:
    """Distinct elements of ``values`` in a drawn order, at most ``max_size``."""
    return st.lists(st.sampled_from(values), unique=True, max_size=max_size)


@cache
def _pairs(first: tuple, second: tuple) -> st.SearchStrategy[list]:
    """A couple's joint list: distinct pairs, at most four."""
    return st.lists(st.tuples(st.sampled_from(first), st.sampled_from(second)), unique=True,
                    max_size=4)


@cache
def _distinct_ranks(high: int, size: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, high), unique=True, min_size=size, max_size=size)


@cache
def _permutation(n: int) -> st.SearchStrategy[list[int]]:
    return st.permutations(range(1, n + 1))


@st.composite
def instances(
    draw: st.DrawFn,
    *,
    max_internes: int = 9,
    max_terrains: int = 6,
    couple_heavy: bool = False,
    mixed: bool = False,
    classement: bool = False,
) -> Instance:
    """A small well-formed instance; ties in the order are avoided by distinct ranks. With
    ``mixed``, each interne follows one of :data:`MIXED` (R-MAQ-5); with ``classement``, one
    round or more carries its own ranking (R-ROUND-2): most internes listed, some not, the
    ranks drawn apart from ``rang`` (often reversing it), with gaps."""
    maquette = draw(_one_of(MIXED if mixed else MAQUETTES))
    n_terrains = draw(_ints(1, max_terrains))
    terrains = []
    for k in range(n_terrains):
        categories = draw(_one_of(CATEGORY_SETS))
        postes = draw(_ints(0, 3))
        terrains.append(Terrain(f"T{k}", categories, postes))
    terrain_ids = tuple(t.id for t in terrains)

    n_internes = draw(_ints(4 if couple_heavy else 1, max_internes))
    ranks = draw(_permutation(n_internes))
    percentile = draw(st.booleans()) and draw(st.booleans())
    internes = []
    for k in range(n_internes):
        own_maquette = draw(_one_of(MIXED)) if mixed else maquette
        slot_ids = tuple(s.id for s in own_maquette.stages)
        valides_count = draw(_one_of((0, 0, 0, 1, 1, 2, 3, 4)))
        if couple_heavy and k < 4:
            valides_count = 0  # the couples' members: T1s choosing their first stage
        valides_count = min(valides_count, own_maquette.semestres - 1)
        valides = draw(_subset(slot_ids, valides_count))
        effectues = valides_count + draw(_one_of((0, 0, 0, 0, 1)))
        surnombre = draw(_one_of((None,) * 8 + ("validant", "non_validant")))
        if couple_heavy and k < 4:
            surnombre = None
        if surnombre == "non_validant" and effectues == 0:
            surnombre = None
        voeux = draw(_subset(terrain_ids, n_terrains))
        internes.append(
            Interne(
                id=f"I{k}",
                rang=ranks[k],
                semestres_valides=valides_count,
                semestres_effectues=effectues,
                valides=valides,
                impose=draw(_one_of((False, False, False, True))),
                voeux=voeux,
                surnombre=surnombre,
                derogations=draw(_subset(slot_ids, 1)) if draw(_ints(0, 9)) == 0 else [],
                dernier_de_son_semestre=draw(_ints(0, 14)) == 0,
                # distinct primes above every rank: percentiles never tie (R-ORD-6)
                effectif_promotion=PRIMES[k] if percentile else None,
                maquette=own_maquette.nom if own_maquette != maquette else None,
            )
        )

    couples = []
    free = [i.id for i in internes if i.surnombre is None]
    n_couples = draw(_ints(0, min(2, len(free) // 2)))
    if couple_heavy:
        n_couples = 2
    socle = [t.id for t in terrains if t.category_set & {"urgences", "praticien_n1"}]
    for c in range(n_couples):
        a, b = free[2 * c], free[2 * c + 1]
        own = {i.id: tuple(i.voeux) or terrain_ids for i in internes}
        if couple_heavy and socle:
            own = {a: tuple(socle), b: tuple(socle)}
        pairs = draw(_pairs(own[a], own[b]))
        couples.append(Couple((a, b), pairs))

    rounds = draw(_one_of(ROUNDS))
    if classement:
        rounds = draw(st.sampled_from((*ROUNDS[1:], (Round("choix", None),))))
        rounds = tuple(_ranked(draw, r, [i.id for i in internes])
                       if k == 0 or draw(st.booleans()) else r for k, r in enumerate(rounds))
    kwargs = {"rounds": rounds} if rounds else {}
    instance = Instance(
        maquette=maquette,
        terrains=terrains,
        internes=internes,
        couples=couples,
        obligatoires=draw(_one_of(OBLIGATOIRES)),
        interclassement="percentile" if percentile else "rang",
        maquettes=(TIGHT,) if mixed and maquette != TIGHT else (),
        **kwargs,
    )
    return instance


def _ranked(draw: st.DrawFn, round_: Round, ids: list[str]) -> Round:
    """``round_`` with its own ranking: a drawn subset of ``ids`` (usually most of them), with
    distinct ranks that may reverse the promotion's and leave gaps (R-ROUND-2)."""
    listed = [i for i in ids if draw(_ints(0, 5)) > 0]
    ranks = draw(_distinct_ranks(3 * len(ids) + 1, len(listed)))
    return Round(round_.nom, round_.categories, dict(zip(listed, ranks, strict=True)))


def ranked_instances(max_internes: int = 9, mixed: bool = False
                     ) -> st.SearchStrategy[Instance]:
    """Rounds with their own ranking (R-ROUND-2), with the couples, surnombres, dérogations
    (and, with ``mixed``, the three maquettes) of :func:`instances`."""
    return instances(max_internes=max_internes, mixed=mixed, classement=True)


def mixed_instances(max_internes: int = 9) -> st.SearchStrategy[Instance]:
    """Internes of mg-2023, mg-2017 and an inline maquette in one choice (R-MAQ-5), with the
    couples, rounds, surnombres and dérogations of :func:`instances`."""
    return instances(max_internes=max_internes, mixed=True)


def couple_heavy_instances(max_internes: int = 10) -> st.SearchStrategy[Instance]:
    """Two couples of T1s whose joint lists name socle terrains: pairs are taken often
    (R-ORD-2)."""
    return instances(max_internes=max_internes, couple_heavy=True)


def t1_heavy_instances(max_internes: int = 10) -> st.SearchStrategy[Instance]:
    """Instances where most internes are T1: impositions bind often (R-IMP)."""
    return instances(max_internes=max_internes).filter(
        lambda inst: sum(i.semestres_valides < 2 for i in inst.internes) >= len(inst.internes) // 2
    )


@st.composite
def derogation_instances(draw: st.DrawFn, max_internes: int = 9) -> Instance:
    """T1s who validated a mandatory slot and hold a dérogation on it, among imposable T1s:
    they may *choose* urgences again but are never *imposed* through the dérogation
    (R-ELI-1, R-ELI-2 Reading, R-IMP Reading, RULES.md update)."""
    maquette = draw(_one_of(MAQUETTES))
    mandatory_slots = tuple(s.id for s in maquette.stages if s.id in ("urgences", "praticien_n1"))
    n_terrains = draw(_ints(2, 6))
    terrains = [
        Terrain(f"T{k}", draw(_one_of(CATEGORY_SETS[:5] + CATEGORY_SETS[-1:])),
                draw(_ints(0, 3)))
        for k in range(n_terrains)
    ]
    terrain_ids = tuple(t.id for t in terrains)
    n = draw(_ints(2, max_internes))
    ranks = draw(_permutation(n))
    internes = []
    for k in range(n):
        kind = draw(_one_of(("derogation", "derogation", "t1", "t1", "t2")))
        if kind == "derogation":
            slot = draw(_one_of(mandatory_slots))
            valides, derogations, done = [slot], [slot], 1
        elif kind == "t1":
            valides, derogations, done = [], [], draw(_ints(0, 1))
            if done:
                valides = [draw(_one_of(tuple(s.id for s in maquette.stages)))]
        else:
            valides, derogations, done = [], [], 2
        internes.append(Interne(
            id=f"I{k}", rang=ranks[k], semestres_valides=done, valides=valides,
            derogations=derogations,
            voeux=draw(_subset(terrain_ids, n_terrains)),
        ))
    return Instance(maquette=maquette, terrains=terrains, internes=internes,
                    obligatoires=draw(_one_of(OBLIGATOIRES[:2])))


MANY = 20
"""Slots and categories of :data:`WIDE`: more than 16 mandatory classes are possible."""

WIDE = Maquette(
    nom="wide-20",
    semestres=MANY,
    stages=tuple(Slot(f"s{k}", [f"c{k}"], (1, MANY)) for k in range(MANY)),
)
"""An inline maquette of 20 one-category slots: internes who validated different slots judge
the terrains differently, so the mandatory terrains fall in many classes (R-IMP Reading: the
fill is exact whatever their number)."""

_WIDE_VALIDES = st.lists(st.sampled_from([s.id for s in WIDE.stages]), max_size=1)


@st.composite
def many_classes_instances(draw: st.DrawFn) -> Instance:
    """Every category mandatory, T1 interne ``j < 18`` validated slot ``s_j``: terrain ``k``
    is judged differently by each, so there are more than 16 classes of mandatory terrains."""
    terrains = [Terrain(f"T{k}", [f"c{k}"], draw(_ints(0, 2))) for k in range(MANY)]
    n = draw(_ints(18, 22))
    ranks = draw(_permutation(n))
    internes = []
    for k in range(n):
        valides = [f"s{k}"] if k < 18 else draw(_WIDE_VALIDES)
        wishes = draw(_subset(tuple(t.id for t in terrains), 3))
        internes.append(Interne(f"I{k}", ranks[k], len(valides), wishes, valides=valides))
    return Instance(maquette=WIDE, terrains=terrains, internes=internes,
                    obligatoires=[f"c{k}" for k in range(MANY)])
