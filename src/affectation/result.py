"""What a solve returns: one affectation per interne, the vacant postes, the impositions, the trace.

Both engines (``serial`` and ``cpsat``) return the same :class:`Result`; the result file of
FORMAT.md is written from it by :func:`affectation.io.save_result`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar, overload

import attrs

from affectation.rules.reasons import Reason

if TYPE_CHECKING:
    import pandas as pd

    from affectation.model import Instance

__all__ = [
    "AFFECTATION_COLUMNS",
    "Affectation",
    "Lazy",
    "Refusal",
    "RefusalReason",
    "Result",
    "SolveInfo",
    "SolveStatus",
    "Turn",
]

RefusalReason = Reason
"""The one vocabulary of refusals (:class:`affectation.rules.reasons.Reason`)."""


@attrs.frozen
class Affectation:
    """Where one interne goes (FORMAT.md, Result ``affectations``)."""

    interne: str
    terrain: str | None
    """``None`` when the interne got no poste; ``raison`` then says why."""
    stage: str | None = None
    """The maquette slot the stage fills (``None`` for a surnombre non validant)."""
    voeu: int | None = None
    """1-based position of the terrain in the interne's wish list (in the couple's joint list
    for a pair); ``None`` when imposed outside the list."""
    impose: bool = False
    surnombre: str | None = None
    round: str | None = None
    raison: str | None = None


class Refusal(NamedTuple):
    """A better wish that was not granted at the interne's turn, and why.

    A named tuple rather than an attrs class: the replay makes one per refused wish, and this
    is the cheapest immutable value to build (benchmarks/README.md)."""

    terrain: str
    voeu: int
    reason: Reason


@attrs.frozen
class Turn:
    """One interne's turn in one round: the audit trail of the choice day."""

    interne: str
    round: str
    terrain: str | None
    voeu: int | None
    postes_left: int | None
    """Free postes left on that terrain after the choice (surnombre postes never count)."""
    impose: bool = False
    why_imposed: str | None = None
    refusals: tuple[Refusal, ...] = attrs.field(default=(), converter=tuple)
    joint: bool = False
    """Taken as a pair from the couple's joint list (R-ORD-2)."""


