"""Run the notebooks and check that what they show is shown (issue 18, item 8).

``python notebooks/check_outputs.py notebooks/*.ipynb`` executes each notebook in a fresh
kernel (as ``pytest --nbmake`` does) and fails when a cell raises, when a figure is printed as
text (``<Figure size 1040x260 with 4 Axes>``) instead of drawn, when a warning such as
``TqdmWarning: IProgress not found`` reaches the output, when a result's table is made without
its instance (its rang and terrain columns would be ``<NA>``), when a notebook that draws
has no image, or when an HTML display a notebook shows (the live day, the appariement's results)
is missing. The notebooks are kept without outputs in git; this is what ``make test`` runs
on them.
"""

from __future__ import annotations

import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

TEXT_FIGURE = re.compile(r"<Figure size \d+x\d+ with \d+ Axes>")
RESULT_FRAME = re.compile(r"\b(?:serial|exact|result)\w*\.to_frame\(\)")
"""A :class:`~affectation.result.Result` turned into a table without its instance."""
DRAWS = {"02-what-if-urgences", "03-prechoix", "04-plan-the-openings"}
"""Notebooks that draw figures: each must show at least one image."""
SHOWS = {"01-replay-choice-day": ("<h4>Journée de choix",),
         "05-appariement": ("<h4>Audit de l&#x27;appariement", "<h4>Appariement (cpsat)",
                            "<h4>Base et variante", "<h4>Pré-appariement")}
"""HTML displays (``_repr_html_``) a notebook must render: the live day, the appariement's."""


def problems(path: Path) -> tuple[list[str], float]:
    """What is wrong with the rendered ``path`` (empty when fine), and the seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    found, images, pages = [], 0, ""
    try:
        NotebookClient(notebook, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as error:  # reported with the others, the next notebooks run
        found.append(f"a cell raised {error.ename}: {error.evalue}"[:300])
    seconds = time.perf_counter() - started
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "code" and RESULT_FRAME.search(cell.source):
            found.append(f"cell {number}: Result.to_frame() without the instance (columns of "
                         "<NA>): pass it, to_frame(instance)")
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            images += "image/png" in data or "image/svg+xml" in data
            pages += data.get("text/html", "")
            text = output.get("text", "") + data.get("text/plain", "")
            if "image/png" not in data and TEXT_FIGURE.search(text):
                found.append(f"cell {number}: a figure printed as text ({text.strip()[:60]})")
            if output.get("name") == "stderr" and "Warning" in text:
                found.append(f"cell {number}: a warning in the output ({text.strip()[:80]})")
    if path.stem in DRAWS and not images:
        found.append("no figure drawn")
    found += [f"no HTML display {heading!r}" for heading in SHOWS.get(path.stem, ())
              if heading not in pages]
    return found, seconds


def main(paths: list[str]) -> int:
    """Check every notebook, two kernels at a time (each notebook runs in its own kernel
    process, so two share this machine's two cores), reported in the order given."""
    failed = 0
    workers = max(1, min(2, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        checked = list(pool.map(problems, map(Path, paths)))
    for name, (found, seconds) in zip(paths, checked, strict=True):
        path = Path(name)
        status = "ok" if not found else f"{len(found)} problem(s)"
        print(f"{path.name}: {status} ({seconds:.0f} s)")
        for problem in found:
            print(f"  - {problem}")
        failed += bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
