"""What-if scenarios: immutable changes applied to an instance, never to the base.

A :class:`Scenario` is a name and a tuple of changes, each a frozen value with an
``apply(instance) -> Instance`` that returns a new instance built with ``attrs.evolve``; the
instance given is never touched (STYLE.md, "Values are frozen"). Scenarios are hashable and
picklable, so they can be dictionary keys and cross process pools (the Monte Carlo sweep).

The changes are the questions the commissions ask (R-POS-2):

- :class:`OpenPostes`: open or close postes of a category (R-POS-1, R-POS-2);
- :class:`AddTerrain`, :class:`RemoveTerrain`: a new agrément, a terrain that closes (R-POS-1);
- :class:`ChangePromotion`: a bigger or smaller promotion (R-ORD-1, R-VAL-2);
- :class:`SetObligatoires`: which categories are mandatory, impositions on or off (R-IMP-1);
- :class:`SetRounds`: one round or several (R-ROUND-1).

``parse_change`` reads the command line's ``--open`` syntax (docs/howto-scenarios.md)::

    CATEGORY:N                   urgences:3, urgences:+3, praticien_n1:-2   (rule "demand")
    CATEGORY:N:RULE              urgences:3:even                            (rule "demand"/"even")
    CATEGORY:N@ID[,ID...]        urgences:2@URG-LYON-CHU,URG-BOURG-01       (named terrains)
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from functools import reduce
from typing import Any, Protocol, runtime_checkable

import attrs

from affectation.errors import ScenarioError
from affectation.model import DEFAULT_ROUND, Instance, Interne, Round, Terrain
from affectation.rules.order import order_key

__all__ = [
    "BASE",
    "DEMAND_TOP_K",
    "RULES",
    "AddTerrain",
    "Change",
    "ChangePromotion",
    "OpenPostes",
    "RemoveTerrain",
    "Scenario",
    "SetObligatoires",
    "SetRounds",
    "close_postes",
    "open_postes",
    "parse_change",
    "wish_demand",
]

DEMAND_TOP_K = 3
"""A terrain is *demanded* by an interne who lists it among their first 3 wishes."""

RULES = ("demand", "even")
"""How :class:`OpenPostes` spreads postes over the terrains of a category."""


@runtime_checkable
class Change(Protocol):
    """One change of a scenario: a pure function from an instance to a new instance."""

    @property
    def label(self) -> str:
        """Short text naming the change (``urgences +3``), used for default scenario names."""
        ...

    def apply(self, instance: Instance) -> Instance:
        """The changed instance; ``instance`` itself is left as it was."""
        ...


# --- validators -----------------------------------------------------------------------------


def _non_empty_str(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ScenarioError(f"{attribute.name} : attendu un texte non vide, reçu {value!r}")


def _int(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{name} : attendu un nombre entier, reçu {value!r}")


def _non_zero_int(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    _int(value, attribute.name)
    if value == 0:
        raise ScenarioError(f"{attribute.name} : attendu un entier non nul (0 ne change rien)")


def _int_at_least(minimum: int):
    def check(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        _int(value, attribute.name)
        if value < minimum:
            raise ScenarioError(f"{attribute.name} : attendu un entier >= {minimum}, reçu {value}")

    return check


def _optional_ids(value: Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _check_ids(instance: Any, attribute: attrs.Attribute, value: tuple[str, ...] | None) -> None:
    if value is None:
        return
    if not value:
        raise ScenarioError(f"{attribute.name} : attendu au moins un identifiant de terrain, "
                            "ou None")
    for item in value:
        if not isinstance(item, str) or not item:
            raise ScenarioError(f"{attribute.name} : attendu des identifiants de terrain, "
                                f"trouvé {item!r}")
    if len(set(value)) != len(value):
        raise ScenarioError(f"{attribute.name} : un terrain apparaît deux fois dans {list(value)}")


def _rule(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value not in RULES:
        raise ScenarioError(f"règle : attendu {' ou '.join(RULES)}, reçu {value!r}")


def _libelle(terrain: Terrain) -> str:
    """``nom (id)``, or the id alone: the name beside the id."""
    return f"{terrain.nom} ({terrain.id!r})" if terrain.nom else repr(terrain.id)


def _categories_present(instance: Instance) -> str:
    present = sorted({c for t in instance.terrains for c in t.categories})
    return ", ".join(present) or "aucune"


# --- demand ---------------------------------------------------------------------------------


def wish_demand(instance: Instance, top_k: int = DEMAND_TOP_K) -> dict[str, int]:
    """Internes listing each terrain among their first ``top_k`` wishes (R-VOE-1).

    A couple member also counts the terrains on their side of the first ``top_k`` pairs of
    the joint list (R-ORD-2); each interne counts at most once per terrain. Every terrain of
    the instance has an entry, in file order.
    """
    demand = {t.id: 0 for t in instance.terrains}
    for interne in instance.internes:
        wanted = set(interne.voeux[:top_k])
        couple = instance.couple_of.get(interne.id)
        if couple is not None:
            side = couple.internes.index(interne.id)
            wanted |= {pair[side] for pair in couple.voeux[:top_k]}
        for terrain_id in wanted:
            demand[terrain_id] += 1
    return demand


# --- changes --------------------------------------------------------------------------------


@attrs.frozen
class OpenPostes:
    """Open (``n > 0``) or close (``n < 0``) ``|n|`` postes of the terrains agréés for
    ``category`` (R-POS-1, R-POS-2): the number of postes is the COP's decision.

    Where the postes go:

    - ``terrains`` given: round-robin over those terrains in the given order (each must be
      agréé for ``category``); ``rule`` is then ignored. Closing skips a terrain at 0.
    - ``rule="demand"`` (default), one poste at a time. Demand of a terrain = internes listing
      it among their first ``top_k`` wishes (:func:`wish_demand`). Opening: to the terrain
      where demand exceeds supply most (largest ``demand - postes``). Closing: from the
      terrain with the lowest ``demand / postes`` among those with a poste left. Ties go to
      the first terrain in file order.
    - ``rule="even"``: round-robin over the category's terrains in file order; closing skips
      a terrain at 0.

    A terrain never goes below 0 postes. Closing more postes than the terrains have, or
    opening on a category no terrain has, raises :class:`~affectation.errors.ScenarioError`.
    """

    category: str = attrs.field(validator=_non_empty_str)
    n: int = attrs.field(validator=_non_zero_int)
    """Postes to open (> 0) or close (< 0)."""
    terrains: tuple[str, ...] | None = attrs.field(
        default=None, converter=_optional_ids, validator=_check_ids
    )
    """Terrain ids to spread the postes over, in this order; ``None``: follow ``rule``."""
    rule: str = attrs.field(default="demand", validator=_rule)
    top_k: int = attrs.field(default=DEMAND_TOP_K, validator=_int_at_least(1))
    """Wishes that count as demand for ``rule="demand"``."""

    @property
    def label(self) -> str:
        where = f" ({', '.join(self.terrains)})" if self.terrains else ""
        how = " even" if self.rule == "even" and not self.terrains else ""
        return f"{self.category} {self.n:+d}{how}{where}"

    def _candidates(self, instance: Instance) -> list[Terrain]:
        if self.terrains is None:
            candidates = [t for t in instance.terrains if self.category in t.category_set]
            if not candidates:
                raise ScenarioError(
                    f"aucun terrain n'est agréé pour {self.category!r} "
                    f"(catégories présentes : {_categories_present(instance)})"
                )
            return candidates
        candidates = []
        for terrain_id in self.terrains:
            terrain = instance.terrain_by_id.get(terrain_id)
            if terrain is None:
                raise ScenarioError(f"terrain inconnu {terrain_id!r}")
            if self.category not in terrain.category_set:
                raise ScenarioError(
                    f"le terrain {_libelle(terrain)} n'est pas agréé pour "
                    f"{self.category!r} (ses catégories : {', '.join(terrain.categories)})"
                )
            candidates.append(terrain)
        return candidates

    def placement(self, instance: Instance) -> dict[str, int]:
        """Postes added (> 0) or removed (< 0) per terrain id, in the candidates' order."""
        candidates = self._candidates(instance)
        postes = {t.id: t.postes for t in candidates}
        ids = list(postes)
        if self.n < 0 and sum(postes.values()) < -self.n:
            where = ", ".join(ids) if self.terrains else f"les terrains {self.category!r}"
            raise ScenarioError(
                f"impossible de fermer {-self.n} postes : {where} n'en ouvrent que "
                f"{sum(postes.values())}"
            )
        if self.terrains is not None or self.rule == "even":
            self._round_robin(ids, postes)
        else:
            self._by_demand(ids, postes, wish_demand(instance, self.top_k))
        changed = {t.id: postes[t.id] - t.postes for t in candidates}
        return {terrain_id: delta for terrain_id, delta in changed.items() if delta}

    def _round_robin(self, ids: list[str], postes: dict[str, int]) -> None:
        step = 1 if self.n > 0 else -1
        k = 0
        for _ in range(abs(self.n)):
            while step < 0 and postes[ids[k % len(ids)]] == 0:
                k += 1  # closing skips empty terrains; the total was checked
            postes[ids[k % len(ids)]] += step
            k += 1

    def _by_demand(self, ids: list[str], postes: dict[str, int], demand: dict[str, int]) -> None:
        for _ in range(abs(self.n)):
            if self.n > 0:  # max() keeps the first of equal keys: file order breaks ties
                chosen = max(ids, key=lambda t: demand[t] - postes[t])
                postes[chosen] += 1
            else:
                chosen = min(
                    (t for t in ids if postes[t] > 0), key=lambda t: demand[t] / postes[t]
                )
                postes[chosen] -= 1

    def apply(self, instance: Instance) -> Instance:
        changed = self.placement(instance)
        terrains = tuple(
            attrs.evolve(t, postes=t.postes + changed[t.id]) if t.id in changed else t
            for t in instance.terrains
        )
        return attrs.evolve(instance, terrains=terrains)


