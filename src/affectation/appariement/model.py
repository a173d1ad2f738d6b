"""The appariement as data (RULES.md R-APP, FORMAT.md "Appariement"): frozen values only.

An :class:`Appariement` is one procedure of the phase de consolidation: terrains with their
postes and rankings (groups of ex-aequo DJ, best first), docteurs juniors with their wish
lists, the dated settings (:class:`Regles`). A :class:`Resultat` is what an engine returns.
Constructing an :class:`Appariement` runs every cross-reference check and lists *every*
problem in one :class:`AppariementError` (file, entity, key, in French).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from affectation.errors import InstanceError

__all__ = [
    "FORMAT",
    "RESULTAT_FORMAT",
    "Affectation",
    "Appariement",
    "AppariementError",
    "Decision",
    "DocteurJunior",
    "Regles",
    "Resultat",
    "Terrain",
]

FORMAT = "affectation-appariement/1"
RESULTAT_FORMAT = "affectation-appariement-resultat/1"


class AppariementError(InstanceError):
    """Bad appariement input: every problem found, each naming the file, entity and key.

    ``problems`` holds one :class:`InstanceError` per problem; ``str()`` lists them all, one a
    line, so the command line can print them and exit 2 with nothing written.
    """

    def __init__(self, problems: Sequence[InstanceError], file: str | None = None) -> None:
        placed = tuple(p.with_file(file) if file and not p.file else p for p in problems)
        self.problems = placed
        first = placed[0] if placed else InstanceError("entrée refusée")
        super().__init__(first.message, entity=first.entity, key=first.key, file=first.file)

    def with_file(self, file: str) -> AppariementError:
        return AppariementError(self.problems, file)

    def __str__(self) -> str:
        lines = [_french(p) for p in self.problems]
        if len(lines) == 1:
            return lines[0]
        return f"{len(lines)} problèmes :\n" + "\n".join(f"- {line}" for line in lines)

    def __reduce__(self):
        return (AppariementError, (self.problems,))


def _french(error: InstanceError) -> str:
    where = [part for part in (error.file, error.entity) if part]
    if error.key:
        where.append(f"clé « {error.key} »")
    return (" : ".join(where) + " : " if where else "") + error.message


def _tuple(value: Any) -> tuple:
    return tuple(value)


def _groups(value: Any) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(group) for group in value)


@attrs.frozen
class Regles:
    """The dated settings of R-APP (each a number of the texts of a given date)."""

    voeux_min: int = 2
    """R-APP-2: the fewest terrains a DJ lists (4 before June 2020)."""
    classement_min: float = 0.8
    """R-APP-3: the share of its applicants a terrain ranks at least."""
    tour2_part_min: float = 0.4
    """R-APP-5: the share of the vacant postes a round-2 list covers at least."""
    dj_par_msu: int | None = 2
    """R-APP-7: at most this many DJ per MSU (``None``: no limit)."""


@attrs.frozen
class Terrain:
    """A terrain agréé for the phase de consolidation and its ranking (R-APP-1, R-APP-3)."""

    id: str
    postes: int
    """Postes opened for DJ this semester (R-APP-1)."""
    classement: tuple[tuple[str, ...], ...] = attrs.field(default=(), converter=_groups)
    """Groups of DJ, best first; the DJ of one group are ex aequo (R-APP-4)."""
    nom: str = ""
    ville: str = ""
    zip: bool = False
    """In a zone d'intervention prioritaire (R-APP-7)."""
    msu: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """The MSU who supervise there (R-APP-7, ``dj_par_msu``)."""

    def label(self) -> str:
        """``id (nom, ville)`` for a person to read."""
        extra = ", ".join(part for part in (self.nom, self.ville) if part)
        return f"{self.id} ({extra})" if extra else self.id


