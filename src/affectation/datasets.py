"""Synthetic subdivisions: a seeded generator of realistic instances, and the shipped example.

:func:`generate` builds an :class:`~affectation.model.Instance` from a handful of knobs
(docs/datasets.md walks through the generative model):

1. promotions T1 … T3 (R-MAQ-1, R-MAQ-2; R-MAQ-4, whose 4th year goes to the appariement),
   ranks 1 … n in each (R-ORD-1), and
   histories of validated slots that respect every window and keep the maquette completable
   (R-ELI-2, R-ELI-3);
2. terrains spread over the towns of one subdivision, their postes sized to the demand of each
   promotion, the mandatory ones (R-IMP-1) to ``mandatory_ratio`` times the demand for them;
3. wish lists from a popularity model: town attractiveness + terrain noise + a home-town bonus +
   Gumbel noise, each interne listing the terrains relevant to their coming semester (R-VOE-1);
4. the rare cases the rules care about: prior impositions (R-IMP-3), surnombres (R-SUR-2,
   R-SUR-3), a non-validated semester (R-VAL-3), dérogations (R-ELI-1), the last of their
   semester (R-ORD-4), couples with joint lists (R-ORD-2), rounds (R-ROUND-1).

Everything random is drawn from one ``numpy.random.default_rng(seed)``: the same arguments give
an equal instance. :func:`example` loads the instance shipped in ``data/example.json``;
:func:`example_ile_de_france` is a subdivision whose praticien N1 round follows per-university
rankings (R-ROUND-2), merged by :func:`merge_rankings`.
"""

from __future__ import annotations

import importlib.resources
import unicodedata
from collections.abc import Mapping, Sequence
from fractions import Fraction
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import numpy as np

from affectation.maquettes import MG_2017, builtin_maquette
from affectation.model import DEFAULT_ROUND, Couple, Instance, Interne, Maquette, Round, Terrain
from affectation.rules.eligibility import completable, profile, slot_for

__all__ = [
    "DEFAULT_TOWNS",
    "EXAMPLE_PARAMETERS",
    "FACULTES_ILE_DE_FRANCE",
    "NATIONAL_POSTES_2025",
    "NATIONAL_PROMOTIONS",
    "POSTES_2025",
    "example",
    "example_ile_de_france",
    "generate",
    "intakes",
    "intakes_table",
    "merge_rankings",
    "subdivision",
    "write_example",
]

FACULTES_ILE_DE_FRANCE: tuple[str, ...] = (
    "Université Paris Cité",
    "Sorbonne Université",
    "Université Paris-Saclay",
    "Université Paris-Est Créteil",
    "Université Sorbonne Paris Nord",
    "Université de Versailles Saint-Quentin-en-Yvelines",
)
"""The six facultés of médecine of Île-de-France, each with its own "classement
intra-facultés choix ambulatoire" (R-ROUND-2)."""

ILE_DE_FRANCE_TOWNS: tuple[str, ...] = (
    "Paris", "Créteil", "Bobigny", "Versailles", "Le Kremlin-Bicêtre", "Argenteuil",
    "Évry-Courcouronnes", "Meaux",
)
"""Eight towns of the Île-de-France subdivision; the first has the CHU."""

DEFAULT_TOWNS: tuple[str, ...] = (
    "Lyon",
    "Bourg-en-Bresse",
    "Villefranche-sur-Saône",
    "Oyonnax",
    "Givors",
    "Tarare",
    "Belley",
    "Trévoux",
)
"""Eight towns of the Lyon subdivision (Rhône and Ain), biggest first; the first has the CHU."""

EXAMPLE_PARAMETERS: dict[str, Any] = {
    "n_internes": 300,
    "seed": 2025,
    "maquette": "mg-2023",
    "wish_length": 40,
    "couples": 2,
    "rounds": True,
    "late_2017": 6,
    "names": True,
    "date_choix": "2026-11",
    "nom": "Exemple : subdivision synthétique, choix de novembre 2026",
}
"""How ``data/example.json`` was made: ``generate(**EXAMPLE_PARAMETERS)`` (see :func:`example`)."""

_EXAMPLE_RESOURCE = "data/example.json"

# --- the generative model's constants (docs/datasets.md) -----------------------------------

_SECOND_HALF = 0.2
"""Share of each promotion one semester off phase (the 2nd semester of their year)."""
_EXTRA_SEMESTER = 0.01
"""Share with one semester done but not validated (R-VAL-3)."""
_DEROGATION = 0.01
"""Share with a dérogation on one of their validated slots (R-ELI-1)."""
_LAST_OF_SEMESTER = 0.005
"""Share choosing after everyone of their seniority (R-ORD-4)."""
_IRRELEVANT = 0.03
"""Share listing one terrain they may not take (the engine refuses it)."""
_SHORT_LIST = 0.01
"""Share with only 1-3 wishes, so that some lists run out (R-VOE Reading)."""
_LIBRE_TO_LIBRE_ONLY = 0.5
"""Part of the demand of a libre slot that goes to libre-only terrains (psychiatrie…)."""
_HOME_BONUS = 1.0
"""Utility of a terrain in the interne's home town."""
_TERRAIN_NOISE = 0.7
"""Standard deviation of a terrain's own attractiveness."""
_TOWN_NOISE = 0.5
"""Standard deviation of a town's attractiveness."""
_CHU_BONUS = 0.8
"""Attractiveness of the CHU town, and of a hospital terrain there (half of it)."""
_RURAL_AMBULATORY = -0.4
"""Attractiveness of an ambulatory terrain outside the CHU town."""
_COUPLE_TOP = 5
"""A couple pairs the first wishes of each member."""
_COUPLE_LIST = 10
"""Longest joint list of a couple."""
_COUPLE_SAME_TOWN = 1.5
"""Utility of a pair in one town."""


class _Service(NamedTuple):
    """One kind of service a terrain of a kind can be: id prefix, agréments, name."""

    prefix: str
    categories: tuple[str, ...]
    nom: str
    ambulatoire: bool
    weight: float = 1.0


class _Kind(NamedTuple):
    """Terrains that fill the same maquette slot(s); the first service is the main one."""

    services: tuple[_Service, ...]
    size: float
    """Typical postes per terrain."""

    @property
    def ambulatory(self) -> bool:
        return all(service.ambulatoire for service in self.services)

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(c for service in self.services for c in service.categories)


