"""The instance and result documents of FORMAT.md, as plain dicts.

:func:`instance_from_dict` checks every key and type itself *before* building the model, so
that a bad document is refused whole with an :class:`~affectation.errors.InstanceError` naming
the entity (``internes[3] (I004)``, ``terrains[0] (URG-CHU)``, ``couples[1]``, ``rounds[0]
(nom)``, ``maquette.stages[2] (saspas)`` or ``instance``), the key and what was expected
(FORMAT.md, Errors). Unknown keys are refused: the contract is strict.

The writers give keys in the order of FORMAT.md and write every optional key explicitly, so
that the same value always gives the same document.

Allowed extension of ``affectation-result/1``: a result solved by the exact model may carry a
last key ``"solveur"``, written only when :attr:`Result.info` is set::

    "solveur": {"status": "OPTIMAL", "variables": 1200,
                "constraints": 3400, "optimal": true, "conflict": []}

The loader accepts it and restores :class:`~affectation.result.SolveInfo`. The solve's wall
time is not written, so that the same instance and seed give the same bytes; a ``wall_time``
key is still read if present. The trace of the
choice day (:attr:`Result.trace`) is never written.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from affectation.errors import InstanceError
from affectation.io.bounds import INTEGER_BOUNDS, MAX_COUNT, MAX_ID_CHARS, MAX_SHOWN_CHARS
from affectation.langue import nombre
from affectation.maquettes import BUILTIN, builtin_maquette
from affectation.model import (
    ALL,
    Couple,
    Instance,
    Interne,
    Maquette,
    Round,
    Slot,
    Terrain,
)
from affectation.result import Affectation, Result, SolveInfo, SolveStatus

__all__ = [
    "AFFECTATION_KEYS",
    "COUPLE_KEYS",
    "INSTANCE_FORMAT",
    "INSTANCE_KEYS",
    "INTERNE_KEYS",
    "MAQUETTE_KEYS",
    "RESULT_FORMAT",
    "RESULT_KEYS",
    "ROUND_KEYS",
    "SLOT_KEYS",
    "SOLVEUR_KEYS",
    "TERRAIN_KEYS",
    "instance_from_dict",
    "instance_to_dict",
    "maquette_to_dict",
    "result_from_dict",
    "result_to_dict",
    "show",
]

INSTANCE_FORMAT = "affectation-instance/1"
RESULT_FORMAT = "affectation-result/1"

# Keys in the order of FORMAT.md; the writers follow it.
INSTANCE_KEYS = (
    "format", "nom", "maquette", "maquettes", "consolidation", "obligatoires", "date_choix",
    "interclassement", "rounds", "terrains", "internes", "couples",
)
TERRAIN_KEYS = ("id", "nom", "ville", "categories", "postes", "ambulatoire", "agrement")
INTERNE_KEYS = (
    "id", "rang", "effectif_promotion", "semestres_valides", "semestres_effectues", "valides",
    "impose", "voeux", "surnombre", "derogations", "dernier_de_son_semestre", "voeux_connus",
    "nom", "prenom", "maquette",
)
COUPLE_KEYS = ("internes", "voeux")
ROUND_KEYS = ("nom", "categories", "classement")
MAQUETTE_KEYS = ("nom", "semestres", "stages")
SLOT_KEYS = ("id", "categories", "semestres")
RESULT_KEYS = ("format", "methode", "ordre", "affectations", "vacants", "impositions", "solveur")
RESULT_EXTRA_KEYS = ("journal",)
"""Read, not written by ``result_to_dict``: ``journal``, the head of a live day's journal
(``{"seq", "tete"}``), added by ``affectation.live.verify.result_document``."""
AFFECTATION_KEYS = (
    "interne", "terrain", "stage", "voeu", "impose", "surnombre", "round", "raison",
)
SOLVEUR_KEYS = ("status", "wall_time", "variables", "constraints", "optimal", "conflict")

_ID_KEYS = frozenset({"id", "interne", "terrain", "stage", "round"})
"""String keys bounded by MAX_ID_CHARS (a ``nom`` is free text, bounded by MAX_CELL_CHARS)."""

_MISSING: Any = object()
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
T = TypeVar("T")


def show(value: Any) -> str:
    """A value as the user wrote it: JSON words for null and booleans, else Python's repr."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    if len(text) > MAX_SHOWN_CHARS:  # quote at most about 80 characters of a bad value
        text = f"{text[: MAX_SHOWN_CHARS - 1]}… ({nombre(len(text))} caractères)"
    return text


