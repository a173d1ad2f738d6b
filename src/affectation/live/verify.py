"""The record of a choice day, checked by anyone: ``affectation journal verifier``.

What a journal can prove depends on what the verifier holds:

- **the journal alone**: every line is JSON, the ``seq`` run without gaps, each ``prev`` is the
  SHA-256 of the line before. This shows the file is internally consistent, *not* who wrote
  it: anyone can rewrite a history and recompute every hash.
- **the key** (``--cle``, HMAC-SHA256, held by the ARS): every line carries the MAC of its
  bytes, so a line edited, forged or appended without the key is refused, and so is a history
  rewritten and replayed with the original times.
- **a published head** (``--tete SEQ:HEX``, photographed in the room from the screen or given by
  ``/api/state``): the journal must contain that line with those bytes, so every entry up to it
  is what the room saw, and a journal cut before it is refused.

Nothing detects a journal cut *after* the last head the verifier knows, at a line boundary: the
lines removed leave no trace in what remains. Publishing the final head (the result files and
the workbook carry it) closes that gap for the whole day.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import re
from pathlib import Path
from typing import Any

import attrs

from affectation.live.journal import (
    Head,
    JournalError,
    key_id,
    line_hash,
    read_journal,
)
from affectation.model import Instance

__all__ = ["Verification", "journal_head", "parse_head", "result_document", "result_workbook",
           "verify_journal"]

HEAD_PATTERN = re.compile(r"^\s*(\d{1,9})\s*:\s*([0-9a-fA-F]{64})\s*$")


def parse_head(text: str) -> Head:
    """``SEQ:HEX`` (as the screens show it) as a :class:`Head`."""
    match = HEAD_PATTERN.match(text)
    if match is None:
        raise ValueError(f"--tete {text!r} : attendu SEQ:EMPREINTE (un numéro d'entrée, deux "
                         "points, 64 chiffres hexadécimaux), comme sur l'écran de la salle")
    return Head(int(match.group(1)), match.group(2).lower())


def journal_head(path: str | os.PathLike[str], data: bytes | None = None) -> Head:
    """The head of a journal file's acknowledged part (a torn last line ignored)."""
    if data is None:
        data = Path(path).read_bytes()
    lines = data[: data.rfind(b"\n") + 1].split(b"\n")[:-1]
    if not lines:
        raise JournalError("journal vide : pas de ligne d'ouverture ('open')", file=str(path),
                           line=1)
    return Head(len(lines) - 1, line_hash(lines[-1]))


@attrs.frozen
class Verification:
    """What ``verify_journal`` established about a journal, in French for people."""

    ok: bool
    head: Head | None
    """The journal's own head (its last acknowledged line)."""
    proved: tuple[str, ...] = ()
    not_proved: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    """Why the journal is refused (``ok`` false)."""
    notes: tuple[str, ...] = ()
    """Facts worth knowing that do not refuse it (a torn last line, a cut at resume)."""

    def text(self) -> str:
        out = [f"journal {'ACCEPTÉ' if self.ok else 'REFUSÉ'}"
               + (f" — tête {self.head}" if self.head else "")]
        for title, items in (("problèmes", self.problems), ("prouvé", self.proved),
                             ("à noter", self.notes), ("non prouvé", self.not_proved)):
            if items:
                out.append(f"{title} :")
                out += [f"  - {item}" for item in items]
        return "\n".join(out)


