"""Exact separability by linear programming (HiGHS through scipy), batched over a layer.

For each unit the learner returns either a separator verified rigorously on every row, or
a non-separability certificate verified in exact arithmetic (see
:mod:`ftprop_exact.proofs.certificate`). Three things keep it fast when ``m >> n``:

1. identical input rows are merged once per layer (hidden layers have few distinct +-1
   patterns); a merged row with both targets is an immediate two-row certificate;
2. columns are scaled by powers of two (exact, so nothing is lost when scaling back);
3. row generation: the LP is solved on a small active set of rows, the most violated rows
   are added, and the loop ends when no row is violated (the separator is then optimal for
   all rows) or the active set alone is already non-separable (its certificate is one for
   all rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ftprop_exact.budget import Interrupted, stop_requested
from ftprop_exact.rows import RowGroups, group_identical_rows
from ftprop_exact.solvers.learners.highs import linprog
from ftprop_exact.solvers.learners.hinge import fit_hinge  # noqa: F401  (re-exported: its old home)
from ftprop_exact.solvers.learners.base import UnitVerdict, as_target_matrix, constant_targets_verdict, verified_separator
from ftprop_exact.proofs.certificate import (
    Certificate,
    exact_certificate,
    decide_exactly,
    verify_certificate,
)
from fractions import Fraction



_SEPARABLE_TOL = 1e-9  # scaled margin at or below this counts as "maybe not separable"
_VIOLATION_TOL = 1e-9
_EXACT_SIMPLEX_CELLS = 4000  # rows x (n + 2) up to which the exact rational simplex is tried


@dataclass(frozen=True)
class _PreparedInputs:
    """Inputs of one layer, merged and scaled once for all its units."""

    A: np.ndarray  # (m, n) the inputs as given
    groups: RowGroups
    unique: np.ndarray  # (u, n) the distinct rows, as given
    scaled: np.ndarray  # (u, n) the distinct rows, each column scaled by a power of two
    scale: np.ndarray  # (n,) the powers of two


def power_of_two_scale(A: np.ndarray) -> np.ndarray:
    """Per-column powers of two bringing every column's largest magnitude into (1/2, 1].

    Dividing by a power of two is exact, so weights found on the scaled columns map back
    to the original ones without rounding (``w_original = w_scaled / scale``).
    """
    peak = np.max(np.abs(A), axis=0) if A.size else np.ones(A.shape[1])
    exponent = np.where(peak > 0, np.ceil(np.log2(np.where(peak > 0, peak, 1.0))), 0.0)
    return np.ldexp(1.0, exponent.astype(int))


def _prepare(A: np.ndarray) -> _PreparedInputs:
    A = np.ascontiguousarray(A, dtype=np.float64)
    groups = group_identical_rows(A)
    unique = A[groups.first_index]
    scale = power_of_two_scale(unique)
    return _PreparedInputs(A=A, groups=groups, unique=unique, scaled=unique / scale, scale=scale)


def _group_targets(prepared: _PreparedInputs, t: np.ndarray) -> tuple[np.ndarray, Certificate | None]:
    """Targets of the distinct rows, or a two-row certificate if a row has both targets."""
    inverse = prepared.groups.inverse
    u = prepared.groups.n_groups
    high = np.full(u, -1, dtype=np.int8)
    low = np.full(u, 1, dtype=np.int8)
    np.maximum.at(high, inverse, t)
    np.minimum.at(low, inverse, t)
    mixed = np.flatnonzero(high != low)
    if mixed.size == 0:
        return high, None
    members = np.flatnonzero(inverse == mixed[0])
    first_pos = int(members[t[members] > 0][0])
    first_neg = int(members[t[members] < 0][0])
    rows = tuple(sorted((first_pos, first_neg)))
    return high, Certificate(rows=rows, multipliers=(Fraction(1, 2), Fraction(1, 2)))


class LPLearner:
    """Decide separability exactly with HiGHS linear programs.

    Parameters
    ----------
    max_margin : bool, default=True
        Maximise the margin ``delta`` subject to ``t_i (a_i . w + b) >= delta`` and
        ``|w_j| <= 1`` on power-of-two scaled columns (an l1-type maximum margin). When
        False, solve the plain feasibility problem ``t_i (a_i . w + b) >= 1``.
    full_lp_rows : int, default=500
        Solve on all distinct rows at once when there are at most
        ``max(full_lp_rows, 8 (n + 2))`` of them; otherwise use row generation.
    seed : int, default=0
        Seed of the initial active set (results are reproducible).
    method : str, default="highs"
        ``scipy.optimize.linprog`` method for the separating LP (HiGHS chooses). An LP
        solver's word is never taken: separators are verified, certificates come from a
        dual-simplex vertex and are verified exactly, and when neither verifies the unit is
        re-solved on all rows with the dual simplex before it is called undecided.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> learner = LPLearner()
    >>> learner.check(A, np.array([-1, -1, -1, 1])).separable      # AND
    True
    >>> verdict = learner.check(A, np.array([-1, 1, 1, -1]))         # XOR
    >>> verdict.separable, verdict.certificate.rows
    (False, (0, 1, 2, 3))
    """

    name = "lp"
    decides = True  # a verified separator or a verified certificate (undecided only when numerics fail)

    def __init__(
        self, max_margin: bool = True, full_lp_rows: int = 500, seed: int = 0, method: str = "highs"
    ) -> None:
        self.max_margin = max_margin
        self.method = method
        self.full_lp_rows = full_lp_rows
        self.seed = seed

    def check(self, A: np.ndarray, t: np.ndarray) -> UnitVerdict:
        """Decide one target column.

        Parameters
        ----------
        A : ndarray of shape (m, n)
            Inputs as given.
        t : ndarray of shape (m,)
            Targets in {-1, +1}.

        Returns
        -------
        UnitVerdict
        """
        return self.check_layer(A, np.asarray(t).reshape(-1, 1))[0]

    def check_layer(self, A: np.ndarray, T: np.ndarray) -> list[UnitVerdict]:
        """Decide every column of ``T`` over the same inputs (merged and scaled once).

        Parameters
        ----------
        A : ndarray of shape (m, n)
            Inputs as given.
        T : ndarray of shape (m, K)
            Target columns in {-1, +1}.

        Returns
        -------
        list of UnitVerdict
            One verdict per column of ``T``.
        """
        A = np.asarray(A)
        T = as_target_matrix(T, A.shape[0])
        prepared = _prepare(A)
        return [self._check_unit(prepared, T[:, k]) for k in range(T.shape[1])]

    # -- one unit -------------------------------------------------------------------------
    def _check_unit(self, prepared: _PreparedInputs, t: np.ndarray) -> UnitVerdict:
        trivial = constant_targets_verdict(prepared.A, t)
        if trivial is not None:
            return trivial
        t_unique, conflict = _group_targets(prepared, t)
        if conflict is not None:
            return _certified(prepared.A, t, conflict)
        rows, w_scaled, b = self._row_generation(prepared.scaled, t_unique)
        verdict = self._verified(prepared, t, t_unique, rows, w_scaled, b)
        if verdict is None and not stop_requested():
            # LP solvers can be wrong near degeneracy (even claim infeasibility of a
            # separable problem): re-solve on all rows with the dual simplex, max margin.
            # Certificates were already sought on all rows, so only a separator is new here.
            careful = LPLearner(max_margin=True, full_lp_rows=prepared.groups.n_groups, method="highs-ds")
            _, w_scaled, b = careful._row_generation(prepared.scaled, t_unique)
            if w_scaled is not None:
                verdict = verified_separator(prepared.A, t, w_scaled / prepared.scale, b)
        return verdict if verdict is not None else UnitVerdict(separable=None)

    @staticmethod
    def _verified(
        prepared: _PreparedInputs,
        t: np.ndarray,
        t_unique: np.ndarray,
        rows: np.ndarray,
        w_scaled: np.ndarray | None,
        b: float,
    ) -> UnitVerdict | None:
        """A verified separator, else a verified certificate (on ``rows``, then on all rows)."""
        if w_scaled is not None:
            verdict = verified_separator(prepared.A, t, w_scaled / prepared.scale, b)
            if verdict is not None:
                return verdict
        all_rows = np.arange(prepared.groups.n_groups)
        for candidate in (rows, all_rows):
            cert = _gordan_certificate(prepared, t_unique, candidate)
            if cert is not None:
                return _certified(prepared.A, t, cert)
        # ill-conditioned data: decide exactly in rational arithmetic when that is cheap
        exact_rows = all_rows if all_rows.size * (prepared.A.shape[1] + 2) <= _EXACT_SIMPLEX_CELLS else rows
        if exact_rows.size * (prepared.A.shape[1] + 2) <= _EXACT_SIMPLEX_CELLS and not stop_requested():
            try:  # polls the deadline in force every pivot: a stopped run leaves the unit undecided
                decision = decide_exactly(prepared.unique, t_unique, exact_rows)
            except Interrupted:
                return None
            if decision.certificate is not None:
                return _certified(prepared.A, t, _to_original_rows(prepared, decision.certificate))
            if decision.weights is not None:
                w = np.array([float(v) for v in decision.weights])
                return verified_separator(prepared.A, t, w, float(decision.bias))
        return None

    def _row_generation(self, S: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, float]:
        """Return (active rows, scaled weights or None if not separable there, bias)."""
        u, n = S.shape
        if u <= max(self.full_lp_rows, 8 * (n + 2)):
            active = np.arange(u)
        else:
            active = _initial_rows(t, 4 * (n + 2), np.random.default_rng(self.seed))
        batch = max(4 * (n + 2), 100)
        while True:
            solution = self._solve_margin_lp(S[active], t[active])
            if solution is None:
                return active, None, 0.0
            w, b, delta = solution
            slack = t * (S @ w + b) - delta
            threshold = -_VIOLATION_TOL * max(1.0, abs(delta))
            violated = np.flatnonzero(slack < threshold)
            violated = np.setdiff1d(violated, active, assume_unique=True)
            if violated.size == 0:
                return active, w, b
            worst = violated[np.argsort(slack[violated], kind="stable")[:batch]]
            active = np.concatenate([active, worst])

    def _solve_margin_lp(self, S: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, float, float] | None:
        """Solve the margin LP on some rows; None if they are (maybe) not separable."""
        m, n = S.shape
        # variables x = [w (n), b, delta]; constraint -t_i (s_i . w + b) + delta <= 0
        A_ub = np.hstack([-t[:, None] * S, -t[:, None].astype(np.float64), np.ones((m, 1))])
        b_ub = np.zeros(m)
        if self.max_margin:
            c = np.zeros(n + 2)
            c[-1] = -1.0
            bounds = [(-1.0, 1.0)] * n + [(None, None), (None, None)]
        else:
            c = np.zeros(n + 2)
            bounds = [(None, None)] * (n + 1) + [(1.0, 1.0)]
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method=self.method)
        if res.status != 0:
            return None
        w, b, delta = res.x[:n], float(res.x[n]), float(res.x[n + 1])
        if delta <= _SEPARABLE_TOL:
            return None
        return w, b, delta


def _initial_rows(t: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A random active set holding both classes."""
    chosen = rng.choice(t.size, size=min(size, t.size), replace=False)
    for sign in (-1, 1):
        if not np.any(t[chosen] == sign):
            chosen = np.append(chosen, np.flatnonzero(t == sign)[0])
    return np.unique(chosen)


