"""The choice day run live: turn by turn (``ChoiceDay``), journalled, served to the room.

``ChoiceDay.open(instance, journal=PATH)`` starts a day, ``ChoiceDay.resume(instance, PATH)``
rebuilds it from its journal after a crash; ``affectation.live.app`` serves the operator and
public pages (needs the ``live`` extra).
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
