"""Compare scenarios: the base and each what-if solved by the same engine, side by side.

:func:`compare` applies each :class:`~affectation.scenarios.Scenario` to the base instance
(never changing it), solves every instance with the serial engine or the exact CP-SAT model
(both follow the same rules, R-IMP Consequence), and returns a :class:`Comparison`:

- ``table``: one row per scenario, the base first (headline figures and vacant postes per
  category);
- ``moves``: interne by interne, who ends up somewhere else than in the base, and whether
  that is a gain or a loss for them.

Deterministic: the serial engine has no randomness and CP-SAT is run with a fixed seed.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from affectation.engines import METHODS, solve
from affectation.errors import AffectationError, NoAllocation, ScenarioError
from affectation.metrics import label
from affectation.model import CATEGORIES, Instance
from affectation.result import Affectation, Result
from affectation.scenarios import BASE, Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CHANGES", "METHODS", "CompareError", "Comparison", "compare", "records"]

CHANGES: dict[str, str] = {
    "gagne": "placed in both, on a terrain the interne listed higher than in the base",
    "perd": "placed in both, on a terrain the interne listed lower than in the base "
    "(an imposition outside the list counts as the lowest)",
    "déplacé": "placed in both, on another terrain at the same wish rank",
    "placé": "no poste in the base, a poste in the scenario",
    "sans poste": "a poste in the base, none in the scenario",
    "ajouté": "an interne only in the scenario (ChangePromotion)",
    "retiré": "an interne only in the base (ChangePromotion)",
}
"""The values of ``moves["change"]`` and what they mean."""

HEADLINE = (
    "internes",
    "postes",
    "impositions",
    "sans_poste",
    "premier_voeu",
    "top3",
    "rang_median",
    "postes_vacants",
)
"""The columns of the table after ``scenario``, before the ``vacants_<category>`` ones."""

MOVE_COLUMNS = (
    "scenario",
    "interne",
    "terrain_base",
    "terrain_scenario",
    "voeu_base",
    "voeu_scenario",
    "change",
)


class CompareError(AffectationError):
    """A scenario could not be compared: the engine found no allocation for it."""

    code = "E-COMPARAISON"


def compare(
    base: Instance,
    *scenarios: Scenario,
    method: str = "serial",
    time_limit: float | None = None,
    workers: int = 1,
    seed: int = 0,
) -> Comparison:
    """Solve ``base`` and every scenario applied to it with one engine, and compare them.

    ``method`` is ``"serial"`` (:func:`~affectation.serial.serial_dictatorship`) or
    ``"cpsat"`` (:func:`affectation.cpsat.solve` with ``time_limit``, ``workers``, ``seed``).
    The base row is always first and named ``base``; passing :data:`BASE` itself adds
    nothing. Scenario names must be unique. Every scenario is applied before anything is
    solved, so a change that does not fit the instance fails fast (``ValueError``).
    Raises :class:`CompareError` when CP-SAT finds no allocation (time limit too short).
    """
    if method not in METHODS:
        raise ScenarioError(f"méthode : attendu {' ou '.join(METHODS)}, reçu {method!r}")
    chosen = [s for s in scenarios if s != BASE]
    names = [BASE.name] + [s.name for s in chosen]
    for name in names:
        if names.count(name) > 1:
            raise ScenarioError(f"deux scénarios s'appellent {name!r} ; chaque nom doit être "
                                "unique")
    instances = {BASE.name: base}
    for scenario in chosen:
        instances[scenario.name] = scenario.apply(base)
    results: dict[str, Result] = {}
    for name, instance in instances.items():
        try:
            result = solve(instance, method, time_limit=time_limit, workers=workers, seed=seed)
        except NoAllocation as error:
            raise CompareError(f"scénario {name!r} : le moteur {method} n'a trouvé aucune "
                               f"affectation ({error.info.status})") from error
        results[name] = result
    return Comparison(
        method=method,
        scenarios=(BASE, *chosen),
        instances=instances,
        results=results,
        table=_table(instances, results),
        moves=_moves(instances, results),
    )


# --- the table ------------------------------------------------------------------------------


def _categories(instances: Iterable[Instance]) -> list[str]:
    """First categories of the terrains: built-in vocabulary order, then the others sorted."""
    present = {t.categories[0] for instance in instances for t in instance.terrains}
    known = [c for c in CATEGORIES if c in present]
    return known + sorted(present - set(known))


def _table(instances: dict[str, Instance], results: dict[str, Result]) -> pd.DataFrame:
    import pandas as pd

    categories = _categories(instances.values())
    rows = []
    for name, result in results.items():
        instance = instances[name]
        s = result.summary()
        vacants = dict.fromkeys(categories, 0)
        for terrain_id, count in result.vacants_items:
            vacants[instance.terrain(terrain_id).categories[0]] += count
        rows.append({
            "scenario": name,
            "internes": s["internes"],
            "postes": sum(t.postes for t in instance.terrains),
            "impositions": s["impositions"],
            "sans_poste": s["sans_poste"],
            "premier_voeu": float(s["premier_voeu"]),
            "top3": float(s["top3"]),
            "rang_median": float(s["rang_median"]),
            "postes_vacants": s["postes_vacants"],
            **{f"vacants_{c}": v for c, v in vacants.items()},
        })
    columns = ["scenario", *HEADLINE, *(f"vacants_{c}" for c in categories)]
    return pd.DataFrame(rows, columns=columns)


# --- the moves ------------------------------------------------------------------------------


def _worse(rank: int | None) -> float:
    return math.inf if rank is None else rank


def _change(instance: Instance, before: Affectation, after: Affectation) -> str:
    """``gagne``/``perd``/``déplacé``/``placé``/``sans poste`` for an interne on both sides.

    Better or worse is read in the interne's base wish list when it holds both terrains (a
    scenario's list is the base list or the base list with terrains removed, so the order is
    the same); otherwise, for a couple's joint wishes, from the reported ``voeu`` numbers.
    """
    if before.terrain is None:
        return "placé"
    if after.terrain is None:
        return "sans poste"
    voeux = instance.interne(before.interne).voeux
    if before.terrain in voeux and after.terrain in voeux:
        old, new = voeux.index(before.terrain), voeux.index(after.terrain)
    else:
        old, new = _worse(before.voeu), _worse(after.voeu)
    return "gagne" if new < old else "perd" if new > old else "déplacé"


def _moves(instances: dict[str, Instance], results: dict[str, Result]) -> pd.DataFrame:
    import pandas as pd

    base = results[BASE.name]
    rows: list[dict[str, Any]] = []
    for name, result in results.items():
        if name == BASE.name:
            continue
        before, after = base.by_interne, result.by_interne
        ids = [*base.ordre, *(i for i in result.ordre if i not in before)]
        for interne_id in ids:
            old, new = before.get(interne_id), after.get(interne_id)
            if old is not None and new is not None and old.terrain == new.terrain:
                continue
            if old is None:
                change = "ajouté"
            elif new is None:
                change = "retiré"
            else:
                change = _change(instances[BASE.name], old, new)
            rows.append({
                "scenario": name,
                "interne": interne_id,
                "terrain_base": old.terrain if old else None,
                "terrain_scenario": new.terrain if new else None,
                "voeu_base": old.voeu if old else None,
                "voeu_scenario": new.voeu if new else None,
                "change": change,
            })
    frame = pd.DataFrame(rows, columns=list(MOVE_COLUMNS))
    for column in ("voeu_base", "voeu_scenario"):
        frame[column] = frame[column].astype("Int64")
    for column in ("terrain_base", "terrain_scenario"):
        frame[column] = frame[column].astype(object)
    return frame


# --- the comparison -------------------------------------------------------------------------

_SHARES = ("premier_voeu", "top3")


def _cell(column: str, value: Any) -> str:
    if column in _SHARES:
        return f"{value:.1%}"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:g}"
    return str(value)


def _delta(column: str, value: Any, base: Any) -> str:
    if isinstance(value, float) and (math.isnan(value) or math.isnan(base)):
        return ""
    if value == base:
        return ""
    if column in _SHARES:
        return f" ({(value - base) * 100:+.1f} pt)"
    return f" ({value - base:+g})"


def _plain(value: Any) -> Any:
    """A JSON-ready Python value from a pandas/numpy cell (NaN and NA become None)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready dicts (numpy scalars unwrapped, NaN/NA as None)."""
    return [
        {column: _plain(value) for column, value in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


@attrs.frozen(eq=False)
class Comparison:
    """The base and its scenarios solved by one engine (``method``), side by side."""

    method: str
    scenarios: tuple[Scenario, ...]
    """:data:`BASE` first, then the scenarios compared, in the order given."""
    instances: dict[str, Instance]
    """The instance of each scenario, by name."""
    results: dict[str, Result]
    """The result of each scenario, by name (``"base"`` for the base)."""
    table: pd.DataFrame
    """One row per scenario: ``scenario``, ``internes``, ``postes``, ``impositions``,
    ``sans_poste``, ``premier_voeu`` and ``top3`` (shares of all internes),
    ``rang_median`` (median wish rank of the placed), ``postes_vacants``, then
    ``vacants_<category>``: vacant postes of the terrains whose *first* category is that one
    (a terrain agréé for several counts once, for the first in its file order)."""
    moves: pd.DataFrame
    """Internes whose terrain differs from the base, or who exist on one side only:
    ``scenario``, ``interne``, ``terrain_base``, ``terrain_scenario``, ``voeu_base``,
    ``voeu_scenario``, ``change`` (a key of :data:`CHANGES`)."""

    def row(self, name: str) -> dict[str, Any]:
        """The table row of one scenario as a dict."""
        rows = records(self.table[self.table["scenario"] == name])
        if not rows:
            raise KeyError(name)
        return rows[0]

    def counts(self) -> dict[str, dict[str, int]]:
        """Moves per scenario and kind of change (kinds that occur, in :data:`CHANGES` order)."""
        pairs = list(zip(self.moves["scenario"], self.moves["change"], strict=True))
        return {
            s.name: {
                kind: n for kind in CHANGES if (n := pairs.count((s.name, kind)))
            }
            for s in self.scenarios[1:]
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready report: method, scenarios and their changes, table and moves."""
        return {
            "methode": self.method,
            "scenarios": [
                {"nom": s.name, "changes": [c.label for c in s.changes]} for s in self.scenarios
            ],
            "table": records(self.table),
            "moves": records(self.moves),
        }

    def __str__(self) -> str:
        """The table transposed (one column per scenario, with the change from the base),
        then the number of moves of each kind."""
        rows = records(self.table)
        base = rows[0]
        header = ["", *(r["scenario"] for r in rows)]
        lines = [header]
        for column in self.table.columns[1:]:
            cells = [label(column)]
            for record in rows:
                value, ref = record[column], base[column]
                value = math.nan if value is None else value
                ref = math.nan if ref is None else ref
                cells.append(_cell(column, value) + (
                    "" if record is base else _delta(column, value, ref)
                ))
            lines.append(cells)
        widths = [max(len(line[k]) for line in lines) for k in range(len(header))]
        text = [
            "  ".join(
                cell.ljust(width) if k == 0 else cell.rjust(width)
                for k, (cell, width) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
            for line in lines
        ]
        text.append("")
        for name, kinds in self.counts().items():
            summary = ", ".join(f"{n} {kind}" for kind, n in kinds.items()) or "aucun"
            text.append(f"mouvements ({name}) : {summary}")
        return "\n".join(text)

    def __repr__(self) -> str:
        moves = len(self.moves)
        names = ", ".join(s.name for s in self.scenarios[1:])
        return (f"<Comparison {self.method}: base + {len(self.scenarios) - 1} scenario(s) "
                f"({_cut(names)}), {moves} move(s)>")

    def _repr_html_(self) -> str:
        """Jupyter: the table, then the first 20 moves."""
        shown = self.moves.head(20)
        title = (f"<h4>Mouvements par rapport à la base : {len(shown)} premiers sur "
                 f"{len(self.moves)}</h4>" if len(self.moves)
                 else "<h4>Mouvements par rapport à la base : aucun</h4>")
        table = self.table.to_html(
            index=False,
            formatters={c: (lambda v: f"{v:.1%}") for c in _SHARES},
            na_rep="-",
        )
        return (
            f"<h4>Comparaison ({html.escape(self.method)})</h4>"
            + table
            + title
            + (shown.to_html(index=False, na_rep="-") if len(shown) else "")
        )
