"""Non-separability certificates, derived and re-checked in exact rational arithmetic.

Targets ``t`` over inputs ``A`` (m x n) are linearly separable -- there are ``w, b`` with
``t_i (a_i . w + b) > 0`` for every row -- if and only if there is NO ``lambda >= 0``,
``sum(lambda) = 1`` with ``sum_i lambda_i t_i [a_i; 1] = 0`` (Gordan's alternative; the
bias coordinate makes the +1 and -1 weights each sum to 1/2, so the convex hulls of the two
classes meet). A vertex of that polytope has at most ``n + 2`` nonzeros: the certificate is
those rows and their multipliers.

The LP finds the rows in floating point. Here the multipliers are recomputed exactly: every
float is a rational, so the system is solved in rationals (FLINT's exact reduced row
echelon form, python-flint). A certificate is only ever reported after
:func:`verify_certificate` (plain Python integers, independent of FLINT) accepted it.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from fractions import Fraction
from math import gcd
from typing import Sequence

import flint
import numpy as np

from ftprop_exact.budget import check_interrupt


@dataclass(frozen=True)
class Certificate:
    """Proof that a target column is not linearly separable.

    Attributes
    ----------
    rows : tuple of int
        0-based row indices into the inputs as given (at most ``n + 2`` of them).
    multipliers : tuple of Fraction
        Exact, positive, summing to 1, with ``sum lambda_i t_i [a_i; 1] = 0``.
    """

    rows: tuple[int, ...]
    multipliers: tuple[Fraction, ...]

    def to_dict(self) -> dict:
        """Return the JSON form: rows, float multipliers and exact ``"p/q"`` strings."""
        return {
            "rows": [int(r) for r in self.rows],
            "multipliers": [float(x) for x in self.multipliers],
            "multipliers_exact": [f"{x.numerator}/{x.denominator}" for x in self.multipliers],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Certificate:
        """Rebuild a certificate from :meth:`to_dict` output (exact multipliers are used).

        Strict: ``rows`` and ``multipliers_exact`` are required, ``multipliers`` (floats, for
        people) optional but then equal to the exact ones rounded; nothing else is allowed.
        """
        if not isinstance(data, dict) or not {"rows", "multipliers_exact"} <= set(data) <= {"rows", "multipliers", "multipliers_exact"}:
            raise ValueError(f"a certificate has the fields rows, multipliers_exact (and multipliers); got {data!r}")
        rows = data["rows"]
        if not isinstance(rows, list) or not all(isinstance(r, int) and not isinstance(r, bool) for r in rows):
            raise ValueError(f"certificate rows must be a list of integers; got {rows!r}")
        rows = tuple(rows)
        exact = data["multipliers_exact"]
        if not isinstance(exact, list):
            raise ValueError("multipliers_exact must be a list of 'p/q' strings")
        multipliers = tuple(parse_fraction(s) for s in exact)
        if len(rows) != len(multipliers):
            raise ValueError("certificate rows and multipliers differ in length")
        if "multipliers" in data and data["multipliers"] != [float(x) for x in multipliers]:
            raise ValueError("the float multipliers disagree with multipliers_exact")
        return cls(rows=rows, multipliers=multipliers)


_FRACTION = re.compile(r"-?[0-9]{1,4000}(/[0-9]{1,4000})?")


def parse_fraction(text: object) -> Fraction:
    """An exact ``"p/q"`` (or ``"p"``) string as a Fraction; anything else is a ValueError.

    Plain digits only (no exponents, which could ask for astronomically large numbers), at
    most 4000 digits each side.

    Examples
    --------
    >>> parse_fraction("3/12")
    Fraction(1, 4)
    """
    if not isinstance(text, str) or not _FRACTION.fullmatch(text):
        raise ValueError(f"an exact multiplier must be a string 'p/q' of digits; got {str(text)[:40]!r}")
    return Fraction(text)


def _row_to_integers(values: Sequence[float]) -> list[int]:
    """Scale a row of floats by one power of two so that every entry is an integer."""
    ratios = [float(v).as_integer_ratio() for v in values]
    scale = max(q for _, q in ratios)  # denominators are powers of two: the max is the lcm
    return [p * (scale // q) for p, q in ratios]


def _gordan_system(A_rows: np.ndarray, t_rows: np.ndarray) -> flint.fmpq_mat:
    """Exact augmented matrix of ``sum lambda_i t_i [a_i; 1; 1] = [0; 0; 1]``.

    Rows are equations (n features, the bias, the normalisation), columns the candidate
    rows, plus the right-hand side as the last column. Floats convert to rationals exactly.
    """
    k, n = A_rows.shape
    signed = A_rows * t_rows[:, None]  # exact: multiplying by +-1
    entries: list[flint.fmpq] = []
    for j in range(n):
        entries.extend(flint.fmpq(*float(v).as_integer_ratio()) for v in signed[:, j])
        entries.append(flint.fmpq(0))
    entries.extend(flint.fmpq(int(t)) for t in t_rows)
    entries.append(flint.fmpq(0))
    entries.extend([flint.fmpq(1)] * (k + 1))
    return flint.fmpq_mat(n + 2, k + 1, entries)


def _solve_exact(aug: flint.fmpq_mat) -> list[Fraction] | None:
    """Basic solution of an exact augmented system (free unknowns 0), or None if inconsistent.

    Uses FLINT's reduced row echelon form: each nonzero row of the RREF has a leading 1 in
    its pivot column; a pivot in the right-hand-side column means no solution.
    """
    n_unknowns = aug.ncols() - 1
    rref, rank = aug.rref()
    solution = [Fraction(0)] * n_unknowns
    for r in range(rank):
        pivot = next(c for c in range(n_unknowns + 1) if rref[r, c] != 0)
        if pivot == n_unknowns:
            return None
        value = rref[r, n_unknowns]
        solution[pivot] = Fraction(int(value.p), int(value.q))
    return solution


def exact_certificate(
    A: np.ndarray, t: np.ndarray, candidate_rows: Sequence[int]
) -> Certificate | None:
    """Turn candidate rows (from a floating-point LP) into an exact certificate.

    Parameters
    ----------
    A : ndarray of shape (m, n)
        Inputs as given.
    t : ndarray of shape (m,)
        Targets in {-1, +1}.
    candidate_rows : sequence of int
        Rows that carry the LP's multipliers, most important first. Linearly dependent
        extras are dropped by the elimination.

    Returns
    -------
    Certificate or None
        A verified certificate, or None when these rows do not yield one exactly.
    """
    rows = list(dict.fromkeys(int(r) for r in candidate_rows))
    if not rows:
        return None
    A_rows = np.asarray(A, dtype=np.float64)[rows]
    t_rows = np.asarray(t)[rows]
    solution = _solve_exact(_gordan_system(A_rows, t_rows))
    if solution is None or any(x < 0 for x in solution):
        return None
    support = [(r, x) for r, x in zip(rows, solution) if x != 0]
    cert = Certificate(rows=tuple(r for r, _ in support), multipliers=tuple(x for _, x in support))
    return cert if verify_certificate(A, t, cert) else None


def verify_certificate(A: np.ndarray, t: np.ndarray, cert: Certificate) -> bool:
    """Re-check a certificate in exact rational arithmetic, independently of how it was found.

    Parameters
    ----------
    A : ndarray of shape (m, n)
        Inputs as given (floats are converted to rationals exactly).
    t : ndarray of shape (m,)
        Targets in {-1, +1}.
    cert : Certificate
        The claimed proof of non-separability.

    Returns
    -------
    bool
        True iff the rows are distinct and in range, every multiplier is positive, they
        sum to 1, and ``sum lambda_i t_i [a_i; 1] = 0`` holds exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from fractions import Fraction
    >>> A = np.array([[0.0], [1.0], [2.0]]); t = np.array([1, -1, 1])
    >>> verify_certificate(A, t, Certificate((0, 1, 2), (Fraction(1, 4), Fraction(1, 2), Fraction(1, 4))))
    True
    """
    A = np.asarray(A)
    t = np.asarray(t)
    m, n = A.shape
    if len(cert.rows) != len(cert.multipliers) or not cert.rows:
        return False
    if len(set(cert.rows)) != len(cert.rows) or not all(0 <= r < m for r in cert.rows):
        return False
    if any(not isinstance(x, Fraction) or x <= 0 for x in cert.multipliers):
        return False
    if sum(cert.multipliers) != 1:
        return False
    signs = [int(t[r]) for r in cert.rows]
    if any(s not in (-1, 1) for s in signs):
        return False
    # Common denominator: integer multipliers mu_i = lambda_i * L, then each equation is
    # scaled to integers by a power of two (exact), so the test is on Python integers.
    common = 1
    for lam in cert.multipliers:
        common = common * lam.denominator // gcd(common, lam.denominator)
    mu = [int(lam * common) * s for lam, s in zip(cert.multipliers, signs)]
    if sum(mu) != 0:
        return False
    block = np.asarray(A, dtype=np.float64)[list(cert.rows)]
    for j in range(n):
        if sum(m_i * a for m_i, a in zip(mu, _row_to_integers(list(block[:, j])))) != 0:
            return False
    return True


@dataclass(frozen=True)
class ExactDecision:
    """Outcome of :func:`decide_exactly`: a certificate, or exact separating weights."""

    certificate: Certificate | None = None
    weights: tuple[Fraction, ...] | None = None
    bias: Fraction | None = None


def decide_exactly(A: np.ndarray, t: np.ndarray, candidate_rows: Sequence[int]) -> ExactDecision:
    """Decide Gordan's system on some rows by an exact phase-1 simplex (rational arithmetic).

    The fallback for ill-conditioned data, where a floating-point LP drops tiny multipliers
    or margins (points 1e-12 apart, say). Phase 1 minimises the artificials of
    ``sum lambda_i t_i [a_i; 1; 1] = [0; 0; 1]``, ``lambda >= 0`` with Bland's rule (so it
    terminates). Optimum 0: the basic lambda is a certificate. Optimum > 0: the phase-1
    duals ``y`` satisfy ``y . column_i <= 0`` and ``y_last > 0`` (Farkas), so ``w = -y[:n]``,
    ``b = -y[n]`` separate the rows strictly, exactly. Cost grows quickly with the number
    of rows: callers keep ``candidate_rows`` small.

    Parameters
    ----------
    A : ndarray of shape (m, n)
        Inputs as given.
    t : ndarray of shape (m,)
        Targets in {-1, +1}.
    candidate_rows : sequence of int
        Rows to decide on.

    Returns
    -------
    ExactDecision
        A verified certificate, or exact rational weights separating ``candidate_rows``.
    """
    rows = list(dict.fromkeys(int(r) for r in candidate_rows))
    n = A.shape[1]
    columns = [
        [Fraction(float(A[r, j])) * int(t[r]) for j in range(n)] + [Fraction(int(t[r])), Fraction(1)] for r in rows
    ]
    n_eq, k = n + 2, len(rows)
    # tableau rows: [lambda (k) | artificial (n_eq) | rhs]; the basis starts at the artificials
    tableau = [
        [columns[c][i] for c in range(k)] + [Fraction(int(i == a)) for a in range(n_eq)] + [Fraction(int(i == n_eq - 1))]
        for i in range(n_eq)
    ]
    basis = [k + i for i in range(n_eq)]
    width = k + n_eq
    cost = [Fraction(int(j >= k)) for j in range(width)]
    while True:
        check_interrupt()  # a run whose deadline (in force) passed stops here (a no-op otherwise)
        reduced = [cost[j] - sum(cost[basis[i]] * tableau[i][j] for i in range(n_eq)) for j in range(width)]
        entering = next((j for j in range(width) if reduced[j] < 0), None)
        if entering is None:
            break
        ratios = [(tableau[i][-1] / tableau[i][entering], basis[i], i) for i in range(n_eq) if tableau[i][entering] > 0]
        _, _, pivot = min(ratios)  # phase 1 is bounded below, so some ratio exists
        head = tableau[pivot][entering]
        tableau[pivot] = [v / head for v in tableau[pivot]]
        for i in range(n_eq):
            factor = tableau[i][entering]
            if i != pivot and factor != 0:
                tableau[i] = [a - factor * b for a, b in zip(tableau[i], tableau[pivot])]
        basis[pivot] = entering
    if any(basis[i] >= k and tableau[i][-1] != 0 for i in range(n_eq)):
        duals = [cost[k + j] - reduced[k + j] for j in range(n_eq)]  # y = c_B B^-1
        return ExactDecision(weights=tuple(-y for y in duals[:n]), bias=-duals[n])
    support = [(rows[basis[i]], tableau[i][-1]) for i in range(n_eq) if basis[i] < k and tableau[i][-1] != 0]
    cert = Certificate(rows=tuple(r for r, _ in support), multipliers=tuple(x for _, x in support))
    return ExactDecision(certificate=cert if verify_certificate(A, t, cert) else None)