@attrs.frozen
class AddTerrain:
    """A terrain newly agréé (R-POS-1), appended after the others. It is in nobody's wish
    list: the internes of the base never asked for it, so it only fills through impositions
    (R-IMP-2) unless lists are redrawn (the Monte Carlo sweep)."""

    terrain: Terrain

    @property
    def label(self) -> str:
        return f"+ {self.terrain.id}"

    def apply(self, instance: Instance) -> Instance:
        if self.terrain.id in instance.terrain_by_id:
            raise ScenarioError(f"le terrain {self.terrain.id!r} existe déjà")
        return attrs.evolve(instance, terrains=(*instance.terrains, self.terrain))


@attrs.frozen
class RemoveTerrain:
    """A terrain that loses its agrément or opens nothing (R-POS-1), removed with its postes.

    It is also removed from every wish list (R-VOE-1) and every pair that names it from the
    couples' joint lists (R-ORD-2): the wishes below it move up one place, so an interne's
    ``voeu`` numbers can differ from the base for the same terrain.
    """

    terrain_id: str = attrs.field(validator=_non_empty_str)

    @property
    def label(self) -> str:
        return f"- {self.terrain_id}"

    def apply(self, instance: Instance) -> Instance:
        gone = self.terrain_id
        if gone not in instance.terrain_by_id:
            raise ScenarioError(f"terrain inconnu {gone!r}")
        internes = tuple(
            attrs.evolve(i, voeux=tuple(t for t in i.voeux if t != gone)) if gone in i.voeux
            else i
            for i in instance.internes
        )
        couples = tuple(
            attrs.evolve(c, voeux=tuple(pair for pair in c.voeux if gone not in pair))
            for c in instance.couples
        )
        return attrs.evolve(
            instance,
            terrains=tuple(t for t in instance.terrains if t.id != gone),
            internes=internes,
            couples=couples,
        )


