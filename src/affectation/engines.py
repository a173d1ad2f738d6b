"""The engine registry: one ``solve(instance, method=...)`` for every caller.

The command line, :func:`~affectation.compare.compare`, :func:`~affectation.sweep.sweep` and
the tools built on them choose an engine by name through :func:`solve`; :data:`METHODS` is
the one list of names. Both engines follow the same rules and return the same
:class:`~affectation.result.Result` (RULES.md, R-IMP Consequence):

- ``"serial"``: the choice day replayed turn by turn
  (:func:`~affectation.serial.serial_dictatorship`);
- ``"cpsat"``: the exact CP-SAT model (:func:`affectation.cpsat.solve`).

Every engine accepts the common options ``time_limit``, ``workers`` and ``seed`` (the serial
engine, deterministic and without a search, has no use for them and ignores them), so that a
caller can pass the same options whatever the method. Any other option is the engine's own;
an option the chosen engine does not know is a :class:`TypeError` naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from affectation.model import Instance
from affectation.result import Result

__all__ = ["COMMON_OPTIONS", "ENGINES", "METHODS", "Engine", "solve"]

COMMON_OPTIONS = frozenset({"time_limit", "workers", "seed"})
"""Options every engine accepts (ignored by an engine that has no search)."""


def _serial(instance: Instance, **options: Any) -> Result:
    from affectation.serial import serial_dictatorship

    return serial_dictatorship(instance)


def _cpsat(instance: Instance, **options: Any) -> Result:
    from affectation.cpsat import solve as cpsat_solve

    return cpsat_solve(instance, **options)


@attrs.frozen
class Engine:
    """One engine of the registry: its name, what it is, and the options it takes."""

    name: str
    run: Callable[..., Result]
    description: str
    options: frozenset[str] = frozenset()
    """Options of its own, beyond :data:`COMMON_OPTIONS`."""
    uses_common: bool = False
    """Whether it reads ``time_limit``, ``workers`` and ``seed`` (else they are dropped)."""


ENGINES: dict[str, Engine] = {
    "serial": Engine(
        "serial", _serial, "the choice day replayed turn by turn (serial dictatorship)"
    ),
    "cpsat": Engine(
        "cpsat",
        _cpsat,
        "the exact CP-SAT model of the same rules",
        options=frozenset({"hint", "postes", "forced", "must_place", "explain", "presolve",
                           "linearization_level", "step4"}),
        uses_common=True,
    ),
}

METHODS: tuple[str, ...] = tuple(ENGINES)
"""The engine names, in the order the command line lists them."""


def solve(instance: Instance, method: str = "serial", **options: Any) -> Result:
    """Allocate ``instance`` with the engine named ``method`` (see :data:`METHODS`).

    Raises :class:`ValueError` for an unknown method, :class:`TypeError` for an option the
    engine does not take, and :class:`~affectation.errors.NoAllocation` when the engine finds
    no allocation (CP-SAT with user constraints in conflict, or a time limit too short).
    """
    engine = ENGINES.get(method)
    if engine is None:
        raise ValueError(f"méthode : attendu {' ou '.join(METHODS)}, reçu {method!r}")
    unknown = sorted(set(options) - COMMON_OPTIONS - engine.options)
    if unknown:
        raise TypeError(
            f"le moteur {method} ne prend pas l'option {', '.join(unknown)} "
            f"(ses options : {', '.join(sorted(COMMON_OPTIONS | engine.options))})"
        )
    if not engine.uses_common:
        options = {k: v for k, v in options.items() if k not in COMMON_OPTIONS}
    return engine.run(instance, **options)
