"""How the loaders take malformed or unusual files: accepted, refused, traceback, wrong acceptance.

The mutations of ``tests/test_fuzz_loaders.py`` (JSON: values, keys, duplicated keys, NaN,
surrogates, truncations, bytes, Latin-1, nesting; CSV folders: cells, separators, lines,
headers, encodings, bytes, unknown files, the French Excel dialect), applied to generated
instances (``affectation.datasets.generate``, 4 to 12 internes, seeds 0..) with a seeded
``random.Random`` per file, through ``load_instance``. A *traceback* is any exception other
than ``InstanceError``; a *wrong acceptance* is a file the contract must refuse (a duplicated
key, ``NaN``, a truncated document, an unknown key or table…) that loaded; a *wrong refusal*
a CSV folder rewritten as French Excel writes it (``;``, Windows-1252, CRLF) that was refused.

    .venv/bin/python benchmarks/fuzz_loaders.py --files 3000
    # the code before issue 8, for comparison (its source unpacked in /tmp/before):
    git archive e0bb1e0 src | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before/src .venv/bin/python benchmarks/fuzz_loaders.py --files 3000 --no-json
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _common import git_commit, machine, print_table, write_json
from test_fuzz_loaders import CSV_KINDS, JSON_KINDS, _mutate_csv, _mutate_json

import affectation
from affectation.datasets import generate
from affectation.errors import InstanceError
from affectation.io import load_instance, save_csv
from affectation.io.json_format import instance_to_dict


def outcome(path: Path, must_refuse: bool) -> str:
    try:
        load_instance(path)
    except InstanceError:
        return "refused"
    except Exception as error:  # what the contract forbids: a traceback
        return f"traceback ({type(error).__name__})"
    return "wrong acceptance" if must_refuse else "accepted"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--no-json", action="store_true", help="print only, write no JSON")
    parser.add_argument("--output",
                        default=str(Path(__file__).parent / "results" / "fuzz_loaders.json"))
    options = parser.parse_args()
    bases = [generate(4 + k % 9, seed=k, wish_length=5) for k in range(20)]
    counts: dict[str, collections.Counter] = {"json": collections.Counter(),
                                             "csv": collections.Counter()}
    examples: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(options.files):
            rng = random.Random(n)
            instance = bases[n % len(bases)]
            folder = Path(tmp) / str(n)
            folder.mkdir()
            if n % 2 == 0:
                kind = JSON_KINDS[rng.randrange(len(JSON_KINDS))]
                doc = instance_to_dict(instance)
                text = json.dumps(doc, ensure_ascii=False, indent=1)
                data, must_refuse = _mutate_json(doc, text, rng, kind)
                path = folder / "choix.json"
                path.write_bytes(data)
                form = "json"
            else:
                kind = CSV_KINDS[rng.randrange(len(CSV_KINDS))]
                path = folder / "choix"
                save_csv(instance, path)
                must_refuse = _mutate_csv(path, rng, kind)
                form = "csv"
            result = outcome(path, must_refuse)
            if form == "csv" and kind == "french" and result == "refused":
                result = "wrong refusal"  # the folder as French Excel writes it must load
            counts[form][result] += 1
            if result not in ("accepted", "refused"):
                examples.setdefault(f"{form} {kind}: {result}", str(n))
    rows = []
    for form, counter in counts.items():
        total = sum(counter.values())
        bad = sum(v for k, v in counter.items() if k not in ("accepted", "refused"))
        rows.append({"files": form, "n": total, "accepted": counter["accepted"],
                     "refused": counter["refused"], "tracebacks": sum(
                         v for k, v in counter.items() if k.startswith("traceback")),
                     "wrong_acceptances": counter["wrong acceptance"],
                     "wrong_refusals": counter["wrong refusal"],
                     "bad_share": bad / total if total else 0.0})
    print(f"affectation from {Path(affectation.__file__).parent}")
    print_table(rows)
    for what, n in sorted(examples.items()):
        print(f"  first {what}: file {n}")
    if not options.no_json:
        payload = {"machine": machine(), "commit": git_commit(), "rows": rows,
                   "first_bad": examples}
        print(f"written {write_json(options.output, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