@attrs.frozen
class ChangePromotion:
    """More (``delta > 0``) or fewer (``delta < 0``) internes with ``semestres_valides``
    validated semesters (R-VAL-2).

    Adding clones internes of that seniority drawn at random (``random.Random(seed)``, each
    once before any twice; internes in a couple are not cloned): same history, flags and wish
    list, a new id ``<id>-c<k>`` and a rank after every rank of the instance, in draw order,
    so the clones choose last of their seniority (R-ORD-1). Under percentile interclassement
    (R-ORD-6) the clones share one ``effectif_promotion`` just above their ranks.

    Removing drops the internes of that seniority who choose last (R-ORD-1, R-ORD-4,
    R-ORD-6); a couple with a dropped member is dissolved and the partner keeps their own
    list (R-ORD-2). A round's own ranking (R-ROUND-2) follows: a clone of an interne it lists
    is ranked after every rank of it, a dropped interne leaves it. Deterministic for the seed.
    """

    semestres_valides: int = attrs.field(validator=_int_at_least(0))
    delta: int = attrs.field(validator=_non_zero_int)
    seed: int = attrs.field(default=0, validator=_int_at_least(0))

    @property
    def label(self) -> str:
        return f"promotion {self.semestres_valides} sem. {self.delta:+d}"

    def apply(self, instance: Instance) -> Instance:
        return self._add(instance) if self.delta > 0 else self._remove(instance)

    def _add(self, instance: Instance) -> Instance:
        pool = [
            i for i in instance.internes
            if i.semestres_valides == self.semestres_valides and i.id not in instance.couple_of
        ]
        if not pool:
            raise ScenarioError(
                f"aucun interne à {self.semestres_valides} semestres validés à dupliquer "
                "(les internes en couple ne sont pas dupliqués)"
            )
        rng = random.Random(self.seed)
        picks: list[Interne] = []
        while len(picks) < self.delta:
            picks += rng.sample(pool, len(pool))
        picks = picks[: self.delta]
        used = set(instance.interne_by_id)
        last = max(i.rang for i in instance.internes)
        effectif = last + self.delta + 1
        clones = []
        k = 0
        for offset, source in enumerate(picks, start=1):
            k += 1
            while f"{source.id}-c{k}" in used:
                k += 1
            new_id = f"{source.id}-c{k}"
            used.add(new_id)
            keeps_none = source.effectif_promotion is None and instance.interclassement == "rang"
            clones.append(
                attrs.evolve(
                    source,
                    id=new_id,
                    rang=last + offset,
                    effectif_promotion=None if keeps_none else effectif,
                )
            )
        rounds = tuple(_with_clones(r, picks, clones) for r in instance.rounds)
        return attrs.evolve(instance, internes=(*instance.internes, *clones), rounds=rounds)

    def _remove(self, instance: Instance) -> Instance:
        group = sorted(
            (i for i in instance.internes if i.semestres_valides == self.semestres_valides),
            key=lambda i: order_key(i, instance.interclassement),
        )
        if len(group) < -self.delta:
            raise ScenarioError(
                f"impossible de retirer {-self.delta} internes à {self.semestres_valides} "
                f"semestres validés : il y en a {len(group)}"
            )
        dropped = {i.id for i in group[self.delta:]}
        rounds = tuple(
            r if r.classement is None else attrs.evolve(
                r, classement=tuple((i, k) for i, k in r.classement if i not in dropped))
            for r in instance.rounds)
        return attrs.evolve(
            instance,
            internes=tuple(i for i in instance.internes if i.id not in dropped),
            couples=tuple(c for c in instance.couples if dropped.isdisjoint(c.internes)),
            rounds=rounds,
        )