def _kind(value: Any) -> str:
    for kind, name in ((dict, "un objet"), (list, "une liste"), (str, "un texte")):
        if isinstance(value, kind):
            return name
    return show(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Fields:
    """One JSON object of the document, read key by key with typed checks.

    Every error names ``entity`` and the key. Unknown keys and missing required keys are
    refused on construction.
    """

    def __init__(
        self,
        doc: Any,
        entity: str,
        allowed: Sequence[str],
        required: Iterable[str] = (),
        *,
        id_key: str | None = None,
    ) -> None:
        if not isinstance(doc, dict):
            raise InstanceError(f"attendu un objet, reçu {_kind(doc)}", entity=entity)
        ident = doc.get(id_key) if id_key else None
        self.entity = f"{entity} ({ident})" if isinstance(ident, str) and ident else entity
        self.doc = doc
        for key in doc:
            if key not in allowed:
                close = difflib.get_close_matches(str(key)[:MAX_SHOWN_CHARS], allowed, n=1)
                hint = f" ; vouliez-vous dire {close[0]!r} ?" if close else ""
                shown = str(key) if len(str(key)) <= MAX_SHOWN_CHARS else (
                    f"{str(key)[: MAX_SHOWN_CHARS - 1]}…")
                raise self.error(
                    shown, f"clé inconnue (attendu l'une de : {', '.join(allowed)}){hint}"
                )
        for key in required:
            if key not in doc:
                raise self.error(key, "clé obligatoire absente")

    def error(self, key: str | None, message: str) -> InstanceError:
        return InstanceError(message, entity=self.entity, key=key)

    def has(self, key: str) -> bool:
        return key in self.doc

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        return self.doc.get(key, default)

    def integer(
        self, key: str, minimum: int, default: Any = _MISSING, *, nullable: bool = False
    ) -> Any:
        value = self.doc.get(key, default)
        if value is default or (nullable and value is None):
            return value
        if not _is_int(value) or value < minimum:
            raise self.error(key, f"attendu un entier >= {minimum}, reçu {show(value)}")
        maximum = INTEGER_BOUNDS.get(key, (minimum, None))[1]
        if maximum is not None and value > maximum:
            raise self.error(key, f"attendu un entier <= {nombre(maximum)} (docs/formats.md, "
                                  f"Bounds), reçu {show(value)}")
        return value

    def number(self, key: str) -> float:
        value = self.doc.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"attendu un nombre, reçu {show(value)}")
        return value

    def string(
        self, key: str, default: Any = _MISSING, *, nullable: bool = False, empty: bool = True
    ) -> Any:
        value = self.doc.get(key, default)
        if value is default or (nullable and value is None):
            return value
        if not isinstance(value, str) or (not empty and not value):
            what = "un texte" if empty else "un texte non vide"
            raise self.error(key, f"attendu {what}{' ou null' if nullable else ''}, "
                                  f"reçu {show(value)}")
        if key in _ID_KEYS and len(value) > MAX_ID_CHARS:
            raise self.error(key, f"un identifiant de {nombre(len(value))} caractères (au plus "
                                  f"{MAX_ID_CHARS}) : {show(value)}")
        self._text(key, value)
        return value

    def _text(self, key: str, value: str) -> None:
        """A text the CSV and Excel forms keep as is: no space around it (a spreadsheet
        trims it), not only spaces, no control character (a workbook cannot hold one)."""
        if value and value != value.strip():
            what = "fait seulement d'espaces" if not value.strip() else "entouré d'espaces"
            raise self.error(key, f"un texte {what} : {show(value)} (un tableur les enlève : "
                                  "les formes CSV et Excel liraient une autre valeur)")
        bad = _CONTROL.search(value)
        if bad:
            raise self.error(key, f"un caractère de contrôle (U+{ord(bad.group()):04X}) dans "
                                  f"{show(value)} : un classeur ne peut pas le contenir")

    def boolean(self, key: str, default: Any = _MISSING) -> Any:
        value = self.doc.get(key, default)
        if value is default:
            return value
        if not isinstance(value, bool):
            raise self.error(key, f"attendu true ou false, reçu {show(value)}")
        return value

    def choice(self, key: str, choices: Sequence[Any], default: Any = _MISSING) -> Any:
        value = self.doc.get(key, default)
        if value is default:
            return value
        if value not in choices or isinstance(value, bool):
            raise self.error(
                key, f"attendu l'une des valeurs {', '.join(show(c) for c in choices)}, reçu "
                f"{show(value)}"
            )
        return value

    def list(self, key: str, default: Any = _MISSING) -> Any:
        value = self.doc.get(key, default)
        if value is default:
            return value
        if not isinstance(value, list):
            raise self.error(key, f"attendu une liste, reçu {_kind(value)}")
        if len(value) > MAX_COUNT:
            raise self.error(key, f"une liste de {nombre(len(value))} éléments, plus que les "
                                  f"{nombre(MAX_COUNT)} acceptés (docs/formats.md, Bounds)")
        return value

    def strings(self, key: str, default: Any = _MISSING, *, non_empty: bool = False) -> Any:
        """A list of non-empty strings (ids, categories)."""
        value = self.list(key, default)
        if value is default:
            return value
        for item in value:
            if not isinstance(item, str) or not item:
                raise self.error(
                    key, f"attendu une liste de textes non vides, trouvé {show(item)}"
                )
            if len(item) > MAX_ID_CHARS:
                raise self.error(key, f"un identifiant de {nombre(len(item))} caractères (au plus "
                                      f"{MAX_ID_CHARS}) : {show(item)}")
            self._text(key, item)
        if non_empty and not value:
            raise self.error(key, "attendu une liste non vide")
        return value

    def categories(self, key: str, default: Any = _MISSING) -> Any:
        """A non-empty list of categories, or ``"*"`` for all of them."""
        value = self.doc.get(key, default)
        if value is default or value == ALL:
            return value
        if not isinstance(value, list) or not value:
            raise self.error(
                key, f"attendu une liste non vide de catégories ou \"*\", reçu {show(value)}"
            )
        return self.strings(key)

    def build(self, make: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``make(*args, **kwargs)``; a validator's error gets this entity (FORMAT.md, Errors)."""
        try:
            return make(*args, **kwargs)
        except InstanceError as err:
            if err.entity:
                raise
            raise InstanceError(err.message, entity=self.entity, key=err.key) from None


def _kwargs(**values: Any) -> dict[str, Any]:
    """Keyword arguments without the keys the document left out (the model's defaults)."""
    return {key: value for key, value in values.items() if value is not _MISSING}


# --- instance: reading ----------------------------------------------------------------------


def _maquette(value: Any, entity: str = "maquette") -> tuple[Maquette, str | None]:
    """A built-in name (R-MAQ-1, R-MAQ-2, R-MAQ-4) or an inline maquette (R-MAQ Reading)."""
    if isinstance(value, str) and entity == "maquette":
        return builtin_maquette(value), value
    if not isinstance(value, dict):
        raise InstanceError(
            f"attendu le nom d'une maquette livrée ou une maquette décrite (un objet), "
            f"reçu {_kind(value)}"
            if entity == "maquette" else
            f"attendu : une maquette décrite (objet nom, semestres, stages), reçu "
            f"{_kind(value)} ; une maquette livrée se nomme directement dans "
            "internes[].maquette",
            entity="instance" if entity == "maquette" else entity,
            key="maquette" if entity == "maquette" else None,
        )
    fields = _Fields(value, entity, MAQUETTE_KEYS, MAQUETTE_KEYS, id_key="nom")
    nom = fields.string("nom", empty=False)
    semestres = fields.integer("semestres", 1)
    stages = fields.list("stages")
    slots = []
    for index, stage in enumerate(stages):
        slot = _Fields(stage, f"{entity}.stages[{index}]", SLOT_KEYS, SLOT_KEYS, id_key="id")
        slot_id = slot.string("id", empty=False)
        categories = slot.categories("categories")
        window = slot.raw("semestres")
        if (
            not isinstance(window, list)
            or len(window) != 2
            or not all(_is_int(v) for v in window)
            or not 1 <= window[0] <= window[1] <= semestres
        ):
            raise slot.error(
                "semestres",
                f"attendu [premier, dernier] avec 1 <= premier <= dernier <= {semestres} "
                f"(les semestres de la maquette), reçu {show(window)}",
            )
        slots.append(slot.build(Slot, slot_id, categories, tuple(window)))
    return fields.build(Maquette, nom, semestres, slots), None


def _round(index: int, doc: Any) -> Round:
    fields = _Fields(doc, f"rounds[{index}]", ROUND_KEYS, ("nom", "categories"), id_key="nom")
    nom = fields.string("nom", empty=False)
    categories = fields.categories("categories")
    classement = fields.raw("classement", None)
    if classement is not None:
        if not isinstance(classement, dict):
            raise fields.error("classement", "attendu : un objet {\"id d'interne\": rang >= 1}, "
                                             f"trouvé {_kind(classement)}")
        for interne_id, rank in classement.items():
            if not _is_int(rank) or rank < 1:
                raise fields.error("classement", f"rang attendu : un entier >= 1, trouvé "
                                                 f"{show(rank)} pour {interne_id}")
    return fields.build(Round, nom, categories, classement)


def _terrain(index: int, doc: Any) -> Terrain:
    fields = _Fields(doc, f"terrains[{index}]", TERRAIN_KEYS, ("id", "categories", "postes"),
                     id_key="id")
    kwargs = _kwargs(
        id=fields.string("id", empty=False),
        categories=fields.strings("categories", non_empty=True),
        postes=fields.integer("postes", 0),
        ambulatoire=fields.boolean("ambulatoire", _MISSING),
        nom=fields.string("nom", _MISSING),
        ville=fields.string("ville", _MISSING),
        agrement=fields.integer("agrement", 0, _MISSING, nullable=True),
    )
    return fields.build(Terrain, **kwargs)


def _interne(index: int, doc: Any) -> Interne:
    fields = _Fields(doc, f"internes[{index}]", INTERNE_KEYS,
                     ("id", "rang", "semestres_valides", "voeux"), id_key="id")
    kwargs = _kwargs(
        id=fields.string("id", empty=False),
        rang=fields.integer("rang", 1),
        effectif_promotion=fields.integer("effectif_promotion", 1, _MISSING, nullable=True),
        semestres_valides=fields.integer("semestres_valides", 0),
        semestres_effectues=fields.integer("semestres_effectues", 0, _MISSING),
        valides=fields.strings("valides", _MISSING),
        impose=fields.boolean("impose", _MISSING),
        voeux=fields.strings("voeux"),
        surnombre=fields.choice("surnombre", (None, "validant", "non_validant"), _MISSING),
        derogations=fields.strings("derogations", _MISSING),
        dernier_de_son_semestre=fields.boolean("dernier_de_son_semestre", _MISSING),
        voeux_connus=fields.boolean("voeux_connus", _MISSING),
        nom=fields.string("nom", _MISSING, nullable=True),
        prenom=fields.string("prenom", _MISSING, nullable=True),
        maquette=fields.string("maquette", _MISSING, nullable=True, empty=False),
    )
    return fields.build(Interne, **kwargs)


def _couple(index: int, doc: Any) -> Couple:
    fields = _Fields(doc, f"couples[{index}]", COUPLE_KEYS, ("internes",))
    internes = fields.strings("internes")
    if len(internes) != 2:
        raise fields.error("internes",
                           f"attendu deux identifiants d'internes, reçu {len(internes)}")
    voeux = fields.list("voeux", [])
    for position, pair in enumerate(voeux):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(t, str) and t for t in pair)
        ):
            raise fields.error(
                "voeux",
                f"attendu des paires [terrain de {internes[0]}, terrain de {internes[1]}], "
                f"reçu {show(pair)} en position {position + 1}",
            )
    return fields.build(Couple, internes, voeux)


