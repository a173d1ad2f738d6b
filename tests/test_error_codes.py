"""Every error a person can meet: a French message and a stable code (issue 18, item 3)."""

from __future__ import annotations

import importlib

import pytest
from click.testing import CliRunner

from affectation.errors import AffectationError, NoAllocation
from affectation.result import SolveInfo, SolveStatus

MODULES = ("affectation.errors", "affectation.cli", "affectation.compare",
           "affectation.io._files", "affectation.live.day", "affectation.live.journal",
           "affectation.live.startup", "affectation.web", "affectation.appariement.exact",
           "affectation.appariement.model")

CODES = {
    "AffectationError": "E-AFFECTATION",
    "InstanceError": "E-ENTREE",
    "AppariementError": "E-ENTREE",
    "ScenarioError": "E-SCENARIO",
    "SweepError": "E-TIRAGES",
    "NoAllocation": "E-AUCUNE-AFFECTATION",
    "CompareError": "E-COMPARAISON",
    "CliError": "E-COMMANDE",
    "OutputError": "E-SORTIE",
    "ChoiceRefused": "E-CHOIX-REFUSE",
    "JournalError": "E-JOURNAL",
    "JournalLocked": "E-JOURNAL-VERROUILLE",
    "JournalUnavailable": "E-JOURNAL-INDISPONIBLE",
    "StartupError": "E-DEMARRAGE",
    "TokenError": "E-JETON",
    "NoMatching": "E-AUCUN-APPARIEMENT",
    "CampaignError": "E-CAMPAGNE",
    "ProcurationsError": "E-PROCURATIONS",
}
"""The codes are a contract: a program tests them instead of the words."""


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_library_error_has_its_stable_code() -> None:
    for module in MODULES:
        importlib.import_module(module)
    errors = {cls.__name__: cls.code for cls in [AffectationError,
                                                  *_subclasses(AffectationError)]
              if cls.__module__.startswith("affectation.")}
    assert errors == CODES


def _info(status: SolveStatus, conflict: tuple[str, ...] = ()) -> SolveInfo:
    return SolveInfo(status=status, wall_time=0.0, variables=1, constraints=1, optimal=False,
                     conflict=conflict)


def test_no_allocation_speaks_french_and_english_on_request() -> None:
    from affectation.cli import error_text
    from affectation.langue import set_langue

    error = NoAllocation(_info(SolveStatus.INFEASIBLE, ("user", "capacity")))
    assert str(error) == ("aucune affectation trouvée (statut du solveur INFEASIBLE) ; groupes "
                          "de règles en conflit : user, capacity")
    assert error.code == "E-AUCUNE-AFFECTATION"
    assert error_text(error) == str(error)
    assert "essayez une limite de temps plus longue" in str(NoAllocation(
        _info(SolveStatus.UNKNOWN)))
    set_langue("en")
    try:
        assert error_text(error) == ("no allocation found (solver status INFEASIBLE); rule "
                                     "groups in conflict: user, capacity")
    finally:
        set_langue(None)


def test_scenario_plan_and_compare_errors_are_french(tmp_path) -> None:
    from affectation import datasets
    from affectation.cli import main
    from affectation.cohort import load_plan
    from affectation.errors import InstanceError, ScenarioError
    from affectation.io import save_instance
    from affectation.scenarios import parse_change

    with pytest.raises(ScenarioError) as caught:
        parse_change("urgences:0")
    assert str(caught.value) == "illisible 'urgences:0' : 0 poste ne change rien"
    assert caught.value.code == "E-SCENARIO"
    plan = tmp_path / "plan.json"
    plan.write_text('{"format": "affectation-plan/1", "semestres": []}', encoding="utf-8")
    with pytest.raises(InstanceError) as caught:
        load_plan(plan)
    assert str(caught.value) == (f"{plan} : plan : clé « semestres » : attendu une liste non "
                                 "vide de semestres")
    assert caught.value.code == "E-ENTREE"
    save_instance(datasets.example(), tmp_path / "instance.json")
    run = CliRunner().invoke(main, ["whatif", str(tmp_path / "instance.json"), "--open",
                                    "urgences:1@NOPE"])
    assert run.exit_code == 2
    assert "terrain inconnu 'NOPE'" in run.output and run.output.startswith("erreur : ")


def test_numbers_in_french_messages_group_thousands_with_a_no_break_space():
    from affectation.langue import nombre

    assert [nombre(n) for n in (7, 1000, 10002, 1_000_000)] == [
        "7", "1\u00a0000", "10\u00a0002", "1\u00a0000\u00a0000"]
    assert nombre(10002).encode("cp1252") == b"10\xa0002"  # an office's console can print it