def _with_clones(round_: Round, sources: list[Interne], clones: list[Interne]) -> Round:
    """A round's own ranking (R-ROUND-2) with the clones of the internes it lists, ranked
    after every rank of it, in draw order (as their ``rang``); dropped internes leave it."""
    if round_.classement is None:
        return round_
    rank_of = round_.rank_of or {}
    last = max(rank_of.values(), default=0)
    added = [(clone.id, last + k) for k, (source, clone) in
             enumerate(((s, c) for s, c in zip(sources, clones, strict=True)
                        if s.id in rank_of), start=1)]
    return attrs.evolve(round_, classement=(*round_.classement, *added)) if added else round_


@attrs.frozen
class SetObligatoires:
    """Set the mandatory categories (R-IMP-1): their postes must all be filled, by imposition
    if need be (R-IMP-2, R-IMP-3); ``()`` turns impositions off."""

    categories: tuple[str, ...] = attrs.field(converter=tuple)

    @property
    def label(self) -> str:
        if not self.categories:
            return "sans impositions"
        return f"obligatoires: {', '.join(self.categories)}"

    def apply(self, instance: Instance) -> Instance:
        return attrs.evolve(instance, obligatoires=self.categories)


def _rounds(value: Iterable[Round] | None) -> tuple[Round, ...] | None:
    return None if value is None else tuple(value)