def _duplicates(kind: str, docs: list[Any]) -> list[InstanceError]:
    """Duplicate ids among the entries of ``kind``, blamed on the second one: said here when
    other problems keep the model (whose check says it otherwise) from being built."""
    first: dict[str, int] = {}
    found = []
    for index, entry in enumerate(docs):
        ident = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(ident, str):
            continue
        if ident in first:
            found.append(InstanceError(
                f"identifiant {ident!r} en double ({kind}[{first[ident]}] l'a déjà)",
                entity=f"{kind}[{index}] ({ident})", key="id"))
        first.setdefault(ident, index)
    return found


def instance_from_dict(doc: Mapping[str, Any]) -> Instance:
    """The instance of a FORMAT.md ``affectation-instance/1`` document.

    Raises :class:`InstanceError` naming the entity and the key on any breach of the contract:
    types and required keys here, references and the order tie in :class:`Instance`.
    """
    top = _Fields(doc, "instance", INSTANCE_KEYS, ("format", "maquette", "terrains", "internes"))
    fmt = top.raw("format")
    if fmt != INSTANCE_FORMAT:
        raise top.error("format", f"attendu {INSTANCE_FORMAT!r}, reçu {show(fmt)}")
    problems: list[InstanceError] = []

    def each(read: Callable[[int, Any], T], items: Any) -> list[T]:
        """``read`` on every item, every refusal kept (FORMAT.md, Errors: all at once)."""
        values = []
        for index, item in enumerate(items):
            try:
                values.append(read(index, item))
            except InstanceError as err:
                problems.extend(err.problems)
        return values

    def one(read: Callable[[], T], failed: Any = _MISSING) -> T | Any:
        try:
            return read()
        except InstanceError as err:
            problems.extend(err.problems)
            return failed

    maquette_read = one(lambda: _maquette(top.raw("maquette")))
    maquettes = one(lambda: top.list("maquettes", _MISSING))
    rounds = one(lambda: top.list("rounds", _MISSING))
    couples = one(lambda: top.list("couples", []), [])
    kwargs = _kwargs(
        nom=one(lambda: top.string("nom", _MISSING)),
        obligatoires=one(lambda: top.strings("obligatoires", _MISSING)),
        date_choix=one(lambda: top.string("date_choix", _MISSING, nullable=True)),
        interclassement=one(lambda: top.choice("interclassement", ("rang", "percentile"),
                                               _MISSING)),
        consolidation=one(lambda: top.choice("consolidation", ("appariement", "choix"),
                                             _MISSING)),
        maquettes=_MISSING if maquettes is _MISSING else each(
            lambda i, m: _maquette(m, f"maquettes[{i}]")[0], maquettes),
        rounds=_MISSING if rounds is _MISSING else each(_round, rounds),
    )
    terrains_doc = one(lambda: top.list("terrains"), [])
    internes_doc = one(lambda: top.list("internes"), [])
    terrains = each(_terrain, terrains_doc)
    internes = each(_interne, internes_doc)
    couple_values = each(_couple, couples)
    if problems:
        problems += _duplicates("terrains", terrains_doc)
        problems += _duplicates("internes", internes_doc)
        raise InstanceError.of(problems)
    maquette, maquette_name = maquette_read
    return top.build(
        Instance,
        maquette=maquette,
        terrains=terrains,
        internes=internes,
        couples=couple_values,
        maquette_name=maquette_name,
        **kwargs,
    )


