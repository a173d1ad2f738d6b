"""The appariement of the docteurs juniors (RULES.md R-APP): data apart from algorithms.

- data: :mod:`.model` (frozen values), :mod:`.io` (JSON, CSV folder, workbook; results);
- rules: :mod:`.rules` (acceptability, weak stability, tie-break, capacities, round 2);
- engines: :mod:`.deferred` (``acceptation-differee``), :mod:`.exact` (``cpsat``), behind the
  registry :func:`apparier`;
- around them: :mod:`.check` (knows neither engine), :mod:`.rounds`, :mod:`.audit`,
  :mod:`.explain`, :mod:`.whatif`, :mod:`.generate`.
"""

from __future__ import annotations

from typing import Any

from affectation.appariement.model import (
    Affectation,
    Appariement,
    AppariementError,
    Decision,
    DocteurJunior,
    Regles,
    Resultat,
    Terrain,
)

__all__ = [
    "METHODES",
    "Affectation",
    "Appariement",
    "AppariementError",
    "Decision",
    "DocteurJunior",
    "Regles",
    "Resultat",
    "Terrain",
    "apparier",
]

METHODES: tuple[str, ...] = ("acceptation-differee", "cpsat")
"""The engine names, in the order the command line lists them."""

_OPTIONS = {
    "acceptation-differee": frozenset({"seed"}),
    "cpsat": frozenset({"seed", "time_limit", "workers", "imposer", "explain", "reduire"}),
}


def apparier(instance: Appariement, method: str = "acceptation-differee",
             **options: Any) -> Resultat:
    """Match ``instance`` with the engine named ``method`` (see :data:`METHODES`).

    ``acceptation-differee`` takes ``seed`` (the tie-break draw); ``cpsat`` takes ``seed``,
    ``time_limit``, ``workers``, ``imposer`` and ``explain``, and raises
    :class:`~affectation.appariement.exact.NoMatching` when it finds no matching. An unknown
    method is a :class:`ValueError`, an option the engine does not take a :class:`TypeError`.
    """
    if method not in _OPTIONS:
        raise ValueError(f"méthode : attendu {' ou '.join(METHODES)}, reçu {method!r}")
    unknown = sorted(set(options) - _OPTIONS[method])
    if unknown:
        raise TypeError(f"le moteur {method} ne prend pas l'option {', '.join(unknown)}")
    if method == "cpsat":
        from affectation.appariement.exact import solve_exact

        return solve_exact(instance, **options)
    from affectation.appariement.deferred import deferred_acceptance

    return deferred_acceptance(instance, **options)