_KINDS: dict[frozenset[str], _Kind] = {
    frozenset({"urgences"}): _Kind((_Service("URG", ("urgences",), "Urgences", False),), 4.5),
    frozenset({"praticien_n1"}): _Kind(
        (_Service("N1", ("praticien_n1",), "Praticien niveau 1, cabinet de médecine générale",
                  True),),
        1.4,
    ),
    frozenset({"medecine_adulte"}): _Kind(
        (
            _Service("MED", ("medecine_adulte",), "Médecine interne", False, 3.0),
            _Service("MED", ("medecine_adulte",), "Médecine polyvalente", False, 3.0),
            _Service("GER", ("medecine_adulte",), "Gériatrie", False, 2.0),
            _Service("MED", ("medecine_adulte",), "Pneumologie", False),
            _Service("MED", ("medecine_adulte",), "Cardiologie", False),
            _Service("MED", ("medecine_adulte",), "Gastro-entérologie", False),
            _Service("MED", ("medecine_adulte",), "Maladies infectieuses", False),
        ),
        4.0,
    ),
    frozenset({"pediatrie", "gynecologie", "ped_gyn"}): _Kind(
        (
            _Service("PG", ("ped_gyn",), "Pédiatrie-gynécologie (couplé 3+3 mois)", False, 3.0),
            _Service("PED", ("pediatrie",), "Pédiatrie", False, 3.0),
            _Service("GYN", ("gynecologie",), "Gynécologie-obstétrique", False, 2.0),
            _Service("PGA", ("ped_gyn",), "Pédiatrie-gynécologie ambulatoire, MSU", True, 2.0),
        ),
        2.5,
    ),
    frozenset({"saspas"}): _Kind(
        (_Service("SASPAS", ("saspas",), "SASPAS, maison de santé", True),), 1.4
    ),
    frozenset({"niveau_3"}): _Kind(
        (_Service("N3", ("niveau_3",), "Médecine générale niveau 3 (docteur junior)", True),),
        1.5,
    ),
}
"""Terrain kinds of the built-in vocabulary, keyed by the categories of the slot they fill."""

_LIBRE_ONLY = _Kind(
    (
        _Service("PSY", ("libre",), "Psychiatrie", False, 3.0),
        _Service("PAL", ("libre",), "Soins palliatifs", False, 2.0),
        _Service("DERM", ("libre",), "Dermatologie", False),
        _Service("ADD", ("libre",), "Addictologie", False),
        _Service("MPR", ("libre",), "Médecine physique et de réadaptation", False),
        _Service("MLEG", ("libre",), "Médecine légale", False),
    ),
    2.5,
)
"""Terrains that only a libre slot takes (category ``libre``)."""


def _kind_for(categories: frozenset[str]) -> _Kind:
    """The kind of terrains filling a slot of ``categories``; a generic one off the table."""
    if categories in _KINDS:
        return _KINDS[categories]
    first = sorted(categories)[0]
    prefix = "".join(ch for ch in first.upper() if ch.isalnum())[:6] or "T"
    return _Kind((_Service(prefix, (first,), first.replace("_", " ").capitalize(), False),), 3.0)


# --- histories and relevance (R-ELI) --------------------------------------------------------


@lru_cache(maxsize=4096)
def _open_now(maquette: Maquette, valides: frozenset[str], semester: int) -> tuple[str, ...]:
    """Slots that can be done in ``semester`` after ``valides`` with the maquette still
    completable afterwards (R-ELI-2, R-ELI-3); in maquette order."""
    required = maquette.slot_ids - valides
    return tuple(
        slot.id
        for slot in maquette.stages
        if slot.id in required
        and slot.window[0] <= semester <= slot.window[1]
        and completable(maquette, required - {slot.id}, semester + 1)
    )


@lru_cache(maxsize=64)
def _free_categories(maquette: Maquette, semester: int) -> frozenset[str]:
    """Categories named by a specific slot whose window contains ``semester``."""
    return frozenset(
        c
        for slot in maquette.stages
        if not _is_libre(slot) and slot.window[0] <= semester <= slot.window[1]
        for c in slot.categories or ()
    )


def _relevant(maquette: Maquette, interne: Interne, categories: frozenset[str]) -> bool:
    """Whether the interne would list a terrain of ``categories`` (docs/datasets.md).

    Eligible (R-ELI-1, -2, -3) and, when only the libre slot takes it, not a category bound to
    another phase: a T2 does not list the urgences a libre slot would technically accept.
    """
    slot_id = slot_for(profile(maquette, interne), categories)
    if slot_id is None:
        return False
    slot = next(s for s in maquette.stages if s.id == slot_id)
    if not _is_libre(slot):
        return True
    named = frozenset(c for s in maquette.stages if not _is_libre(s) for c in s.categories or ())
    return any(c not in named for c in categories) or not categories.isdisjoint(
        _free_categories(maquette, interne.semestre)
    )


# --- the generator --------------------------------------------------------------------------