# --- instance: writing ----------------------------------------------------------------------


def _categories_out(categories: frozenset[str] | None) -> list[str] | str:
    """``"*"`` for every category; else a sorted list (the model keeps a set)."""
    return ALL if categories is None else sorted(categories)


def maquette_to_dict(maquette: Maquette) -> dict[str, Any]:
    """An inline maquette (FORMAT.md, Instance)."""
    return {
        "nom": maquette.nom,
        "semestres": maquette.semestres,
        "stages": [
            {"id": s.id, "categories": _categories_out(s.categories), "semestres": list(s.window)}
            for s in maquette.stages
        ],
    }


def instance_to_dict(instance: Instance) -> dict[str, Any]:
    """The FORMAT.md document of ``instance``, every key explicit, in the order of FORMAT.md.

    The maquette is written by name when it is the built-in one the instance was loaded by,
    else inline.
    """
    name = instance.maquette_name
    maquette: str | dict[str, Any] = (
        name if name is not None and BUILTIN.get(name) == instance.maquette
        else maquette_to_dict(instance.maquette)
    )
    doc: dict[str, Any] = {
        "format": INSTANCE_FORMAT,
        "nom": instance.nom,
        "maquette": maquette,
        "obligatoires": list(instance.obligatoires),
    }
    if instance.maquettes:  # keys added after /1 are written only when set
        doc["maquettes"] = [maquette_to_dict(m) for m in instance.maquettes]
    if instance.consolidation != "appariement":
        doc["consolidation"] = instance.consolidation
    if instance.date_choix is not None:
        doc["date_choix"] = instance.date_choix
    return doc | {
        "interclassement": instance.interclassement,
        "rounds": [_round_to_dict(r) for r in instance.rounds],
        "terrains": [_terrain_to_dict(t) for t in instance.terrains],
        "internes": [_interne_to_dict(i) for i in instance.internes],
        "couples": [
            {"internes": list(c.internes), "voeux": [list(pair) for pair in c.voeux]}
            for c in instance.couples
        ],
    }


