"""Every variable of the CP-SAT model, created in one place, read through named accessors.

:class:`Variables` creates the decision literals (``x(i, t)``, the couples' pairs, the
impositions outside the wish list) and the *state* along the order of choice that the rules
read: ``before(i, t)`` (postes of ``t`` taken before ``i``'s turn), ``placed_before(i, r)``,
``got_wish_or_better(i, q)``, the postes of a mandatory class taken before ``i``, the imposable
internes left, the fill ``fill(i, r)`` and ``keep(i, r, a)``. It adds only the equations that
*define* derived variables (running counts, chains); the rules are the constraint groups
(:mod:`affectation.cpsat.groups`), which read the instance and these accessors only, so that
their order in :meth:`~affectation.cpsat.builder.ModelBuilder.build` is free.

Impositions outside the wish list (R-IMP Reading, step 4) have two encodings:

- ``step4="classes"``: one literal ``imposed(i, r, c)`` per imposable
  interne and mandatory *class* ``c`` they can be imposed on, not one per terrain. Mandatory
  terrains of one class are alike for the fill and for eligibility, so the terrain is the first
  one of the class in file order with a free poste. Impositions of a class therefore reach its
  terrains ``t_1, t_2, ...`` (file order) in order: with ``C_k`` the impositions the class's
  first ``k`` terrains receive in the round (integers, ``C_m`` = all of them) and ``J_c(i)`` the
  impositions of the class before ``i``, the impositions on ``t_k`` before ``i`` are
  ``min(J_c(i), C_k) - min(J_c(i), C_{k-1})`` (docs/model.md);
- ``step4="pairs"`` (the default: faster to solve, benchmarks/README.md): one literal per
  (imposable interne, eligible mandatory terrain outside their list) and a file-order chain
  per interne, quadratic in the promotion;
- ``free=True``: one literal per (imposable interne, eligible mandatory terrain outside their
  list), for :class:`~affectation.cpsat.whatif.FreeImpositionBuilder`, where any imposable
  interne may be imposed (``imposed_free(i)``), on any of them; ``keep`` is then
  ``not imposed_free(i)`` and there is no fill state.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping

import attrs
from ortools.sat.python import cp_model

from affectation.model import Instance, Interne, Terrain
from affectation.rules.eligibility import imposable_slot, profile, slot_for
from affectation.rules.mandatory import MandatoryClasses, imposables, mandatory_classes
from affectation.rules.order import cached_choice_order, cached_round_order
from affectation.rules.surnombre import takes_poste
from affectation.rules.turn import reach

__all__ = ["Choice", "Placement", "Variables"]

Literal = cp_model.IntVar
Expr = cp_model.LinearExprT

Choice = tuple[str, int | None, bool]
"""``(terrain, joint pair index or None, outside the list)`` of one interne."""


@attrs.frozen
class Placement:
    """One literal that places an interne."""

    literal: Literal
    round: int
    terrain: str | None
    """``None`` for an imposition in a class outside the list (terrain by file order)."""
    cls: int | None
    """Mandatory class of the terrain in its round, ``None`` for a non-mandatory one."""
    kind: str
    """``"wish"``, ``"joint"`` or ``"outside"`` (an imposition outside the wish list)."""


class _Chain:
    """A running count along the order: ``value(p)`` = the literals of holders before ``p``."""

    __slots__ = ("counts", "positions")

    def __init__(self, model: cp_model.CpModel, name: str,
                 holders: list[tuple[int, list[Literal]]], cap: int | None) -> None:
        self.positions: list[int] = []
        self.counts: list[Expr] = []
        running: Expr = 0
        for k, (position, literals) in enumerate(holders):
            upper = k + 1 if cap is None else max(0, min(k + 1, cap))
            total = model.new_int_var(0, upper, f"{name}[{k}]")
            model.add(total == running + sum(literals))
            self.positions.append(position)
            self.counts.append(total)
            running = total

    def value(self, position: int) -> Expr:
        k = bisect.bisect_left(self.positions, position)
        return self.counts[k - 1] if k else 0

    def index(self, position: int) -> int:
        """How many holders come before ``position``."""
        return bisect.bisect_left(self.positions, position)

    def end(self) -> Expr:
        return self.counts[-1] if self.counts else 0


class Variables:
    """The variables of one instance's model; see the module docstring."""

    def __init__(
        self,
        instance: Instance,
        model: cp_model.CpModel,
        postes: Mapping[str, int],
        *,
        explain: bool = False,
        free: bool = False,
        step4: str = "pairs",
    ) -> None:
        if step4 not in ("classes", "pairs"):
            raise ValueError(f"step4 must be 'classes' or 'pairs', not {step4!r}")
        self.instance = instance
        self.model = model
        self.postes = postes
        self.explain = explain
        self.free = free
        self.outside_mode = "pairs" if free else step4
        self.order = cached_choice_order(instance)
        self.round_of = instance.terrain_round
        self.n_rounds = len(instance.rounds)
        whole = {interne_id: p for p, interne_id in enumerate(self.order)}
        self.orders: list[tuple[str, ...]] = []
        """Per round, who is called, in order (R-ROUND-2: the round's own ranking)."""
        self.positions: list[dict[str, int]] = []
        """Per round, each called interne's position in :attr:`orders`: every state along
        the order (running counts, impositions, the imposables left) is read in the round
        of its terrain, so it runs along that round's order."""
        for r in range(self.n_rounds):
            order = cached_round_order(instance, r)
            self.orders.append(order)
            self.positions.append(whole if order is self.order else
                                  {interne_id: p for p, interne_id in enumerate(order)})
        self.profiles = {i.id: profile(instance.maquette_of(i), i) for i in instance.internes}
        self.imposable = list(imposables(instance))
        self.classes: list[MandatoryClasses] = [
            mandatory_classes(instance, r) for r in range(self.n_rounds)
        ]
        self.class_terrains: list[list[list[str]]] = []
        for classes in self.classes:
            per_class: list[list[str]] = [[] for _ in range(classes.n_classes)]
            for terrain in instance.terrains:  # file order
                c = classes.class_of.get(terrain.id)
                if c is not None:
                    per_class[c].append(terrain.id)
            self.class_terrains.append(per_class)
        self.members: list[list[Interne]] = [
            sorted((i for i in self.imposable
                    if self.classes[r].mask(i.id) and i.id in self.positions[r]),
                   key=lambda i, r=r: self.positions[r][i.id])
            for r in range(self.n_rounds)
        ]
        self._placements: dict[str, list[Placement]] = {}
        self._x: dict[tuple[str, str], Literal] = {}
        self._imposed: dict[tuple[str, int, int], Literal] = {}
        self.joint: dict[tuple[int, int], Literal] = {}
        self._imposed_free: dict[str, Literal] = {}
        self._class_count: dict[tuple[int, int], _Chain] = {}
        self._impositions: dict[tuple[int, int], _Chain] = {}
        self._reach: dict[tuple[int, int], list[Expr]] = {}
        self._min_memo: dict[tuple[int, int, int, int], Expr] = {}
        self._left: dict[tuple[int, int], tuple[list[int], list[Expr]]] = {}
        self._fill: dict[tuple[str, int], cp_model.IntVar] = {}
        self._keep: dict[tuple[str, int], dict[int | None, Literal]] = {}
        self._create_decisions()
        self._create_state()

    # --- rules the variables encode ---------------------------------------------------------

    def slot(self, interne: Interne, terrain: Terrain) -> str | None:
        return slot_for(self.profiles[interne.id], terrain.category_set)

    def may_take(self, interne: Interne, terrain: Terrain) -> bool:
        """Whether ``interne`` may ever hold ``terrain`` (R-ELI, R-SUR-3, R-SUR-4)."""
        return reach(self.instance, interne, terrain)[0] != "no"

    def called(self, interne_id: str, r: int) -> bool:
        """Whether the interne is called in round ``r`` (R-ROUND-2: listed by its ranking)."""
        return interne_id in self.positions[r]

    def position(self, interne_id: str, r: int) -> int:
        """The interne's position in round ``r``'s call order."""
        return self.positions[r][interne_id]

    def class_of(self, terrain_id: str) -> int | None:
        return self.classes[self.round_of[terrain_id]].class_of.get(terrain_id)

    # --- decisions ----------------------------------------------------------------------------

    def _add(self, interne_id: str, placement: Placement) -> None:
        self._placements.setdefault(interne_id, []).append(placement)

    def _create_decisions(self) -> None:
        """``x[i,t]`` for the eligible wishes (R-ELI-1, -2, -3; R-SUR-4), the impositions
        outside the list (R-IMP step 4), ``y[c,k]`` for the pairs open to both members."""
        instance, model = self.instance, self.model
        for interne in instance.internes:
            for terrain_id in interne.voeux:
                if self.called(interne.id, self.round_of[terrain_id]) and self.may_take(
                        interne, instance.terrain(terrain_id)):
                    literal = model.new_bool_var(f"x[{interne.id},{terrain_id}]")
                    self._x[(interne.id, terrain_id)] = literal
                    self._add(interne.id, Placement(
                        literal, self.round_of[terrain_id], terrain_id,
                        self.class_of(terrain_id), "wish"))
        if self.outside_mode == "classes":
            for r in range(self.n_rounds):
                classes = self.classes[r]
                for interne in self.members[r]:
                    wishes = set(interne.voeux)
                    tau = classes.mask(interne.id)
                    for c in range(classes.n_classes):
                        if tau >> c & 1 and any(
                            t not in wishes for t in self.class_terrains[r][c]
                        ):
                            literal = model.new_bool_var(f"imposed[{interne.id},{r},{c}]")
                            self._imposed[(interne.id, r, c)] = literal
                            self._add(interne.id, Placement(literal, r, None, c, "outside"))
        else:
            for interne in self.imposable:
                p = self.profiles[interne.id]
                for terrain in instance.terrains:
                    if (
                        instance.is_mandatory(terrain)
                        and self.called(interne.id, self.round_of[terrain.id])
                        and terrain.id not in interne.voeux
                        and imposable_slot(p, terrain.category_set) is not None
                    ):
                        literal = model.new_bool_var(f"x[{interne.id},{terrain.id}]")
                        self._x[(interne.id, terrain.id)] = literal
                        self._add(interne.id, Placement(
                            literal, self.round_of[terrain.id], terrain.id,
                            self.class_of(terrain.id), "outside"))
            for interne in self.imposable if self.free else ():
                if any(p.cls is not None for p in self.placements(interne.id)):
                    self._imposed_free[interne.id] = model.new_bool_var(f"imp[{interne.id}]")
        for c, couple in enumerate(instance.couples):
            a, b = (instance.interne(m) for m in couple.internes)
            for k, (ta, tb) in enumerate(couple.voeux):
                if (
                    self.round_of[ta] == self.round_of[tb]
                    and self.called(a.id, self.round_of[ta])
                    and self.called(b.id, self.round_of[ta])
                    and self.slot(a, instance.terrain(ta)) is not None
                    and self.slot(b, instance.terrain(tb)) is not None
                ):
                    literal = model.new_bool_var(f"y[{a.id}+{b.id},{ta}+{tb}]")
                    self.joint[(c, k)] = literal
                    r = self.round_of[ta]
                    self._add(a.id, Placement(literal, r, ta, self.class_of(ta), "joint"))
                    self._add(b.id, Placement(literal, r, tb, self.class_of(tb), "joint"))

    # --- state along the order ----------------------------------------------------------------

    def _cap(self, cap: int) -> int | None:
        """Running counts carry the capacity in their domain, unless the capacity group must
        be blameable on its own (explaining)."""
        return None if self.explain else cap

    def _create_state(self) -> None:
        model, instance = self.model, self.instance
        # per terrain: holders that take a poste (not a surnombre's), in the order of choice
        holders: dict[str, list[tuple[int, list[Literal]]]] = {t.id: [] for t in
                                                               instance.terrains}
        for interne_id in self.order:
            if not takes_poste(instance.interne(interne_id)):
                continue  # R-SUR Reading: a surnombre's poste is added
            per_terrain: dict[str, list[Literal]] = {}
            for placement in self._placements.get(interne_id, []):
                if placement.terrain is not None:
                    per_terrain.setdefault(placement.terrain, []).append(placement.literal)
            for terrain_id, literals in per_terrain.items():
                holders[terrain_id].append(
                    (self.position(interne_id, self.round_of[terrain_id]), literals))
        for terrain_holders in holders.values():
            terrain_holders.sort(key=lambda h: h[0])  # along the round's order (R-ROUND-2)
        self.holders = holders
        self._count = {
            t: _Chain(model, f"count[{t}]", h, self._cap(self.postes[t]))
            for t, h in holders.items()
        }
        # rounds: pb[i,r]
        self._placed_before: dict[tuple[str, int], Literal] = {}
        for interne in instance.internes:
            placed = self._placements.get(interne.id, [])
            for r in range(1, self.n_rounds):
                earlier = [p.literal for p in placed if p.round < r]
                if earlier:
                    literal = model.new_bool_var(f"pb[{interne.id},{r}]")
                    model.add(literal == sum(earlier))
                    self._placed_before[(interne.id, r)] = literal
        # wish chains: g[i,r,q] = g[i,r,q'] + x[i,w_q]
        self._got: dict[tuple[str, int], Literal] = {}
        for interne in instance.internes:
            running: dict[int, Expr] = {}
            for rank, terrain_id in enumerate(interne.voeux, start=1):
                literal = self._x.get((interne.id, terrain_id))
                if literal is None:
                    continue
                r = self.round_of[terrain_id]
                g = model.new_bool_var(f"g[{interne.id},{r},{rank}]")
                model.add(g == running.get(r, 0) + literal)
                running[r] = g
                self._got[(interne.id, rank)] = g
        if not self.free:
            self._create_class_state()

    def _create_class_state(self) -> None:
        """Per round and mandatory class: the postes taken (one running count over the class's
        holders), the impositions outside the list (``J_c``, ``C_k``) and, per imposable type,
        the imposable internes still to choose."""
        model = self.model
        for r in range(self.n_rounds):
            classes = self.classes[r]
            if not self.members[r]:
                continue
            for c in range(classes.n_classes):
                terrains = self.class_terrains[r][c]
                by_position: dict[int, list[Literal]] = {}
                for terrain_id in terrains:
                    for position, literals in self.holders[terrain_id]:
                        by_position.setdefault(position, []).extend(literals)
                imposed = [
                    (self.position(i.id, r), self._imposed[(i.id, r, c)]) for i in self.members[r]
                    if (i.id, r, c) in self._imposed
                ]
                for position, literal in imposed:
                    by_position.setdefault(position, []).append(literal)
                cap = sum(max(self.postes[t], 0) for t in terrains)
                self._class_count[(r, c)] = _Chain(
                    model, f"class_count[{r},{c}]", sorted(by_position.items()),
                    self._cap(cap))
                if imposed:
                    chain = _Chain(model, f"J[{r},{c}]", [(p, [lit]) for p, lit in imposed],
                                   self._cap(cap))
                    self._impositions[(r, c)] = chain
                    # C_k: impositions of the round on the class's first k terrains, monotone,
                    # C_m all of them (each gets at most its postes: the capacity group)
                    reach: list[Expr] = [0]
                    upper = 0
                    for k, terrain_id in enumerate(terrains, start=1):
                        upper += max(self.postes[terrain_id], 0)
                        if k == len(terrains):
                            reach.append(chain.end())
                            model.add(chain.end() >= reach[-2])
                            break
                        ck = model.new_int_var(0, min(upper, len(imposed)), f"C[{r},{c},{k}]")
                        model.add(ck >= reach[-1])
                        reach.append(ck)
                    self._reach[(r, c)] = reach
                    self._chain_min_reach(r, c, chain)
            by_type: dict[int, list[Interne]] = {}
            for interne in self.members[r]:
                by_type.setdefault(classes.mask(interne.id), []).append(interne)
            for mask, group in by_type.items():
                positions = [self.position(i.id, r) for i in group]
                values: list[Expr] = [0] * (len(group) + 1)
                for k in range(len(group) - 1, -1, -1):
                    out = self.placed_before(group[k].id, r)
                    if out is None and isinstance(values[k + 1], int):
                        values[k] = values[k + 1] + 1
                    else:
                        total = model.new_int_var(0, len(group) - k, f"left[{r},{mask},{k}]")
                        model.add(total == values[k + 1] + 1 - (0 if out is None else out))
                        values[k] = total
                self._left[(r, mask)] = (positions, values)
            for interne in self.members[r]:
                tau = classes.mask(interne.id)
                self._fill[(interne.id, r)] = model.new_int_var(
                    0, self.fill_upper(r), f"M[{interne.id},{r}]")
                self._keep[(interne.id, r)] = {
                    a: model.new_bool_var(
                        f"keep[{interne.id},{r},{'none' if a is None else a}]")
                    for a in [None, *[c for c in range(classes.n_classes) if tau >> c & 1]]
                }

    # --- accessors ----------------------------------------------------------------------------

    def x(self, interne_id: str, terrain_id: str) -> Literal | None:
        """``x[i,t]``: ``i`` takes ``t`` individually (a wish, or an outside-list pair)."""
        return self._x.get((interne_id, terrain_id))

    def assignments(self) -> Mapping[tuple[str, str], Literal]:
        return self._x

    def placements(self, interne_id: str) -> list[Placement]:
        """Every literal that places ``interne_id`` (at most one is true)."""
        return self._placements.get(interne_id, [])

    def placed(self, interne_id: str) -> list[Literal]:
        return [p.literal for p in self.placements(interne_id)]

    def on(self, interne_id: str, terrain_id: str) -> list[Literal]:
        """Literals placing ``interne_id`` on ``terrain_id`` by name (wish, pair, outside pair)."""
        return [p.literal for p in self.placements(interne_id) if p.terrain == terrain_id]

    def imposed(self, interne_id: str, r: int, c: int) -> Literal | None:
        """``i`` imposed outside their list on the first free terrain of class ``c``."""
        return self._imposed.get((interne_id, r, c))

    def imposed_in(self, interne_id: str, r: int) -> dict[int, Literal]:
        return {c: lit for (i, rr, c), lit in self._imposed.items()
                if i == interne_id and rr == r}

    def got_wish_or_better(self, interne_id: str, rank: int) -> Literal | None:
        """``g[i,r,q]``: ``i`` got their wish of rank ``q`` or a better one of its round."""
        return self._got.get((interne_id, rank))

    def placed_before(self, interne_id: str, r: int) -> Literal | None:
        """``pb[i,r]``: placed in a round before ``r`` (so out of round ``r``); ``None`` when
        impossible."""
        return self._placed_before.get((interne_id, r))

    def holders_of(self, terrain_id: str) -> list[tuple[int, list[Literal]]]:
        """``(position, literals)`` of the non-surnombre internes that may hold it by name."""
        return self.holders[terrain_id]

    def taken(self, terrain_id: str) -> Expr:
        """Postes of ``terrain_id`` taken at the end of its round by name (wishes, pairs)."""
        return self._count[terrain_id].end()

    def reach(self, r: int, c: int) -> list[Expr] | None:
        """``[C_0 = 0, C_1, ..., C_m]`` of class ``c``, ``None`` without impositions."""
        return self._reach.get((r, c))

    def impositions_before(self, r: int, c: int, interne_id: str) -> Expr:
        """``J_c(i)``: impositions outside the list in class ``c`` before ``i``'s turn."""
        chain = self._impositions.get((r, c))
        return 0 if chain is None else chain.value(self.position(interne_id, r))

    def before(self, interne_id: str, terrain_id: str) -> Expr:
        """Postes of ``terrain_id`` taken by non-surnombre internes before ``interne_id``."""
        r = self.round_of[terrain_id]
        position = self.position(interne_id, r)
        by_name = self._count[terrain_id].value(position)
        c = self.class_of(terrain_id)
        chain = None if c is None else self._impositions.get((r, c))
        if chain is None:
            return by_name
        jk = chain.index(position)
        if jk == 0:
            return by_name
        k = self.class_terrains[r][c].index(terrain_id) + 1
        return by_name + self._min_reach(r, c, jk, k) - self._min_reach(r, c, jk, k - 1)

    def _chain_min_reach(self, r: int, c: int, chain: _Chain) -> None:
        """``min(J, C_k)`` at every turn that reads a terrain of the class (its wishes, a
        couple's pairs), as one chain per ``k`` from the last turn back: ``J`` grows along
        the order, so ``min(J_a, C_k) = min(J_a, min(J_b, C_k))`` for ``a`` before ``b``.
        ``C_k`` then sits in one ``lin_max``, not in one per turn: a change of its bounds
        wakes one constraint, and the propagation stops where ``J`` is below it."""
        terrains = self.class_terrains[r][c]
        index = {t: k for k, t in enumerate(terrains, start=1)}
        readers: dict[int, set[int]] = {}

        def read(interne_id: str, terrain_id: str) -> None:
            k = index.get(terrain_id)
            if k is None:
                return
            jk = chain.index(self.position(interne_id, r))
            if jk == 0:
                return
            readers.setdefault(k, set()).add(jk)
            if k > 1:
                readers.setdefault(k - 1, set()).add(jk)

        for interne_id, placements in self._placements.items():
            for placement in placements:
                if placement.terrain is not None:
                    read(interne_id, placement.terrain)
        for couple in self.instance.couples:
            if not all(self.called(m, r) for m in couple.internes):
                continue  # no pair in a round that does not call both (R-ROUND-2)
            first = min(couple.internes, key=self.positions[r].__getitem__)
            for ta, tb in couple.voeux:
                read(first, ta)
                read(first, tb)
        for k, turns in readers.items():
            below: Expr = self._reach[(r, c)][k]
            for jk in sorted(turns, reverse=True):
                target = self.model.new_int_var(0, jk, f"imp_on[{r},{c},{jk},{k}]")
                self.model.add_min_equality(target, [chain.counts[jk - 1], below])
                self._min_memo[(r, c, jk, k)] = target
                below = target

    def _min_reach(self, r: int, c: int, jk: int, k: int) -> Expr:
        """``min(J, C_k)`` with ``J`` the impositions of the class before the ``jk``-th."""
        if k == 0:
            return 0
        key = (r, c, jk, k)
        if key not in self._min_memo:
            j = self._impositions[(r, c)].counts[jk - 1]
            ck = self._reach[(r, c)][k]
            target = self.model.new_int_var(0, jk, f"imp_on[{r},{c},{jk},{k}]")
            self.model.add_min_equality(target, [j, ck])
            self._min_memo[key] = target
        return self._min_memo[key]

    def class_taken(self, r: int, c: int, interne_id: str) -> Expr:
        """Postes of class ``c`` taken before ``i``'s turn (impositions included)."""
        return self._class_count[(r, c)].value(self.position(interne_id, r))

    def left(self, r: int, mask: int, interne_id: str) -> Expr:
        """Imposable internes of type ``mask`` still to choose in round ``r`` from ``i`` on
        (``i`` included)."""
        positions, values = self._left.get((r, mask), ([], [0]))
        return values[bisect.bisect_left(positions, self.position(interne_id, r))]

    def types(self, r: int) -> list[int]:
        return list({m for (rr, m) in self._left if rr == r})

    def fill_upper(self, r: int) -> int:
        """An upper bound of the fill's matching in round ``r``."""
        return sum(max(self.postes[t], 0) for t in self.classes[r].class_of) + len(
            self.members[r])

    def fill(self, interne_id: str, r: int) -> cp_model.IntVar | None:
        """``M[i,r]``: the mandatory fill's matching at member ``i``'s turn."""
        return self._fill.get((interne_id, r))

    def keeps(self, interne_id: str, r: int) -> dict[int | None, Literal] | None:
        return self._keep.get((interne_id, r))

    def keep(self, interne_id: str, r: int, terrain_id: str | None) -> Literal | None:
        """``keep[i,r,a]``: taking ``terrain_id`` (``None``: nothing, or a non-mandatory
        terrain) keeps the mandatory fill; ``None`` when ``i`` cannot lower it."""
        if self.free:
            imp = self._imposed_free.get(interne_id)
            return None if imp is None else imp.negated()
        keeps = self._keep.get((interne_id, r))
        if keeps is None:
            return None
        return keeps[None if terrain_id is None else self.class_of(terrain_id)]

    def imposed_free(self, interne_id: str) -> Literal | None:
        """``imp[i]`` of the free model: ``i`` is imposed (may envy, takes a mandatory
        terrain)."""
        return self._imposed_free.get(interne_id)

    def imposed_free_all(self) -> Mapping[str, Literal]:
        return self._imposed_free

    # --- reading a solution -------------------------------------------------------------------

    def read(self, solver: cp_model.CpSolver) -> dict[str, Choice]:
        """Each placed interne's terrain, from the solver's values."""
        choices: dict[str, Choice] = {}
        for (interne_id, terrain_id), literal in self._x.items():
            if solver.boolean_value(literal):
                kind = next(p.kind for p in self.placements(interne_id)
                            if p.literal is literal)
                choices[interne_id] = (terrain_id, None, kind == "outside")
        for (c, k), literal in self.joint.items():
            if solver.boolean_value(literal):
                couple = self.instance.couples[c]
                for member, terrain_id in zip(couple.internes, couple.voeux[k], strict=True):
                    choices[member] = (terrain_id, k, False)
        for (interne_id, r, c), literal in self._imposed.items():
            if solver.boolean_value(literal):
                j = solver.value(self.impositions_before(r, c, interne_id))
                reach = [solver.value(e) for e in self._reach[(r, c)]]
                # the (j+1)-th imposition of the class goes to t_k with C_{k-1} <= j < C_k
                k = next(k for k in range(1, len(reach)) if j < reach[k])
                choices[interne_id] = (self.class_terrains[r][c][k - 1], None, True)
        return choices