class SolveStatus(enum.StrEnum):
    """What an engine says of its answer (CP-SAT's status names; a ``str`` so that
    ``info.status == "OPTIMAL"`` and JSON writing work as before).

    The serial engine always returns ``OPTIMAL``: its allocation is the rules' allocation
    by construction (RULES.md, R-IMP Consequence)."""

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"
    MODEL_INVALID = "MODEL_INVALID"

    @property
    def has_allocation(self) -> bool:
        """Whether a solve with this status carries an allocation."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


def _status(value: SolveStatus | str) -> SolveStatus:
    return SolveStatus(value)


@attrs.frozen
class SolveInfo:
    """What the engine says about a solve, kept in the result rather than in logs."""

    status: SolveStatus = attrs.field(converter=_status)
    wall_time: float = 0.0
    variables: int = 0
    """Model size (CP-SAT); ``0`` for the serial engine, which builds no model."""
    constraints: int = 0
    optimal: bool = True
    conflict: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    """A minimal set of rule groups in conflict (each needed), when no allocation exists."""
    drop: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    """The fewest user constraints (``forced[I]=T``, ``must_place[I]``) to drop so that an
    allocation exists."""


T = TypeVar("T")


class Lazy(Sequence[T], Generic[T]):
    """A tuple built on first access: the serial engine records its turns as plain tuples and
    builds the :class:`Affectation` and :class:`Turn` objects only when someone reads them
    (a sweep reads a few numbers of thousands of results). Compares, hashes and pickles as
    the tuple it stands for."""

    __slots__ = ("_build", "_items")

    def __init__(self, build: Callable[[], Sequence[T]]) -> None:
        self._build: Callable[[], Sequence[T]] | None = build
        self._items: tuple[T, ...] | None = None

    @property
    def items(self) -> tuple[T, ...]:
        if self._items is None:
            self._items = tuple(self._build())  # type: ignore[misc]
            self._build = None
        return self._items

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: Any) -> Any:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Lazy):
            other = other.items
        return self.items == other

    def __hash__(self) -> int:
        return hash(self.items)

    def __repr__(self) -> str:
        return repr(self.items)

    def __reduce__(self):
        return (tuple, (self.items,))


class LazyMapping(Mapping[str, T], Generic[T]):
    """A dict built on first access, as :class:`Lazy` is a tuple: the serial engine's
    ``interne -> (terrain, voeu, impose)`` (:meth:`Result.placements`). Pickles as the dict."""

    __slots__ = ("_build", "_items")

    def __init__(self, build: Callable[[], Mapping[str, T]]) -> None:
        self._build: Callable[[], Mapping[str, T]] | None = build
        self._items: dict[str, T] | None = None

    @property
    def mapping(self) -> dict[str, T]:
        if self._items is None:
            self._items = dict(self._build())  # type: ignore[misc]
            self._build = None
        return self._items

    def __getitem__(self, key: str) -> T:
        return self.mapping[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.mapping)

    def __len__(self) -> int:
        return len(self.mapping)

    def __repr__(self) -> str:
        return repr(self.mapping)

    def __reduce__(self):
        return (dict, (self.mapping,))


def _lazy_or_tuple(value: Any) -> Any:
    return value if isinstance(value, Lazy) else tuple(value)


def _vacants(value: Mapping[str, int] | tuple) -> tuple[tuple[str, int], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(k), int(v)) for k, v in items)


@attrs.frozen
class Result:
    """The allocation of one instance, whatever the engine."""

    methode: str
    ordre: tuple[str, ...] = attrs.field(converter=tuple)
    affectations: tuple[Affectation, ...] = attrs.field(converter=_lazy_or_tuple)
    vacants_items: tuple[tuple[str, int], ...] = attrs.field(converter=_vacants)
    """``(terrain, postes left empty)`` in file order; see :attr:`vacants`."""
    impositions: tuple[str, ...] = attrs.field(converter=tuple)
    trace: tuple[Turn, ...] = attrs.field(default=(), converter=_lazy_or_tuple, eq=False)
    info: SolveInfo | None = attrs.field(default=None, eq=False)
    compact: tuple[Any, Mapping[str, tuple[str, int | None, bool]]] | None = attrs.field(
        default=None, eq=False, repr=False)
    """``(affectations, {interne: (terrain, voeu, impose)})`` of the placed internes, when the
    engine has it without building :class:`Affectation` objects (the serial engine); used by
    :meth:`placements` only while ``affectations`` is still that same object (an
    ``attrs.evolve`` with other affectations falls back to them)."""

    @property
    def vacants(self) -> dict[str, int]:
        """Postes left empty per terrain (surnombre postes never count)."""
        return dict(self.vacants_items)

    def affectation(self, interne_id: str) -> Affectation:
        """The affectation of one interne."""
        for affectation in self.affectations:
            if affectation.interne == interne_id:
                return affectation
        raise KeyError(interne_id)

    @property
    def by_interne(self) -> dict[str, Affectation]:
        return {a.interne: a for a in self.affectations}

    def same_allocation(self, other: Result) -> bool:
        """Same affectations, vacants and impositions (engine, trace and timings aside)."""
        return (
            self.ordre == other.ordre
            and self.affectations == other.affectations
            and self.vacants_items == other.vacants_items
            and self.impositions == other.impositions
        )

    def to_frame(self, instance: Instance | None = None) -> pd.DataFrame:
        """One row per interne, in the order of choice (:data:`AFFECTATION_COLUMNS`).

        With the ``instance`` the result was solved from, the interne's ``rang`` and
        ``semestres_valides`` and the terrain's ``terrain_nom``, ``ville`` and ``categories``
        are filled in; without it they are empty (NA)."""
        import pandas as pd

        header, rows = affectation_table(self, instance)
        frame = pd.DataFrame(rows, columns=list(header))
        for column in ("rang", "semestres_valides", "voeu"):
            frame[column] = frame[column].astype("Int64")
        frame["impose"] = frame["impose"].astype(bool)
        return frame

    def placements(self) -> Mapping[str, tuple[str, int | None, bool]]:
        """``interne -> (terrain, voeu, impose)`` of every placed interne: what a sweep reads
        of thousands of results, without building their :class:`Affectation` objects when
        the engine kept it (``compact``)."""
        if self.compact is not None and self.compact[0] is self.affectations:
            return self.compact[1]
        return {a.interne: (a.terrain, a.voeu, a.impose) for a in self.affectations
                if a.terrain is not None}

    def summary(self) -> dict[str, float | int]:
        """Headline figures: placed, unplaced, impositions, first-wish share, vacant postes."""
        placed = self.placements()
        ranks = sorted(voeu for _, voeu, _ in placed.values() if voeu is not None)
        n = len(self.ordre)
        return {
            "internes": n,
            "places": len(placed),
            "sans_poste": n - len(placed),
            "impositions": len(self.impositions),
            "premier_voeu": sum(1 for r in ranks if r == 1) / n if n else 0.0,
            "top3": sum(1 for r in ranks if r <= 3) / n if n else 0.0,
            "rang_median": float(ranks[len(ranks) // 2]) if ranks else float("nan"),
            "postes_vacants": sum(v for _, v in self.vacants_items),
        }

    def __repr__(self) -> str:
        from affectation.views import result_repr

        return result_repr(self)

    def _repr_html_(self) -> str:
        from affectation.views import result_html

        return result_html(self)

    def last_holders(self, instance: Instance | None = None) -> dict[str, tuple[str, int]]:
        """Per terrain, who took its last poste and at which turn (1-based position in the
        order): the last interne placed there, surnombre aside (their postes are added).
        With the ``instance``, the turn is the position in the call order of the terrain's
        round (R-ROUND-2: a round with its own ranking calls by it)."""
        orders: dict[int, dict[str, int]] = {}

        def position_in(round_index: int | None) -> dict[str, int]:
            if round_index not in orders:
                from affectation.rules.order import cached_round_order

                ids = self.ordre if round_index is None or instance is None else (
                    cached_round_order(instance, round_index))
                orders[round_index] = {i: p for p, i in enumerate(ids, start=1)}  # type: ignore[index]
            return orders[round_index]  # type: ignore[index]

        holders: dict[str, tuple[str, int]] = {}
        for a in self.affectations:
            if a.terrain is not None and a.surnombre is None:
                r = None if instance is None else instance.terrain_round.get(a.terrain)
                p = position_in(r)[a.interne]
                if a.terrain not in holders or holders[a.terrain][1] < p:
                    holders[a.terrain] = (a.interne, p)
        return holders

    def explain(self, interne_id: str, instance: Instance | None = None) -> str:
        """The story of one interne's turn(s) in plain French words, from the trace.

        For a better wish refused because it was full, it names who took its last poste
        (interne, turn, and their rank when ``instance`` is given): the first question of an
        interne who appeals; a refusal by a rule names the rule (R-ELI, R-IMP, R-ORD-2)."""
        affectation = self.affectation(interne_id)
        position = self.ordre.index(interne_id) + 1

        def who(interne: str) -> str:
            if instance is not None and interne in instance.interne_by_id:
                return instance.interne(interne).libelle
            return interne

        lines = [f"{who(interne_id)} a choisi en position {position} sur {len(self.ordre)}."]
        if instance is not None:
            lines += _ranked_rounds(instance, interne_id, affectation.round)
        turns = [t for t in self.trace if t.interne == interne_id]
        if not turns and self.methode != "serial":
            lines.append("(Pas de déroulé tour par tour : ce résultat vient du moteur "
                         f"{self.methode} ; le moteur séquentiel donne la même affectation avec "
                         "son déroulé.)")
        holders = self.last_holders(instance) if any(
            r.reason == "full" for t in turns for r in t.refusals) else {}
        for turn in turns:
            head = f"Tour « {turn.round} » : "
            here = position
            if instance is not None and turn.round in (names := [r.nom for r in
                                                                  instance.rounds]):
                from affectation.rules.order import cached_round_order

                call = cached_round_order(instance, names.index(turn.round))
                here = call.index(interne_id) + 1 if interne_id in call else position
            for refusal in turn.refusals:
                words = Reason(refusal.reason).words
                holder = holders.get(refusal.terrain) if refusal.reason == "full" else None
                if holder is not None and holder[1] < here:
                    taker, turn_of = holder
                    rang = ""
                    if instance is not None and taker in instance.interne_by_id:
                        rang = f"rang {instance.interne(taker).rang}, "
                    words += (f" ; son dernier poste est allé à {who(taker)} "
                              f"({rang}appelé en position {turn_of})")
                what = "paire" if refusal.reason == "pair_unavailable" else "vœu"
                lines.append(
                    f"{head}{what} {refusal.voeu} ({refusal.terrain}) refusé : {words}."
                )
            if turn.terrain is None:
                continue
            how = (
                f"vœu commun {turn.voeu} du couple" if turn.joint
                else f"vœu {turn.voeu}" if turn.voeu is not None
                else "un poste hors de sa liste de vœux"
            )
            left = ("" if turn.postes_left is None
                    else f" ({turn.postes_left} poste(s) libre(s) y reste(nt))")
            lines.append(f"{head}obtient {turn.terrain}, {how}{left}.")
            if turn.impose:
                lines.append(f"C'est une imposition : {turn.why_imposed}.")
        if affectation.terrain is None:
            lines.append(f"Sans poste : {affectation.raison}")
        else:
            slot = (f", pour le stage « {affectation.stage} » de sa maquette"
                    if affectation.stage else "")
            lines.append(f"Affectation finale : {affectation.terrain}{slot}.")
        return "\n".join(lines)


# --- the result as spreadsheet tables -------------------------------------------------------

Table = tuple[tuple[str, ...], list[list[str | int | bool | None]]]
"""A header and its rows, as the spreadsheet writers take them."""

AFFECTATION_COLUMNS = (
    "position", "interne", "rang", "semestres_valides", "terrain", "terrain_nom", "ville",
    "categories", "stage", "voeu", "impose", "surnombre", "round", "raison",
)
"""One row per interne in the order of choice: position in it, the interne's rank and
seniority, the terrain (id, name, town, categories), the maquette slot filled, the wish rank,
imposed, surnombre, round, and the reason when there is no poste."""


def _terrain_cells(instance: Instance | None, terrain_id: str | None) -> list[str | None]:
    if instance is None or terrain_id is None or terrain_id not in instance.terrain_by_id:
        return [None, None, None]
    terrain = instance.terrain(terrain_id)
    return [terrain.nom or None, terrain.ville or None, ";".join(terrain.categories)]


def affectation_table(result: Result, instance: Instance | None = None) -> Table:
    """The rows of :data:`AFFECTATION_COLUMNS`."""
    known = instance.interne_by_id if instance is not None else {}
    rows: list[list[str | int | bool | None]] = []
    for position, a in enumerate(result.affectations, start=1):
        interne = known.get(a.interne)
        rows.append([
            position, a.interne,
            interne.rang if interne else None,
            interne.semestres_valides if interne else None,
            a.terrain, *_terrain_cells(instance, a.terrain),
            a.stage, a.voeu, a.impose, a.surnombre, a.round, a.raison,
        ])
    return AFFECTATION_COLUMNS, rows


def _ranked_rounds(instance: Instance, interne_id: str, placed_in: str | None) -> list[str]:
    """For each round with its own ranking up to the one the interne was placed in: their
    place in its call order, or that it does not list them (R-ROUND-2), in French."""
    from affectation.rules.order import cached_round_order

    lines = []
    for r, round_ in enumerate(instance.rounds):
        if round_.rank_of is not None:
            call = cached_round_order(instance, r)
            if interne_id in round_.rank_of:
                lines.append(f"Tour « {round_.nom} » : appelé(e) en position "
                             f"{call.index(interne_id) + 1} sur {len(call)}, par ancienneté "
                             "puis par le classement propre du tour (R-ROUND-2).")
            else:
                lines.append(f"Tour « {round_.nom} » : absent(e) du classement propre du tour, "
                             "ne prend pas part à ce tour (R-ROUND-2).")
        if round_.nom == placed_in:
            break
    return lines