def _round_to_dict(round_: Round) -> dict[str, Any]:
    doc: dict[str, Any] = {"nom": round_.nom, "categories": _categories_out(round_.categories)}
    if round_.classement is not None:
        doc["classement"] = dict(round_.classement)
    return doc


def _terrain_to_dict(terrain: Terrain) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": terrain.id,
        "nom": terrain.nom,
        "ville": terrain.ville,
        "categories": list(terrain.categories),
        "postes": terrain.postes,
        "ambulatoire": terrain.ambulatoire,
    }
    if terrain.agrement is not None:
        doc["agrement"] = terrain.agrement
    return doc


def _interne_to_dict(interne: Interne) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": interne.id, "rang": interne.rang}
    if interne.effectif_promotion is not None:
        doc["effectif_promotion"] = interne.effectif_promotion
    doc.update(
        semestres_valides=interne.semestres_valides,
        semestres_effectues=interne.semestres_effectues,
        valides=list(interne.valides),
        impose=interne.impose,
        voeux=list(interne.voeux),
        surnombre=interne.surnombre,
        derogations=list(interne.derogations),
        dernier_de_son_semestre=interne.dernier_de_son_semestre,
    )
    if not interne.voeux_connus:
        doc["voeux_connus"] = False
    for key in ("nom", "prenom", "maquette"):
        if getattr(interne, key) is not None:
            doc[key] = getattr(interne, key)
    return doc


