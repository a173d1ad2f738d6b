"""The engine registry: one ``affectation.solve`` for every caller (engines issue, item 2)."""

from __future__ import annotations

import pytest

import affectation
from affectation import Instance, Interne, Terrain
from affectation.engines import ENGINES, METHODS, solve
from affectation.errors import (
    AffectationError,
    NoAllocation,
    ScenarioError,
    SweepError,
)
from affectation.maquettes import MG_2023
from affectation.result import SolveStatus


def small() -> Instance:
    urg = Terrain("URG", ["urgences"], 1)
    n1 = Terrain("N1", ["praticien_n1"], 1)
    return Instance(MG_2023, [urg, n1], [Interne("a", 1, 0, ["URG", "N1"]),
                                         Interne("b", 2, 0, ["URG", "N1"])])


def test_one_list_of_methods() -> None:
    assert METHODS == tuple(ENGINES) == ("serial", "cpsat")
    from affectation import cli, compare, sweep

    assert cli.METHODS is METHODS and compare.METHODS is METHODS and sweep.METHODS is METHODS


@pytest.mark.parametrize("method", METHODS)
def test_every_engine_through_the_registry(method: str) -> None:
    """Same allocation whatever the method; common options accepted by every engine."""
    instance = small()
    result = solve(instance, method, time_limit=10, workers=1, seed=0)
    assert result.methode == method
    assert result.info is not None and result.info.status == SolveStatus.OPTIMAL
    assert result.same_allocation(solve(instance, "serial"))
    assert affectation.solve is solve


def test_unknown_method_and_option() -> None:
    with pytest.raises(ValueError, match="méthode : attendu serial ou cpsat, reçu 'glpk'"):
        solve(small(), "glpk")
    with pytest.raises(TypeError, match="le moteur serial ne prend pas l'option hint"):
        solve(small(), "serial", hint=True)
    with pytest.raises(TypeError, match="pas l'option frobnicate"):
        solve(small(), "cpsat", frobnicate=1)


def test_no_allocation_is_an_error_never_an_empty_result() -> None:
    with pytest.raises(NoAllocation) as caught:
        solve(small(), "cpsat", forced={"b": "URG"})
    assert caught.value.info.status == SolveStatus.INFEASIBLE
    assert not caught.value.info.status.has_allocation
    assert isinstance(caught.value, AffectationError)
    import pickle

    again = pickle.loads(pickle.dumps(caught.value))
    assert again.info == caught.value.info


def test_typed_errors_of_scenarios_and_sweeps() -> None:
    from affectation.scenarios import parse_change
    from affectation.sweep import sweep

    with pytest.raises(ScenarioError):
        parse_change("urgences")
    with pytest.raises(SweepError):
        sweep(small(), n_samples=0)
    assert issubclass(ScenarioError, AffectationError) and issubclass(SweepError, ValueError)
