"""affectation: the choix de stages of the DES de médecine générale, replayed and solved.

``solve(instance, method="serial" | "cpsat")`` is the engine registry: ``serial_dictatorship``
replays the choice day, ``"cpsat"`` is the exact CP-SAT model of the same rules; ``check``
verifies any result against the rules. Instances and results are read and written in the
FORMAT.md contract by ``load_instance`` and ``save_result``. Imported on first use (so that
``import affectation`` stays fast): ``audit``, ``prechoix``, ``plan_postes``, ``simulate``,
``ChoiceDay``, ``apparier`` and ``example`` (the bundled example instance).
"""

import sys
import types

from affectation.check import Violation, check
from affectation.engines import METHODS, solve
from affectation.errors import AffectationError, InstanceError, NoAllocation
from affectation.io import load_instance, load_result, save_instance, save_result
from affectation.io._files import OutputError
from affectation.model import Couple, Instance, Interne, Maquette, Round, Slot, Terrain
from affectation.result import Affectation, Result, SolveInfo, SolveStatus, Turn
from affectation.serial import serial_dictatorship

__all__ = [
    "METHODS",
    "Affectation",
    "AffectationError",
    "Couple",
    "Instance",
    "InstanceError",
    "Interne",
    "Maquette",
    "NoAllocation",
    "OutputError",
    "Result",
    "Round",
    "Slot",
    "SolveInfo",
    "SolveStatus",
    "Terrain",
    "Turn",
    "Violation",
    "check",
    "load_instance",
    "load_result",
    "save_instance",
    "save_result",
    "serial_dictatorship",
    "solve",
]


_LAZY = {
    "apparier": ("affectation.appariement", "apparier"),
    "audit": ("affectation.audit", "audit"),
    "prechoix": ("affectation.prechoix", "prechoix"),
    "plan_postes": ("affectation.cohort.plan", "plan_postes"),
    "simulate": ("affectation.cohort.simulate", "simulate"),
    "ChoiceDay": ("affectation.live.day", "ChoiceDay"),
    "example": ("affectation.datasets", "example"),
}
"""Names imported on first use, so that ``import affectation`` does not load the audit, the
pré-choix, the cohort planner and simulator, the live day or the appariement engines."""


def __getattr__(name: str):
    """Lazy exports (:data:`_LAZY`): imported on first use, then kept in the module."""
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'affectation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


class _Package(types.ModuleType):
    """The package, keeping ``affectation.audit`` and ``affectation.prechoix`` the functions:
    importing the submodules of the same names would otherwise replace them by the modules
    (which stay importable by their full names, ``from affectation.audit import ...``)."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__version__ = "0.1.0"
