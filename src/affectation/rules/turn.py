"""The turn, in one home: what an interne may take now, and why not; what a procuration gives.

The rules are small pure functions (eligibility R-ELI, surnombre R-SUR, the mandatory fill
R-IMP, couples R-ORD-2, wish lists R-VOE-1); :class:`Round` composes them into one turn of one
round of the choice day. Everyone who needs a turn asks it and composes nothing themselves: the
serial engine replays the day with :meth:`Round.play`; the live day plans an action with
:meth:`Round.status`, :meth:`Round.procuration` and :meth:`Round.outside_list` before it is
journalled and applies it with :meth:`Round.place` and :meth:`Round.end_turn`; the checker
rebuilds each round from a result's own choices and asks the same questions; CP-SAT's
``to_result`` and the audit read :func:`reach`, :meth:`Round.first_open` and
:func:`imposed`.

A procuration (R-VOE-1, R-IMP Reading steps 2-5, R-SUR Reading): the first wish of the round
that is eligible, has a free poste and keeps the fill; an imposition when it is not the first
wish that was eligible and free, or, when nothing on the list keeps the fill and taking nothing
lowers it, the first mandatory terrain in file order that the interne can be imposed on and
that keeps the fill (step 4). :meth:`Round.play`, the round played by procuration, takes two
paths written as tight loops for speed (an interne not counted in the fill, and an imposable
one; in every round, reading the round's wishes only); they are paths of this kernel, equal
to the general turn refusal by refusal
(``tests/test_serial_properties.py::test_inlined_turns_give_the_same_result_and_trace``).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from affectation.rules.couples import pair_open
from affectation.rules.eligibility import profile, slot_for
from affectation.rules.mandatory import RoundFill, imposables, is_imposable, is_imposition
from affectation.rules.order import cached_round_order
from affectation.rules.reasons import Reason
from affectation.rules.surnombre import Access, access, fills_maquette, takes_poste
from affectation.rules.voeux import own_rank

if TYPE_CHECKING:
    from affectation.model import Instance, Interne, Terrain

__all__ = [
    "Derived",
    "Outcome",
    "PairOutcome",
    "Round",
    "expand_trace",
    "imposed",
    "partner_now",
    "reach",
    "slot_tables",
    "why_imposed",
]

_UNKNOWN = object()

RefusalTuple = tuple[str, int, str]
"""``(terrain, wish rank, reason)``: a refused wish as the trace keeps it (cheap to build)."""


class Outcome(NamedTuple):
    """What a turn gives one interne."""

    terrain: str | None
    """``None``: no poste in this round."""
    slot: str | None
    voeu: int | None
    """Rank in the interne's wish list; ``None`` for a terrain imposed outside it (step 4)."""
    imposed: bool
    refusals: list[RefusalTuple] | Derived | None
    """The better wishes refused; ``None`` or :class:`Derived` when they follow from the slot
    tables (the tight paths, see :meth:`Round.derived_refusals`)."""

    @property
    def outside(self) -> bool:
        return self.terrain is not None and self.voeu is None


class Derived(tuple):
    """The refusals of a tight path, left to derive when read: the ranks of the wishes refused
    because they would lower the fill (every other wish before the one granted was not
    eligible or full, which the slot table tells). ``None`` stands for ``Derived(())``."""

    __slots__ = ()


class PairOutcome(NamedTuple):
    """What a couple's turn gives (R-ORD-2 Reading)."""

    pair: tuple[str, str] | None
    """The terrains of ``couple.internes`` in file order; ``None``: each chooses alone."""
    rank: int | None
    """Rank of the pair in the joint list."""
    refusals: list[RefusalTuple]


def slot_tables(instance: Instance) -> dict[str, dict[str, str | None]]:
    """One ``{terrain id: slot or None}`` table per interne, shared by equal eligibility
    profiles and filled lazily (R-ELI), kept on the instance."""
    known = instance.tables
    if known.slot_tables is None:
        shared: dict = {}
        maquette_of = instance.maquette_of  # R-MAQ-5: the interne's own maquette
        known.profiles = {i.id: profile(maquette_of(i), i) for i in instance.internes}
        known.slot_tables = {
            interne_id: shared.setdefault(p, {}) for interne_id, p in known.profiles.items()
        }
    return known.slot_tables


def profile_of(instance: Instance, interne: Interne) -> Any:
    """The interne's eligibility profile on their own maquette (R-ELI, R-MAQ-5), built once
    per instance with :func:`slot_tables`."""
    slot_tables(instance)
    return instance.tables.profiles[interne.id]  # type: ignore[index]


