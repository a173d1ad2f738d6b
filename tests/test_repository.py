"""The tree itself: no merge left half done."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT = {".py", ".md", ".ipynb", ".toml", ".json", ".html", ".cfg", ".txt", ""}


def test_no_merge_conflict_markers() -> None:
    """A conflict marker committed by mistake (in a doc or a module) fails the suite."""
    found = []
    for folder in ("src", "tests", "docs", "benchmarks", "notebooks", ".ci"):
        for path in (ROOT / folder).rglob("*"):
            if not path.is_file() or path.suffix not in TEXT or "__pycache__" in path.parts \
                    or any(part.endswith(".egg-info") for part in path.parts):
                continue
            for number, line in enumerate(
                path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1
            ):
                if line.startswith(("<<<<<<< ", ">>>>>>> ")):
                    found.append(f"{path.relative_to(ROOT)}:{number}")
    for name in ("README.md", "Makefile", "pyproject.toml"):
        text = (ROOT / name).read_text(encoding="utf-8")
        found += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), start=1)
                  if line.startswith(("<<<<<<< ", ">>>>>>> "))]
    assert found == []
