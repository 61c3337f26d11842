"""HiGHS (through SciPy) under the deadline in force: time-limited, and abandoned at once when
the deadline passes or is interrupted.

Every LP and MILP of the learners and baselines goes through :func:`linprog` / :func:`milp`
here, so that

- HiGHS gets the time left before the deadline in force (plus a little) as its own
  ``time_limit``: a call abandoned at the deadline stops by itself soon after instead of
  running on in its helper thread (and piling up when fits are repeated, e.g. in
  cross-validation);
- a large call runs in a helper thread while the caller polls the deadline
  (:func:`ftprop_exact.budget.interruptible`), and the caller gets
  :func:`abandoned_highs_result` at once when the deadline passes or is interrupted;
- a small call (most of them: one unit's margin LP) runs in the caller's thread, where a
  helper thread would double its cost and HiGHS's own time limit ends it in time anyway.

An abandoned or timed-out call answers like any LP that hit its time limit (status 1, no
solution), which callers treat as "undecided": it can never become a certificate or a
verified separator.
"""

from __future__ import annotations

from typing import Any

from scipy import sparse
from scipy.optimize import OptimizeResult
from scipy.optimize import linprog as _scipy_linprog
from scipy.optimize import milp as _scipy_milp

from ftprop_exact.budget import interruptible, stop_requested, time_left_in_force

__all__ = ["INLINE_CELLS", "abandoned_highs_result", "linprog", "milp"]

INLINE_CELLS = 50_000
"""Constraint-matrix entries (stored) up to which HiGHS runs in the caller's thread."""

_GRACE = 0.25  # seconds HiGHS may run past the deadline in force before its own limit stops it


def abandoned_highs_result() -> OptimizeResult:
    """What a HiGHS call abandoned at the deadline answers: status 1 (a limit reached), no solution."""
    return OptimizeResult(x=None, status=1, success=False, message="abandoned: the deadline passed or was interrupted")


_linprog_waiting = interruptible(_scipy_linprog, abandoned_highs_result)
_milp_waiting = interruptible(_scipy_milp, abandoned_highs_result)


def _cells(*matrices: Any) -> int:
    """Stored entries of the constraint matrices given (sparse: non-zeros)."""
    total = 0
    for matrix in matrices:
        if matrix is None:
            continue
        if sparse.issparse(matrix):
            total += int(matrix.nnz)
        else:
            total += int(getattr(matrix, "size", 0) or 0)
    return total


def _time_limited(options: dict[str, Any] | None) -> dict[str, Any]:
    """``options`` with HiGHS's ``time_limit`` capped at the time left in force (plus a grace)."""
    options = dict(options or {})
    left = time_left_in_force()
    if left is not None:
        options["time_limit"] = min(float(options.get("time_limit", left + _GRACE)), left + _GRACE)
    return options


def linprog(c: Any, *, A_ub: Any = None, A_eq: Any = None, options: dict[str, Any] | None = None, **kwargs: Any) -> OptimizeResult:
    """:func:`scipy.optimize.linprog` under the deadline in force (see the module docstring)."""
    if stop_requested():
        return abandoned_highs_result()
    call = _scipy_linprog if _cells(A_ub, A_eq) <= INLINE_CELLS else _linprog_waiting
    return call(c, A_ub=A_ub, A_eq=A_eq, options=_time_limited(options), **kwargs)


def milp(c: Any, *, constraints: Any = None, options: dict[str, Any] | None = None, **kwargs: Any) -> OptimizeResult:
    """:func:`scipy.optimize.milp` under the deadline in force (always in a helper thread when one is)."""
    if stop_requested():
        return abandoned_highs_result()
    return _milp_waiting(c, constraints=constraints, options=_time_limited(options), **kwargs)
