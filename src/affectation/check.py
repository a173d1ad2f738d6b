"""A solver-independent checker: verify any result against the rules.

It knows neither engine. It walks each round in its call order (the order of choice, or the
round's own ranking, R-ROUND-2, both from ``rules.order``), rebuilds the free postes
and the mandatory fill *from the result's own choices*, and at every turn checks that the
interne got what the rules give them: capacities, eligibility and maquette (R-ELI), rank
priority (no justified envy, R-ORD-1, R-VOE-1), couples (R-ORD-2), surnombre (R-SUR), the
mandatory fill and the impositions (R-IMP), rounds (R-ROUND-1), and the bookkeeping of the file
(FORMAT.md). An empty list means the result is the one the rules give.
"""

from __future__ import annotations

from collections import Counter

import attrs

from affectation.model import Instance, Interne
from affectation.result import Affectation, Result
from affectation.rules.eligibility import profile, slot_for
from affectation.rules.mandatory import is_imposable
from affectation.rules.order import cached_choice_order, cached_round_order
from affectation.rules.surnombre import fills_maquette, takes_poste
from affectation.rules.turn import Round, imposed
from affectation.rules.voeux import own_rank

__all__ = ["Violation", "check"]


@attrs.frozen
class Violation:
    """One way a result breaks a rule."""

    rule: str
    """Rule id (``R-ORD-1``…) or ``FORMAT`` for bookkeeping."""
    interne: str | None
    terrain: str | None
    message: str

    def __str__(self) -> str:
        return self.line()

    def line(self, instance: Instance | None = None) -> str:
        """``[R-POS-1] Martin Léa (I0001), URG-CHU : message``: with ``instance``, the
        interne's name beside the id."""
        interne = self.interne
        if instance is not None and interne in instance.interne_by_id:
            interne = instance.interne(interne).libelle
        who = ", ".join(x for x in (interne, self.terrain) if x)
        return f"[{self.rule}] {who} : {self.message}" if who else (
            f"[{self.rule}] {self.message}")


def check(instance: Instance, result: Result) -> list[Violation]:
    """Every violation of the rules in ``result``; ``[]`` when it is the rules' allocation."""
    return _Checker(instance, result).run()


