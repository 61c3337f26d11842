"""The three verdicts of an exact run, and the command-line exit code of each."""

from __future__ import annotations

import enum


class Status(enum.Enum):
    """Verdict of a run.

    FEASIBLE: a network (or set of separators) was found and re-verified.
    INFEASIBLE: a re-checkable proof that none exists.
    UNKNOWN: neither could be established (budget spent, or numerically undecided).
    """

    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"

    @property
    def exit_code(self) -> int:
        """SAT-competition style exit code: 10 feasible, 20 infeasible, 0 unknown."""
        return {Status.FEASIBLE: 10, Status.INFEASIBLE: 20, Status.UNKNOWN: 0}[self]

    def __str__(self) -> str:
        return self.value
