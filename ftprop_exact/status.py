"""The three verdicts of an exact run, and the command-line exit code of each."""

from __future__ import annotations

import enum


class Status(enum.Enum):
    """Verdict of a run.

    FEASIBLE: a network (or set of separators) was found and re-verified.
    INFEASIBLE: a re-checkable proof that none exists.
    UNKNOWN: neither could be established (budget spent, or numerically undecided).
    OPTIMAL: minimising errors, a network whose error count is proven minimal (and > 0;
    a zero-error optimum is FEASIBLE).
    """

    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"
    OPTIMAL = "OPTIMAL"

    @property
    def exit_code(self) -> int:
        """Solver-competition exit code: 10 feasible, 20 infeasible, 30 optimum found, 0 unknown."""
        return {Status.FEASIBLE: 10, Status.INFEASIBLE: 20, Status.UNKNOWN: 0, Status.OPTIMAL: 30}[self]

    @property
    def verdict_line(self) -> str:
        """The ``s`` line: ``s FEASIBLE``, ``s INFEASIBLE``, ``s UNKNOWN`` or ``s OPTIMUM FOUND`` (MaxSAT style)."""
        return "s OPTIMUM FOUND" if self is Status.OPTIMAL else f"s {self.value}"

    def __str__(self) -> str:
        return self.value
