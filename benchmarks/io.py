"""The file contract at scale: reading instances and writing results, JSON, CSV and Excel.

Generated instances (``affectation.datasets.generate``, seed 0, wish lists of 40) of 1,500 and
5,000 internes are written once as a JSON file, a CSV folder and an ``.xlsx`` workbook; then,
each in a fresh process (``_common.measure``, best of 3): ``load_instance`` of each form (every
check of the contract, strict JSON, the workbook read cell by cell), and ``save_result`` of the
serial result as ``.json``, ``.csv``, a CSV folder and ``.xlsx``. No target was set by the
issue; the figures say what an office waits for.

    .venv/bin/python benchmarks/io.py            # about a minute on 2 cores
    .venv/bin/python benchmarks/io.py --sizes 1500
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _common import git_commit, machine, measure, print_table, write_json

from affectation import load_instance, save_instance, save_result, serial_dictatorship
from affectation.datasets import generate
from affectation.io import save_csv


def load(path: str) -> int:
    return len(load_instance(path).internes)


def save(source: str, out: str) -> int:
    instance = load_instance(source)
    result = serial_dictatorship(instance)
    save_result(result, out, instance=instance)
    return len(result.affectations)


def solve_only(source: str) -> int:
    instance = load_instance(source)
    return len(serial_dictatorship(instance).affectations)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1500, 5000])
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "io.json"))
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in options.sizes:
            instance = generate(n, seed=0, wish_length=40)
            base = Path(tmp) / str(n)
            base.mkdir()
            save_instance(instance, base / "choix.json")
            save_csv(instance, base / "csv")
            save_instance(instance, base / "choix.xlsx")
            voeux = sum(len(i.voeux) for i in instance.internes)
            for form, path in (("json", base / "choix.json"), ("csv folder", base / "csv"),
                               ("xlsx", base / "choix.xlsx")):
                size = (sum(p.stat().st_size for p in path.iterdir()) if path.is_dir()
                        else path.stat().st_size)
                m = measure(load, str(path), repeat=3)
                rows.append({"internes": n, "voeux": voeux, "case": f"load {form}",
                             "mib_on_disk": size / 2**20, "seconds": m.seconds,
                             "peak_mib": m.peak_mib})
            reference = measure(solve_only, str(base / "choix.json"), repeat=3)
            for out in ("r.json", "r.csv", "r", "r.xlsx"):
                m = measure(save, str(base / "choix.json"), str(base / out), repeat=3)
                rows.append({"internes": n, "voeux": voeux, "case": f"save_result {out}",
                             "mib_on_disk": None,
                             "seconds": max(m.seconds - reference.seconds, 0.0),
                             "peak_mib": m.peak_mib})
    print_table(rows)
    print("(save_result: time of load + solve + save minus load + solve, best of 3 each)")
    payload = {"machine": machine(), "commit": git_commit(), "rows": rows}
    print(f"written {write_json(options.output, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
