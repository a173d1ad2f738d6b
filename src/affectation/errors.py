"""Typed errors: bad input names the file, the entity and the key (FORMAT.md, Errors)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from affectation.result import SolveInfo

__all__ = [
    "AffectationError",
    "InstanceError",
    "NoAllocation",
    "ScenarioError",
    "SweepError",
]


class AffectationError(Exception):
    """Base class of every error the library raises on purpose."""


class InstanceError(AffectationError, ValueError):
    """An instance breaks the file contract; nothing is solved and nothing is written.

    ``file`` is the path read (``None`` for an instance built in Python), ``entity`` the
    part of the document at fault (``internes[3] (I004)``, ``terrains[0] (URG-CHU)``,
    ``couples[1]``, or ``instance``), ``key`` the field, and ``message`` what was expected.
    """

    def __init__(
        self,
        message: str,
        *,
        entity: str | None = None,
        key: str | None = None,
        file: str | None = None,
    ) -> None:
        self.message = message
        self.entity = entity
        self.key = key
        self.file = file
        super().__init__(str(self))

    def with_file(self, file: str) -> InstanceError:
        """The same error, placed in ``file``."""
        return InstanceError(self.message, entity=self.entity, key=self.key, file=file)

    def __str__(self) -> str:
        where = [part for part in (self.file, self.entity) if part]
        if self.key:
            where.append(f"key '{self.key}'")
        return (": ".join(where) + ": " if where else "") + self.message

    def __reduce__(self):  # keep the fields through pickling (process pools)
        return (_rebuild, (self.message, self.entity, self.key, self.file))


def _rebuild(message: str, entity: str | None, key: str | None, file: str | None) -> InstanceError:
    return InstanceError(message, entity=entity, key=key, file=file)


class ScenarioError(AffectationError, ValueError):
    """A what-if change that does not fit the instance, or a change written wrongly."""


class SweepError(AffectationError, ValueError):
    """A Monte Carlo sweep asked for with wrong settings, or a sample that could not be solved."""


class NoAllocation(AffectationError):
    """An engine found no allocation: user constraints in conflict, or a time limit too short.

    ``info`` is the :class:`~affectation.result.SolveInfo` of the solve: its ``status`` says
    which (``INFEASIBLE``, ``UNKNOWN``…) and ``conflict`` names the rule groups in conflict.
    An empty :class:`~affectation.result.Result` never stands for "no allocation".
    """

    def __init__(self, info: SolveInfo, message: str | None = None) -> None:
        self.info = info
        status = str(info.status.value if hasattr(info.status, "value") else info.status)
        text = message or f"no allocation found (solver status {status})"
        if info.conflict:
            text += f"; rule groups in conflict: {', '.join(info.conflict)}"
        if getattr(info, "drop", ()):
            text += f"; fewest user constraints to drop: {', '.join(info.drop)}"
        super().__init__(text)

    def __reduce__(self):  # keep the info through pickling (process pools)
        return (NoAllocation, (self.info,))
