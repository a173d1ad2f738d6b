"""Several semesters ahead: careers through the DES, and the fewest postes that finish them.

:func:`plan_postes` is the exact aggregate model (CP-SAT over semesters on the cohorts'
maquette states); :func:`simulate` follows every interne semester after semester under
random wish lists, validation failures and surnombre requests, on any executor.
"""

from affectation.cohort.plan import (
    FORMAT,
    OBJECTIVES,
    Binding,
    Plan,
    PlanSemester,
    as_today,
    kinds_of,
    load_plan,
    plan_postes,
    save_plan,
    spread_postes,
)
from affectation.cohort.simulate import METRICS, CohortResult, simulate

# ``simulate`` is the function here; the module stays importable by its full name
# (``from affectation.cohort.simulate import ...``).

__all__ = [
    "FORMAT",
    "METRICS",
    "OBJECTIVES",
    "Binding",
    "CohortResult",
    "Plan",
    "PlanSemester",
    "as_today",
    "kinds_of",
    "load_plan",
    "plan_postes",
    "save_plan",
    "simulate",
    "spread_postes",
]
