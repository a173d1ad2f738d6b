"""The domain as frozen values: maquettes, terrains, internes, couples, rounds, instances.

Every value is an ``@attrs.frozen`` class; sequences become tuples on the way in, so a
what-if is ``attrs.evolve(...)`` and never a mutation. Field validators check one field;
:meth:`Instance.__attrs_post_init__` checks the references between entities and raises
:class:`~affectation.errors.InstanceError` naming the entity and the key (FORMAT.md, Errors).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import attrs

from affectation.errors import InstanceError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "ALL",
    "AMBULATORY_CATEGORIES",
    "CATEGORIES",
    "DEFAULT_OBLIGATOIRES",
    "DEFAULT_ROUND",
    "Couple",
    "Instance",
    "Interne",
    "Maquette",
    "Round",
    "Slot",
    "Terrain",
]

_DATE_CHOIX = re.compile(r"\d{4}-\d{2}")

ALL = "*"
"""Written in place of a category list: every category (a ``libre`` slot, the last round)."""

CATEGORIES: tuple[str, ...] = (
    "urgences",
    "praticien_n1",
    "medecine_adulte",
    "pediatrie",
    "gynecologie",
    "ped_gyn",
    "saspas",
    "niveau_3",
    "libre",
)
"""The built-in vocabulary of agréments; a maquette may name more in its slots."""

DJ_CATEGORY = "niveau_3"
"""The category of the phase de consolidation's stages, the docteur junior's (R-MAQ-4)."""

AMBULATORY_CATEGORIES = frozenset({"praticien_n1", "saspas", "niveau_3"})
"""Categories that make a terrain ambulatory by default (R-SUR-4)."""

DEFAULT_OBLIGATOIRES: tuple[str, ...] = ("urgences", "praticien_n1")
"""Mandatory categories when the instance says nothing (R-IMP-1)."""

Surnombre = Literal["validant", "non_validant"] | None


def _tuple_of_str(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _categories(value: str | Iterable[str] | None) -> frozenset[str] | None:
    """``"*"`` (or ``None``) means every category; anything else becomes a frozenset."""
    if value is None or value == ALL:
        return None
    return frozenset(value)


def _non_empty_str(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise InstanceError(
            f"attendu un texte non vide, reçu {value!r}", key=attribute.name
        )


def _optional_name(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise InstanceError(
            f"attendu un nom sans espace autour, ou null, reçu {value!r}",
            key=attribute.name,
        )


def _int_at_least(minimum: int):
    def check(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise InstanceError(
                f"attendu un entier >= {minimum}, reçu {value!r}", key=attribute.name
            )

    return check


def _bool(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, bool):
        raise InstanceError(f"attendu true ou false, reçu {value!r}", key=attribute.name)


def _strings(instance: Any, attribute: attrs.Attribute, value: tuple) -> None:
    for item in value:
        if not isinstance(item, str) or not item:
            raise InstanceError(
                f"attendu une liste de textes non vides, trouvé {item!r}", key=attribute.name
            )


def _no_repeats(instance: Any, attribute: attrs.Attribute, value: tuple) -> None:
    seen: set = set()
    for item in value:
        if item in seen:
            raise InstanceError(f"{item!r} apparaît deux fois", key=attribute.name)
        seen.add(item)


@attrs.frozen(cache_hash=True)
class Slot:
    """One stage the maquette requires (R-MAQ Reading): what fills it and when."""

    id: str = attrs.field(validator=_non_empty_str)
    """Slot id, unique in its maquette (``urgences``, ``libre``, ``saspas``…)."""
    categories: frozenset[str] | None = attrs.field(converter=_categories)
    """Categories that fill the slot; ``None`` for every category (``"*"``, a libre slot)."""
    window: tuple[int, int] = attrs.field(converter=tuple)
    """Inclusive window of semester numbers in which the slot may be done (R-ELI-3)."""

    @window.validator
    def _check_window(self, attribute: attrs.Attribute, value: tuple) -> None:
        if (
            len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            or not 1 <= value[0] <= value[1]
        ):
            raise InstanceError(
                f"attendu [premier, dernier] semestres, 1 <= premier <= dernier, "
                f"reçu {list(value)}",
                key="semestres",
            )

    @categories.validator
    def _check_categories(self, attribute: attrs.Attribute, value: frozenset | None) -> None:
        if value is not None and not value:
            raise InstanceError("attendu une liste non vide de catégories ou '*'",
                                key="categories")

    def accepts(self, categories: frozenset[str]) -> bool:
        """Whether a terrain agréé for ``categories`` can fill this slot."""
        return self.categories is None or not self.categories.isdisjoint(categories)


@attrs.frozen(cache_hash=True)
class Maquette:
    """The stages of a DES as data: a list of slots over a number of semesters (R-MAQ)."""

    nom: str = attrs.field(validator=_non_empty_str)
    semestres: int = attrs.field(validator=_int_at_least(1))
    """Number of semesters of the DES."""
    stages: tuple[Slot, ...] = attrs.field(converter=tuple)

    def __attrs_post_init__(self) -> None:
        ids = [slot.id for slot in self.stages]
        if not ids:
            raise InstanceError("une maquette demande au moins un stage", key="stages")
        for slot in self.stages:
            if ids.count(slot.id) > 1:
                raise InstanceError(f"le stage {slot.id!r} apparaît deux fois", key="stages")
            if slot.window[1] > self.semestres:
                raise InstanceError(
                    f"le stage {slot.id!r} finit après le semestre {self.semestres}", key="stages"
                )

    @cached_property
    def slot_ids(self) -> frozenset[str]:
        return frozenset(slot.id for slot in self.stages)

    @cached_property
    def categories(self) -> frozenset[str]:
        """Categories the slots name explicitly."""
        named: set[str] = set()
        for slot in self.stages:
            named |= slot.categories or set()
        return frozenset(named)

    @cached_property
    def consolidation(self) -> frozenset[int]:
        """The semesters of the phase de consolidation (R-MAQ-4): those of a slot that takes
        the niveau 3 and nothing else. An interne about to start one of them is a docteur
        junior, allocated by the appariement, not by rank. Empty for ``mg-2010`` and
        ``mg-2017``."""
        semesters: set[int] = set()
        for slot in self.stages:
            if slot.categories is not None and slot.categories == {DJ_CATEGORY}:
                semesters.update(range(slot.window[0], slot.window[1] + 1))
        return frozenset(semesters)


def _default_ambulatoire(terrain: Terrain) -> bool:
    return not AMBULATORY_CATEGORIES.isdisjoint(terrain.categories)


@attrs.frozen(cache_hash=True)
class Terrain:
    """A service or practice agréé for the DES, opening ``postes`` this semester (R-POS-1)."""

    id: str = attrs.field(validator=_non_empty_str)
    categories: tuple[str, ...] = attrs.field(converter=_tuple_of_str, validator=_strings)
    """Agréments, in the order of the file (R-MAQ Reading)."""
    postes: int = attrs.field(validator=_int_at_least(0))
    ambulatoire: bool = attrs.field(
        default=attrs.Factory(_default_ambulatoire, takes_self=True), validator=_bool
    )
    """Ambulatory stage (no surnombre there, R-SUR-4)."""
    nom: str = ""
    ville: str = ""
    agrement: int | None = attrs.field(default=None)
    """The most postes the terrain may open in a semester under its agrément (R-POS-1), for
    planning openings; ``None``: no limit. Never below ``postes``."""

    @agrement.validator
    def _check_agrement(self, attribute: attrs.Attribute, value: int | None) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < self.postes:
            raise InstanceError(
                f"attendu null ou un entier >= postes ({self.postes}), reçu {value!r}",
                key="agrement",
            )

    @categories.validator
    def _check_categories(self, attribute: attrs.Attribute, value: tuple) -> None:
        if not value:
            raise InstanceError("attendu une liste non vide de catégories", key="categories")
        _no_repeats(self, attribute, value)

    @cached_property
    def category_set(self) -> frozenset[str]:
        return frozenset(self.categories)


def _surnombre(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value not in (None, "validant", "non_validant"):
        raise InstanceError(
            f"attendu null, 'validant' ou 'non_validant', reçu {value!r}", key="surnombre"
        )


@attrs.frozen(cache_hash=True)
class Interne:
    """A resident choosing a stage this semester, given by their ordered wish list (R-VOE-1)."""

    id: str = attrs.field(validator=_non_empty_str)
    rang: int = attrs.field(validator=_int_at_least(1))
    """Rank in the promotion, ECN/EDN (R-ORD-1)."""
    semestres_valides: int = attrs.field(validator=_int_at_least(0))
    """Validated semesters (R-VAL-2); the stage chosen is semester ``semestres_valides + 1``."""
    voeux: tuple[str, ...] = attrs.field(
        default=(), converter=_tuple_of_str, validator=[_strings, _no_repeats]
    )
    """Terrain ids, best first."""
    semestres_effectues: int = attrs.field(
        default=attrs.Factory(lambda self: self.semestres_valides, takes_self=True),
        validator=_int_at_least(0),
    )
    """Semesters done, validated or not; the seniority used for the order (R-VAL-3)."""
    valides: tuple[str, ...] = attrs.field(
        default=(), converter=_tuple_of_str, validator=[_strings, _no_repeats]
    )
    """Maquette slots already validated (R-ELI-1)."""
    impose: bool = attrs.field(default=False, validator=_bool)
    """Already imposed once in this DES (R-IMP-3)."""
    surnombre: Surnombre = attrs.field(default=None, validator=_surnombre)
    derogations: tuple[str, ...] = attrs.field(
        default=(), converter=_tuple_of_str, validator=[_strings, _no_repeats]
    )
    """Slots this interne may validate a second time (R-ELI-1)."""
    dernier_de_son_semestre: bool = attrs.field(default=False, validator=_bool)
    """Chooses after every interne of the same seniority (R-ORD-4)."""
    effectif_promotion: int | None = attrs.field(default=None)
    """Size of the national exam cohort, for percentile interclassement (R-ORD-6)."""
    voeux_connus: bool = attrs.field(default=True, validator=_bool)
    """``False`` when the wish list is a placeholder a pré-choix must guess (FORMAT.md); a
    plain solve uses the list as it is."""
    nom: str | None = attrs.field(default=None, validator=_optional_name)
    """Family name, shown beside the id to people; never used by a rule (FORMAT.md)."""
    prenom: str | None = attrs.field(default=None, validator=_optional_name)
    """Given name, shown beside the id to people; never used by a rule."""
    maquette: str | None = attrs.field(default=None, validator=_optional_name)
    """The interne's own maquette (R-MAQ-5): a built-in name or the ``nom`` of one of the
    instance's ``maquettes``; ``None``: the instance's ``maquette``. Read it through
    :meth:`Instance.maquette_of`."""

    @property
    def libelle(self) -> str:
        """``"Martin Léa (I0001)"``, or the id alone when the instance gives no name."""
        name = " ".join(part for part in (self.nom, self.prenom) if part)
        return f"{name} ({self.id})" if name else self.id

    def __attrs_post_init__(self) -> None:
        if self.semestres_effectues < self.semestres_valides:
            raise InstanceError(
                f"attendu au moins semestres_valides ({self.semestres_valides}), "
                f"reçu {self.semestres_effectues}",
                key="semestres_effectues",
            )
        if len(self.valides) > self.semestres_valides:
            raise InstanceError(
                f"{len(self.valides)} stages validés pour seulement {self.semestres_valides} "
                "semestres validés",
                key="valides",
            )
        if self.effectif_promotion is not None and (
            isinstance(self.effectif_promotion, bool)
            or not isinstance(self.effectif_promotion, int)
            or self.effectif_promotion < self.rang
        ):
            raise InstanceError(
                f"attendu un entier >= rang ({self.rang}), reçu {self.effectif_promotion!r}",
                key="effectif_promotion",
            )
        if self.surnombre == "non_validant" and self.semestres_effectues == 0:
            raise InstanceError(
                "un surnombre non validant n'est possible qu'à partir du 2e semestre (R-SUR-3)",
                key="surnombre",
            )

    @property
    def semestre(self) -> int:
        """The semester being chosen (R-ELI-2 Reading)."""
        return self.semestres_valides + 1


def _pair(value: Iterable[str]) -> tuple[str, str]:
    return tuple(value)  # type: ignore[return-value]


def _pairs(value: Iterable[Iterable[str]]) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(pair) for pair in value)  # type: ignore[misc]


@attrs.frozen(cache_hash=True)
class Couple:
    """Two internes choosing together at the later turn, from a joint list of pairs (R-ORD-2)."""

    internes: tuple[str, str] = attrs.field(converter=_pair)
    voeux: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_pairs)
    """Pairs of terrain ids, one for each interne in the order of ``internes``, best first."""

    def __attrs_post_init__(self) -> None:
        if len(self.internes) != 2 or not all(
            isinstance(i, str) and i for i in self.internes
        ):
            raise InstanceError("attendu deux identifiants d'internes", key="internes")
        if self.internes[0] == self.internes[1]:
            raise InstanceError(
                f"un interne ne peut pas être en couple avec lui-même ({self.internes[0]})",
                key="internes",
            )
        for pair in self.voeux:
            if len(pair) != 2 or not all(isinstance(t, str) and t for t in pair):
                raise InstanceError(
                    f"attendu des paires de deux terrains, trouvé {list(pair)!r}", key="voeux"
                )
        if len(set(self.voeux)) != len(self.voeux):
            raise InstanceError("une paire apparaît deux fois", key="voeux")


def _classement(value: Any) -> tuple[tuple[str, int], ...] | None:
    """A mapping ``{interne id: rank}`` or pairs become a tuple of pairs (kept in order)."""
    if value is None:
        return None
    items = value.items() if hasattr(value, "items") else value
    return tuple((k, v) for k, v in items)


@attrs.frozen(cache_hash=True)
class Round:
    """A round of the choice day: the terrains of some categories (R-ROUND-1)."""

    nom: str = attrs.field(validator=_non_empty_str)
    categories: frozenset[str] | None = attrs.field(default=None, converter=_categories)
    """Categories the round takes; ``None`` (``"*"``) for every terrain left."""
    classement: tuple[tuple[str, int], ...] | None = attrs.field(
        default=None, converter=_classement)
    """The round's own ranking (R-ROUND-2), ``(interne id, rank)`` pairs in the order given;
    ``None``: the instance's order. In the round, internes choose by seniority then this
    rank, and an interne it does not list takes no part in the round. Checked against the
    internes by :class:`Instance`."""

    @cached_property
    def rank_of(self) -> dict[str, int] | None:
        """``{interne id: rank}`` of :attr:`classement`, ``None`` without one."""
        return None if self.classement is None else dict(self.classement)


DEFAULT_ROUND = Round("choix", None)
"""The single round of an instance that declares none."""


def _close(wanted: str, known: Iterable[str]) -> str:
    """``"; did you mean 'X'?"`` for the known id closest to ``wanted``, else nothing."""
    import difflib

    close = difflib.get_close_matches(wanted, list(known), n=1)
    return f" ; vouliez-vous dire {close[0]!r} ?" if close else ""


def _entity(kind: str, index: int, ident: Any) -> str:
    return f"{kind}[{index}] ({ident})" if isinstance(ident, str) and ident else f"{kind}[{index}]"


def _interclassement(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value not in ("rang", "percentile"):
        raise InstanceError(
            f"attendu 'rang' ou 'percentile', reçu {value!r}", key="interclassement"
        )


def _consolidation(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value not in ("appariement", "choix"):
        raise InstanceError(
            f"attendu 'appariement' ou 'choix', trouvé {value!r}",
            entity="instance", key="consolidation",
        )


@attrs.define(eq=False)
class Tables:
    """What the rules compute once per instance: derived from the value, never part of it,
    never pickled (each process computes its own). Typed, one field a table."""

    choice_order: tuple[str, ...] | None = None
    """The order of choice (R-ORD; ``rules.order.cached_choice_order``)."""
    round_orders: dict[int, tuple[str, ...]] = attrs.Factory(dict)
    """Round index -> the round's call order (R-ROUND-2; ``rules.order.cached_round_order``)."""
    imposables: tuple[Interne, ...] | None = None
    """The imposable internes in file order (R-IMP; ``rules.mandatory.imposables``)."""
    mandatory_classes: dict[int, Any] = attrs.Factory(dict)
    """Round index -> its ``MandatoryClasses`` (R-IMP; ``rules.mandatory``)."""
    slot_tables: dict[str, dict[str, str | None]] | None = None
    """Interne id -> ``{terrain id: slot or None}``, shared by equal eligibility profiles
    (R-ELI; ``rules.turn.slot_tables``)."""
    profiles: dict[str, Any] | None = None
    """Interne id -> eligibility profile on their own maquette (R-ELI, R-MAQ-5;
    ``rules.turn.slot_tables``), built once with the slot tables."""
    special: frozenset[str] | None = None
    """Couple members and surnombres, whose turn is not the serial engine's common one
    (``rules.turn``)."""
    document_sha256: str | None = None
    """SHA-256 of the instance's canonical document (``live.journal.instance_hash``): writing
    the document takes 15 ms for the example, at every journal opened or resumed."""

    def list_free(self) -> Tables:
        """The tables computed from everything but the wish lists and holding no interne value
        (the order, the slot tables, the mandatory classes, by ids): an instance that differs
        only by its lists (:meth:`Instance._with_wishes`) shares them.
        ``tests/test_preferences.py`` recomputes them on a draw."""
        return Tables(choice_order=self.choice_order, round_orders=dict(self.round_orders),
                      mandatory_classes=dict(self.mandatory_classes),
                      slot_tables=self.slot_tables, profiles=self.profiles,
                      special=self.special)


