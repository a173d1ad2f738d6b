"""The notebooks run and show what they say (notebooks/check_outputs.py, issue 18 item 8).

Each notebook is one test, so that pytest-xdist runs them beside the rest of the suite (the
longest, 04, takes about half a minute in its own kernel); ``python notebooks/check_outputs.py
notebooks/*.ipynb`` is the same check from the command line."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.long

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
_spec = importlib.util.spec_from_file_location("check_outputs", NOTEBOOKS / "check_outputs.py")
check_outputs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_outputs)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_the_notebook_runs_and_shows_what_it_says(path):
    found, _seconds = check_outputs.problems(path)
    assert found == [], f"{path.name}: " + "; ".join(found)
