"""The journal loses nothing: hash chain, fsync before acknowledgement, kill -9 and resume
(issue 9, item 3)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import attrs
import pytest

from affectation.datasets import example
from affectation.io import save_instance
from affectation.live import ChoiceDay, JournalError, read_journal
from affectation.serial import serial_dictatorship


def test_records_are_chained_and_carry_the_instance(tmp_path):
    instance = example()
    path = tmp_path / "j.jsonl"
    day = ChoiceDay.open(instance, path, operator="ars")
    for _ in range(3):
        day.by_procuration(operator="ars")
    day.close()
    records, size = read_journal(path, instance)
    assert size == path.stat().st_size
    assert records[0]["kind"] == "open" and len(records[0]["instance_sha256"]) == 64
    assert [r["seq"] for r in records] == [0, 1, 2, 3]
    assert all(set(r) >= {"seq", "time", "kind", "interne", "terrain", "operator", "prev"}
               for r in records[1:])


def test_edited_line_breaks_the_chain_naming_the_line(tmp_path):
    instance = example()
    path = tmp_path / "j.jsonl"
    day = ChoiceDay.open(instance, path)
    for _ in range(3):
        day.by_procuration()
    day.close()
    lines = path.read_bytes().split(b"\n")
    record = json.loads(lines[2])
    record["terrain"] = "URG-LYON-CHU"
    lines[2] = json.dumps(record, separators=(",", ":")).encode()
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(JournalError, match="line 4: broken chain"):
        ChoiceDay.resume(instance, path)


def test_another_instance_is_refused(tmp_path):
    instance = example()
    path = tmp_path / "j.jsonl"
    ChoiceDay.open(instance, path).close()
    other = attrs.evolve(instance, terrains=[attrs.evolve(instance.terrains[0], postes=13),
                                             *instance.terrains[1:]])
    with pytest.raises(JournalError, match="line 1: this journal was opened on another"):
        ChoiceDay.resume(other, path)
    with pytest.raises(JournalError, match="already exists"):
        ChoiceDay.open(instance, path)


def test_torn_last_line_was_never_acknowledged(tmp_path):
    instance = example()
    path = tmp_path / "j.jsonl"
    day = ChoiceDay.open(instance, path)
    day.by_procuration()
    day.close()
    with open(path, "ab") as handle:
        handle.write(b'{"seq":2,"time":"2026')  # cut by a crash before its fsync returned
    day = ChoiceDay.resume(instance, path)
    assert day.seq == 1
    day.by_procuration()
    day.close()
    assert [r["seq"] for r in read_journal(path, instance)[0]] == [0, 1, 2]


def test_an_entry_that_does_not_replay_is_refused(tmp_path):
    instance = example()
    path = tmp_path / "j.jsonl"
    day = ChoiceDay.open(instance, path)
    day.by_procuration()
    day.close()
    # a valid chain whose entry names the wrong interne
    lines = path.read_bytes().split(b"\n")[:-1]
    records = [json.loads(x) for x in lines]
    records[1]["interne"] = "NOBODY"
    import hashlib
    out = [lines[0]]
    for record in records[1:]:
        record["prev"] = hashlib.sha256(out[-1]).hexdigest()
        out.append(json.dumps(record, separators=(",", ":")).encode())
    path.write_bytes(b"\n".join(out) + b"\n")
    with pytest.raises(JournalError, match="line 2: entry 1 does not replay"):
        ChoiceDay.resume(instance, path)


CHILD = textwrap.dedent("""
    import sys
    import time
    from affectation.io import load_instance
    from affectation.live import ChoiceDay
    instance = load_instance(sys.argv[1])
    try:
        day = ChoiceDay.resume(instance, sys.argv[2])
    except Exception:
        day = ChoiceDay.open(instance, sys.argv[2])
    while not day.done:
        # every 5th entry is undone and replayed: undos in the journal too
        record = day.by_procuration(operator="loop")
        print(record["seq"], flush=True)
        time.sleep(0.004)  # an operator's pace: a quiet machine cannot finish before the kill
        if record["seq"] % 5 == 0:
            print(day.undo(operator="loop")["seq"], flush=True)
    print("done", flush=True)
""")


def test_kill_at_random_points_loses_nothing(tmp_path):
    """kill -9 at random moments, resume, go on: every acknowledged entry is there, and the
    day ends with the serial engine's allocation."""
    instance = example()
    instance = attrs.evolve(instance, internes=instance.internes[:120],
                            couples=[c for c in instance.couples
                                     if all(m in {i.id for i in instance.internes[:120]}
                                            for m in c.internes)])
    source = tmp_path / "instance.json"
    save_instance(instance, source)
    journal = tmp_path / "j.jsonl"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    rng = random.Random(9)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    kills = 0
    progress: list[int] = []
    for _attempt in range(60):
        child = subprocess.Popen([sys.executable, str(script), str(source), str(journal)],
                                 stdout=subprocess.PIPE, text=True, env=env)
        first = child.stdout.readline()  # the child is writing entries: kill it mid-day
        time.sleep(rng.uniform(0.0, 0.1))  # at most about 25 entries per attempt
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        out = first + out
        acknowledged = [int(x) for x in out.split() if x.isdigit()]
        if journal.exists():
            records, _ = read_journal(journal, instance)
            seqs = {r["seq"] for r in records}
            assert set(acknowledged) <= seqs  # nothing acknowledged is lost
            # at most the one entry being acknowledged when the kill came is beyond them
            assert max(seqs) <= max(acknowledged, default=max(seqs)) + 1
        if "done" in out:
            break
        kills += 1
        progress.append(len(acknowledged))
    assert kills >= 3 and sum(1 for n in progress if n) >= 3  # killed mid-day, more than once
    day = ChoiceDay.resume(instance, journal)
    assert day.done
    assert day.result().same_allocation(serial_dictatorship(instance))
