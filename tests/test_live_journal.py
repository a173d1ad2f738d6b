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
    with pytest.raises(JournalError, match="ligne 4: chaîne rompue"):
        ChoiceDay.resume(instance, path)


def test_another_instance_is_refused(tmp_path):
    instance = example()
    path = tmp_path / "j.jsonl"
    ChoiceDay.open(instance, path).close()
    other = attrs.evolve(instance, terrains=[attrs.evolve(instance.terrains[0], postes=13),
                                             *instance.terrains[1:]])
    with pytest.raises(JournalError, match="ligne 1: ce journal a été ouvert sur une autre"):
        ChoiceDay.resume(other, path)
    with pytest.raises(JournalError, match="existe déjà"):
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
    with pytest.raises(JournalError, match="ligne 2: l'entrée 1 ne se rejoue pas"):
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


@pytest.mark.long
def test_kill_at_random_points_loses_nothing(tmp_path):
    """kill -9 at random moments, resume, go on: every acknowledged entry is there, and the
    day ends with the serial engine's allocation."""
    instance = example()
    kept = {i.id for i in instance.internes[:60]}
    instance = attrs.evolve(instance, internes=instance.internes[:60],
                            couples=[c for c in instance.couples
                                     if all(m in kept for m in c.internes)])
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


# --- a record anyone can verify (issue 15, item 4) ---------------------------------------------

from affectation.live.journal import key_id, line_hash, mac_ok  # noqa: E402
from affectation.live.verify import journal_head, parse_head, verify_journal  # noqa: E402

KEY = b"0123456789abcdef0123456789abcdef"


def keyed_day(tmp_path, entries=4, key=KEY):
    instance = example()
    path = tmp_path / "j.jsonl"
    day = ChoiceDay.open(instance, path, operator="ARS", key=key)
    heads = [day.head]
    for _ in range(entries):
        day.by_procuration(operator="ARS")
        heads.append(day.head)
    day.close()
    return instance, path, heads


def rechain(lines: list[bytes]) -> list[bytes]:
    """What a forger without the key can do: recompute every ``prev`` (and drop the MACs)."""
    out = []
    prev = None
    for line in lines:
        record = json.loads(line)
        record.pop("mac", None)
        if prev is not None:
            record["prev"] = prev
        encoded = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
        out.append(encoded)
        prev = line_hash(encoded)
    return out


def test_every_keyed_line_carries_its_mac_and_the_day_resumes_with_the_key(tmp_path):
    instance, path, heads = keyed_day(tmp_path)
    lines = path.read_bytes().split(b"\n")[:-1]
    assert json.loads(lines[0])["cle"] == key_id(KEY) and KEY.decode() not in path.read_text()
    assert all(mac_ok(line, KEY) for line in lines)
    assert not mac_ok(lines[1], b"another key of 32 bytes........")
    assert journal_head(path) == heads[-1]
    with pytest.raises(JournalError, match="avec une clé"):
        ChoiceDay.resume(instance, path)
    day = ChoiceDay.resume(instance, path, key=KEY)
    day.by_procuration()
    day.close()
    report = verify_journal(path, key=KEY, head=heads[-1], instance=instance)
    assert report.ok and any("MAC valide" in p for p in report.proved)


def test_forged_lines_with_recomputed_hashes_are_refused_with_the_key(tmp_path):
    _, path, _ = keyed_day(tmp_path)
    lines = path.read_bytes().split(b"\n")[:-1]
    last = json.loads(lines[-1])
    forged = dict(last, seq=last["seq"] + 1, prev=line_hash(lines[-1]), interne="I9999")
    forged.pop("mac")
    appended = [*lines, json.dumps(forged, separators=(",", ":")).encode()]
    path.write_bytes(b"\n".join(appended) + b"\n")
    assert not verify_journal(path, key=KEY).ok  # no MAC on the forged line
    without_key = verify_journal(path)
    assert without_key.ok and any("MAC ne sont pas vérifiés" in n for n in
                                  without_key.not_proved)


@pytest.mark.parametrize("field", ["time", "operator"])
def test_the_last_line_edited_is_refused_by_the_key_and_by_the_head(tmp_path, field):
    _, path, heads = keyed_day(tmp_path)
    lines = path.read_bytes().split(b"\n")[:-1]
    lines[-1] = lines[-1].replace(b'"time":"', b'"time":"1', 1) if field == "time" else \
        lines[-1].replace(b'"operator":"ARS"', b'"operator":"XXX"', 1)
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert verify_journal(path).ok  # the chain alone never covers its last line
    assert not verify_journal(path, key=KEY).ok
    report = verify_journal(path, head=heads[-1])
    assert not report.ok and "n'est pas celle publiée" in report.problems[0]


def test_a_history_rewritten_and_replayed_with_the_original_times_is_refused(tmp_path):
    _, path, heads = keyed_day(tmp_path)
    lines = path.read_bytes().split(b"\n")[:-1]
    records = [json.loads(line) for line in lines]
    records[2]["terrain"] = "URG-LYON-CHU"  # what the forger wants the record to say
    rewritten = rechain([json.dumps(r, separators=(",", ":")).encode() for r in records])
    path.write_bytes(b"\n".join(rewritten) + b"\n")
    assert verify_journal(path).ok  # consistent: no key, no head, nothing to compare with
    report = verify_journal(path, key=KEY)
    assert not report.ok and "MAC invalide" in report.problems[0]
    assert not verify_journal(path, head=heads[-1]).ok


