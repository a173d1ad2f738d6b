"""Broken copies of the shipped example, and what ``affectation validate`` says of each.

Run ``python docs/examples/broken_files.py``: the messages quoted in docs/formats.md.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

from affectation.datasets import example
from affectation.io import save_csv, save_excel
from affectation.io.json_format import instance_to_dict


def main() -> None:
    instance = example()
    text = json.dumps(instance_to_dict(instance), ensure_ascii=False, indent=1)
    first = instance.terrains[0].id
    postes = f'"postes": {instance.terrains[0].postes}'  # the first terrain's, URG-LYON-CHU
    files: dict[str, str | None] = {
        "dup.json": text.replace(f'"id": "{first}",', f'"id": "{first}", "postes": -1,', 1),
        "nan.json": text.replace(postes, '"postes": NaN', 1),
        "big.json": text.replace(postes, '"postes": ' + "9" * 5000, 1),
        "bound.json": text.replace(postes, '"postes": 12000', 1),
        "surrogate.json": text.replace('"Lyon"', '"Lyon\\udc80"', 1),
        "deep.json": text.replace('"nom": "Exemple', '"x": ' + "[" * 50 + "]" * 50
                                  + ', "nom": "Exemple', 1),
    }
    doc = json.loads(text)
    doc["internes"][0].update(semestres_valides=8, semestres_effectues=8, rang=999)
    files["eli6.json"] = json.dumps(doc, ensure_ascii=False)
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        for name, content in files.items():
            Path(name).write_text(content, encoding="utf-8")
        save_csv(instance, "csv")
        for name in ("csv-enc", "csv-mixed", "csv-frac"):
            shutil.copytree("csv", name)
        lines = Path("csv/terrains.csv").read_bytes().split(b"\n")
        lines[3] = lines[3][:5] + b"\x81" + lines[3][5:]
        Path("csv-enc/terrains.csv").write_bytes(b"\n".join(lines))
        voeux = Path("csv-mixed/voeux.csv").read_text(encoding="utf-8").splitlines()
        voeux[4] = voeux[4].replace(",", ";")
        Path("csv-mixed/voeux.csv").write_text("\n".join(voeux) + "\n", encoding="utf-8")
        terrains = Path("csv-frac/terrains.csv")
        terrains.write_text(terrains.read_text(encoding="utf-8").replace(
            f",urgences,{instance.terrains[0].postes},", ',urgences,"2,5",', 1),
            encoding="utf-8")
        save_excel(instance, "x.xlsx")
        edits = {
            "formula.xlsx": lambda b: b["terrains"].__setitem__("E3", "=B2*2"),
            "merged.xlsx": lambda b: b["internes"].merge_cells("D3:E3"),
            "date.xlsx": lambda b: b["terrains"].__setitem__("E2", datetime.date(2025, 11, 2)),
            "long.xlsx": lambda b: b["terrains"].__setitem__("B2", "x" * 40000),
            "nosheet.xlsx": lambda b: b.remove(b["voeux"]),
        }
        for name, edit in edits.items():
            book = openpyxl.load_workbook("x.xlsx")
            edit(book)
            book.save(name)
        for name in [*files, "csv-enc", "csv-mixed", "csv-frac", *edits]:
            run = subprocess.run([sys.executable, "-m", "affectation", "validate", name],
                                 capture_output=True, text=True, check=False)
            print(run.stderr.strip() or run.stdout.strip(), f"  (exit {run.returncode})")


if __name__ == "__main__":
    main()