# --- result ---------------------------------------------------------------------------------


def result_to_dict(result: Result) -> dict[str, Any]:
    """The FORMAT.md ``affectation-result/1`` document of ``result`` (trace not written)."""
    doc: dict[str, Any] = {
        "format": RESULT_FORMAT,
        "methode": result.methode,
        "ordre": list(result.ordre),
        "affectations": [
            {
                "interne": a.interne,
                "terrain": a.terrain,
                "stage": a.stage,
                "voeu": a.voeu,
                "impose": a.impose,
                "surnombre": a.surnombre,
                "round": a.round,
                "raison": a.raison,
            }
            for a in result.affectations
        ],
        "vacants": dict(result.vacants_items),
        "impositions": list(result.impositions),
    }
    if result.info is not None and result.methode != "serial":  # the serial engine has no model
        info = result.info
        doc["solveur"] = {
            "status": info.status.value,
            "variables": info.variables,
            "constraints": info.constraints,
            "optimal": info.optimal,
            "conflict": list(info.conflict),
        }
    return doc


def _affectation(index: int, doc: Any) -> Affectation:
    fields = _Fields(doc, f"affectations[{index}]", AFFECTATION_KEYS, AFFECTATION_KEYS,
                     id_key="interne")
    return Affectation(
        interne=fields.string("interne", empty=False),
        terrain=fields.string("terrain", nullable=True, empty=False),
        stage=fields.string("stage", nullable=True, empty=False),
        voeu=fields.integer("voeu", 1, nullable=True),
        impose=fields.boolean("impose"),
        surnombre=fields.choice("surnombre", (None, "validant", "non_validant")),
        round=fields.string("round", nullable=True, empty=False),
        raison=fields.string("raison", nullable=True),
    )


