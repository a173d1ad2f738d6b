"""The user guide's instance loads and its console blocks are what the commands print today
(issue 18, item 12: the guide's ``explain`` output older than the code)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from affectation.cli import main

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "user-guide.md"
CHECKED = ("validate", "solve", "explain")
"""The commands whose output the guide shows verbatim."""


def _guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def _sessions() -> list[tuple[list[str], str]]:
    """(arguments, expected output) of every ``$ affectation <checked> ...`` in the guide."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", _guide(), re.S):
        parts = re.split(r"^\$ ", block, flags=re.M)[1:]
        for part in parts:
            command, _, output = part.partition("\n")
            words = command.split("#")[0].split()
            if words[:1] == ["affectation"] and words[1] in CHECKED and words[2:3] == [
                    "choix.json"]:
                found.append((words[1:], output))
    return found


def _untimed(text: str) -> str:
    """``text`` with the solver's time masked: the one figure that depends on the machine's
    load (the guide shows 0.01 s; a busy machine prints 0.02)."""
    return re.sub(r"^(temps \(s\)\s+)\S+$", r"\1…", text, flags=re.M)


@pytest.fixture
def guide_folder(tmp_path, monkeypatch):
    instance = re.search(r"it as `choix.json`:\n\n```json\n(.*?)```", _guide(), re.S)
    assert instance is not None
    (tmp_path / "choix.json").write_text(instance.group(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AFFECTATION_LANG", raising=False)
    return tmp_path


def test_the_guide_shows_what_the_commands_print(guide_folder) -> None:
    sessions = _sessions()
    assert {args[0] for args, _ in sessions} == set(CHECKED)
    for args, expected in sessions:
        if args[0] != "solve" or expected.startswith("..."):  # solve writes result.json first
            continue
        run = CliRunner().invoke(main, args)
        assert run.exit_code == 0, run.output
        assert _untimed(run.output) == _untimed(expected), args
    for args, expected in sessions:
        run = CliRunner().invoke(main, args)
        assert run.exit_code == 0, run.output
        if expected.startswith("...\n"):  # an elided block: its lines but the timing
            shown = [line for line in expected.splitlines()[1:] if not line.startswith("temps")]
            assert all(line in run.output.splitlines() for line in shown), (args, run.output)
            continue
        assert _untimed(run.output) == _untimed(expected), args
