"""Slow, independent reference implementations used as test oracles (no LP, no numpy linalg)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np


def _solve_fraction_system(columns: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """Unique solution of ``sum_j x_j columns[j] = rhs`` if the columns are independent and it is consistent."""
    n_rows, n_cols = len(rhs), len(columns)
    M = [[columns[j][i] for j in range(n_cols)] + [rhs[i]] for i in range(n_rows)]
    row = 0
    pivots = []
    for col in range(n_cols):
        p = next((i for i in range(row, n_rows) if M[i][col] != 0), None)
        if p is None:
            return None  # dependent columns: not a basis
        M[row], M[p] = M[p], M[row]
        head = M[row][col]
        M[row] = [v / head for v in M[row]]
        for i in range(n_rows):
            if i != row and M[i][col] != 0:
                f = M[i][col]
                M[i] = [a - f * b for a, b in zip(M[i], M[row])]
        pivots.append(col)
        row += 1
    if any(M[i][n_cols] != 0 for i in range(row, n_rows)):
        return None
    return [M[i][n_cols] for i in range(n_cols)]


def separable_by_enumeration(A: np.ndarray, t: np.ndarray) -> bool:
    """Exact separability by enumerating bases of Gordan's system.

    ``t`` is NOT separable iff ``{lambda >= 0 : sum lambda_i t_i [a_i; 1; 1] = [0; 0; 1]}``
    is nonempty iff it has a vertex, i.e. a set of linearly independent columns whose
    (unique) solution is nonnegative.
    """
    m, n = A.shape
    cols = [[Fraction(float(A[i, j])) * int(t[i]) for j in range(n)] + [Fraction(int(t[i])), Fraction(1)] for i in range(m)]
    rhs = [Fraction(0)] * (n + 1) + [Fraction(1)]
    for size in range(1, min(m, n + 2) + 1):
        for subset in itertools.combinations(range(m), size):
            sol = _solve_fraction_system([cols[i] for i in subset], rhs)
            if sol is not None and all(x >= 0 for x in sol):
                return False
    return True


def separable_by_integer_weights(A: np.ndarray, t: np.ndarray, w_max: int, b_max: int) -> bool:
    """Separability of +-1 inputs by enumerating integer weights (Muroga bounds make it exact)."""
    m, n = A.shape
    grid = np.array(list(itertools.product(range(-w_max, w_max + 1), repeat=n)), dtype=np.int64)
    z = grid @ A.astype(np.int64).T  # (candidates, m)
    for b in range(-b_max, b_max + 1):
        if np.any(np.all(t[None, :] * (z + b) > 0, axis=1)):
            return True
    return False


def separates_exactly(A: np.ndarray, t: np.ndarray, w: np.ndarray, b: float) -> bool:
    """Check ``t_i (a_i . w + b) > 0`` for every row in rational arithmetic."""
    W = [Fraction(float(v)) for v in w]
    B = Fraction(float(b))
    for i in range(A.shape[0]):
        z = sum((Fraction(float(A[i, j])) * W[j] for j in range(A.shape[1])), B)
        if int(t[i]) * z <= 0:
            return False
    return True


def single_layer_min_errors(X: np.ndarray, Y: np.ndarray) -> int:
    """Fewest examples any network without hidden layers gets wrong, by enumerating the
    rows given up (smallest sets first) and deciding every output unit on the rest exactly."""
    m = X.shape[0]
    Y = np.asarray(Y).reshape(m, -1)
    for size in range(m + 1):
        for dropped in itertools.combinations(range(m), size):
            keep = [i for i in range(m) if i not in dropped]
            if all(separable_by_enumeration(X[keep], Y[keep, k]) for k in range(Y.shape[1])):
                return size
    return m


def min_distinguishing_width(X: np.ndarray, Y: np.ndarray) -> int | None:
    """Fewest first-layer units whose code differs on every two differently labelled rows.

    Every network (any depth) needs at least this many first-layer units; the must-differ
    bound may never exceed it. Columns are enumerated (row 0 fixed to +1: a unit and its
    negation separate the same pairs) and decided by :func:`separable_by_enumeration`;
    then widths 1, 2, ... by the sets of pairs reachable with that many columns. None when
    no width works (identical rows with different labels).
    """
    m = X.shape[0]
    Y = np.asarray(Y).reshape(m, -1)
    pairs = [(a, b) for a in range(m) for b in range(a + 1, m) if not np.array_equal(Y[a], Y[b])]
    full = (1 << len(pairs)) - 1
    masks = set()
    for bits in itertools.product((1, -1), repeat=m - 1):
        t = np.array((1,) + bits)
        if separable_by_enumeration(X, t):
            masks.add(sum(1 << k for k, (a, b) in enumerate(pairs) if t[a] != t[b]))
    reached = {0}
    for width in range(1, m + 1):
        reached = {r | c for r in reached for c in masks}
        if full in reached:
            return width
    return None


def assert_searchers_agree_with_brute_force(data, hidden: list[int], searchers, context: object) -> None:
    """Every searcher's verdict equals the brute-force oracle's, with a verified network or proof."""
    from ftprop_exact import Status, solve

    truth = solve(data, hidden=hidden, searcher="brute", time_limit=None)
    assert truth.status is not Status.UNKNOWN
    for searcher in searchers:
        result = solve(data, hidden=hidden, searcher=searcher, time_limit=60)
        assert result.status is truth.status, (context, searcher, hidden)
        if result.status is Status.FEASIBLE:
            assert result.network.verify(data.X, data.Y).ok
        else:
            assert result.proof.verify(data)
def _margin_feasible(A_ub: np.ndarray, b_ub: np.ndarray, n_vars: int) -> bool:
    """Is ``max eps`` subject to ``A_ub [v; eps] <= b_ub``, ``eps <= 1`` positive (above 1e-7)?

    Only :func:`qrelu_feasible_by_enumeration` uses an LP (scipy's, in its own formulation):
    its instances have small integer inputs, whose feasible systems have margins far above
    the threshold.
    """
    from scipy.optimize import linprog

    if A_ub.shape[0] == 0:
        return True
    c = np.zeros(n_vars + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=[(None, None)] * n_vars + [(None, 1.0)], method="highs")
    return res.status == 0 and -res.fun > 1e-7


def level_column_feasible(X: np.ndarray, levels: list[int], n_levels: int) -> bool:
    """Some ``w, b`` with ``l_i - 1 < x_i . w + b <= l_i`` on every row (ends open), by the margin LP
    ``l_i - 1 + eps <= z_i <= l_i - eps`` (no lifting; a closed upper end can always be made strict
    by lowering ``b`` a little, so a positive margin exists iff the levels do)."""
    m, n = X.shape[0], X.shape[1]
    rows, rhs = [], []
    for i, level in enumerate(levels[:m]):
        a = np.concatenate([X[i], [1.0]])
        if level >= 1:  # -(z) + eps <= -(l - 1)
            rows.append(np.concatenate([-a, [1.0]]))
            rhs.append(-(level - 1.0))
        if level <= n_levels - 2:  # z + eps <= l
            rows.append(np.concatenate([a, [1.0]]))
            rhs.append(float(level))
    return _margin_feasible(np.array(rows).reshape(len(rows), n + 2), np.array(rhs), n + 1)


def realisable_level_columns(X: np.ndarray, n_levels: int) -> list[tuple[int, ...]]:
    """Every level column (``K^m`` candidates) one ``qrelu:K`` unit computes on the rows of ``X``,
    by depth-first search over the rows (an infeasible prefix prunes every extension)."""
    m = X.shape[0]
    found: list[tuple[int, ...]] = []

    def extend(prefix: list[int]) -> None:
        if len(prefix) == m:
            found.append(tuple(prefix))
            return
        for level in range(n_levels):
            candidate = prefix + [level]
            if level_column_feasible(X[: len(candidate)], candidate, n_levels):
                extend(candidate)

    extend([])
    return found


def _output_separable(H: np.ndarray, y: np.ndarray, cache: dict) -> bool:
    """A sign unit with ``y_i (h_i . v + c) > 0`` on the integer level vectors ``H`` (labels +-1)."""
    key = tuple(sorted(set(zip(map(tuple, H.astype(int).tolist()), y.tolist()))))
    if key not in cache:
        vectors = {}
        conflict = any(vectors.setdefault(v, label) != label for v, label in key)
        if conflict:
            cache[key] = False
        else:
            pts = np.array([v for v, _ in key], dtype=np.float64)
            signs = np.array([label for _, label in key], dtype=np.float64)
            a = np.hstack([pts, np.ones((len(key), 1))]) * signs[:, None]
            # y (h v + c) >= eps  <=>  -(y [h; 1]) . [v; c] + eps <= 0
            cache[key] = _margin_feasible(np.hstack([-a, np.ones((len(key), 1))]), np.zeros(len(key)), pts.shape[1] + 1)
    return cache[key]


def qrelu_feasible_by_enumeration(X: np.ndarray, y: np.ndarray, width: int, n_levels: int) -> bool:
    """Does a network with one hidden layer of ``width`` ``qrelu:K`` units and a sign output fit?

    Brute force over level targets: every realisable first-layer level column
    (:func:`realisable_level_columns`), every multiset of ``width`` of them (units are
    interchangeable), and an exact-fit check of the output unit over the level vectors.
    Independent of the engine: no lifted problem, no certificates, no CP-SAT.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.where(np.asarray(y).reshape(-1) > 0, 1, -1)
    columns = realisable_level_columns(X, n_levels)
    cache: dict = {}
    for chosen in itertools.combinations_with_replacement(range(len(columns)), width):
        H = np.array([columns[c] for c in chosen]).T
        if _output_separable(H, y, cache):
            return True
    return False