def _solve_info(doc: Any) -> SolveInfo:
    required = [key for key in SOLVEUR_KEYS if key != "wall_time"]
    fields = _Fields(doc, "result.solveur", SOLVEUR_KEYS, required)
    return SolveInfo(
        status=fields.choice("status", tuple(s.value for s in SolveStatus)),
        wall_time=fields.number("wall_time") if fields.has("wall_time") else 0.0,
        variables=fields.integer("variables", 0),
        constraints=fields.integer("constraints", 0),
        optimal=fields.boolean("optimal"),
        conflict=fields.strings("conflict"),
    )


def result_from_dict(doc: Mapping[str, Any]) -> Result:
    """The result of a FORMAT.md ``affectation-result/1`` document (``solveur`` optional).

    Checks types, and that ``affectations`` has one entry per interne of ``ordre`` in that
    order; errors are :class:`InstanceError` naming ``result`` or ``affectations[i] (id)``.
    """
    top = _Fields(doc, "result", RESULT_KEYS + RESULT_EXTRA_KEYS, RESULT_KEYS[:-1])
    fmt = top.raw("format")
    if fmt != RESULT_FORMAT:
        raise top.error("format", f"attendu {RESULT_FORMAT!r}, reçu {show(fmt)}")
    methode = top.string("methode", empty=False)
    ordre = top.strings("ordre")
    affectations = [_affectation(i, a) for i, a in enumerate(top.list("affectations"))]
    if [a.interne for a in affectations] != ordre:
        raise top.error("affectations", "attendu une entrée par interne de 'ordre', dans cet ordre")
    vacants = top.raw("vacants")
    if not isinstance(vacants, dict) or not all(
        _is_int(n) and n >= 1 for n in vacants.values()
    ):
        raise top.error(
            "vacants", f"attendu un objet terrain -> entier >= 1, reçu {show(vacants)}"
        )
    impositions = top.strings("impositions")
    unknown = [i for i in impositions if i not in ordre]
    if unknown:
        raise top.error("impositions", f"l'interne {unknown[0]!r} n'est pas dans 'ordre'")
    info = _solve_info(top.raw("solveur")) if top.has("solveur") else None
    if top.has("journal"):
        head = top.raw("journal")
        if not (isinstance(head, dict) and set(head) == {"seq", "tete"} and _is_int(head["seq"])
                and isinstance(head["tete"], str) and len(head["tete"]) == 64):
            raise top.error("journal", "attendu {\"seq\": N, \"tete\": \"<64 hex>\"} (la "
                            f"tête du journal de la journée), reçu {show(head)}")
    return Result(
        methode=methode,
        ordre=ordre,
        affectations=affectations,
        vacants_items=tuple(vacants.items()),
        impositions=impositions,
        info=info,
    )

