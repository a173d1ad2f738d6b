"""affectation: the choix de stages of the DES de médecine générale, replayed and solved.

``solve(instance, method="serial" | "cpsat")`` is the engine registry: ``serial_dictatorship``
replays the choice day, ``"cpsat"`` is the exact CP-SAT model of the same rules; ``check``
verifies any result against the rules. Instances and results are read and written in the
FORMAT.md contract by ``load_instance`` and ``save_result``.
"""

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


def __getattr__(name: str):
    """Lazy exports: ``apparier`` (the appariement of the docteurs juniors, R-APP) is imported
    on first use, so ``import affectation`` does not load its engines."""
    if name == "apparier":
        from affectation.appariement import apparier

        return apparier
    raise AttributeError(f"module 'affectation' has no attribute {name!r}")

__version__ = "0.1.0"