class _Checker:
    def __init__(self, instance: Instance, result: Result) -> None:
        self.instance = instance
        self.result = result
        self.violations: list[Violation] = []

    def flag(self, rule: str, interne: str | None, terrain: str | None, message: str) -> None:
        self.violations.append(Violation(rule, interne, terrain, message))

    def run(self) -> list[Violation]:
        if not self.check_bookkeeping():
            return self.violations
        self.check_each_affectation()
        self.check_capacities()
        for r in range(len(self.instance.rounds)):
            self.check_round(r)
        return self.violations

    # --- the file -----------------------------------------------------------------------------

    def check_bookkeeping(self) -> bool:
        instance, result = self.instance, self.result
        order = cached_choice_order(instance)
        if tuple(result.ordre) != order:
            self.flag("R-ORD-1", None, None, "ordre n'est pas l'ordre du choix")
            return False
        if [a.interne for a in result.affectations] != list(order):
            self.flag("FORMAT", None, None,
                      "affectations n'a pas une ligne par interne de ordre, dans cet ordre")
            return False
        self.by_interne = result.by_interne
        round_names = [r.nom for r in instance.rounds]
        for a in result.affectations:
            if a.terrain is None:
                if not a.raison:
                    self.flag("R-VOE-1", a.interne, None, "sans poste et sans raison")
                if a.impose or a.voeu is not None or a.stage is not None:
                    self.flag("FORMAT", a.interne, None,
                              "sans poste mais avec voeu, stage ou impose")
                continue
            if a.terrain not in instance.terrain_by_id:
                self.flag("FORMAT", a.interne, a.terrain, "terrain inconnu")
                return False
            if a.round not in round_names or (
                round_names.index(a.round) != instance.terrain_round[a.terrain]
            ):
                self.flag("R-ROUND-1", a.interne, a.terrain, f"tour {a.round!r} erroné")
        computed_vacants = self.vacants()
        declared = dict(result.vacants_items)
        if declared != computed_vacants:
            # name only the terrains that differ: a subdivision has dozens of vacant postes
            differ = sorted(t for t in declared.keys() | computed_vacants.keys()
                            if declared.get(t, 0) != computed_vacants.get(t, 0))
            self.flag("FORMAT", None, None, "postes vacants déclarés différents des postes "
                      "restants : " + ", ".join(
                          f"{t} ({declared.get(t, 0)} déclaré(s), {computed_vacants.get(t, 0)} "
                          "restant(s))" for t in differ))
        imposed = tuple(a.interne for a in result.affectations if a.impose)
        if tuple(result.impositions) != imposed:
            self.flag("FORMAT", None, None, "impositions diffère des affectations imposées")
        return True

    def vacants(self) -> dict[str, int]:
        used = Counter(
            a.terrain for a in self.result.affectations if a.terrain and a.surnombre is None
        )
        return {
            t.id: t.postes - used[t.id] for t in self.instance.terrains if t.postes > used[t.id]
        }

    def check_capacities(self) -> None:
        used = Counter(
            a.terrain for a in self.result.affectations if a.terrain and a.surnombre is None
        )
        for terrain in self.instance.terrains:
            if used[terrain.id] > terrain.postes:
                self.flag("R-POS-1", None, terrain.id,
                          f"{used[terrain.id]} internes pour {terrain.postes} postes")

    def check_each_affectation(self) -> None:
        instance = self.instance
        for a in self.result.affectations:
            interne = instance.interne(a.interne)
            if a.surnombre != interne.surnombre:
                self.flag("R-SUR-1", a.interne, a.terrain, "surnombre diffère de l'instance")
            if a.terrain is None:
                continue
            terrain = instance.terrain(a.terrain)
            if not takes_poste(interne) and terrain.ambulatoire:
                self.flag("R-SUR-4", a.interne, a.terrain, "surnombre dans un stage ambulatoire")
            expected = (
                None if not fills_maquette(interne)
                else slot_for(profile(instance.maquette_of(interne), interne), terrain.category_set)
            )
            if fills_maquette(interne) and expected is None:
                self.flag("R-ELI-2", a.interne, a.terrain, "non éligible à ce terrain")
            elif a.stage != expected:
                self.flag("R-ELI-1", a.interne, a.terrain,
                          f"remplit le stage {a.stage!r}, attendu {expected!r}")
            if a.impose and not is_imposable(interne, instance):
                self.flag("R-IMP-3", a.interne, a.terrain,
                          "imposé(e) sans être imposable (jamais un T1, ni un surnombre, ni un "
                          "couple)")

    # --- one round: priority, couples, fill ---------------------------------------------------

    def check_round(self, r: int) -> None:
        instance, result = self.instance, self.result
        name = instance.rounds[r].nom
        placed_before = {
            a.interne for a in result.affectations
            if a.terrain is not None and instance.terrain_round[a.terrain] < r
        }
        taken = Counter(
            a.terrain for a in result.affectations
            if a.terrain and a.surnombre is None and a.interne in placed_before
        )
        free = {t.id: t.postes - taken[t.id] for t in instance.terrains}
        rnd = Round(instance, r, free, placed_before)
        self.order = order = cached_round_order(instance, r)
        for interne_id, _ in rnd.left_out(placed_before):
            a = self.by_interne[interne_id]
            if self.in_round(a, rnd):
                self.flag("R-ROUND-2", interne_id, a.terrain,
                          f"placed in round {name!r}, whose own ranking does not list them")
        mandatory_taken = 0
        fill_start = rnd.fill.matching()
        done: set[str] = set()
        for interne_id in order:
            if interne_id in placed_before or interne_id in done:
                continue
            interne = instance.interne(interne_id)
            couple = instance.couple_of.get(interne_id)
            if couple is not None:
                partner = next(m for m in couple.internes if m != interne_id)
                if partner not in placed_before and rnd.takes_part(partner):
                    done.add(partner)
                    self.check_couple(couple, rnd)
                    for member in sorted(couple.internes, key=order.index):
                        mandatory_taken += self.advance(rnd, member)
                    continue
            self.check_turn(interne, rnd)
            mandatory_taken += self.advance(rnd, interne_id)
        if fill_start > mandatory_taken:
            self.flag("R-IMP-1", None, None,
                      f"tour {name!r} : {mandatory_taken} postes obligatoires pourvus, "
                      f"{fill_start} pouvaient l'être")

    def in_round(self, a: Affectation, rnd: Round) -> bool:
        return a.terrain is not None and rnd.in_round(a.terrain)

    def advance(self, rnd: Round, interne_id: str, *, end: bool = True) -> int:
        """Apply one interne's outcome in the round; 1 when it takes a mandatory poste."""
        a = self.by_interne[interne_id]
        interne = self.instance.interne(interne_id)
        if end:
            rnd.end_turn(interne)
        if not self.in_round(a, rnd):
            return 0
        rnd.place(interne, a.terrain)  # type: ignore[arg-type]
        mandatory = takes_poste(interne) and rnd.fill.class_of(a.terrain) is not None
        return 1 if mandatory else 0

    def check_turn(self, interne: Interne, rnd: Round) -> None:
        """No justified envy at this turn (R-ORD-1, R-VOE-1) and the fill kept (R-IMP), each
        question asked to the turn kernel."""
        instance = self.instance
        a = self.by_interne[interne.id]
        in_round = self.in_round(a, rnd)
        outcome = a.voeu if in_round and a.voeu is not None else float("inf")
        if in_round and a.voeu is not None and (
            a.voeu > len(interne.voeux) or interne.voeux[a.voeu - 1] != a.terrain
        ):
            self.flag("FORMAT", interne.id, a.terrain, f"le vœu {a.voeu} n'est pas ce terrain")
        for rank, terrain_id in rnd.wishes(interne):
            if rank >= outcome:
                break
            reason, _ = rnd.status(interne, instance.terrain(terrain_id))
            if reason is None:
                self.flag("R-ORD-1", interne.id, terrain_id,
                          f"le vœu {rank} était ouvert et éligible à son tour mais il ou elle "
                          f"a eu {a.terrain or 'rien'}")
        if in_round and rnd.fill.lowers(interne, a.terrain):
            self.flag("R-IMP-1", interne.id, a.terrain,
                      "ce choix a fait baisser le remplissage obligatoire")
        if in_round and a.voeu is None and rnd.fill.mask(interne):
            self.check_outside_list(interne, a, rnd)
        if not in_round and rnd.must_take(interne):
            self.flag("R-IMP-2", interne.id, None,
                      "n'a rien pris dans le tour alors qu'un poste obligatoire est resté vide")
        if in_round and takes_poste(interne):
            should_be_imposed = imposed(instance, interne, a.voeu, rnd.first_open(interne))
            if a.impose != should_be_imposed:
                self.flag("R-IMP-2", interne.id, a.terrain,
                          f"impose vaut {a.impose}, attendu {should_be_imposed}")
        if in_round and a.voeu is None and not a.impose:
            self.flag("R-VOE-1", interne.id, a.terrain,
                      "placé(e) hors de sa liste sans être imposé(e)")

    def check_outside_list(self, interne: Interne, a: Affectation, rnd: Round) -> None:
        """R-IMP Reading step 4: only when taking nothing lowers the fill, on the terrain the
        kernel's step 4 gives."""
        if not rnd.must_take(interne):
            self.flag("R-IMP-2", interne.id, a.terrain,
                      "imposé(e) hors de sa liste alors que ne rien prendre gardait le remplissage")
        if not rnd.fill.imposable_on(interne, a.terrain):  # type: ignore[arg-type]
            self.flag("R-IMP-2", interne.id, a.terrain,
                      "imposé(e) sur un terrain où on ne peut pas l'imposer (éligible seulement "
                      "par dérogation, ou pas du tout)")
        expected = rnd.outside_list(interne)
        if expected is not None and expected[0].id != a.terrain:
            self.flag("R-IMP-2", interne.id, a.terrain,
                      f"imposé(e) ici, mais {expected[0].id} vient avant dans l'ordre du fichier")

    def check_couple(self, couple, rnd: Round) -> None:
        """R-ORD-2 Reading: the first pair open to both, else each on their own list."""
        instance = self.instance
        a, b = (instance.interne(m) for m in couple.internes)
        fa, fb = self.by_interne[a.id], self.by_interne[b.id]
        pair, rank, _ = rnd.pair_turn(a, b, couple.voeux)
        if pair is not None:
            ta, tb = pair
            expected = (ta, own_rank(a, ta), tb, own_rank(b, tb))
            if (fa.terrain, fa.voeu, fb.terrain, fb.voeu) != expected:
                self.flag("R-ORD-2", a.id, None,
                          f"le couple devait prendre son vœu commun {rank} ({ta}, {tb})")
            return
        ordered = sorted((a, b), key=lambda i: self.order.index(i.id))
        self.check_turn(ordered[0], rnd)
        first = self.by_interne[ordered[0].id]
        self.advance(rnd, ordered[0].id, end=False)
        self.check_turn(ordered[1], rnd)
        if self.in_round(first, rnd):
            rnd.give_back(ordered[0], first.terrain)  # type: ignore[arg-type]
