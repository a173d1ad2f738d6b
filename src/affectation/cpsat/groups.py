"""The rule groups of the CP-SAT model, one function each, citing their rule ids.

A group reads the instance, the builder's options (``postes``, ``forced``, ``must_place``) and
the variables (:class:`~affectation.cpsat.variables.Variables`) only, and adds constraints
through :meth:`ModelBuilder.guard`, which enforces them under the group's assumption literal
when the builder explains conflicts. No group depends on another having run: any order of
:data:`GROUPS` builds the same model up to the numbering of its variables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from affectation.errors import InstanceError
from affectation.rules.couples import postes_needed
from affectation.rules.mandatory import MAX_CUTS, after_values, cut_values
from affectation.rules.surnombre import added_on_free_poste, fills_maquette

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

    from affectation.cpsat.builder import ModelBuilder

__all__ = ["GROUPS", "RULES"]

GROUPS: dict[str, str] = {
    "one_terrain": "one terrain or none per interne",
    "capacity": "postes of each terrain, surnombre added (R-POS-1, R-SUR-2, R-SUR-3, R-SUR-4)",
    "priority": "rank priority: each gets the best wish open at their turn (R-ORD-1, R-VOE-1, "
    "R-ROUND-1)",
    "couples": "couples choose a pair at the later turn (R-ORD-2)",
    "mandatory": "mandatory postes filled as far as possible; impositions only on T1 never "
    "imposed (R-IMP-1, R-IMP-2, R-IMP-3)",
    "eligibility": "eligibility and maquette completeness (R-ELI-1, R-ELI-2, R-ELI-3)",
    "user": "constraints added by the user (forced assignments, internes to place)",
}
"""Rule groups, each with an assumption literal when the builder explains conflicts."""


# --- one terrain -------------------------------------------------------------------------------

def one_terrain(b: ModelBuilder) -> None:
    """Each interne holds at most one terrain."""
    for interne in b.instance.internes:
        placed = b.vars.placed(interne.id)
        if len(placed) > 1:
            b.at_most_one(placed, "one_terrain")


# --- R-POS, R-SUR: capacities -------------------------------------------------------------------

def capacity(b: ModelBuilder) -> None:
    """At most ``postes`` non-surnombre internes per terrain (R-POS-1): implied by the running
    counts' domains, stated only for the impositions by class and when explaining; a surnombre
    takes nobody's poste (R-SUR-2, R-SUR-3: not in the counts), a validant needs a free one
    (R-SUR-2), never an ambulatory one (R-SUR-4, by the variables)."""
    v, model = b.vars, b.model
    for terrain in b.instance.terrains:
        t = terrain.id
        cap = b.postes[t]
        r, c = v.round_of[t], v.class_of(t)
        reach = None if c is None else v.reach(r, c)
        if reach is not None:
            k = v.class_terrains[r][c].index(t) + 1
            b.guard(model.add(v.taken(t) + reach[k] - reach[k - 1] <= cap), "capacity")
        elif b.explain and v.holders_of(t):
            b.guard(model.add(v.taken(t) <= cap), "capacity")
    for interne in b.instance.internes:
        if not added_on_free_poste(interne):
            continue
        for terrain_id in interne.voeux:
            x = v.x(interne.id, terrain_id)
            if x is not None:
                b.guard(model.add(v.before(interne.id, terrain_id) <= b.postes[terrain_id] - 1),
                        "capacity", x)


# --- R-ORD-1, R-VOE-1: rank priority -----------------------------------------------------------

def priority(b: ModelBuilder) -> None:
    """No interne envies a terrain that still had a free poste at their turn, unless the rules
    forbid it to them: for every eligible wish ``w`` of rank ``q``,
    ``g[i,q] or pb[i,r] or before(i,w) >= postes(w)``, relaxed when a pair of their couple is
    taken (R-ORD-2) or when ``w`` would lower the mandatory fill (``not keep``, R-IMP)."""
    v, model = b.vars, b.model
    instance = b.instance
    for interne in instance.internes:
        for rank, terrain_id in enumerate(interne.voeux, start=1):
            g = v.got_wish_or_better(interne.id, rank)
            if g is None:
                continue  # not eligible: no envy possible
            r = v.round_of[terrain_id]
            out = v.placed_before(interne.id, r)
            if not fills_maquette(interne):
                # R-SUR-3 Reading: free poste or not, the first non-ambulatory wish
                b.guard(model.add_bool_or([g, *([out] if out is not None else [])]),
                        "priority")
                continue
            unless = [g.negated()]
            if out is not None:
                unless.append(out.negated())
            unless += [lit.negated() for lit in _pairs_taken(b, interne.id, r)]
            keep = v.keep(interne.id, r, terrain_id)
            if keep is not None:
                unless.append(keep)
            b.guard(model.add(v.before(interne.id, terrain_id) >= b.postes[terrain_id]),
                    "priority", *unless)


def _pairs_taken(b: ModelBuilder, interne_id: str, r: int) -> list[cp_model.IntVar]:
    couple = b.instance.couple_of.get(interne_id)
    if couple is None:
        return []
    c = b.instance.couples.index(couple)
    return [lit for (cc, k), lit in b.vars.joint.items()
            if cc == c and b.vars.round_of[couple.voeux[k][0]] == r]


# --- R-ORD-2: couples ----------------------------------------------------------------------------

def couples(b: ModelBuilder) -> None:
    """At the earlier member's turn, both still in the round: the first pair open to both (two
    free postes for a pair on one terrain); otherwise the individual lists, the better-ranked
    first (their own priority constraints, relaxed when a pair is taken)."""
    v, model = b.vars, b.model
    for c, couple in enumerate(b.instance.couples):
        got: dict[int, cp_model.LinearExprT] = {}
        for k, (ta, tb) in enumerate(couple.voeux):
            literal = v.joint.get((c, k))
            if literal is None:
                continue
            r = v.round_of[ta]
            first = min(couple.internes, key=v.positions[r].__getitem__)  # R-ROUND-2
            g = model.new_bool_var(f"gp[{c},{r},{k}]")
            model.add(g == got.get(r, 0) + literal)
            got[r] = g
            out = [lit.negated() for m in couple.internes
                   if (lit := v.placed_before(m, r)) is not None]
            full_a = model.new_bool_var(f"full_a[{c},{k}]")
            full_b = model.new_bool_var(f"full_b[{c},{k}]")
            need = postes_needed(ta, tb)[0] - 1
            b.guard(model.add(v.before(first, ta) >= b.postes[ta] - need), "couples", full_a)
            b.guard(model.add(v.before(first, tb) >= b.postes[tb] - need), "couples", full_b)
            b.guard(model.add_bool_or([full_a, full_b]), "couples", g.negated(), *out)


# --- R-IMP: mandatory fill -----------------------------------------------------------------------

def mandatory(b: ModelBuilder) -> None:
    """Fill = mandatory postes taken + max matching(empty mandatory postes, imposable internes
    still to choose). By min-cut over classes (``rules.mandatory``), the matching at ``i``'s
    turn is ``M = min_B E_B`` over the cuts ``B`` with ``E_B = cap(B) + #types not inside
    B``, linear in the running counts. An alternative ``a`` of an imposable interne of type
    ``tau`` keeps the fill iff ``min_B (E_B - [a in B] - [tau not in B] + [a mandatory]) >= M``.
    Each choice must keep it; a better open wish may be refused only if it does not; outside
    the list only when taking nothing lowers it, on the first mandatory terrain in file order
    that is open, eligible and keeps it (R-IMP Reading, steps 1-5)."""
    v = b.vars
    for r in range(v.n_rounds):
        classes = v.classes[r]
        if not v.members[r]:
            continue
        if classes.cuts is None:
            raise InstanceError(
                f"tour {b.instance.rounds[r].nom!r} : les internes à qui un poste peut être "
                f"imposé forment des types dont les unions font plus de {MAX_CUTS} coupes du "
                "remplissage obligatoire ; le moteur séquentiel le résout exactement (flot "
                "maximal), le modèle CP-SAT non (docs/model.md)",
                entity="instance",
                key="obligatoires",
            )
        for interne in v.members[r]:
            _fill_at_turn(b, interne.id, r)
            _imposable_choices(b, interne.id, r)
        if v.outside_mode == "classes":
            for c in range(classes.n_classes):
                _first_free_in_file_order(b, r, c)


def _min_equality(b: ModelBuilder, target, exprs: list, group: str) -> None:
    """``target = min(exprs)``: ``add_min_equality``, or, when explaining (an enforced
    ``lin_max`` does not exist), bounds and witness literals guarded by the group."""
    model = b.model
    if not b.explain:
        model.add_min_equality(target, exprs)
        return
    witnesses = []
    for k, expr in enumerate(exprs):
        b.guard(model.add(target <= expr), group)
        w = model.new_bool_var(f"min[{target.name},{k}]")
        b.guard(model.add(expr <= target), group, w)
        witnesses.append(w)
    b.guard(model.add_bool_or(witnesses), group)


def _fill_at_turn(b: ModelBuilder, interne_id: str, r: int) -> None:
    v, model = b.vars, b.model
    classes = v.classes[r]
    n = classes.n_classes
    caps = [
        sum(b.postes[t] for t in v.class_terrains[r][c]) - v.class_taken(r, c, interne_id)
        for c in range(n)
    ]
    counts = {mask: v.left(r, mask, interne_id) for mask in v.types(r)}
    cuts = list(classes.cuts or ())
    values = cut_values(caps, counts, cuts)
    m = v.fill(interne_id, r)
    _min_equality(b, m, values, "mandatory")
    tau = classes.mask(interne_id)
    upper = v.fill_upper(r) + 1
    for a, keep in v.keeps(interne_id, r).items():
        gained = 0 if a is None else 1
        afters = [after + gained for after in after_values(values, cuts, a, tau)]
        after = model.new_int_var(-2, upper, f"after[{interne_id},{r},{a}]")
        _min_equality(b, after, afters, "mandatory")
        b.guard(model.add(after >= m), "mandatory", keep)
        b.guard(model.add(after <= m - 1), "mandatory", keep.negated())


def _imposable_choices(b: ModelBuilder, interne_id: str, r: int) -> None:
    """Each choice keeps the fill; nothing only if nothing keeps it; outside the list only when
    taking nothing would lower the fill (R-IMP Reading, steps 2-5)."""
    v, model = b.vars, b.model
    keeps = v.keeps(interne_id, r)
    in_round = [p for p in v.placements(interne_id) if p.round == r]
    for p in in_round:
        b.guard(model.add_bool_or([keeps[p.cls]]), "mandatory", p.literal)
    out = v.placed_before(interne_id, r)
    b.guard(model.add_bool_or([*([out] if out is not None else []),
                               *(p.literal for p in in_round), keeps[None]]), "mandatory")
    outside = [p for p in in_round if p.kind == "outside"]
    if not outside:
        return
    b.at_most_one([*(p.literal for p in outside), keeps[None]], "mandatory")
    if v.outside_mode == "classes":
        _first_class_in_file_order(b, interne_id, r)
    else:
        _first_pair_in_file_order(b, interne_id, r)


def _first_class_in_file_order(b: ModelBuilder, interne_id: str, r: int) -> None:
    """Step 4 across classes: imposed in class ``c`` on its first free terrain ``t``, every
    terrain of another class ``c'`` that keeps the fill and comes before ``t`` in file order
    is full. Per run ``R`` of ``c'`` terrains (consecutive in the file order of ``c`` and
    ``c'``) preceded by ``n`` terrains of ``c``: ``t`` comes after ``R`` iff ``J_c(i) >= C_n``
    (the ``J_c(i)+1``-th imposition of ``c`` goes past the first ``n`` terrains)."""
    v, model = b.vars, b.model
    classes = v.classes[r]
    keeps = v.keeps(interne_id, r)
    tau = classes.mask(interne_id)
    for c, z in v.imposed_in(interne_id, r).items():
        reach = v.reach(r, c)
        j = v.impositions_before(r, c, interne_id)
        for other in range(classes.n_classes):
            if other == c or not tau >> other & 1:
                continue
            for n_before, run in _runs(b, r, c, other):
                if n_before == len(v.class_terrains[r][c]):
                    continue  # after every terrain of c: never before the one imposed
                cap = sum(b.postes[t] for t in run)
                if len(run) == len(v.class_terrains[r][other]):
                    taken = v.class_taken(r, other, interne_id)
                else:
                    taken = sum(v.before(interne_id, t) for t in run)
                when = [z, keeps[other]]
                if n_before > 0:
                    past = model.new_bool_var(f"past[{interne_id},{r},{c},{n_before}]")
                    model.add(j >= reach[n_before]).only_enforce_if(past)
                    model.add(j <= reach[n_before] - 1).only_enforce_if(past.negated())
                    when.append(past)
                b.guard(model.add(taken >= cap), "mandatory", *when)


def _runs(b: ModelBuilder, r: int, c: int, other: int) -> list[tuple[int, list[str]]]:
    """The runs of class ``other``'s terrains in the file order of ``c`` and ``other``, each
    with the number of ``c`` terrains before it."""
    v = b.vars
    runs: list[tuple[int, list[str]]] = []
    seen_c = 0
    last_was_other = False
    for terrain in b.instance.terrains:
        k = v.classes[r].class_of.get(terrain.id)
        if k == c:
            seen_c += 1
            last_was_other = False
        elif k == other:
            if last_was_other:
                runs[-1][1].append(terrain.id)
            else:
                runs.append((seen_c, [terrain.id]))
            last_was_other = True
    return runs


def _first_free_in_file_order(b: ModelBuilder, r: int, c: int) -> None:
    """Step 4 within a class: impositions take its terrains in file order. Past ``t_k``
    (``C_k < C_m``) only once ``t_k`` is full, and nobody takes ``t_k`` by name after the
    impositions went past it (``J_c <= C_k`` at their turn)."""
    v, model = b.vars, b.model
    reach = v.reach(r, c)
    if reach is None:
        return
    terrains = v.class_terrains[r][c]
    last = reach[-1]
    for k, terrain_id in enumerate(terrains[:-1], start=1):
        stays = model.new_bool_var(f"stays[{r},{c},{k}]")
        b.guard(model.add(reach[k] >= last), "mandatory", stays)
        b.guard(model.add(v.taken(terrain_id) + reach[k] - reach[k - 1]
                          >= b.postes[terrain_id]), "mandatory", stays.negated())
        for position, literals in v.holders_of(terrain_id):
            j = v.impositions_before(r, c, v.orders[r][position])
            if isinstance(j, int):
                continue
            for literal in literals:
                b.guard(model.add(j <= reach[k]), "mandatory", literal)


def _first_pair_in_file_order(b: ModelBuilder, interne_id: str, r: int) -> None:
    """Step 4 with one literal per outside pair: every mandatory terrain before the one
    imposed, in file order, is full or would lower the fill (``imposed_after`` = imposed on a
    terrain after this one, a running literal from the end of the file)."""
    v, model = b.vars, b.model
    mandatory_in_file_order = [
        t.id for t in b.instance.terrains
        if t.id in v.classes[r].class_of and v.classes[r].mask(interne_id) >> v.class_of(t.id) & 1
    ]
    outside = {p.terrain: p.literal for p in v.placements(interne_id)
               if p.round == r and p.kind == "outside"}
    later: cp_model.LinearExprT = 0
    for k in range(len(mandatory_in_file_order) - 1, -1, -1):
        terrain_id = mandatory_in_file_order[k]
        if not isinstance(later, int):
            b.guard(model.add(v.before(interne_id, terrain_id) >= b.postes[terrain_id]),
                    "mandatory", later, v.keep(interne_id, r, terrain_id))
        if terrain_id in outside and k > 0:
            running = model.new_bool_var(f"imposed_after[{interne_id},{terrain_id}]")
            model.add(running == later + outside[terrain_id])
            later = running


# --- what the user adds --------------------------------------------------------------------------

def user(b: ModelBuilder) -> None:
    """Forced assignments (``forced[i] = t``, or ``None`` for no poste) and internes that must
    be placed; a pair the variables do not allow is a conflict with eligibility, or with the
    wish list (R-VOE-1)."""
    v, model, instance = b.vars, b.model, b.instance
    for interne_id, terrain_id in b.forced.items():
        own = b.user_literal(f"forced[{interne_id}]={terrain_id or '-'}")
        if terrain_id is None:
            for literal in v.placed(interne_id):
                b.guard(model.add_bool_or([literal.negated()]), "user", *own)
            continue
        literals = v.on(interne_id, terrain_id)
        r, c = v.round_of[terrain_id], v.class_of(terrain_id)
        z = None if c is None else v.imposed(interne_id, r, c)
        if literals:
            b.guard(model.add(sum(literals) == 1), "user", *own)
        elif z is not None and terrain_id not in instance.interne(interne_id).voeux:
            # imposed in the class, and the (J+1)-th imposition of the class lands on it
            k = v.class_terrains[r][c].index(terrain_id) + 1
            reach = v.reach(r, c)
            j = v.impositions_before(r, c, interne_id)
            b.guard(model.add_bool_or([z]), "user", *own)
            b.guard(model.add(j >= reach[k - 1]), "user", *own)
            b.guard(model.add(j <= reach[k] - 1), "user", *own)
        elif v.may_take(instance.interne(interne_id), instance.terrain(terrain_id)):
            _forbidden_by(b, "priority", own)  # eligible, but not in their list (R-VOE-1)
        else:
            _forbidden_by(b, "eligibility", own)
    for interne_id in b.must_place:
        own = b.user_literal(f"must_place[{interne_id}]")
        b.guard(model.add_bool_or(v.placed(interne_id)), "user", *own)


def _forbidden_by(b: ModelBuilder, group: str, own: tuple = ()) -> None:
    """A user constraint asks for a pair that no variable allows."""
    clause = []
    if b.explain:
        clause = [b.groups["user"].negated(), b.groups[group].negated(),
                  *(literal.negated() for literal in own)]
    b.model.add_bool_or(clause)


RULES: dict[str, Callable[[ModelBuilder], None]] = {
    "one_terrain": one_terrain,
    "capacity": capacity,
    "priority": priority,
    "couples": couples,
    "mandatory": mandatory,
    "user": user,
}
"""The group functions in the rulebook's order (``eligibility`` is in the variables)."""