def _gordan_certificate(prepared: _PreparedInputs, t_unique: np.ndarray, rows: np.ndarray) -> Certificate | None:
    """Find ``lambda`` on ``rows`` by a vertex LP and certify it exactly (original row ids)."""
    S = prepared.scaled[rows]
    t = t_unique[rows].astype(np.float64)
    n = S.shape[1]
    A_eq = np.vstack([(t[:, None] * S).T, t[None, :], np.ones((1, rows.size))])
    b_eq = np.zeros(n + 2)
    b_eq[-1] = 1.0
    res = linprog(np.zeros(rows.size), A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs-ds")
    if res.status != 0:
        return None
    lam = res.x
    ordered = np.argsort(-lam, kind="stable")
    for cutoff in (1e-12 * lam.max(), 0.0):
        candidates = rows[ordered[lam[ordered] > cutoff]]
        cert = exact_certificate(prepared.unique, t_unique, candidates)
        if cert is not None:
            return _to_original_rows(prepared, cert)
    return None


def _to_original_rows(prepared: _PreparedInputs, cert: Certificate) -> Certificate:
    """Re-index a certificate from distinct rows to rows of the inputs as given."""
    original = tuple(int(prepared.groups.first_index[r]) for r in cert.rows)
    return Certificate(rows=original, multipliers=cert.multipliers)


def _certified(A: np.ndarray, t: np.ndarray, cert: Certificate) -> UnitVerdict:
    """Wrap a certificate after re-checking it exactly on the inputs as given."""
    if not verify_certificate(A, t, cert):
        return UnitVerdict(separable=None)
    order = np.argsort(cert.rows)
    cert = Certificate(rows=tuple(cert.rows[i] for i in order), multipliers=tuple(cert.multipliers[i] for i in order))
    return UnitVerdict(separable=False, certificate=cert)