def generate(
    n_internes: int = 300,
    *,
    seed: int = 0,
    maquette: str = "mg-2023",
    n_terrains: int | None = None,
    wish_length: int | None = 40,
    capacity_ratio: float = 1.1,
    mandatory_ratio: float = 1.0,
    surnombre_rate: float = 0.02,
    couples: int = 2,
    prior_imposition_rate: float = 0.05,
    rounds: bool = False,
    obligatoires: tuple[str, ...] = ("urgences", "praticien_n1"),
    towns: tuple[str, ...] = DEFAULT_TOWNS,
    nom: str | None = None,
    promotions: Sequence[int] | None = None,
    late_2017: int = 0,
    names: bool = False,
    date_choix: str | None = None,
) -> Instance:
    """A synthetic subdivision, the same for the same arguments (docs/datasets.md).

    ``n_internes`` internes over the promotions of the built-in ``maquette`` (R-MAQ-1,
    R-MAQ-2, R-MAQ-4); ``n_terrains`` terrains (default ``n_internes / 3.75``, at least one per kind
    of terrain) over ``towns`` (the first has the CHU); about ``capacity_ratio * n_internes``
    postes in all, of which the mandatory ones (``obligatoires``, R-IMP-1) are
    ``mandatory_ratio`` times the demand for them (the T1s); wish lists of
    ``wish_length`` terrains (``None``: every relevant terrain); ``surnombre_rate`` of
    surnombres (R-SUR-2, R-SUR-3), ``prior_imposition_rate`` of the internes in their 2nd
    semester already imposed once (R-IMP-3), ``couples`` couples (R-ORD-2), and the two rounds
    of R-ROUND-1 when ``rounds``.

    ``promotions``: the size of each promotion in the choice, the youngest first (T1, T2,
    T3 of ``mg-2023``), instead of equal ones; ``n_internes`` must then be their sum.
    ``late_2017``: that many more internes on ``mg-2017`` in its semesters 5-6 (promotions
    2022 or before, late after a disponibilité or a semester not validated, R-MAQ-5), drawn
    from their own stream so that the rest of the instance is the one without them.
    ``names``: a synthetic name and first name for every interne (FORMAT.md ``nom``,
    ``prenom``; never read by a rule), drawn from their own stream too; ``date_choix`` the
    month of the choice (``"2026-11"``).
    """
    if promotions is not None:
        promotions = tuple(promotions)
        if not promotions or any(isinstance(k, bool) or not isinstance(k, int) or k < 0
                                 for k in promotions) or sum(promotions) != n_internes:
            raise ValueError(f"promotions must be integers >= 0 summing to n_internes "
                             f"({n_internes}), got {promotions!r}")
    if isinstance(late_2017, bool) or not isinstance(late_2017, int) or late_2017 < 0:
        raise ValueError(f"late_2017 must be an integer >= 0, got {late_2017!r}")
    _check_arguments(
        n_internes, n_terrains, wish_length, capacity_ratio, mandatory_ratio, surnombre_rate,
        couples, prior_imposition_rate, towns,
    )
    rng = np.random.default_rng(seed)
    maq = builtin_maquette(maquette)
    kinds, slot_kind = _kinds_of(maq)
    n_terrains = max(len(kinds), round(n_internes / 3.75)) if n_terrains is None else n_terrains
    if n_terrains < len(kinds):
        raise ValueError(
            f"n_terrains : attendu au moins {len(kinds)}, un par sorte de terrain de {maquette}"
        )
    obligatoires = tuple(obligatoires)
    mandatory = np.array([not kind.categories.isdisjoint(obligatoires) for kind in kinds])

    people = _People.draw(rng, maq, n_internes, promotions)
    people.draw_couples(rng, couples)
    people.draw_flags(rng, maq, kinds, slot_kind, surnombre_rate, prior_imposition_rate,
                      obligatoires)

    demand = people.demand(maq, kinds, slot_kind, mandatory)
    postes = _postes_per_kind(demand, mandatory, n_internes, capacity_ratio, mandatory_ratio)
    terrains, town_of = _terrains(rng, kinds, postes, n_terrains, towns)
    attractiveness = _attractiveness(rng, terrains, town_of, len(towns), kinds, mandatory)

    internes = people.internes(rng, maq, terrains, town_of, attractiveness, len(towns),
                               wish_length)
    couple_values = people.joint_lists(internes, terrains, town_of)
    if late_2017:
        internes = (*internes, *_late_internes(np.random.default_rng([seed, 2017]), late_2017,
                                               internes, terrains, attractiveness))
    if names:
        internes = _named(np.random.default_rng([seed, 1789]), internes)
    return Instance(
        maquette=maq,
        maquette_name=maquette,
        terrains=terrains,
        internes=internes,
        couples=couple_values,
        obligatoires=obligatoires,
        rounds=(
            (Round("ambulatoire", ["praticien_n1", "saspas"]), Round("hospitalier", "*"))
            if rounds
            else (DEFAULT_ROUND,)
        ),
        nom=nom if nom is not None else f"Synthetic subdivision, seed {seed}",
        date_choix=date_choix,
    )


_NOMS = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
    "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
    "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier",
    "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin",
    "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas",
    "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc",
    "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte", "Lopez", "Jean", "Dupuy", "Guillot",
    "Hubert", "Berger", "Carpentier", "Sanchez", "Dupuis", "Moulin", "Louis", "Deschamps",
    "Huet", "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein", "Jacquet", "Adam",
    "Paris", "Poirier", "Marty", "Aubry", "Guyot", "Carré", "Charles", "Renault", "Charpentier",
)
"""Common French surnames (INSEE frequency lists), combined at random: no real person."""

_PRENOMS = (
    "Léa", "Manon", "Camille", "Chloé", "Sarah", "Inès", "Jade", "Louise", "Emma", "Lucie",
    "Clara", "Juliette", "Anaïs", "Marie", "Pauline", "Mathilde", "Océane", "Laura", "Julie",
    "Élise", "Margaux", "Charlotte", "Alice", "Zoé", "Nina", "Salomé", "Yasmine", "Maëlle",
    "Hugo", "Lucas", "Thomas", "Nathan", "Théo", "Louis", "Maxime", "Antoine", "Alexandre",
    "Paul", "Arthur", "Clément", "Baptiste", "Quentin", "Romain", "Julien", "Adrien", "Victor",
    "Mehdi", "Karim", "Samuel", "Nicolas", "Valentin", "Benjamin", "Raphaël", "Gabriel",
    "Yanis", "Mathis", "Florian", "Jules",
)
"""Common French first names of people born around 2000."""


def _named(rng: np.random.Generator, internes: Sequence[Interne]) -> tuple[Interne, ...]:
    """Each interne with a synthetic ``nom`` and ``prenom``, distinct pairs, in id order."""
    seen: set[tuple[str, str]] = set()
    out = []
    for interne in internes:
        while True:
            pair = (_NOMS[int(rng.integers(len(_NOMS)))],
                    _PRENOMS[int(rng.integers(len(_PRENOMS)))])
            if pair not in seen:
                break
        seen.add(pair)
        out.append(attrs.evolve(interne, nom=pair[0], prenom=pair[1]))
    return tuple(out)


def _check_arguments(
    n_internes: int,
    n_terrains: int | None,
    wish_length: int | None,
    capacity_ratio: float,
    mandatory_ratio: float,
    surnombre_rate: float,
    couples: int,
    prior_imposition_rate: float,
    towns: Sequence[str],
) -> None:
    """Refuse arguments no subdivision could have, naming the argument."""
    for name, value, minimum in (
        ("n_internes", n_internes, 1),
        ("n_terrains", n_terrains, 1),
        ("wish_length", wish_length, 1),
        ("couples", couples, 0),
    ):
        if value is None and name in ("n_terrains", "wish_length"):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name} : attendu un entier >= {minimum}, reçu {value!r}")
    if not capacity_ratio > 0 or not mandatory_ratio >= 0:
        raise ValueError("attendu capacity_ratio > 0 et mandatory_ratio >= 0")
    for name, rate in (("surnombre_rate", surnombre_rate),
                       ("prior_imposition_rate", prior_imposition_rate)):
        if not 0 <= rate <= 1:
            raise ValueError(f"{name} : attendu entre 0 et 1, reçu {rate!r}")
    if not towns or len(set(towns)) != len(towns) or not all(
        isinstance(t, str) and t for t in towns
    ):
        raise ValueError("towns : attendu un tuple non vide de noms de villes distincts")