@attrs.frozen
class DocteurJunior:
    """A docteur junior and their wish list (R-APP-1, R-APP-2, R-APP-6)."""

    id: str
    voeux: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Terrain ids, best first, no repeats."""
    nom: str = ""
    prenom: str = ""
    subdivision: bool = True
    """False for a DJ from another subdivision (R-APP-3's priority, the tie-break)."""
    reconduction: str | None = None
    """The first semester's terrain renewed for the second (R-APP-6)."""

    def label(self) -> str:
        """``id (Prénom Nom)`` for a person to read."""
        name = " ".join(part for part in (self.prenom, self.nom) if part)
        return f"{self.id} ({name})" if name else self.id


@attrs.frozen
class Appariement:
    """One appariement: terrains, DJ, settings; valid by construction (every problem listed).

    ``memo`` (not part of the value) keeps derived tables: the rank of each DJ in each
    terrain's ranking, each terrain's effective capacity.
    """

    terrains: tuple[Terrain, ...] = attrs.field(converter=_tuple)
    docteurs_juniors: tuple[DocteurJunior, ...] = attrs.field(converter=_tuple)
    regles: Regles = Regles()
    nom: str = ""
    tour: int = 1
    memo: dict = attrs.field(factory=dict, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        problems = check_references(self)
        if problems:
            raise AppariementError(problems)

    def __getstate__(self) -> dict:  # memo never pickled
        return {f.name: getattr(self, f.name) for f in attrs.fields(Appariement)
                if f.name != "memo"}

    def __setstate__(self, state: dict) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "memo", {})

    @property
    def terrain_by_id(self) -> dict[str, Terrain]:
        if "terrains" not in self.memo:
            self.memo["terrains"] = {t.id: t for t in self.terrains}
        return self.memo["terrains"]

    @property
    def dj_by_id(self) -> dict[str, DocteurJunior]:
        if "dj" not in self.memo:
            self.memo["dj"] = {d.id: d for d in self.docteurs_juniors}
        return self.memo["dj"]

    def groupe(self, terrain_id: str, dj_id: str) -> int | None:
        """The 0-based group of ``dj_id`` in the terrain's ranking, ``None`` if unranked."""
        table = self.memo.get("groupes")
        if table is None:
            table = {t.id: {d: g for g, group in enumerate(t.classement) for d in group}
                     for t in self.terrains}
            self.memo["groupes"] = table
        return table[terrain_id].get(dj_id)


def _msu_counts(instance: Appariement) -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for terrain in instance.terrains:
        for msu in terrain.msu:
            where.setdefault(msu, []).append(terrain.id)
    return where


def check_references(instance: Appariement) -> list[InstanceError]:
    """Every cross-reference problem of ``instance`` (an empty list when it is valid)."""
    problems: list[InstanceError] = []

    def bad(message: str, entity: str, key: str | None) -> None:
        problems.append(InstanceError(message, entity=entity, key=key))

    regles = instance.regles
    if not 0 <= regles.voeux_min <= 1000:
        bad("attendu un entier entre 0 et 1000", "regles", "voeux_min")
    for key in ("classement_min", "tour2_part_min"):
        value = getattr(regles, key)
        if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value <= 1):
            bad("attendu une part entre 0 et 1", "regles", key)
    if regles.dj_par_msu is not None and not 1 <= regles.dj_par_msu <= 100:
        bad("attendu un entier entre 1 et 100, ou null (pas de limite)", "regles", "dj_par_msu")
    if instance.tour not in (1, 2):
        bad("attendu 1 ou 2 (le tour 3 est une décision de l'ARS, pas un appariement)",
            "appariement", "tour")
    terrains: dict[str, int] = {}
    for index, terrain in enumerate(instance.terrains):
        entity = f"terrains[{index}] ({terrain.id})"
        if terrain.id in terrains:
            bad(f"identifiant en double (déjà terrains[{terrains[terrain.id]}])", entity, "id")
        terrains.setdefault(terrain.id, index)
        if terrain.postes < 0:
            bad(f"postes négatifs ({terrain.postes}) : attendu un entier ≥ 0", entity,
                "postes")
    djs: dict[str, int] = {}
    for index, dj in enumerate(instance.docteurs_juniors):
        entity = f"docteurs_juniors[{index}] ({dj.id})"
        if dj.id in djs:
            bad(f"identifiant en double (déjà docteurs_juniors[{djs[dj.id]}])", entity, "id")
        djs.setdefault(dj.id, index)
        seen: set[str] = set()
        for position, voeu in enumerate(dj.voeux, start=1):
            if voeu not in terrains:
                bad(f"vœu {position} : terrain inconnu « {voeu} »", entity, "voeux")
            if voeu in seen:
                bad(f"vœu {position} : le terrain « {voeu} » est déjà dans la liste", entity,
                    "voeux")
            seen.add(voeu)
        if dj.reconduction is not None and dj.reconduction not in terrains:
            bad(f"terrain de reconduction inconnu « {dj.reconduction} »", entity,
                "reconduction")
    renewing: dict[str, int] = {}
    for dj in instance.docteurs_juniors:
        if dj.reconduction in terrains:
            renewing[dj.reconduction] = renewing.get(dj.reconduction, 0) + 1
    for index, terrain in enumerate(instance.terrains):
        entity = f"terrains[{index}] ({terrain.id})"
        ranked: dict[str, int] = {}
        for group_index, group in enumerate(terrain.classement, start=1):
            if not group:
                bad(f"groupe {group_index} vide", entity, "classement")
            for dj_id in group:
                if dj_id not in djs:
                    bad(f"groupe {group_index} : DJ inconnu « {dj_id} »", entity,
                        "classement")
                elif dj_id in ranked:
                    bad(f"le DJ « {dj_id} » est classé deux fois (groupes "
                        f"{ranked[dj_id]} et {group_index})", entity, "classement")
                ranked.setdefault(dj_id, group_index)
        count = renewing.get(terrain.id, 0)
        if count and count > capacite(instance.regles, terrain):
            bad(f"{count} DJ reconduit(s) pour {capacite(instance.regles, terrain)} poste(s) "
                "(R-APP-6)", entity, "postes")
    for msu, where in sorted(_msu_counts(instance).items()):
        if len(where) > 1:
            bad(f"le MSU « {msu} » encadre sur plusieurs terrains ({', '.join(where)}) : un "
                "MSU appartient à un seul terrain de l'appariement (R-APP-7, lecture)",
                "terrains", "msu")
    return problems