def reach(instance: Instance, interne: Interne, terrain: Terrain) -> tuple[Access, str | None]:
    """What ``interne`` may hold of ``terrain``, free postes aside, and the maquette slot it
    fills: ``"no"``, ``"free"`` (if a poste is free) or ``"any"`` (R-ELI, R-SUR-2/-3/-4)."""
    if not fills_maquette(interne):
        return access(interne, terrain, None), None  # R-SUR-3: no maquette check, no slot
    table = slot_tables(instance)[interne.id]
    slot = table.get(terrain.id, _UNKNOWN)
    if slot is _UNKNOWN:
        slot = table[terrain.id] = slot_for(profile_of(instance, interne), terrain.category_set)
    how = access(interne, terrain, slot)  # type: ignore[arg-type]
    return how, (slot if how != "no" else None)  # type: ignore[return-value]


def imposed(instance: Instance, interne: Interne, voeu: int | None,
            first_open: int | None) -> bool:
    """Whether a placement on wish ``voeu`` (``None``: outside the list) is an imposition,
    ``first_open`` being the first wish that was eligible with a free poste at the turn
    (R-IMP Reading, steps 3-4). In the room, the ranks are those of the announcements."""
    return (takes_poste(interne) and is_imposition(voeu, first_open)
            and is_imposable(interne, instance))


def why_imposed(interne: Interne, outside: bool) -> str:
    """The sentence that says why an imposition happened (R-IMP-2, R-IMP-3), in French."""
    what = (
        "aucun vœu ne pouvait être accordé, et le laisser sans poste" if outside
        else "chacun de ses vœux meilleurs encore ouverts"
    )
    return (
        f"{what} aurait laissé vide un poste obligatoire ; {interne.libelle} est un T1 jamais "
        "imposé qui peut le pourvoir, alors que les suivants ne le peuvent pas ou ont déjà été "
        "imposés (R-IMP-2, R-IMP-3)"
    )


def partner_now(order: tuple[str, ...] | list[str], position: int,
                couple_of: Mapping, placed: Container[str]) -> str | None:
    """The later member of a couple when both choose together at ``position`` (R-ORD-2: the
    better-placed member is moved just before the other), else ``None``."""
    first = order[position]
    couple = couple_of.get(first) if couple_of else None
    if couple is None or position + 1 >= len(order):
        return None
    later = order[position + 1]
    if later not in couple.internes or later in placed:
        return None
    return later


def expand_trace(trace: Iterable[tuple | str], placed: Mapping[str, tuple],
                 postes: Mapping[str, int]) -> list[tuple]:
    """The trace of :meth:`Round.play` with every turn as a full tuple: a common turn
    recorded by its interne id alone is rebuilt from ``placed`` (``(terrain, slot, voeu,
    imposed, round)``), its postes left counted from ``postes`` (the terrains' postes at the
    start of the day) and the turns before it (a full turn records its own)."""
    left = dict(postes)
    out = []
    for entry in trace:
        if type(entry) is str:
            terrain_id, _slot, voeu, _imposed, round_name = placed[entry]
            left[terrain_id] -= 1  # a common turn takes a poste (never a surnombre's)
            out.append((entry, round_name, terrain_id, voeu, left[terrain_id], False, False,
                        None, False))
            continue
        if entry[2] is not None and entry[4] is not None:
            left[entry[2]] = entry[4]
        out.append(entry)
    return out


def _special(instance: Instance) -> frozenset[str]:
    """The internes whose turn is not the common one whatever the day: couple members and
    surnombres (computed once per instance)."""
    known = instance.tables
    if known.special is None:
        known.special = frozenset(instance.couple_of) | frozenset(
            i.id for i in instance.internes if i.surnombre is not None)
    return known.special