@attrs.frozen
class SetRounds:
    """Set the rounds of the choice day (R-ROUND-1); ``None`` is the single round."""

    rounds: tuple[Round, ...] | None = attrs.field(converter=_rounds)

    @property
    def label(self) -> str:
        if self.rounds is None:
            return "tour unique"
        return f"tours: {', '.join(r.nom for r in self.rounds)}"

    def apply(self, instance: Instance) -> Instance:
        rounds = (DEFAULT_ROUND,) if self.rounds is None else self.rounds
        return attrs.evolve(instance, rounds=rounds)


# --- scenarios ------------------------------------------------------------------------------


def _changes(value: Iterable[Change]) -> tuple[Change, ...]:
    changes = tuple(value)
    for change in changes:
        if not isinstance(change, Change):
            raise TypeError(f"expected a change with label and apply(), got {change!r}")
    return changes


@attrs.frozen
class Scenario:
    """A named what-if: changes applied in order to a copy of the instance (R-POS-2)."""

    name: str = attrs.field(validator=_non_empty_str)
    changes: tuple[Change, ...] = attrs.field(default=(), converter=_changes)

    @classmethod
    def of(cls, *changes: Change, name: str | None = None) -> Scenario:
        """A scenario named after its changes (``urgences +3, praticien_n1 -2``)."""
        return cls(name or ", ".join(c.label for c in changes) or "base", changes)

    def apply(self, instance: Instance) -> Instance:
        """The instance after every change, in order; ``instance`` is left as it was."""
        return reduce(lambda current, change: change.apply(current), self.changes, instance)


BASE = Scenario("base", ())
"""The scenario that changes nothing: the row every comparison starts with."""


def open_postes(category: str, n: int, **kw: Any) -> Scenario:
    """The scenario "open ``n`` postes of ``category``" (``urgences +3``); ``kw`` goes to
    :class:`OpenPostes` (``terrains``, ``rule``, ``top_k``). R-POS-2."""
    if n <= 0:
        raise ScenarioError(f"open_postes : attendu n > 0, reçu {n} (fermer : close_postes)")
    return Scenario.of(OpenPostes(category, n, **kw))


def close_postes(category: str, n: int, **kw: Any) -> Scenario:
    """The scenario "close ``n`` postes of ``category``" (``urgences -2``). R-POS-2."""
    if n <= 0:
        raise ScenarioError(f"close_postes : attendu n > 0 postes à fermer, reçu {n}")
    return Scenario.of(OpenPostes(category, -n, **kw))


SYNTAX = "CATEGORIE:N, CATEGORIE:N:REGLE ou CATEGORIE:N@TERRAIN[,TERRAIN...]"
"""The ``--open`` syntax of :func:`parse_change`."""


def parse_change(text: str) -> OpenPostes:
    """An :class:`OpenPostes` from the command line's syntax.

    ``urgences:3`` (open 3, rule ``demand``), ``praticien_n1:-2`` (close 2),
    ``urgences:3:even`` (rule ``even``), ``urgences:2@URG-LYON-CHU,URG-BOURG-01`` (named
    terrains, round-robin). Raises :class:`~affectation.errors.ScenarioError` with the
    expected syntax.
    """
    spec, at, named = text.strip().partition("@")
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise ScenarioError(f"illisible {text!r} : attendu {SYNTAX}")
    category, count = parts[0].strip(), parts[1].strip()
    try:
        n = int(count)
    except ValueError:
        raise ScenarioError(
            f"illisible {text!r} : {count!r} n'est pas un nombre entier de postes ({SYNTAX})"
        ) from None
    if n == 0:
        raise ScenarioError(f"illisible {text!r} : 0 poste ne change rien")
    rule = parts[2].strip() if len(parts) == 3 else "demand"
    if rule not in RULES:
        raise ScenarioError(f"illisible {text!r} : la règle {rule!r} n'est pas "
                            f"{' ou '.join(RULES)}")
    terrains: tuple[str, ...] | None = None
    if at:
        if len(parts) == 3:
            raise ScenarioError(f"illisible {text!r} : donnez une règle ou des terrains, "
                                "pas les deux")
        terrains = tuple(t.strip() for t in named.split(","))
        if not all(terrains):
            raise ScenarioError(f"illisible {text!r} : un identifiant de terrain vide après '@'")
    return OpenPostes(category, n, terrains=terrains, rule=rule)