def capacite(regles: Regles, terrain: Terrain) -> int:
    """R-APP-7: the postes a terrain may fill, ``postes`` capped at ``dj_par_msu`` per MSU
    when its MSU are named (a terrain without named MSU keeps its postes)."""
    if regles.dj_par_msu is None or not terrain.msu:
        return terrain.postes
    return min(terrain.postes, regles.dj_par_msu * len(terrain.msu))


@attrs.frozen
class Affectation:
    """One DJ's outcome: the terrain (``None``: unplaced), the wish rank, how it was decided."""

    dj: str
    terrain: str | None
    voeu: int | None = None
    """1-based position of ``terrain`` in the DJ's list (``None`` if outside it)."""
    reconduction: bool = False
    """Placed by renewal (R-APP-6), before the appariement."""
    tour: int | None = None
    """1 or 2 (R-APP-5), 3 for a decision of the ARS; ``None`` when unplaced."""


@attrs.frozen
class Decision:
    """A round-3 decision of the ARS (R-APP-5): recorded, not computed."""

    dj: str
    terrain: str
    motif: str = ""


@attrs.frozen
class Resultat:
    """What an engine returns (``affectation-appariement-resultat/1``)."""

    methode: str
    affectations: tuple[Affectation, ...] = attrs.field(converter=_tuple)
    vacants: Mapping[str, int] = attrs.field(factory=dict)
    """Terrain → postes left empty (effective capacity minus DJ placed)."""
    instables: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_groups)
    """Blocking pairs ``(dj, terrain)``; always empty for a correct engine."""
    tour: int = 1
    tirage: Mapping[str, Any] | None = None
    """The tie-break draw of deferred acceptance: ``{"graine": seed, "ordre": [dj ids]}``."""
    decisions: tuple[Decision, ...] = attrs.field(default=(), converter=_tuple)
    solveur: Mapping[str, Any] | None = None
    """CP-SAT's status, time, objective, optimality (``None`` for deferred acceptance)."""

    @property
    def taille(self) -> int:
        """DJ placed by the appariement (renewing DJ and round-3 decisions not counted)."""
        return sum(1 for a in self.affectations
                   if a.terrain is not None and not a.reconduction and a.tour in (1, 2))

    @property
    def somme_rangs(self) -> int:
        """Sum of the wish ranks of the DJ placed by the appariement (R-APP-4)."""
        return sum(a.voeu or 0 for a in self.affectations
                   if a.terrain is not None and not a.reconduction and a.tour in (1, 2))

    def terrain_of(self) -> dict[str, str | None]:
        """DJ id → terrain id (or ``None``)."""
        return {a.dj: a.terrain for a in self.affectations}

    def same_matching(self, other: Resultat) -> bool:
        """The same terrain for every DJ."""
        return self.terrain_of() == other.terrain_of()

    def vue(self, instance: Appariement | None = None) -> Any:
        """A table for Jupyter, in French: with ``instance``, each DJ's and terrain's name
        beside its id (:class:`~affectation.appariement.views.Vue`)."""
        from affectation.appariement.views import Vue, resultat_html

        return Vue(resultat_html(self, instance))

    def _repr_html_(self) -> str:
        from affectation.appariement.views import resultat_html

        return resultat_html(self)
