"""The exact CP-SAT model of the choice day (``methode = "cpsat"``)."""

from affectation.cpsat.builder import GROUPS, ModelBuilder, Variables
from affectation.cpsat.solve import solve, to_result

__all__ = ["GROUPS", "ModelBuilder", "Variables", "solve", "to_result"]
