"""The choice day run live: turn by turn (``ChoiceDay``), journalled, served to the room.

``ChoiceDay.open(instance, journal=PATH)`` starts a day, ``ChoiceDay.resume(instance, PATH)``
rebuilds it from its journal after a crash (the journal held by one writer, written so that a
full disk loses nothing and records nothing refused); ``affectation.live.verify`` checks a
journal against its key and a published head; ``affectation.live.app`` serves the console, the
public page and the room's screen (needs the ``live`` extra).
"""

from affectation.live.day import Caller, ChoiceDay, ChoiceRefused, Option
from affectation.live.journal import (
    Head,
    Journal,
    JournalError,
    JournalLocked,
    JournalUnavailable,
    instance_hash,
    read_journal,
)

__all__ = [
    "Caller",
    "ChoiceDay",
    "ChoiceRefused",
    "Head",
    "Journal",
    "JournalError",
    "JournalLocked",
    "JournalUnavailable",
    "Option",
    "instance_hash",
    "read_journal",
]
