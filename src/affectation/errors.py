"""Typed errors: bad input names the file, the entity and the key (FORMAT.md, Errors).

Every error carries its message in French (what a person reads) and a stable ``code``
(``E-ENTREE``, ``E-SORTIE``…) that a program tests instead of the words; the command line maps
the classes to its exit statuses in one place (``cli.EXIT_STATUS``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from affectation.result import SolveInfo

__all__ = [
    "MAX_PROBLEMS",
    "AffectationError",
    "InstanceError",
    "NoAllocation",
    "ScenarioError",
    "SweepError",
]


class AffectationError(Exception):
    """Base class of every error the library raises on purpose."""

    code: str = "E-AFFECTATION"
    """A stable identifier of the kind of error, the same in every language."""


class InstanceError(AffectationError, ValueError):
    """An instance breaks the file contract; nothing is solved and nothing is written.

    ``file`` is the path read (``None`` for an instance built in Python), ``entity`` the
    part of the document at fault (``internes[3] (I004)``, ``terrains[0] (URG-CHU)``,
    ``couples[1]``, or ``instance``), ``key`` the field, and ``message`` what was expected.

    ``problems`` holds every problem found in the input when the loader went on after the
    first one (FORMAT.md, Errors: up to :data:`MAX_PROBLEMS`); the error itself stands for
    the first, and ``str()`` lists them all, one a line.
    """

    code = "E-ENTREE"

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
        # a subclass (AppariementError) may have set its problems before calling this
        self.problems: tuple[InstanceError, ...] = getattr(self, "problems", None) or (self,)
        super().__init__(str(self))

    left_out: int = 0
    """Problems found beyond :data:`MAX_PROBLEMS`, not listed."""

    @classmethod
    def of(cls, problems: Sequence[InstanceError]) -> InstanceError:
        """One error standing for ``problems`` (at least one): the first one's fields, every
        problem listed by ``str()`` (at most :data:`MAX_PROBLEMS`, the rest counted)."""
        if len(problems) == 1:
            return problems[0]
        first = problems[0]
        error = cls(first.message, entity=first.entity, key=first.key, file=first.file)
        error.problems = tuple(problems[:MAX_PROBLEMS])
        error.left_out = max(0, len(problems) - MAX_PROBLEMS)
        error.args = (str(error),)
        return error

    def with_file(self, file: str) -> InstanceError:
        """The same error, placed in ``file`` (each problem that names no file)."""
        if len(self.problems) > 1:
            error = InstanceError.of([p if p.file else p.with_file(file)
                                      for p in self.problems])
            error.left_out = self.left_out
            error.args = (str(error),)
            return error
        return InstanceError(self.message, entity=self.entity, key=self.key, file=file)

    def line(self) -> str:
        """This problem alone, on one line: where (file, entity, key), then what."""
        where = [part for part in (self.file, self.entity) if part]
        if self.key is not None:
            where.append(f"clé « {self.key} »")
        return (" : ".join(where) + " : " if where else "") + self.message

    def __str__(self) -> str:
        if len(self.problems) <= 1:
            return self.line()
        more = f" (et {self.left_out} de plus, non listés)" if self.left_out else ""
        return (f"{len(self.problems)} problèmes{more} :\n"
                + "\n".join(f"- {p.line()}" for p in self.problems))

    def __reduce__(self):  # keep the fields through pickling (process pools)
        problems = [(p.message, p.entity, p.key, p.file) for p in self.problems]
        return (_rebuild, (problems, self.left_out))


MAX_PROBLEMS = 50
"""The most problems of one input listed at once (FORMAT.md, Errors)."""


def _rebuild(problems: list[tuple[str, str | None, str | None, str | None]],
             left_out: int = 0) -> InstanceError:
    made = [InstanceError(m, entity=e, key=k, file=f) for m, e, k, f in problems]
    error = InstanceError.of(made)
    if left_out:
        error.left_out = left_out
        error.args = (str(error),)
    return error


class ScenarioError(AffectationError, ValueError):
    """A what-if change that does not fit the instance, or a change written wrongly."""

    code = "E-SCENARIO"


class SweepError(AffectationError, ValueError):
    """A Monte Carlo sweep asked for with wrong settings, or a sample that could not be solved."""

    code = "E-TIRAGES"


class NoAllocation(AffectationError):
    """An engine found no allocation: user constraints in conflict, or a time limit too short.

    ``info`` is the :class:`~affectation.result.SolveInfo` of the solve: its ``status`` says
    which (``INFEASIBLE``, ``UNKNOWN``…) and ``conflict`` names the rule groups in conflict.
    An empty :class:`~affectation.result.Result` never stands for "no allocation".
    """

    code = "E-AUCUNE-AFFECTATION"

    def __init__(self, info: SolveInfo, message: str | None = None) -> None:
        self.info = info
        status = str(info.status.value if hasattr(info.status, "value") else info.status)
        text = message or f"aucune affectation trouvée (statut du solveur {status})"
        if info.conflict:
            text += f" ; groupes de règles en conflit : {', '.join(info.conflict)}"
        if getattr(info, "drop", ()):
            text += f" ; contraintes à lever, au moins : {', '.join(info.drop)}"
        if status == "UNKNOWN":
            text += " ; essayez une limite de temps plus longue (--time-limit)"
        super().__init__(text)

    def __reduce__(self):  # keep the info through pickling (process pools)
        return (NoAllocation, (self.info,))
