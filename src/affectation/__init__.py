"""affectation: the choix de stages of the DES de médecine générale, replayed and solved.

``serial_dictatorship`` replays the choice day (the baseline); ``solve`` is the exact CP-SAT
model of the same rules; ``check`` verifies any result against the rules. Instances and results
are read and written in the FORMAT.md contract by ``load_instance`` and ``save_result``.
"""

from affectation.errors import AffectationError, InstanceError
from affectation.model import Couple, Instance, Interne, Maquette, Round, Slot, Terrain
from affectation.result import Affectation, Result, SolveInfo, Turn
from affectation.serial import serial_dictatorship

__all__ = [
    "Affectation",
    "AffectationError",
    "Couple",
    "Instance",
    "InstanceError",
    "Interne",
    "Maquette",
    "Result",
    "Round",
    "Slot",
    "SolveInfo",
    "Terrain",
    "Turn",
    "serial_dictatorship",
]

__version__ = "0.1.0"