class Round:
    """One round of the choice day as it goes: free postes, the mandatory fill (R-IMP), and the
    questions of a turn.

    ``free`` is the caller's ``{terrain id: free postes}``, shared across rounds and updated in
    place by :meth:`place`; the fill counts the imposable internes not in ``placed`` who take
    part in the round. :attr:`order` is who is called in the round, in order: the order of
    choice, or the round's own ranking (R-ROUND-2, ``rules.order.round_order``); an interne
    that ranking does not list takes no part (:meth:`status` refuses them every terrain of
    the round, :meth:`left_out` names them)."""

    inline = True
    """Let :meth:`play` take its tight loops where they apply; ``False`` sends every turn
    through :meth:`procuration` (the equality property compares the two)."""

    def __init__(self, instance: Instance, round_index: int, free: dict[str, int],
                 placed: Container[str]) -> None:
        self.instance = instance
        self.index = round_index
        self.name = instance.rounds[round_index].nom
        self.free = free
        self.order = cached_round_order(instance, round_index)
        self.rank_of = instance.rounds[round_index].rank_of
        """The round's own ranking (R-ROUND-2), ``None`` without one."""
        rank_of = self.rank_of
        self.fill = RoundFill.start(
            instance, round_index, free,
            (i for i in imposables(instance)
             if i.id not in placed and (rank_of is None or i.id in rank_of)))
        self.tables = slot_tables(instance)
        self.profiles = instance.tables.profiles
        self.single = len(instance.rounds) == 1
        self._mandatory = self.fill.classes.class_of
        self._counted = self.fill.counted
        self._fast = self.inline

    # --- one terrain --------------------------------------------------------------------------

    def slot(self, interne: Interne, terrain_id: str) -> str | None:
        """The slot ``terrain_id`` fills for ``interne``, ``None`` if not eligible (R-ELI)."""
        table = self.tables[interne.id]
        slot = table.get(terrain_id, _UNKNOWN)
        if slot is _UNKNOWN:
            slot = table[terrain_id] = slot_for(
                self.profiles[interne.id],
                self.instance.terrain_by_id[terrain_id].category_set)
        return slot  # type: ignore[return-value]

    def in_round(self, terrain_id: str) -> bool:
        return self.instance.terrain_round[terrain_id] == self.index

    def takes_part(self, interne: Interne | str) -> bool:
        """Whether the interne is called in this round (R-ROUND-2 Reading: not when the
        round's own ranking does not list them)."""
        return self.rank_of is None or (
            interne if isinstance(interne, str) else interne.id) in self.rank_of

    def left_out(self, placed: Container[str]) -> list[tuple[str, list[RefusalTuple]]]:
        """The internes not in ``placed`` whom the round's own ranking does not list, in file
        order, each with their wishes of the round refused for that (R-ROUND-2): they take no
        part in the round. Empty for a round without its own ranking."""
        if self.rank_of is None:
            return []
        return [(i.id, [(t, rank, Reason.NOT_LISTED) for rank, t in self.wishes(i)])
                for i in self.instance.internes
                if i.id not in self.rank_of and i.id not in placed]

    def open_to(self, interne: Interne, terrain: Terrain) -> tuple[bool, str | None]:
        """Whether ``terrain`` is eligible with a free poste for ``interne`` now, fill aside
        (what makes a wish "open", R-IMP Reading step 3), and its slot."""
        how, slot = reach(self.instance, interne, terrain)
        return how == "any" or (how == "free" and self.free[terrain.id] > 0), slot

    def status(self, interne: Interne, terrain: Terrain) -> tuple[Reason | None, str | None]:
        """``(reason, slot)``: why ``interne`` may not take ``terrain`` now (``None``: they
        may), and the slot it fills (R-ROUND-1, R-ELI, R-SUR, R-POS-1, R-IMP)."""
        if not self.in_round(terrain.id):
            return Reason.NOT_IN_ROUND, None
        if self.rank_of is not None and interne.id not in self.rank_of:
            return Reason.NOT_LISTED, None
        how, slot = reach(self.instance, interne, terrain)
        if how == "no":
            return Reason.NOT_ELIGIBLE, None
        if how == "free" and self.free[terrain.id] <= 0:
            return Reason.FULL, slot  # R-SUR-2: a surnombre validant needs a free poste too
        if self.fill.lowers(interne, terrain):
            return Reason.WOULD_LOWER_FILL, slot
        return None, slot

    def first_open(self, interne: Interne, before: int | None = None) -> int | None:
        """Rank of the first wish of the round eligible with a free poste (R-IMP Reading step
        3), among the wishes before rank ``before`` (``None``: all)."""
        terrain_by_id = self.instance.terrain_by_id
        for rank, t in enumerate(interne.voeux, start=1):
            if before is not None and rank >= before:
                return None
            if self.in_round(t) and self.open_to(interne, terrain_by_id[t])[0]:
                return rank
        return None

    # --- a whole turn ---------------------------------------------------------------------------

    def must_take(self, interne: Interne) -> bool:
        """Whether taking nothing in this round would lower the fill: the interne may not
        leave without a poste (R-IMP Reading, step 4)."""
        return self.fill.lowers(interne, None)

    def outside_list(self, interne: Interne) -> tuple[Terrain, str | None] | None:
        """Step 4 of R-IMP Reading: the first mandatory terrain of the round in file order with
        a free poste that the interne can be imposed on (eligible through a slot not yet
        validated) and that keeps the fill; its slot."""
        fill, free = self.fill, self.free
        for terrain in self.instance.terrains:
            if free[terrain.id] > 0 and fill.imposable_on(interne, terrain) and not fill.lowers(
                    interne, terrain):
                return terrain, self.slot(interne, terrain.id)
        return None  # cannot happen when taking nothing lowers the fill (docs/rules.md)

    def may_impose(self, interne: Interne, terrain: Terrain) -> bool:
        """Whether the operator may impose ``terrain`` on ``interne`` now (step 4)."""
        return (self.free[terrain.id] > 0 and self.fill.imposable_on(interne, terrain)
                and not self.fill.lowers(interne, terrain))

    def wishes(self, interne: Interne):
        """``(rank, terrain id)`` of the interne's wishes in this round."""
        if self.single:
            return enumerate(interne.voeux, start=1)
        round_of, r = self.instance.terrain_round, self.index
        return ((k, t) for k, t in enumerate(interne.voeux, start=1) if round_of[t] == r)

    def procuration(self, interne: Interne) -> Outcome:
        """What the interne's wish list gives now (R-VOE-1, R-IMP Reading steps 2-5, R-SUR);
        a query: the round is not changed."""
        refusals: list[RefusalTuple] = []
        first_open: int | None = None
        terrain_by_id = self.instance.terrain_by_id
        for rank, terrain_id in self.wishes(interne):
            reason, slot = self.status(interne, terrain_by_id[terrain_id])
            if reason is Reason.NOT_ELIGIBLE or reason is Reason.FULL or (
                    reason is Reason.NOT_LISTED):
                refusals.append((terrain_id, rank, reason))
                continue
            if first_open is None:
                first_open = rank
            if reason is not None:
                refusals.append((terrain_id, rank, reason))
                continue
            return Outcome(terrain_id, slot, rank,
                           imposed(self.instance, interne, rank, first_open), refusals)
        if self.must_take(interne):
            found = self.outside_list(interne)
            if found is not None:
                terrain, slot = found
                return Outcome(terrain.id, slot, None, True, refusals)
        return Outcome(None, None, None, False, refusals)

    def place(self, interne: Interne, terrain_id: str) -> None:
        """``interne`` takes a poste of ``terrain_id`` (none for a surnombre: theirs is added,
        R-SUR Reading)."""
        if takes_poste(interne):
            self.free[terrain_id] -= 1
            self.fill.take(terrain_id)

    def give_back(self, interne: Interne, terrain_id: str) -> None:
        """Undo :meth:`place`."""
        if takes_poste(interne):
            self.free[terrain_id] += 1
            self.fill.give_back(terrain_id)

    def end_turn(self, interne: Interne | str) -> None:
        """The interne's turn in this round is over: they leave the fill's matching."""
        self.fill.done(interne)

    def play(self, order: tuple[str, ...], placed: dict[str, tuple], trace: list[tuple],
             refused: dict[str, Any]) -> None:
        """Play the whole round by procuration, every interne and couple in ``order``: the
        serial dictatorship's round (R-ORD, R-VOE-1, R-IMP Reading, R-SUR, R-ORD-2).

        Records into the caller's ``placed`` (interne -> ``(terrain, slot, voeu, imposed,
        round)``), ``trace`` (``(interne, round, terrain, voeu, postes left, imposed,
        outside, refusals, joint)``, or the interne id alone for a common turn that placed
        them: the rest is in ``placed``, the postes left follow from the turns before; see
        :func:`expand_trace`) and ``refused`` (refusals of those left without a poste;
        ``None`` or :class:`Derived` for refusals derived when read, in a one-round day; in a
        day of several rounds they are kept round by round as lists). For speed, the common
        turn (no surnombre, no couple, not counted in the fill, so no wish can lower it: the
        first eligible wish of the round with a free poste) is written inline, and an
        imposable interne's turn is :meth:`_imposable_path`; with :attr:`inline` off, every turn is
        :meth:`procuration`."""
        instance = self.instance
        name, free, tables, fill = self.name, self.free, self.tables, self.fill
        mandatory, counted = self._mandatory, self._counted
        couple_of, interne_by_id = instance.couple_of, instance.interne_by_id
        fast, single = self._fast, self.single
        round_of, r = (None, None) if single else (instance.terrain_round, self.index)
        special = _special(instance) if fast else ()
        """Couple members and surnombres: the internes the common turn does not fit; an
        imposable interne is still ``counted`` at their turn."""
        skip_next = False
        for position, interne_id in enumerate(order):
            if skip_next:
                skip_next = False
                continue
            if interne_id in placed:
                continue
            interne = interne_by_id[interne_id]
            if fast and interne_id not in counted and interne_id not in special:
                # the common turn: the first eligible wish with a free poste (full first: a
                # look-up cheaper than the slot's)
                table = tables[interne_id]
                voeux = interne.voeux
                for terrain_id in voeux:
                    if free[terrain_id] <= 0:
                        continue
                    if round_of is not None and round_of[terrain_id] != r:
                        continue  # R-ROUND-1: a wish of another round
                    slot = table.get(terrain_id, _UNKNOWN)
                    if slot is _UNKNOWN:
                        slot = self.slot(interne, terrain_id)
                    if slot is not None:
                        free[terrain_id] -= 1
                        if terrain_id in mandatory:
                            fill.take(terrain_id)
                        # the rank: the first occurrence (a repeated wish was granted there)
                        placed[interne_id] = (terrain_id, slot, voeux.index(terrain_id) + 1,
                                              False, name)
                        trace.append(interne_id)  # a common turn: read back from ``placed``
                        break
                else:
                    refusals = None  # derived when read
                    if not single:  # kept round by round, as procuration does
                        refusals = self.derived_refusals(interne, None)
                        refused.setdefault(interne_id, []).extend(refusals)
                    else:
                        refused[interne_id] = None
                    trace.append((interne_id, name, None, None, None, False, False, refusals,
                                  False))
                continue
            if couple_of and interne_id in couple_of and partner_now(
                    order, position, couple_of, placed) is not None:
                skip_next = self._play_couple(couple_of[interne_id], order, placed, trace,
                                              refused)
                if skip_next:
                    continue
            if fast and interne.surnombre is None:
                if interne_id in counted:
                    terrain_id, slot, rank, imposed_, refusals = self._imposable_path(interne)
                else:
                    terrain_id, slot, rank, imposed_, refusals = self._common_path(interne)
            else:
                terrain_id, slot, rank, imposed_, refusals = self.procuration(interne)
            if terrain_id is None or interne.surnombre is not None:
                fill.done(interne_id)
            else:  # R-SUR Reading: a surnombre's poste is added; anyone else takes one
                free[terrain_id] -= 1
                fill.done(interne_id, terrain_id)
            if terrain_id is None:
                if (refusals is None or type(refusals) is Derived) and single:
                    refused[interne_id] = refusals
                elif refusals is None or type(refusals) is Derived:  # kept round by round
                    refusals = self.derived_refusals(interne, None, refusals or ())
                    refused.setdefault(interne_id, []).extend(refusals)
                else:
                    refused.setdefault(interne_id, []).extend(refusals)
                trace.append((interne_id, name, None, None, None, False, False, refusals,
                              False))
                continue
            placed[interne_id] = (terrain_id, slot, rank, imposed_, name)
            trace.append((interne_id, name, terrain_id, rank, free[terrain_id], imposed_,
                          rank is None, refusals, False))

    def _play_couple(self, couple: Any, order: tuple[str, ...], placed: dict[str, tuple],
                     trace: list[tuple], refused: dict[str, Any]) -> bool:
        """A couple's turn in :meth:`play`: the first pair open to both at the later turn;
        ``False`` to fall back to the individual lists, better-ranked first."""
        instance = self.instance
        a, b = (instance.interne(m) for m in couple.internes)
        pair, rank, refusals = self.pair_turn(a, b, couple.voeux)
        if pair is None:
            refused.setdefault(a.id, []).extend(refusals)
            if refusals:
                trace.append((a.id, self.name, None, None, None, False, False, refusals, True))
            return False
        members = sorted(zip((a, b), pair, strict=True), key=lambda m: order.index(m[0].id))
        for k, (interne, terrain_id) in enumerate(members):
            self.end_turn(interne)
            self.place(interne, terrain_id)
            placed[interne.id] = (terrain_id, self.slot(interne, terrain_id),
                                  own_rank(interne, terrain_id), False, self.name)
            trace.append((interne.id, self.name, terrain_id, rank, self.free[terrain_id],
                          False, False, refusals if k == 0 else [], True))
        return True

    def _common_path(self, interne: Interne) -> tuple:
        """:meth:`procuration` for an interne who takes a poste and is not counted in the
        fill: the first eligible wish of the round with a free poste."""
        free, table = self.free, self.tables[interne.id]
        for rank, terrain_id in self.wishes(interne):
            if free[terrain_id] <= 0:
                continue
            slot = table.get(terrain_id, _UNKNOWN)
            if slot is _UNKNOWN:
                slot = self.slot(interne, terrain_id)
            if slot is not None:
                return terrain_id, slot, rank, False, None
        return None, None, None, False, None

    def _imposable_path(self, interne: Interne) -> tuple:
        """:meth:`procuration` for an imposable interne, as a tight loop:
        what lowers the fill is asked once (:meth:`RoundFill.lowering`), then read for each
        wish."""
        free, mandatory = self.free, self._mandatory
        table = self.tables[interne.id]
        nothing, classes = self.fill.lowering(interne.id)
        lowered: list[int] = []
        first_open: int | None = None
        wishes = enumerate(interne.voeux, start=1) if self.single else self.wishes(interne)
        for rank, terrain_id in wishes:
            if free[terrain_id] <= 0:
                continue  # full: derived when read
            slot = table.get(terrain_id, _UNKNOWN)
            if slot is _UNKNOWN:
                slot = self.slot(interne, terrain_id)
            if slot is None:
                continue  # not eligible: derived when read
            if first_open is None:
                first_open = rank
            if nothing:
                taken = mandatory.get(terrain_id)
                if taken is None or classes >> taken & 1:
                    lowered.append(rank)
                    continue
            return (terrain_id, slot, rank, is_imposition(rank, first_open),
                    Derived(lowered) if lowered else None)
        if nothing:  # taking nothing lowers the fill: step 4
            found = self.outside_list(interne)
            if found is not None:
                return (found[0].id, found[1], None, True, Derived(lowered) if lowered else None)
        return (None, None, None, False, Derived(lowered) if lowered else None)

    def derived_refusals(self, interne: Interne, upto: int | None,
                         lowered: Iterable[int] = ()) -> list[RefusalTuple]:
        """The refusals of a tight path before wish ``upto`` (``None``: all): each wish not
        eligible, else refused for the fill when its rank is in ``lowered``, else full (an
        open wish that keeps the fill is granted, so nothing else is possible)."""
        lowered = frozenset(lowered)
        slot = self.slot  # the tight paths leave the slot of a full wish unread
        return [
            (t, rank, Reason.NOT_ELIGIBLE if slot(interne, t) is None
             else Reason.WOULD_LOWER_FILL if rank in lowered else Reason.FULL)
            for rank, t in self.wishes(interne) if upto is None or rank < upto
        ]

    # --- couples ---------------------------------------------------------------------------------

    def pair_status(self, a: Interne, b: Interne, ta: str, tb: str) -> Reason | None:
        """Why the pair (``a`` on ``ta``, ``b`` on ``tb``) is not open to both now (R-ORD-2
        Reading), ``None`` when it is."""
        if not (self.in_round(ta) and self.in_round(tb)):
            return Reason.NOT_IN_ROUND
        if not (self.takes_part(a) and self.takes_part(b)):
            return Reason.NOT_LISTED
        if not pair_open(ta, tb, self.free[ta], self.free[tb], self.slot(a, ta) is not None,
                         self.slot(b, tb) is not None):
            return Reason.PAIR_UNAVAILABLE
        return None

    def pair_turn(self, a: Interne, b: Interne, pairs: tuple[tuple[str, str], ...]
                  ) -> PairOutcome:
        """The first pair of the joint list open to both (``a``, ``b`` in the couple's file
        order), or ``None`` and the pairs refused: then each chooses alone."""
        refusals: list[RefusalTuple] = []
        for rank, (ta, tb) in enumerate(pairs, start=1):
            reason = self.pair_status(a, b, ta, tb)
            if reason is Reason.NOT_IN_ROUND or reason is Reason.NOT_LISTED:
                continue
            if reason is not None:
                refusals.append((f"{ta}+{tb}", rank, reason))
                continue
            return PairOutcome((ta, tb), rank, refusals)
        return PairOutcome(None, None, refusals)