def _kinds_of(maquette: Maquette) -> tuple[list[_Kind], dict[str, int]]:
    """The kinds of terrain a maquette needs (one per specific slot's categories, then the
    libre-only kind) and the kind each slot draws on (a libre slot: the libre-only kind)."""
    kinds: list[_Kind] = []
    keys: list[frozenset[str]] = []
    slot_kind: dict[str, int] = {}
    for slot in maquette.stages:
        if _is_libre(slot):
            continue
        if set(range(slot.window[0], slot.window[1] + 1)) <= maquette.consolidation:
            continue  # the docteurs juniors' stages: the appariement's, not the choice's
        if slot.categories not in keys:
            keys.append(slot.categories)
            kinds.append(_kind_for(slot.categories))
        slot_kind[slot.id] = keys.index(slot.categories)
    kinds.append(_LIBRE_ONLY)
    for slot in maquette.stages:
        if _is_libre(slot):
            slot_kind[slot.id] = len(kinds) - 1
    return kinds, slot_kind


def _is_libre(slot) -> bool:
    """A libre slot: every category (``"*"``), or one that names the ``libre`` category."""
    return slot.categories is None or "libre" in slot.categories


def _apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` split in integers proportional to ``weights`` (largest remainders)."""
    weights = np.asarray(weights, dtype=float)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=int)
    exact = total * weights / weights.sum()
    shares = np.floor(exact).astype(int)
    remainders = exact - shares
    order = np.argsort(-remainders, kind="stable")
    shares[order[: total - shares.sum()]] += 1
    return shares


def _postes_per_kind(
    demand: np.ndarray,
    mandatory: np.ndarray,
    n_internes: int,
    capacity_ratio: float,
    mandatory_ratio: float,
) -> np.ndarray:
    """Postes of each kind: ``mandatory_ratio`` times the demand for the mandatory kinds
    (R-IMP-1), the rest of ``capacity_ratio * n_internes`` over the others by demand."""
    mandatory_total = round(mandatory_ratio * demand[mandatory].sum())
    other_total = max(round(capacity_ratio * n_internes) - mandatory_total, 0)
    postes = np.zeros(len(demand), dtype=int)
    postes[mandatory] = _apportion(mandatory_total, demand[mandatory])
    postes[~mandatory] = _apportion(other_total, demand[~mandatory])
    return postes


def _town_code(town: str) -> str:
    """``Bourg-en-Bresse`` → ``BOURG``, ``Saint-Étienne`` → ``SAINTETIENNE``."""
    ascii_ = unicodedata.normalize("NFKD", town).encode("ascii", "ignore").decode().upper()
    words = ["".join(ch for ch in w if ch.isalnum()) for w in ascii_.replace("'", "-").split("-")]
    words = [w for w in " ".join(words).split() if w]
    if not words:
        return "VILLE"
    if words[0] in {"SAINT", "SAINTE", "LE", "LA", "LES", "L"} and len(words) > 1:
        return words[0] + words[1]
    return words[0]


def _town_shares(n_towns: int, first: float) -> np.ndarray:
    """Probabilities over towns: ``first`` for the CHU town, the rest decreasing 1 → 1/2."""
    if n_towns == 1:
        return np.ones(1)
    others = np.linspace(1.0, 0.5, n_towns - 1)
    return np.concatenate(([first], (1 - first) * others / others.sum()))


def _terrains(
    rng: np.random.Generator,
    kinds: Sequence[_Kind],
    postes: np.ndarray,
    n_terrains: int,
    towns: Sequence[str],
) -> tuple[tuple[Terrain, ...], np.ndarray]:
    """Terrains of every kind over the towns, with their postes (R-POS-1).

    The number of terrains of a kind follows its postes over its typical size; the first one is
    the main service at the CHU, the next ones go to the other towns; the postes are spread
    with a random weight per terrain (heavier at the CHU), at least one each.
    """
    counts = np.ones(len(kinds), dtype=int) + _apportion(
        n_terrains - len(kinds), np.array([max(p, 0.5) / k.size for p, k in zip(postes, kinds,
                                                                                   strict=True)])
    )
    codes: list[str] = []
    for town in towns:
        code = _town_code(town)
        codes.append(code if code not in codes else f"{code}{len(codes) + 1}")
    hospital_p = _town_shares(len(towns), 0.5)
    ambulatory_p = _town_shares(len(towns), 0.3)

    terrains: list[Terrain] = []
    town_of: list[int] = []
    seen_ids: dict[tuple[str, int, bool], int] = {}
    seen_noms: dict[str, int] = {}
    for kind, count, total in zip(kinds, counts, postes, strict=True):
        weights = np.array([s.weight for s in kind.services])
        service_index = np.concatenate(
            ([0], rng.choice(len(kind.services), size=count - 1, p=weights / weights.sum()))
        )
        p = ambulatory_p if kind.ambulatory else hospital_p
        town_index = _spread_over_towns(rng, count, p)
        services = [kind.services[s] for s in service_index]
        at_chu = np.array(
            [t == 0 and not s.ambulatoire for t, s in zip(town_index, services, strict=True)]
        )
        spread = rng.gamma(4.0, size=count) * np.where(at_chu, 1.5, 1.0)
        sizes = 1 + rng.multinomial(max(int(total) - count, 0), spread / spread.sum())
        for service, town, size, chu in zip(services, town_index, sizes, at_chu, strict=True):
            number = seen_ids[(service.prefix, town, chu)] = (
                seen_ids.get((service.prefix, town, chu), 0) + 1
            )
            if chu:
                suffix = "CHU" if number == 1 else f"CHU-{number}"
                place = f"CHU de {towns[town]}"
            else:
                suffix = f"{number:02d}"
                place = towns[town] if service.ambulatoire else f"CH de {towns[town]}"
            nom = f"{service.nom}, {place}"
            seen_noms[nom] = seen_noms.get(nom, 0) + 1
            if seen_noms[nom] > 1:
                nom = f"{nom} ({seen_noms[nom]})"
            terrains.append(
                Terrain(
                    id=f"{service.prefix}-{codes[town]}-{suffix}",
                    categories=service.categories,
                    postes=int(size),
                    ambulatoire=service.ambulatoire,
                    nom=nom,
                    ville=towns[town],
                )
            )
            town_of.append(int(town))
    return tuple(terrains), np.array(town_of, dtype=int)


def _spread_over_towns(rng: np.random.Generator, count: int, p: np.ndarray) -> np.ndarray:
    """Towns of ``count`` terrains of one kind: the CHU town first, then every other town once
    (in an order drawn by ``p``) before any town gets a second one (drawn by ``p``)."""
    n_towns = len(p)
    first_round = min(count - 1, n_towns - 1)
    others = (
        1 + rng.choice(n_towns - 1, size=first_round, replace=False, p=p[1:] / p[1:].sum())
        if first_round > 0
        else np.zeros(0, dtype=int)
    )
    rest = rng.choice(n_towns, size=count - 1 - first_round, p=p)
    return np.concatenate(([0], others, rest)).astype(int)


def _attractiveness(
    rng: np.random.Generator,
    terrains: Sequence[Terrain],
    town_of: np.ndarray,
    n_towns: int,
    kinds: Sequence[_Kind],
    mandatory: np.ndarray,
) -> np.ndarray:
    """Popularity of each terrain: its town's, plus its own noise; the CHU and its urgences
    are sought after, ambulatory terrains away from the CHU town less (docs/datasets.md)."""
    town = rng.normal(0.0, _TOWN_NOISE, size=n_towns)
    town[0] += _CHU_BONUS
    own = rng.normal(0.0, _TERRAIN_NOISE, size=len(terrains))
    mandatory_categories = {c for kind, m in zip(kinds, mandatory, strict=True) if m
                            for c in kind.categories}
    bonus = np.zeros(len(terrains))
    for index, terrain in enumerate(terrains):
        at_chu = town_of[index] == 0
        if at_chu and not terrain.ambulatoire:
            bonus[index] += _CHU_BONUS / 2
            if not mandatory_categories.isdisjoint(terrain.categories):
                bonus[index] += _CHU_BONUS / 2
        if terrain.ambulatoire and not at_chu:
            bonus[index] += _RURAL_AMBULATORY
    return town[town_of] + own + bonus


class _Draft(NamedTuple):
    """An interne before their wish list."""

    rang: int
    semestres_valides: int
    semestres_effectues: int
    valides: tuple[str, ...]
    impose: bool
    surnombre: str | None
    derogations: tuple[str, ...]
    dernier: bool


class _People:
    """The internes being drawn: promotions, histories, flags, home towns; private."""

    def __init__(self, promotion: np.ndarray, valides: list[tuple[str, ...]],
                 rang: np.ndarray) -> None:
        n = len(promotion)
        self.promotion = promotion
        self.valides = valides
        self.rang = rang
        self.semestres_valides = np.array([len(v) for v in valides], dtype=int)
        self.semestres_effectues = self.semestres_valides.copy()
        self.impose = np.zeros(n, dtype=bool)
        self.surnombre: list[str | None] = [None] * n
        self.derogations: list[tuple[str, ...]] = [()] * n
        self.dernier = np.zeros(n, dtype=bool)
        self.couples: list[tuple[int, int]] = []
        self.utility = np.zeros((n, 0))
        """Utility of each terrain for each interne, drawn with the wish lists."""

    @classmethod
    def draw(cls, rng: np.random.Generator, maquette: Maquette, n: int,
             promotions: Sequence[int] | None = None) -> _People:
        """Promotions of equal size, ranks 1 … size in each (R-ORD-1), and for each interne a
        history: one slot per validated semester, inside its window, never twice, the maquette
        still completable (R-ELI-1, R-ELI-2, R-ELI-3). The semesters of the phase de
        consolidation (R-MAQ-4) are out of the choice by rank: the promotions are those of the
        semesters before it (three years of ``mg-2023``; the docteurs juniors go to the
        appariement). ``promotions``: their sizes, youngest first (default equal)."""
        chosen = min(maquette.consolidation, default=maquette.semestres + 1) - 1
        years = max(1, chosen // 2)
        if promotions is not None and len(promotions) != years:
            raise ValueError(f"{maquette.nom} has {years} promotions in the choice, "
                             f"{len(promotions)} sizes given")
        sizes = (_apportion(n, np.ones(years)) if promotions is None
                 else np.array(promotions, dtype=int))
        promotion = rng.permutation(np.repeat(np.arange(years), sizes))
        rang = np.zeros(n, dtype=int)
        for year in range(years):
            members = np.flatnonzero(promotion == year)
            rang[members] = rng.permutation(len(members)) + 1
        second_half = rng.random(n) < _SECOND_HALF
        done = np.minimum(2 * promotion + second_half, chosen - 1)
        picks = rng.random((n, maquette.semestres))
        valides: list[tuple[str, ...]] = []
        for index in range(n):
            history: list[str] = []
            for semester in range(1, int(done[index]) + 1):
                options = _open_now(maquette, frozenset(history), semester)
                if not options:  # a maquette no interne can follow: not a built-in one
                    raise ValueError(f"la maquette {maquette.nom} ne peut pas être complétée")
                history.append(options[int(picks[index, semester - 1] * len(options))])
            valides.append(tuple(history))
        return cls(promotion, valides, rang)

    def draw_couples(self, rng: np.random.Generator, couples: int) -> None:
        """``couples`` pairs of the same promotion (R-ORD-2), as many as the promotions allow."""
        free = np.ones(len(self.promotion), dtype=bool)
        for _ in range(couples):
            years = [y for y in np.unique(self.promotion)
                     if np.count_nonzero(free & (self.promotion == y)) >= 2]
            if not years:
                break
            year = years[int(rng.integers(len(years)))]
            a, b = rng.choice(np.flatnonzero(free & (self.promotion == year)), 2, replace=False)
            free[[a, b]] = False
            self.couples.append((int(a), int(b)))

    def draw_flags(
        self,
        rng: np.random.Generator,
        maquette: Maquette,
        kinds: Sequence[_Kind],
        slot_kind: dict[str, int],
        surnombre_rate: float,
        prior_imposition_rate: float,
        obligatoires: Sequence[str],
    ) -> None:
        """The rare cases: a semester done but not validated (R-VAL-3), a prior imposition
        (R-IMP-3), a surnombre (R-SUR-2, R-SUR-3; never in a couple, validant only with a
        hospital stage to choose, R-SUR-4), a dérogation (R-ELI-1), the last of their
        semester (R-ORD-4). Seniority and rank stay untied (R-ORD Reading)."""
        n = len(self.promotion)
        draws = rng.random((7, n))
        taken = {(int(e), int(r)) for e, r in zip(self.semestres_effectues, self.rang,
                                                  strict=True)}
        for index in np.flatnonzero(draws[0] < _EXTRA_SEMESTER):
            key = (int(self.semestres_effectues[index]) + 1, int(self.rang[index]))
            if key not in taken:
                taken.discard((int(self.semestres_effectues[index]), int(self.rang[index])))
                taken.add(key)
                self.semestres_effectues[index] += 1
        mandatory_slots = {
            slot.id for slot in maquette.stages
            if slot.categories is not None and not slot.categories.isdisjoint(obligatoires)
        }
        for index in np.flatnonzero(draws[1] < prior_imposition_rate):
            history = self.valides[index]
            if len(history) == 1 and history[0] in mandatory_slots:
                self.impose[index] = True
        in_couple = {i for pair in self.couples for i in pair}
        for index in np.flatnonzero(draws[2] < surnombre_rate):
            if int(index) in in_couple:
                continue
            options = _open_now(maquette, frozenset(self.valides[index]),
                                int(self.semestres_valides[index]) + 1)
            hospital = any(not kinds[slot_kind[s]].ambulatory for s in options)
            can_non_validant = self.semestres_effectues[index] >= 1
            if hospital and (draws[3, index] < 0.5 or not can_non_validant):
                self.surnombre[index] = "validant"
            elif can_non_validant:
                self.surnombre[index] = "non_validant"
        for index in np.flatnonzero(draws[4] < _DEROGATION):
            history = self.valides[index]
            if history:
                self.derogations[index] = (history[int(draws[5, index] * len(history))],)
        self.dernier = draws[6] < _LAST_OF_SEMESTER

    def demand(
        self,
        maquette: Maquette,
        kinds: Sequence[_Kind],
        slot_kind: dict[str, int],
        mandatory: np.ndarray,
    ) -> np.ndarray:
        """Expected postes wanted of each kind: every interne who takes a poste (not a
        surnombre, R-SUR-2) splits one over the slots open to them; a libre slot half over the
        libre-only kind, half over the non-mandatory kinds of its semester."""
        demand = np.zeros(len(kinds))
        cache: dict[tuple[tuple[str, ...], int], np.ndarray] = {}
        libre = len(kinds) - 1
        for index, history in enumerate(self.valides):
            if self.surnombre[index] is not None:
                continue
            semester = len(history) + 1
            key = (tuple(sorted(history)), semester)
            if key not in cache:
                share = np.zeros(len(kinds))
                options = _open_now(maquette, frozenset(history), semester)
                free = _free_categories(maquette, semester)
                spread = [
                    k for k, kind in enumerate(kinds[:-1])
                    if not mandatory[k] and not kind.categories.isdisjoint(free)
                ]
                for slot_id in options:
                    part = 1 / len(options)
                    k = slot_kind[slot_id]
                    if k != libre or not spread:
                        share[k] += part
                    else:
                        share[libre] += part * _LIBRE_TO_LIBRE_ONLY
                        share[spread] += part * (1 - _LIBRE_TO_LIBRE_ONLY) / len(spread)
                cache[key] = share
            demand += cache[key]
        return demand

    def internes(
        self,
        rng: np.random.Generator,
        maquette: Maquette,
        terrains: Sequence[Terrain],
        town_of: np.ndarray,
        attractiveness: np.ndarray,
        n_towns: int,
        wish_length: int | None,
    ) -> tuple[Interne, ...]:
        """The internes with their wish lists (R-VOE-1), best utility first.

        Utility = attractiveness + a bonus in the home town + Gumbel noise, one matrix for
        everyone. Each lists the terrains relevant to their coming semester; a few add one they
        may not take, a few stop after 1-3 wishes. A surnombre lists hospital terrains only
        (R-SUR-4), and a non validant any of them (R-SUR-3).
        """
        n, n_t = len(self.promotion), len(terrains)
        home = rng.choice(n_towns, size=n, p=_town_shares(n_towns, 0.35))
        for a, b in self.couples:
            home[b] = home[a]
        utility = attractiveness[None, :] + rng.gumbel(size=(n, n_t))
        utility[town_of[None, :] == home[:, None]] += _HOME_BONUS
        self.utility = utility
        irrelevant = rng.random(n) < _IRRELEVANT
        position = rng.random(n)
        short = rng.random(n) < _SHORT_LIST
        short_length = rng.integers(1, 4, size=n)

        drafts = [self._draft(index) for index in range(n)]
        category_sets = [t.category_set for t in terrains]
        hospital = np.array([not t.ambulatoire for t in terrains])
        groups: dict[tuple[Any, ...], list[int]] = {}
        for index, draft in enumerate(drafts):
            key = (draft.valides, draft.derogations, draft.semestres_valides, draft.surnombre)
            groups.setdefault(key, []).append(index)

        ids = np.array([t.id for t in terrains], dtype=object)
        wishes: list[list[str]] = [[] for _ in range(n)]
        for (valides, derogations, done, surnombre), rows in groups.items():
            probe = Interne("probe", 1, done, valides=valides, derogations=derogations)
            relevant = np.array([_relevant(maquette, probe, c) for c in category_sets])
            if surnombre == "validant":
                listed = relevant & hospital
            elif surnombre == "non_validant":
                listed = hospital
            else:
                listed = relevant
            cols = np.flatnonzero(listed)
            order = _top(utility[np.ix_(rows, cols)], wish_length)
            outside = np.flatnonzero(~listed)
            for row, ranking in zip(rows, order, strict=True):
                wish = list(ids[cols[ranking]])
                if irrelevant[row] and len(outside) and surnombre is None:
                    extra = ids[outside[np.argmax(utility[row, outside])]]
                    wish.insert(int(position[row] * (len(wish) + 1)), extra)
                    wish = wish[:wish_length] if wish_length else wish
                if short[row]:
                    wish = wish[: short_length[row]]
                wishes[row] = wish
        width = max(4, len(str(n)))
        return tuple(
            Interne(
                id=f"I{index + 1:0{width}d}",
                rang=draft.rang,
                semestres_valides=draft.semestres_valides,
                semestres_effectues=draft.semestres_effectues,
                valides=draft.valides,
                impose=draft.impose,
                voeux=wishes[index],
                surnombre=draft.surnombre,  # type: ignore[arg-type]
                derogations=draft.derogations,
                dernier_de_son_semestre=draft.dernier,
            )
            for index, draft in enumerate(drafts)
        )

    def _draft(self, index: int) -> _Draft:
        return _Draft(
            rang=int(self.rang[index]),
            semestres_valides=int(self.semestres_valides[index]),
            semestres_effectues=int(self.semestres_effectues[index]),
            valides=self.valides[index],
            impose=bool(self.impose[index]),
            surnombre=self.surnombre[index],
            derogations=self.derogations[index],
            dernier=bool(self.dernier[index]),
        )

    def joint_lists(
        self, internes: Sequence[Interne], terrains: Sequence[Terrain], town_of: np.ndarray
    ) -> tuple[Couple, ...]:
        """Each couple's joint list (R-ORD-2): pairs of the first wishes of each member, by
        summed utility with a bonus for one town; a pair on one terrain needs two postes."""
        index_of = {t.id: k for k, t in enumerate(terrains)}
        result: list[Couple] = []
        for a, b in self.couples:
            top_a = [index_of[t] for t in internes[a].voeux[:_COUPLE_TOP]]
            top_b = [index_of[t] for t in internes[b].voeux[:_COUPLE_TOP]]
            scored = []
            for ta in top_a:
                for tb in top_b:
                    if ta == tb and terrains[ta].postes < 2:
                        continue
                    score = self.utility[a, ta] + self.utility[b, tb]
                    if town_of[ta] == town_of[tb]:
                        score += _COUPLE_SAME_TOWN
                    scored.append((-score, ta, tb))
            scored.sort()
            result.append(
                Couple(
                    internes=(internes[a].id, internes[b].id),
                    voeux=[(terrains[ta].id, terrains[tb].id)
                           for _, ta, tb in scored[:_COUPLE_LIST]],
                )
            )
        return tuple(result)


def _late_internes(rng: np.random.Generator, count: int, internes: Sequence[Interne],
                   terrains: Sequence[Terrain], attractiveness: np.ndarray
                   ) -> tuple[Interne, ...]:
    """``count`` internes on ``mg-2017`` about to start its semester 5 or 6 (R-MAQ-5), a
    history inside the windows, ranked after everyone of their seniority, listing the
    terrains open to them on their own maquette by attractiveness + Gumbel noise."""
    width = max(4, len(str(len(internes) + count)))
    top_rank = max((i.rang for i in internes), default=0)
    out = []
    for k in range(count):
        done = 4 + int(rng.random() < 0.5)
        history: list[str] = []
        for semester in range(1, done + 1):
            options = _open_now(MG_2017, frozenset(history), semester)
            history.append(options[int(rng.random() * len(options))])
        probe = Interne("probe", 1, done, valides=tuple(history))
        open_ = [t for t in range(len(terrains))
                 if slot_for(profile(MG_2017, probe), terrains[t].category_set) is not None]
        utility = attractiveness[open_] + rng.gumbel(size=len(open_))
        out.append(Interne(
            id=f"I{len(internes) + k + 1:0{width}d}", rang=top_rank + k + 1,
            semestres_valides=done, semestres_effectues=done + 1, valides=tuple(history),
            voeux=[terrains[open_[j]].id for j in np.argsort(-utility, kind="stable")],
            maquette="mg-2017",
        ))
    return tuple(out)


def _top(utility: np.ndarray, length: int | None) -> np.ndarray:
    """Column indices of each row, best first, the first ``length`` only."""
    n_cols = utility.shape[1]
    if length is None or length >= n_cols:
        return np.argsort(-utility, axis=1, kind="stable")
    best = np.argpartition(-utility, length - 1, axis=1)[:, :length]
    values = np.take_along_axis(utility, best, axis=1)
    return np.take_along_axis(best, np.argsort(-values, axis=1, kind="stable"), axis=1)


# --- the national intakes (docs/datasets.md, "A subdivision of 2026") ---------------------

POSTES_2025: dict[str, int] = {
    "Paris": 501, "Lille": 193, "Marseille": 168, "Toulouse": 144, "Lyon": 142,
}
"""Postes of médecine générale open to the 2025 ECOS/EDN, the five largest subdivisions
(issue 16; arrêté of the 2025 postes, Île-de-France read as Paris)."""

NATIONAL_POSTES_2025 = 3593
"""Postes of médecine générale open nationally in 2025."""

NATIONAL_PROMOTIONS: dict[int, int] = {2023: 3650, 2024: 2960, 2025: 3590}
"""Internes of médecine générale per promotion (about), nationally (issue 16)."""

SUBDIVISION_TOWNS: dict[str, tuple[str, ...]] = {
    "Paris": ("Paris", "Créteil", "Versailles", "Bobigny", "Évry", "Pontoise", "Meaux",
              "Melun"),
    "Lille": ("Lille", "Roubaix", "Valenciennes", "Dunkerque", "Arras", "Boulogne-sur-Mer",
              "Lens", "Maubeuge"),
    "Marseille": ("Marseille", "Aix-en-Provence", "Toulon", "Avignon", "Gap", "Digne-les-Bains",
                  "Martigues", "Ajaccio"),
    "Toulouse": ("Toulouse", "Montauban", "Albi", "Tarbes", "Castres", "Rodez", "Cahors",
                 "Auch"),
    "Lyon": DEFAULT_TOWNS,
}
"""Towns of each subdivision, the CHU first."""


def intakes(name: str, year: int = 2026) -> tuple[int, int, int]:
    """The sizes of the three promotions in the choice of November ``year`` (T1, T2, T3 of
    ``mg-2023``; the 4th, docteurs juniors, goes to the appariement) in subdivision ``name``:
    its share of the 2025 postes (:data:`POSTES_2025` / :data:`NATIONAL_POSTES_2025`) times
    each national promotion (:data:`NATIONAL_PROMOTIONS`); a promotion not yet known (2026)
    is taken as large as the last known one (docs/datasets.md)."""
    if name not in POSTES_2025:
        raise ValueError(f"unknown subdivision {name!r} (known: {', '.join(POSTES_2025)})")
    share = POSTES_2025[name] / NATIONAL_POSTES_2025
    last = max(NATIONAL_PROMOTIONS)
    return tuple(round(share * NATIONAL_PROMOTIONS.get(y, NATIONAL_PROMOTIONS[last]))
                 for y in (year, year - 1, year - 2))  # type: ignore[return-value]


def intakes_table(year: int = 2026) -> str:
    """The intakes the generator follows, in French, at most 100 columns (``python -m
    affectation.datasets --intakes``)."""
    import textwrap

    years = (year, year - 1, year - 2, year - 3)
    last = NATIONAL_PROMOTIONS[max(NATIONAL_PROMOTIONS)]
    lines = [f"{'Subdivision':<12}{'Postes 2025':>12}{'Part':>8}"
             + "".join(f"{f'Promo {y}':>12}" for y in years)]
    for name, postes in POSTES_2025.items():
        share = postes / NATIONAL_POSTES_2025
        sizes = (*intakes(name, year), round(share * NATIONAL_PROMOTIONS.get(year - 3, last)))
        lines.append(f"{name:<12}{postes:>12}{share:>8.1%}" + "".join(f"{k:>12}" for k in sizes))
    lines.append(f"{'France':<12}{NATIONAL_POSTES_2025:>12}{1:>8.1%}"
                 + "".join(f"{NATIONAL_PROMOTIONS.get(y, last):>12}" for y in years))
    lines += ["", *textwrap.wrap(
        f"Internes de chaque promotion au choix de novembre {year} : la part de la subdivision "
        "dans les postes de médecine générale de 2025 fois la promotion nationale (une "
        f"promotion pas encore connue, {year} : comme la dernière connue). Les promotions "
        f"{year - 2} à {year} choisissent ; la promotion {year - 3} est en phase de "
        "consolidation (docteurs juniors, affectés par l'appariement).", 100)]
    return "\n".join(lines)


def subdivision(name: str = "Lyon", *, year: int = 2026, seed: int = 0, scale: float = 1.0,
                late_2017: int | None = None, **options: Any) -> Instance:
    """A synthetic subdivision of the choice of November ``year`` following the real intakes
    (:func:`intakes`, times ``scale`` for a smaller test instance): promotions ``year - 2`` …
    ``year`` on ``mg-2023``, the docteurs juniors out of the choice, ``late_2017`` late
    internes on ``mg-2017`` (default 1 %), the ambulatory round first. ``options`` go to
    :func:`generate`."""
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    sizes = tuple(max(1, round(scale * k)) for k in intakes(name, year))
    late = max(1, round(0.01 * sum(sizes))) if late_2017 is None else late_2017
    options.setdefault("rounds", True)
    options.setdefault("towns", SUBDIVISION_TOWNS[name])
    options.setdefault("nom", f"Subdivision de {name} (synthétique), choix de novembre {year}")
    instance = generate(sum(sizes), seed=seed, maquette="mg-2023", promotions=sizes,
                        late_2017=late, **options)
    return attrs.evolve(instance, date_choix=f"{year}-11")


# --- the shipped example --------------------------------------------------------------------


@cache
def example() -> Instance:
    """The shipped example: ``generate(**EXAMPLE_PARAMETERS)``, read from
    ``affectation/data/example.json`` (FORMAT.md). Read once per process: the instance is
    frozen, and reading it again costs about 60 ms."""
    from affectation.io import load_instance

    resource = importlib.resources.files("affectation").joinpath(_EXAMPLE_RESOURCE)
    with importlib.resources.as_file(resource) as path:
        return load_instance(path)


def merge_rankings(rankings: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """One round ``classement`` (``{interne id: rank}``, ranks 1 … n) from one ranking per
    université, each best first (R-ROUND-2, the Île-de-France "classement intra-facultés
    choix ambulatoire").

    **Reading** (the rulebook does not say how the facultés' rankings meet on one choice day):
    they are interleaved by relative place, the ``k``-th of a faculté of ``n`` at ``k / n``,
    smaller first, as R-ORD-6 interleaves promotions by percentile; equal places go in the
    order the facultés are given: no faculté's internes are favoured for its size. An interne
    in two rankings is an input error."""
    keyed = []
    seen: dict[str, str] = {}
    for f, (faculte, ids) in enumerate(rankings.items()):
        for k, interne_id in enumerate(ids, start=1):
            if interne_id in seen:
                raise ValueError(f"{interne_id} figure dans deux classements : {seen[interne_id]}"
                                 f" et {faculte}")
            seen[interne_id] = faculte
            keyed.append((Fraction(k, len(ids)), f, interne_id))
    return {interne_id: rank for rank, (_, _, interne_id) in enumerate(sorted(keyed), start=1)}


def example_ile_de_france(n_internes: int = 300, *, seed: int = 2026,
                          facultes: Sequence[str] = FACULTES_ILE_DE_FRANCE,
                          **options: Any) -> Instance:
    """An Île-de-France-like subdivision (R-ROUND-2): the praticien N1 round first, called
    by the facultés' own rankings merged by :func:`merge_rankings`, then the hospital round
    (every other terrain, SASPAS included) by seniority and rank (R-ORD-1).

    The instance is :func:`generate` (``n_internes``, ``seed`` and any other ``options``)
    with those two rounds. Each interne who may still do the praticien N1 (the slot not
    validated, in their first year, not in surnombre, R-SUR-4) belongs to one faculté, drawn
    from the same seed; each faculté ranks its own by their rang with some noise (a faculté's
    ranking is not the national one). Deterministic: same arguments, equal instance; it
    round-trips through JSON like any instance (docs/datasets.md)."""
    if not facultes:
        raise ValueError("facultes must name at least one université")
    options.setdefault("towns", ILE_DE_FRANCE_TOWNS)
    options.setdefault("nom", "Exemple : Île-de-France, classements intra-facultés (R-ROUND-2)")
    base = generate(n_internes, seed=seed, **options)
    rng = np.random.default_rng([seed, 75])
    candidates = [
        i for i in base.internes
        if i.surnombre is None and i.semestre <= 2
        and "praticien_n1" not in i.valides
        and any("praticien_n1" in s.categories for s in base.maquette_of(i).stages)
    ]
    faculte_of = rng.integers(0, len(facultes), size=len(candidates))
    noise = rng.normal(0.0, 0.15 * max(1, len(candidates)), size=len(candidates))
    rankings: dict[str, list[str]] = {f: [] for f in facultes}
    for k in sorted(range(len(candidates)), key=lambda k: (candidates[k].rang + noise[k],
                                                           candidates[k].id)):
        rankings[facultes[faculte_of[k]]].append(candidates[k].id)
    classement = merge_rankings({f: ids for f, ids in rankings.items() if ids})
    rounds = (Round("praticien_n1", ["praticien_n1"], classement), Round("hospitalier", "*"))
    return attrs.evolve(base, rounds=rounds)


def write_example(path: str | Path | None = None) -> Path:
    """Regenerate the example from :data:`EXAMPLE_PARAMETERS` and write it (by default over
    the package's ``data/example.json``); returns the path written."""
    from affectation.io import save_instance

    target = Path(path) if path is not None else Path(__file__).parent / _EXAMPLE_RESOURCE
    save_instance(generate(**EXAMPLE_PARAMETERS), target)
    return target


if __name__ == "__main__":  # python -m affectation.datasets [--intakes | path]
    import sys

    if sys.argv[1:2] == ["--intakes"]:
        print(intakes_table())
    else:
        print(write_example(sys.argv[1] if len(sys.argv) > 1 else None))