def test_a_journal_cut_at_a_line_boundary_against_a_published_head(tmp_path):
    _, path, heads = keyed_day(tmp_path, entries=5)
    lines = path.read_bytes().split(b"\n")[:-1]
    path.write_bytes(b"\n".join(lines[:4]) + b"\n")  # entries 4 and 5 removed
    assert verify_journal(path, key=KEY).ok  # a cut leaves no trace without a head...
    report = verify_journal(path, key=KEY, head=heads[5])
    assert not report.ok and "coupé" in report.problems[0]  # ...but the published one
    # cut after the last head known: accepted, and the report says what it cannot prove
    report = verify_journal(path, key=KEY, head=heads[2])
    assert report.ok and any("après l'entrée 2" in n for n in report.not_proved)


def test_torn_lines_and_cuts_at_resume_are_reported(tmp_path):
    instance, path, _ = keyed_day(tmp_path, entries=2)
    with open(path, "ab") as handle:
        handle.write(b'{"seq":3,"ti')
    assert any("incomplète (12 octets" in n for n in verify_journal(path, key=KEY).notes)
    ChoiceDay.resume(instance, path, key=KEY).close()
    report = verify_journal(path, key=KEY, instance=instance)
    assert report.ok and any("12 octets (jamais acquittée) a été coupée" in n
                             for n in report.notes)


def test_journal_verifier_command(tmp_path):
    from click.testing import CliRunner

    from affectation.cli import main

    _, path, heads = keyed_day(tmp_path)
    key = tmp_path / "cle"
    runner = CliRunner()
    run = runner.invoke(main, ["journal", "cle", str(key)])
    assert run.exit_code == 0 and oct(key.stat().st_mode & 0o777) == "0o600"
    assert runner.invoke(main, ["journal", "cle", str(key)]).exit_code == 2  # never replaced
    key.write_bytes(KEY + b"\n")
    run = runner.invoke(main, ["journal", "verifier", str(path), "--cle", str(key), "--tete",
                               str(heads[2])])
    assert run.exit_code == 0, run.output
    assert "journal ACCEPTÉ" in run.output and "non prouvé" in run.output
    other = tmp_path / "autre"
    other.write_bytes(b"another key, long enough for us\n")
    run = runner.invoke(main, ["journal", "verifier", str(path), "--cle", str(other)])
    assert run.exit_code == 1 and "REFUSÉ" in run.output
    for bad in (["--tete", "3:abc"], ["--cle", str(tmp_path / "none")]):
        run = runner.invoke(main, ["journal", "verifier", str(path), *bad])
        assert run.exit_code == 2 and "Traceback" not in run.output
    assert runner.invoke(main, ["journal", "verifier", str(tmp_path / "none.jsonl")]
                         ).exit_code == 2
    assert parse_head(str(heads[1])) == heads[1]


def test_a_real_full_filesystem_records_nothing_refused_and_resumes(tmp_path):
    """The audit's reproduction: the journal on a 16 KiB tmpfs (needs root and mount; skipped
    elsewhere, the simulated ENOSPC above covers the same path)."""
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(tiny)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (not root, or no mount permission)")
    try:
        instance = example()
        (tiny / "filler").write_bytes(b"x" * 4096)
        path = tiny / "j.jsonl"
        day = ChoiceDay.open(instance, path)
        acknowledged = 0
        with pytest.raises(JournalUnavailable, match="disque plein"):
            for _ in range(len(instance.internes)):
                day.by_procuration()
                acknowledged += 1
        assert acknowledged > 10 and day.seq == acknowledged
        records, good = read_journal(path, instance)
        assert good == path.stat().st_size and len(records) == acknowledged + 1
        with pytest.raises(JournalUnavailable):
            day.by_procuration()
        (tiny / "filler").unlink()  # space is back
        assert day.recover()
        day.by_procuration()
        assert day.seq == acknowledged + 1
        day.close()
        again = ChoiceDay.resume(instance, path)
        assert again.seq == acknowledged + 1
        again.close()
    finally:
        subprocess.run(["umount", str(tiny)], capture_output=True)


def test_writes_resume_only_once_there_is_room(tmp_path, monkeypatch):
    instance = example()
    day = ChoiceDay.open(instance, tmp_path / "j.jsonl")
    faults = Faults(monkeypatch, on="write", code=errno.ENOSPC)
    with pytest.raises(JournalUnavailable):
        day.by_procuration()
    faults.armed = False
    real = os.fstatvfs

    class Full:
        f_bavail, f_frsize = 0, 4096

    monkeypatch.setattr(os, "fstatvfs", lambda fd: Full())
    assert not day.recover() and "disque plein (0 octets libres)" in day.unavailable
    monkeypatch.setattr(os, "fstatvfs", real)
    assert day.recover()
    day.by_procuration()
    assert day.seq == 1
    day.close()
