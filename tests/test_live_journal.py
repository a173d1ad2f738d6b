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
    assert day.seq == 2 and len(day.placed) == 1  # the cut is recorded, nothing replayed
    day.by_procuration()
    day.close()
    records = read_journal(path, instance)[0]
    assert [r["seq"] for r in records] == [0, 1, 2, 3]
    assert records[2]["kind"] == "resume" and records[2]["cut_bytes"] == 21


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


# --- a journal nothing breaks (issue 15, item 1) -----------------------------------------------

import errno  # noqa: E402

from affectation.live import JournalLocked, JournalUnavailable  # noqa: E402


class Faults:
    """``os.write`` / ``os.fsync`` that fail on demand: ``half`` writes half the bytes first
    (a write cut by a full disk), the way a real ENOSPC leaves a partial line behind."""

    def __init__(self, monkeypatch, *, on: str, code: int, half: bool = False):
        self.real_write, self.real_fsync = os.write, os.fsync
        self.armed = True
        self.code = code
        self.half = half
        if on == "write":
            monkeypatch.setattr(os, "write", self.write)
        else:
            monkeypatch.setattr(os, "fsync", self.fsync)

    def write(self, fd, data):
        if not self.armed:
            return self.real_write(fd, data)
        if self.half and len(data) > 1:
            self.half = False
            return self.real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(self.code, os.strerror(self.code))

    def fsync(self, fd):
        if self.armed:
            raise OSError(self.code, os.strerror(self.code))
        return self.real_fsync(fd)


@pytest.mark.parametrize(("on", "code", "half"), [
    ("write", errno.ENOSPC, True), ("write", errno.ENOSPC, False), ("write", errno.EFBIG, True),
    ("write", errno.EIO, False), ("fsync", errno.ENOSPC, False), ("fsync", errno.EIO, False),
])
def test_a_failed_write_records_nothing_and_the_day_resumes(tmp_path, monkeypatch, on, code,
                                                            half):
    instance = example()
    path = tmp_path / "j.jsonl"
    day = ChoiceDay.open(instance, path)
    for _ in range(3):
        day.by_procuration()
    size, called, head = path.stat().st_size, day.current, day.head
    faults = Faults(monkeypatch, on=on, code=code, half=half)
    with pytest.raises(JournalUnavailable, match="journal indisponible"):
        day.by_procuration()
    assert path.stat().st_size == size  # nothing refused is written, not even half a line
    assert day.seq == 3 and day.current == called and day.head == head
    assert "indisponible" in day.unavailable
    for action in (day.by_procuration, day.pass_, day.undo):  # read-only until resumed
        with pytest.raises(JournalUnavailable):
            action()
    if on == "fsync":
        assert not day.recover() and "toujours indisponible" in day.unavailable  # still there
    faults.armed = False  # space is back
    assert day.recover() and day.unavailable is None
    day.by_procuration()
    assert day.seq == 4
    day.close()
    records, good = read_journal(path, instance)
    assert good == path.stat().st_size and [r["seq"] for r in records] == [0, 1, 2, 3, 4]
    assert ChoiceDay.resume(instance, path).result().same_allocation(day.result())


def test_a_failed_cut_back_is_finished_by_recover(tmp_path, monkeypatch):
    instance = example()
    path = tmp_path / "j.jsonl"
    day = ChoiceDay.open(instance, path)
    day.by_procuration()
    size = path.stat().st_size
    Faults(monkeypatch, on="write", code=errno.ENOSPC, half=True)
    real_truncate = os.ftruncate
    monkeypatch.setattr(os, "ftruncate", lambda fd, n: (_ for _ in ()).throw(OSError(errno.EIO,
                                                                                   "EIO")))
    with pytest.raises(JournalUnavailable, match="n'a pas pu être ramené"):
        day.by_procuration()
    assert path.stat().st_size > size  # half a line left: the disk would not let us cut it
    monkeypatch.setattr(os, "ftruncate", real_truncate)
    monkeypatch.undo()
    assert day.recover() and path.stat().st_size == size
    day.close()


def test_a_torn_line_left_by_a_failed_write_is_cut_at_restart(tmp_path):
    instance = example()
    path = tmp_path / "j.jsonl"
    day = ChoiceDay.open(instance, path)
    day.by_procuration()
    day.close()
    with open(path, "ab") as handle:  # what a crash mid-write leaves
        handle.write(b'{"seq":2,"time":"x","kind":"cho')
    day = ChoiceDay.resume(instance, path)
    assert day.journal.cut == 31 and day.entries[-1]["kind"] == "resume"
    day.close()


def test_a_second_writer_is_refused_naming_the_process(tmp_path):
    instance = example()
    path = tmp_path / "j.jsonl"
    day = ChoiceDay.open(instance, path)
    with pytest.raises(JournalLocked, match=f"processus \\({os.getpid()}\\)") as refused:
        ChoiceDay.resume(instance, path)
    assert refused.value.pid == os.getpid()
    day.by_procuration()
    day.close()
    ChoiceDay.resume(instance, path).close()  # released by close


def test_a_journal_held_by_another_process_names_its_pid(tmp_path):
    instance = example()
    path = tmp_path / "j.jsonl"
    ChoiceDay.open(instance, path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import fcntl, sys, time
            f = open({str(path)!r}, "rb")
            fcntl.flock(f, fcntl.LOCK_EX)
            print("held", flush=True)
            time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(JournalLocked) as refused:
            ChoiceDay.resume(instance, path)
        assert refused.value.pid == holder.pid and f"processus {holder.pid}" in str(refused.value)
    finally:
        holder.kill()
        holder.wait()
    assert path.read_bytes().count(b"\n") == 1  # the refused writer wrote nothing