@attrs.frozen(cache_hash=True)
class Instance:
    """One subdivision's semester: everything the choice day needs (FORMAT.md, Instance)."""

    maquette: Maquette
    terrains: tuple[Terrain, ...] = attrs.field(converter=tuple)
    internes: tuple[Interne, ...] = attrs.field(converter=tuple)
    couples: tuple[Couple, ...] = attrs.field(default=(), converter=tuple)
    obligatoires: tuple[str, ...] = attrs.field(
        default=DEFAULT_OBLIGATOIRES, converter=_tuple_of_str, validator=[_strings, _no_repeats]
    )
    """Categories whose postes must all be filled, by imposition if need be (R-IMP-1)."""
    rounds: tuple[Round, ...] = attrs.field(default=(DEFAULT_ROUND,), converter=tuple)
    interclassement: str = attrs.field(default="rang", validator=_interclassement)
    nom: str = ""
    maquette_name: str | None = None
    """The built-in name the maquette was given by (``mg-2017``), kept for writing it back."""
    date_choix: str | None = attrs.field(default=None)
    """``"YYYY-MM"``, the month of this choice (FORMAT.md), for planning several semesters."""
    maquettes: tuple[Maquette, ...] = attrs.field(default=(), converter=tuple)
    """More inline maquettes, for internes who follow another one (R-MAQ-5); a built-in one
    an interne names need not be here."""
    consolidation: str = attrs.field(default="appariement", validator=_consolidation)
    """``"appariement"``: an interne about to start a semester of their maquette's phase de
    consolidation is a docteur junior and is refused (R-MAQ-4 Reading); ``"choix"``: this
    choice still allocates the niveau 3 (a transitional setting)."""

    @date_choix.validator
    def _check_date_choix(self, attribute: attrs.Attribute, value: str | None) -> None:
        if value is None:
            return
        if (
            not isinstance(value, str)
            or not _DATE_CHOIX.fullmatch(value)
            or not 1 <= int(value[5:]) <= 12
        ):
            raise InstanceError(
                f"attendu null ou un mois 'AAAA-MM' (2026-11), reçu {value!r}",
                entity="instance",
                key="date_choix",
            )

    def __attrs_post_init__(self) -> None:
        self._check_references()
        from affectation.rules.order import cached_choice_order  # rules depend on the model

        cached_choice_order(self)  # a full tie in the order is an input error (R-ORD Reading)

    def _check_references(self) -> None:
        """Every reference between entities, every problem found (FORMAT.md, Errors)."""
        problems: list[InstanceError] = list(self._check_maquettes())
        known = frozenset(CATEGORIES).union(*(m.categories for m in self.maquette_table.values()))
        for key, categories in (("obligatoires", self.obligatoires),):
            for category in categories:
                if category not in known:
                    problems.append(InstanceError(
                        f"catégorie inconnue {category!r}", entity="instance", key=key
                    ))
        if not self.rounds:
            problems.append(InstanceError("attendu au moins un tour", entity="instance",
                                          key="rounds"))
        for index, round_ in enumerate(self.rounds):
            for category in round_.categories or ():
                if category not in known:
                    problems.append(InstanceError(
                        f"catégorie inconnue {category!r}",
                        entity=_entity("rounds", index, round_.nom),
                        key="categories",
                    ))
        if len({r.nom for r in self.rounds}) != len(self.rounds):
            problems.append(InstanceError("deux tours ont le même nom", entity="instance",
                                          key="rounds"))
        problems.extend(self._check_classements())

        terrain_ids: dict[str, int] = {}
        for index, terrain in enumerate(self.terrains):
            entity = _entity("terrains", index, terrain.id)
            if terrain.id in terrain_ids:
                problems.append(InstanceError(
                    f"identifiant {terrain.id!r} en double (terrains[{terrain_ids[terrain.id]}] "
                    "l'a déjà)", entity=entity, key="id"))
            terrain_ids.setdefault(terrain.id, index)
            for category in terrain.categories:
                if category not in known:
                    problems.append(InstanceError(
                        f"catégorie inconnue {category!r} (connues : {', '.join(sorted(known))})",
                        entity=entity,
                        key="categories",
                    ))
            if self.rounds and self.round_index_of(terrain) is None:
                problems.append(InstanceError(
                    "aucun tour ne prend les catégories de ce terrain", entity=entity,
                    key="categories",
                ))

        interne_ids: dict[str, int] = {}
        for index, interne in enumerate(self.internes):
            entity = _entity("internes", index, interne.id)
            if interne.id in interne_ids:
                problems.append(InstanceError(
                    f"identifiant {interne.id!r} en double (internes[{interne_ids[interne.id]}] "
                    "l'a déjà)", entity=entity, key="id"))
            interne_ids.setdefault(interne.id, index)
            for terrain_id in interne.voeux:
                if terrain_id not in terrain_ids:
                    problems.append(InstanceError(
                        f"terrain inconnu {terrain_id!r} dans la liste de vœux"
                        f"{_close(terrain_id, terrain_ids)}",
                        entity=entity,
                        key="voeux",
                    ))
            if interne.maquette is not None and interne.maquette not in self.maquette_table:
                problems.append(InstanceError(
                    f"maquette inconnue {interne.maquette!r} ; connues : "
                    f"{', '.join(self.maquette_table)} (R-MAQ-5)"
                    f"{_close(interne.maquette, self.maquette_table)}",
                    entity=entity,
                    key="maquette",
                ))
            else:
                problems.extend(self._check_slots(interne, entity))
            if self.interclassement == "percentile" and interne.effectif_promotion is None:
                problems.append(InstanceError(
                    "l'interclassement par percentile demande effectif_promotion",
                    entity=entity,
                    key="effectif_promotion",
                ))

        in_couple: set[str] = set()
        for index, couple in enumerate(self.couples):
            entity = _entity("couples", index, None)
            for interne_id in couple.internes:
                if interne_id not in interne_ids:
                    problems.append(InstanceError(
                        f"interne inconnu {interne_id!r}{_close(interne_id, interne_ids)}",
                        entity=entity, key="internes",
                    ))
                    continue
                if interne_id in in_couple:
                    problems.append(InstanceError(
                        f"l'interne {interne_id!r} est dans deux couples", entity=entity,
                        key="internes",
                    ))
                in_couple.add(interne_id)
                if self.interne(interne_id).surnombre is not None:
                    problems.append(InstanceError(
                        f"l'interne {interne_id!r} est en surnombre ; un couple choisit deux "
                        "postes (docs/rules.md, R-ORD-2)",
                        entity=entity,
                        key="internes",
                    ))
            for pair in couple.voeux:
                for terrain_id in pair:
                    if terrain_id not in terrain_ids:
                        problems.append(InstanceError(
                            f"terrain inconnu {terrain_id!r} dans la liste de vœux du couple"
                            f"{_close(terrain_id, terrain_ids)}",
                            entity=entity,
                            key="voeux",
                        ))
        if problems:
            raise InstanceError.of(problems)

    def _check_maquettes(self) -> Iterator[InstanceError]:
        """The extra maquettes have distinct names, none a built-in one or the default's
        (R-MAQ-5): an interne's ``maquette`` names exactly one maquette."""
        from affectation.maquettes import BUILTIN  # the built-in data depends on the model

        seen = {self.maquette.nom}
        for index, maquette in enumerate(self.maquettes):
            if maquette.nom in seen or maquette.nom in BUILTIN:
                yield InstanceError(
                    f"le nom {maquette.nom!r} est déjà celui d'une autre maquette "
                    "(maquette de l'instance ou maquette intégrée) ; choisissez un autre nom",
                    entity=_entity("maquettes", index, maquette.nom),
                    key="nom",
                )
            seen.add(maquette.nom)

    def _check_slots(self, interne: Interne, entity: str) -> Iterator[InstanceError]:
        """The interne's validated and derogated slots exist in their own maquette, and
        their semester is one of it (R-MAQ-5, R-ELI-6)."""
        maquette = self.maquette_of(interne)
        for key, slots in (("valides", interne.valides), ("derogations", interne.derogations)):
            for slot in slots:
                if slot not in maquette.slot_ids:
                    yield InstanceError(
                        f"stage inconnu {slot!r} (maquette {maquette.nom} : "
                        f"{', '.join(s.id for s in maquette.stages)})",
                        entity=entity,
                        key=key,
                    )
        yield from self._check_semester(interne, maquette, entity)

    def _check_semester(
        self, interne: Interne, maquette: Maquette, entity: str
    ) -> Iterator[InstanceError]:
        """R-ELI-6 and the docteurs juniors (R-MAQ-4 Reading), against the interne's own
        maquette (R-MAQ-5)."""
        if interne.semestres_valides >= maquette.semestres:
            hint = (
                "; un interne de la promotion 2023 ou après suit la maquette mg-2023 "
                "(8 semestres) : indiquez \"maquette\": \"mg-2023\" pour lui (R-MAQ-5)"
                if maquette.nom in ("mg-2017", "mg-2010") else ""
            )
            yield InstanceError(
                f"{interne.libelle} a validé {interne.semestres_valides} semestres, tous ceux "
                f"de la maquette {maquette.nom} ({maquette.semestres}) : ses stages sont faits "
                "et il n'est pas dans la liste d'appel ; retirez-le (R-ELI-6, l'erreur qui a "
                f"fait annuler le choix d'Île-de-France d'octobre 2019){hint}",
                entity=entity,
                key="semestres_valides",
            )
        if self.consolidation == "appariement" and interne.semestre in maquette.consolidation:
            yield InstanceError(
                f"{interne.libelle} commence le semestre {interne.semestre} de la maquette "
                f"{maquette.nom}, la phase de consolidation : docteur junior, il est affecté "
                "par l'appariement (affectation appariement), pas par le choix au rang ; "
                "retirez-le, ou écrivez \"consolidation\": \"choix\" si la subdivision "
                "attribue encore le niveau 3 au choix (R-MAQ-4)",
                entity=entity,
                key="semestres_valides",
            )

    def _check_classements(self) -> Iterator[InstanceError]:
        """A round's own ranking names known internes, each rank once (R-ROUND-2)."""
        ids = {i.id for i in self.internes}
        for index, round_ in enumerate(self.rounds):
            if round_.classement is None:
                continue
            entity = _entity("rounds", index, round_.nom)
            seen_ids: set[str] = set()
            seen_ranks: dict[int, str] = {}
            for interne_id, rank in round_.classement:
                if not isinstance(interne_id, str) or interne_id not in ids:
                    yield InstanceError(
                        f"interne inconnu {interne_id!r} dans le classement du tour",
                        entity=entity, key="classement",
                    )
                    continue
                if interne_id in seen_ids:
                    yield InstanceError(
                        f"{interne_id} figure deux fois dans le classement du tour",
                        entity=entity, key="classement",
                    )
                if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
                    yield InstanceError(
                        f"rang attendu : un entier >= 1 ; trouvé {rank!r} pour {interne_id}",
                        entity=entity, key="classement",
                    )
                    continue
                if rank in seen_ranks:
                    yield InstanceError(
                        f"le rang {rank} est donné deux fois ({seen_ranks[rank]} et "
                        f"{interne_id}) dans le classement du tour (R-ROUND-2)",
                        entity=entity, key="classement",
                    )
                seen_ids.add(interne_id)
                seen_ranks[rank] = interne_id

    # --- look-ups -------------------------------------------------------------------------

    @cached_property
    def tables(self) -> Tables:
        """Per-instance tables that the rules compute once (:class:`Tables`)."""
        return Tables()

    @cached_property
    def maquette_table(self) -> dict[str, Maquette]:
        """Every maquette an interne may name (R-MAQ-5): the instance's, the extra ones, the
        built-in ones, by name."""
        from affectation.maquettes import BUILTIN  # the built-in data depends on the model

        table = dict(BUILTIN)
        table[self.maquette.nom] = self.maquette
        table.update((m.nom, m) for m in self.maquettes)
        return table

    def maquette_of(self, interne: Interne) -> Maquette:
        """The interne's own maquette (R-MAQ-5): every rule reads this one."""
        return self.maquette if interne.maquette is None else self.maquette_table[interne.maquette]

    @cached_property
    def mixed_maquettes(self) -> bool:
        """Whether some interne follows another maquette than the instance's."""
        return any(self.maquette_of(i) != self.maquette for i in self.internes)

    @cached_property
    def terrain_by_id(self) -> dict[str, Terrain]:
        return {terrain.id: terrain for terrain in self.terrains}

    @cached_property
    def interne_by_id(self) -> dict[str, Interne]:
        return {interne.id: interne for interne in self.internes}

    def terrain(self, terrain_id: str) -> Terrain:
        return self.terrain_by_id[terrain_id]

    def interne(self, interne_id: str) -> Interne:
        return self.interne_by_id[interne_id]

    @cached_property
    def couple_of(self) -> dict[str, Couple]:
        """The couple each interne belongs to, if any."""
        return {member: couple for couple in self.couples for member in couple.internes}

    def round_index_of(self, terrain: Terrain) -> int | None:
        """The first round that takes one of the terrain's categories (R-ROUND-1 Reading)."""
        for index, round_ in enumerate(self.rounds):
            if round_.categories is None or not round_.categories.isdisjoint(terrain.categories):
                return index
        return None

    @cached_property
    def terrain_round(self) -> dict[str, int]:
        """Round index of every terrain."""
        return {t.id: self.round_index_of(t) for t in self.terrains}  # type: ignore[misc]

    def is_mandatory(self, terrain: Terrain) -> bool:
        """A terrain is mandatory when one of its categories is (R-IMP Reading)."""
        return not terrain.category_set.isdisjoint(self.obligatoires)

    # --- views: a short repr for the terminal, a table for Jupyter (affectation.views) ----------

    def __repr__(self) -> str:
        from affectation.views import instance_repr

        return instance_repr(self)

    def _repr_html_(self) -> str:
        from affectation.views import instance_html

        return instance_html(self)

    # --- trusted construction: Monte Carlo draws -----------------------------------------

    def _with_wishes(
        self,
        wishes: np.ndarray,
        lengths: np.ndarray,
        redrawn: np.ndarray | None = None,
        couples: tuple[Couple, ...] | None = None,
    ) -> Instance:
        """This instance with other wish lists, without re-running the validators.

        For the preference model's draws (thousands per sweep), not for user input.
        ``wishes[row, :lengths[row]]`` are terrain *indices* (into :attr:`terrains`) of
        internes[row]; rows where ``redrawn`` is false keep their interne as it is;
        ``couples`` (default: unchanged) must be the same couples, in the same order, with new
        joint lists.

        Why the result is valid: an instance that exists passed every check, and the only
        checks that read wish lists are ``Interne.voeux`` (non-empty strings, no repeats),
        ``Couple.voeux`` (pairs of strings, no repeated pair) and ``_check_references`` (every
        wished terrain exists). The indices are checked here, in bulk (in range, no index twice
        in a row), so every id is one of this instance's terrain ids, a non-empty string
        (``Terrain.id``), never twice; the couples were built by ``Couple(...)``, which checks
        their lists, and their terrains are looked up here. Everything else (ids, ranks, the
        order of choice, which depends on no list) is copied from valid values, and so are the
        look-ups that read no list (:meth:`Tables.list_free`, the terrain tables).
        ``tests/test_preferences.py`` compares the result with the validated construction.
        """
        import numpy as np

        wishes = np.asarray(wishes)
        lengths = np.asarray(lengths)
        n = len(self.internes)
        if wishes.ndim != 2 or wishes.shape[0] != n or lengths.shape != (n,):
            raise ValueError(f"expected {n} rows of wishes and lengths, got {wishes.shape}")
        width = wishes.shape[1]
        keep = np.zeros(n, dtype=bool) if redrawn is None else ~np.asarray(redrawn, dtype=bool)
        active = np.where(keep, 0, lengths)
        if n and (active.min() < 0 or active.max() > width):
            raise ValueError("a wish list length is outside the wishes array")
        columns = np.arange(width)
        used = columns[None, :] < active[:, None]
        cells = wishes[used]
        if cells.size and (cells.min() < 0 or cells.max() >= len(self.terrains)):
            raise ValueError("a wish is not a terrain index of this instance")
        if width > 1:
            rows = np.sort(np.where(used, wishes, -1 - columns[None, :]), axis=1)
            if np.any(rows[:, 1:] == rows[:, :-1]):
                raise ValueError("a terrain appears twice in a drawn wish list")
        ids = np.array([t.id for t in self.terrains] + [""], dtype=object)  # -1: padding
        names = [a.name for a in attrs.fields(Interne) if a.name != "voeux"]
        setattr_ = object.__setattr__
        internes = list(self.internes)
        rows = np.flatnonzero(~keep)
        chosen = wishes if len(rows) == n else wishes[rows]
        for row, named, length in zip(rows.tolist(), ids[chosen].tolist(),
                                      active[rows].tolist(), strict=True):
            old = internes[row]
            new = object.__new__(type(old))
            for name in names:
                setattr_(new, name, getattr(old, name))
            setattr_(new, "voeux", tuple(named[:length]))
            setattr_(new, "_attrs_cached_hash", None)
            internes[row] = new
        if couples is None:
            couples = self.couples
        else:
            couples = tuple(couples)
            if [c.internes for c in couples] != [c.internes for c in self.couples]:
                raise ValueError("the couples must be the instance's couples, in its order")
            known = self.terrain_by_id
            for couple in couples:
                if not isinstance(couple, Couple) or any(
                    t not in known for pair in couple.voeux for t in pair
                ):
                    raise ValueError("a couple's joint list names an unknown terrain")
        new_instance = object.__new__(type(self))
        for a in attrs.fields(type(self)):
            setattr_(new_instance, a.name, getattr(self, a.name))
        setattr_(new_instance, "internes", tuple(internes))
        setattr_(new_instance, "couples", couples)
        setattr_(new_instance, "_attrs_cached_hash", None)
        # tables that read no wish list stay valid: same order of choice, same profiles
        setattr_(new_instance, "tables", self.tables.list_free())
        setattr_(new_instance, "terrain_by_id", self.terrain_by_id)  # same terrains
        setattr_(new_instance, "terrain_round", self.terrain_round)
        return new_instance
