"""Constraints on first-layer targets that the data implies, derived again by every checker.

Three families, all computed from the data alone (so a proof never lists them: the master
that re-checks a proof derives the same ones, :func:`ftprop_exact.proofs.master.master_spec`):

**Equal sums (2-summability).** When four distinct rows satisfy ``x_i + x_j = x_k + x_l``
exactly, every unit has ``z_i + z_j = z_k + z_l`` for ``z = w . x + b``, so no unit is on at
``i, j`` and off at ``k, l`` (the left side would be positive, the right side not), nor the
reverse. Each such quadruple is a first-layer cut with a certificate that needs no solver:
the identity itself. The master uses them where the first layer is left to the LP's cuts
(integer-valued data); a first layer modelled exactly (Boolean data) implies them already.

**Betweenness.** When row ``j`` lies strictly between rows ``i`` and ``k`` on a segment
(``x_j = lam x_i + (1 - lam) x_k``, ``0 < lam < 1``), then ``z_j`` lies between ``z_i`` and
``z_k``: a unit on (off) at both ends is on (off) at ``j``. On points that lie on a line these
clauses say everything a unit can do there (at most one change of sign along the line), which
is what lets the whole-network MILP's relaxation dismiss such data; here they are exact.

**Data symmetries.** A *flip* of a two-valued column (``x_c -> a + b - x_c``) or a *swap*
of two columns that maps the set of rows onto itself, each row's label kept (or every label
negated), maps every network that fits the data to one that fits it too (flip: negate the
column's weight in layer 1 and move the bias; swap: exchange two weights; negated labels:
negate the output layer). Flips and swaps generate a group ``G``; for every solution some
``g`` in ``G`` makes the weights ``w`` of one chosen first-layer unit (unit 0) non-negative on
every flippable column and non-increasing along every connected component of the swap graph
(transpositions that connect a set of columns generate all its permutations, and a component
holds either only flippable or only non-flippable columns, since ``swap . flip . swap`` is a
flip). Such weights imply, on the targets ``t`` of unit 0: ``t(x) -> t(x')`` when ``x'``
raises a flippable column of ``x`` from its low to its high value, and when ``x'`` moves the
high value of column ``d`` to the earlier column ``c`` of the same component. Those
implications are the symmetry breaking; the master then breaks the negation and permutation
symmetry of the other units of layer 1 only (``docs/exact_search.md``).

All three work on integer matrices (the data's values, or the +-1 encoding of Boolean
data), where every comparison is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ftprop_exact.budget import check_interrupt

QUAD_ROWS_MAX = 512  # rows beyond which equal sums are not searched (pairs grow quadratically)
QUAD_WORK_MAX = 20_000_000  # row pairs x columns: the sums searched (memory and time), at most
QUADS_MAX = 50_000  # equal-sum quadruples kept, at most (clauses = 2 x width x quadruples)
SYMMETRY_WORK_MAX = 20_000_000  # rows x columns^3 (n^2 tests of u x n each): beyond it, no symmetry search
EXACT_INTEGER_MAX = 2**40  # integer data up to this size: sums are exact in int64
BETWEEN_INTEGER_MAX = 2**24  # products of differences stay exact in int64 below this size
BETWEEN_ROWS_MAX = 400  # rows beyond which betweenness is not searched (cubic work)


@dataclass(frozen=True)
class DataSymmetry:
    """Column flips and swaps that map the data onto itself.

    Attributes
    ----------
    flips : tuple of int
        Columns whose two values may be exchanged.
    components : tuple of tuple of int
        Connected components (two or more columns, ascending) of the swap graph.
    """

    flips: tuple[int, ...]
    components: tuple[tuple[int, ...], ...]

    def __bool__(self) -> bool:
        return bool(self.flips or self.components)


def exact_integer_inputs(X: np.ndarray) -> np.ndarray | None:
    """``X`` as int64 when every entry is an integer of moderate size, else None."""
    X = np.asarray(X)
    if X.size == 0:
        return X.astype(np.int64)
    integral = X.dtype.kind in "iub" or (X.dtype.kind == "f" and np.all(np.isfinite(X)) and np.all(X == np.round(X)))
    # the size test runs on the values as given: a cast first wraps 1e19 (or uint64) to negatives
    if not integral or not -EXACT_INTEGER_MAX <= float(X.min()) <= float(X.max()) <= EXACT_INTEGER_MAX:
        return None
    return X.astype(np.int64)


def equal_sum_quads(S: np.ndarray, limit: int = QUADS_MAX) -> list[tuple[int, int, int, int]]:
    """Quadruples ``(i, j, k, l)`` of distinct rows with ``S[i] + S[j] == S[k] + S[l]`` exactly.

    Each unordered pair of pairs appears once, ``i < j``, ``k < l`` and ``(i, j) < (k, l)``,
    in a deterministic order (by sum, then pairs); at most ``limit`` of them, none when
    ``S`` has more than :data:`QUAD_ROWS_MAX` rows.

    Examples
    --------
    >>> equal_sum_quads(np.array([[0, 0], [0, 1], [1, 0], [1, 1]]))
    [(0, 3, 1, 2)]
    """
    S = np.asarray(S, dtype=np.int64)
    u = S.shape[0]
    if u < 4 or u > QUAD_ROWS_MAX or limit <= 0 or u * u * S.shape[1] > QUAD_WORK_MAX:
        return []
    first, second = np.triu_indices(u, k=1)
    sums = S[first] + S[second]
    order = np.lexsort(sums.T[::-1]) if sums.shape[1] else np.arange(first.size)
    sums, first, second = sums[order], first[order], second[order]
    same_as_next = np.all(sums[1:] == sums[:-1], axis=1) if sums.shape[1] else np.ones(first.size - 1, dtype=bool)
    starts = np.flatnonzero(np.concatenate(([True], ~same_as_next)))
    ends = np.concatenate((starts[1:], [first.size]))
    quads: list[tuple[int, int, int, int]] = []
    for start, end in zip(starts, ends):
        if end - start < 2:
            continue
        check_interrupt()
        pairs = sorted(zip(first[start:end].tolist(), second[start:end].tolist()))
        for a in range(len(pairs)):
            for b in range(a + 1, len(pairs)):
                quads.append((*pairs[a], *pairs[b]))
                if len(quads) >= limit:
                    return quads
    return quads


def between_triples(S: np.ndarray, limit: int = QUADS_MAX) -> list[tuple[int, int, int]]:
    """Triples ``(i, j, k)``, ``i < k``, with row ``j`` strictly inside the segment from ``i`` to ``k``.

    Exact on integer rows of size at most :data:`BETWEEN_INTEGER_MAX` (none otherwise, and
    none beyond :data:`BETWEEN_ROWS_MAX` rows); at most ``limit`` of them, in order.

    Examples
    --------
    >>> between_triples(np.array([[0, 0], [2, 2], [1, 1], [1, 0]]))
    [(0, 2, 1)]
    """
    S = np.asarray(S, dtype=np.int64)
    u = S.shape[0]
    size = max(-int(S.min(initial=0)), int(S.max(initial=0)))  # no np.abs: it wraps -2^63
    if u < 3 or u > BETWEEN_ROWS_MAX or limit <= 0 or size > BETWEEN_INTEGER_MAX or S.shape[1] * (2 * size) ** 2 >= 2**63:
        return []  # beyond: the dot products below could leave int64
    triples: list[tuple[int, int, int]] = []
    for i in range(u - 1):
        check_interrupt()
        D = S - S[i]  # row j relative to row i
        for k in range(i + 1, u):
            d = D[k]
            # j on the segment: D_j parallel to d (its 2x2 minors with a pivot column q of d
            # zero: then D_j = (D_j[q] / d[q]) d), 0 < D_j . d < d . d
            dots = D @ d
            inside = (dots > 0) & (dots < d @ d)
            if not inside.any():
                continue
            candidates = np.flatnonzero(inside)
            q = int(np.flatnonzero(d)[0])  # d != 0: d . d > 0 above
            cross = D[candidates] * d[q] - D[candidates][:, q : q + 1] * d[None, :]
            for j in candidates[~cross.any(axis=1)]:
                triples.append((i, int(j), k))
                if len(triples) >= limit:
                    return triples
    return triples


def data_symmetry(S: np.ndarray, Y: np.ndarray, counts: np.ndarray | None = None) -> DataSymmetry:
    """The flips and swaps of the columns of ``S`` (+-1 entries) that map the data onto itself.

    A flip negates a column; a swap exchanges two columns. Either must map every row to a
    row of ``S`` whose label row is the same for all rows, or the negation for all rows
    (and whose count is the same, when ``counts`` are given: minimising errors).

    Examples
    --------
    >>> S = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])
    >>> data_symmetry(S, np.array([[-1], [1], [1], [-1]]))
    DataSymmetry(flips=(0, 1), components=((0, 1),))
    >>> data_symmetry(S, np.array([[-1], [-1], [-1], [1]]))
    DataSymmetry(flips=(), components=((0, 1),))
    """
    S = np.asarray(S, dtype=np.int64)
    Y = np.asarray(Y).reshape(S.shape[0], -1)
    u, n = S.shape
    if n == 0 or u * n**3 > SYMMETRY_WORK_MAX or not np.all(np.abs(S) == 1):
        return DataSymmetry((), ())
    index = {row.tobytes(): i for i, row in enumerate(S)}
    if len(index) != u:
        return DataSymmetry((), ())

    def is_symmetry(image: np.ndarray) -> bool:
        targets = [index.get(row.tobytes()) for row in image]
        if any(t is None for t in targets):
            return False
        mapped = np.asarray(targets)
        if counts is not None and not np.array_equal(np.asarray(counts)[mapped], np.asarray(counts)):
            return False
        return bool(np.array_equal(Y[mapped], Y) or np.array_equal(Y[mapped], -Y))

    flips = []
    for c in range(n):
        check_interrupt()
        image = S.copy()
        image[:, c] *= -1
        if is_symmetry(image):
            flips.append(c)
    parent = list(range(n))

    def root(c: int) -> int:
        while parent[c] != c:
            c = parent[c]
        return c

    for c in range(n):
        for d in range(c + 1, n):
            check_interrupt()
            if root(c) == root(d):
                continue  # already connected: the transposition is generated
            image = S.copy()
            image[:, [c, d]] = image[:, [d, c]]
            if is_symmetry(image):
                parent[root(d)] = root(c)
    groups: dict[int, list[int]] = {}
    for c in range(n):
        groups.setdefault(root(c), []).append(c)
    components = tuple(tuple(g) for g in sorted(groups.values()) if len(g) > 1)
    return DataSymmetry(tuple(flips), components)


def canonical_unit_implications(S: np.ndarray, symmetry: DataSymmetry) -> list[tuple[int, int]]:
    """Row pairs ``(i, j)``: unit 0's target on ``i`` implies its target on ``j`` (``t_i -> t_j``).

    ``S`` has +-1 entries; the pairs state that unit 0's weights are non-negative on the
    flippable columns and non-increasing along each component (see the module docstring).
    """
    S = np.asarray(S, dtype=np.int64)
    index = {row.tobytes(): i for i, row in enumerate(S)}
    pairs: list[tuple[int, int]] = []
    for c in symmetry.flips:
        for i in np.flatnonzero(S[:, c] == -1):
            up = S[i].copy()
            up[c] = 1
            j = index.get(up.tobytes())
            if j is not None:
                pairs.append((int(i), int(j)))
    for component in symmetry.components:
        for c, d in zip(component[:-1], component[1:]):  # w_c >= w_d
            for i in np.flatnonzero((S[:, c] == -1) & (S[:, d] == 1)):
                moved = S[i].copy()
                moved[c], moved[d] = 1, -1
                j = index.get(moved.tobytes())
                if j is not None:
                    pairs.append((int(i), int(j)))
    return pairs