def verify_journal(path: str | os.PathLike[str], *, key: bytes | None = None,
                   head: Head | None = None, instance: Instance | None = None
                   ) -> Verification:
    """Check a journal: its chain, its MACs under ``key``, that it contains the published
    ``head``, and (with ``instance``) that every entry replays under the rules."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise JournalError(f"journal illisible ({error.strerror})", file=file) from None
    proved: list[str] = []
    not_proved: list[str] = []
    problems: list[str] = []
    notes: list[str] = []
    good = data.rfind(b"\n") + 1
    if good < len(data):
        notes.append(f"dernière ligne incomplète ({len(data) - good} octets, sans fin de "
                     "ligne) : une écriture coupée avant son acquittement, ignorée ; elle "
                     "sera coupée à la reprise et la coupure inscrite au journal")
    try:
        records, _ = read_journal(path, instance, key=key, data=data)
    except JournalError as error:
        problems.append(error.message + (f" (ligne {error.line})" if error.line else ""))
        own = None
        with contextlib.suppress(JournalError):
            own = journal_head(path, data)
        return Verification(False, own, problems=tuple(problems), notes=tuple(notes))
    own = journal_head(path, data)
    lines = data[:good].split(b"\n")[:-1]
    declared = records[0].get("cle")
    proved.append(f"{len(lines)} lignes (entrées 0 à {own.seq}) : chaque ligne est un objet "
                  "JSON, les numéros se suivent sans trou, et chaque ligne porte l'empreinte "
                  "SHA-256 de la précédente (aucune ligne modifiée, insérée ou retirée au "
                  "milieu sans recalcul de toutes les empreintes suivantes)")
    if key is not None:
        proved.append(f"chaque ligne porte un MAC valide sous la clé donnée (cle {key_id(key)}) "
                      ": aucune ligne n'a été modifiée, forgée ou ajoutée par quelqu'un qui ne "
                      "détient pas la clé")
    elif declared:
        not_proved.append(f"le journal a été ouvert avec une clé (cle {declared}) mais aucune "
                          "clé n'a été donnée (--cle) : les MAC ne sont pas vérifiés, donc un "
                          "journal réécrit avec des empreintes recalculées ne serait pas "
                          "détecté")
    else:
        not_proved.append("journal sans clé : la chaîne d'empreintes montre que le fichier est "
                          "cohérent, pas qui l'a écrit ; n'importe qui peut réécrire l'histoire "
                          "et recalculer toutes les empreintes (seule une tête publiée le "
                          "détecte)")
    for record in records[1:]:
        if record.get("kind") == "resume":
            notes.append(f"entrée {record['seq']} : à la reprise, une dernière ligne incomplète "
                         f"de {record.get('cut_bytes')} octets (jamais acquittée) a été coupée "
                         f"(SHA-256 {record.get('cut_sha256', '')[:16]}…)")
    times = [(r.get("seq"), r.get("time")) for r in records if isinstance(r.get("time"), str)]
    for (_, t0), (s1, t1) in itertools.pairwise(times):
        if t1 < t0:
            notes.append(f"l'heure recule à l'entrée {s1} ({t1} après {t0}) : horloge de la "
                         "machine réglée pendant la journée, ou ligne modifiée")
    if head is not None:
        if head.seq > own.seq:
            problems.append(f"la tête publiée est l'entrée {head.seq} mais le journal s'arrête "
                            f"à l'entrée {own.seq} : le journal a été coupé (ou n'est pas celui "
                            "de la salle)")
        elif line_hash(lines[head.seq]) != head.tete:
            problems.append(f"l'entrée {head.seq} n'est pas celle publiée (empreinte "
                            f"{line_hash(lines[head.seq])[:16]}… au lieu de {head.tete[:16]}…) "
                            ": le journal a été réécrit jusqu'à cette entrée ou avant")
        else:
            proved.append(f"le journal contient la tête publiée {head.seq} : les entrées 0 à "
                          f"{head.seq} sont, octet pour octet, celles que la salle a vues")
            if own.seq > head.seq and key is None:
                not_proved.append(f"les entrées {head.seq + 1} à {own.seq}, après la tête "
                                  "publiée, ne sont garanties par rien (ni clé ni tête plus "
                                  "récente)")
    cut_from = head.seq if head is not None and head.seq <= own.seq else None
    not_proved.append(
        "une coupure du journal à une fin de ligne "
        + (f"après l'entrée {cut_from} (la tête publiée donnée) "
           if cut_from is not None else "(aucune tête publiée donnée) ")
        + "ne laisse aucune trace : comparez la tête du journal à la dernière tête publiée "
        "(écran, résultat, classeur)")
    if instance is not None and not problems:
        from affectation.live.day import ChoiceDay

        try:
            day = ChoiceDay.replay(instance, path, key=key)
        except JournalError as error:
            problems.append(error.message + (f" (ligne {error.line})" if error.line else ""))
        else:
            proved.append(f"chaque entrée se rejoue selon les règles sur l'instance donnée "
                          f"(même interne appelé, même terrain) : {len(day.placed)} internes "
                          "placés")
    return Verification(not problems, own, tuple(proved), tuple(not_proved), tuple(problems),
                        tuple(notes))


def result_document(result: Any, head: Head | None) -> dict[str, Any]:
    """The result file of FORMAT.md with the journal's head under ``journal``."""
    from affectation.io import result_to_dict

    document = result_to_dict(result)
    if head is not None:
        document["journal"] = head.to_dict()
    return document


def result_workbook(result: Any, instance: Any, head: Head | None) -> bytes:
    """The arrêté workbook of ``affectation solve --out x.xlsx`` (:mod:`affectation.io.arrete`;
    texts never formulas) and a sheet ``journal`` with the journal's head, as bytes."""
    import tempfile

    from affectation.io._cells import Sheet, write_workbook
    from affectation.io.arrete import result_sheets

    sheets = list(result_sheets(result, instance))
    if head is not None:
        sheets.append(Sheet("journal", ("seq", "tete"), [(head.seq, head.tete)]))
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "resultat.xlsx"
        write_workbook(target, sheets)
        return target.read_bytes()


def new_key() -> bytes:
    """32 random bytes, hex-encoded: the content of a key file."""
    return hashlib.sha256(os.urandom(64)).hexdigest().encode()
