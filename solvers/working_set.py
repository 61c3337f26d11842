"""The working set of row generation: which rows to search on first, and which to add.

A :class:`WorkingSet` holds distinct rows of a :class:`~ftprop_exact.problem.Problem`
(with every copy of each in the data as given, so that a subset carries the multiplicities
of the rows it represents). It only grows, and new rows go to the end: row ``i`` of the
subset problem stays the same example from round to round, so what a searcher learnt about
the subset's rows (first-layer cuts name rows) stays true when it is searched again.

The first working set is a class-stratified random sample plus the rows closest to the
decision boundary of a least-squares linear fit (the rows a linear model finds hardest,
where a network's hyperplanes have to pass). Each round then adds up to ``k`` rows that the
round's best network gets wrong, the most violated first, taken in turn from each label
pattern so that no class is left out.
"""

from __future__ import annotations

import numpy as np

from ftprop_exact.network import ThresholdNetwork, apply_activation
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.subset import take_rows
from ftprop_exact.rounding import affine_rounding_bound
from ftprop_exact.rows import group_identical_rows


class WorkingSet:
    """Distinct rows of ``problem`` that the search currently sees, in the order added.

    Parameters
    ----------
    problem : Problem
        The whole problem (distinct rows).
    merge : {"features", "examples"}
        How the subset problems merge duplicates (as ``problem`` was built).
    """

    def __init__(self, problem: Problem, merge: str) -> None:
        self.problem = problem
        self.merge = merge
        self.chosen: list[int] = []
        self.member = np.zeros(problem.n_rows, dtype=bool)
        self._copies = _copies_of_distinct_rows(problem)
        self._patterns = _label_patterns(problem.Y)

    @property
    def size(self) -> int:
        """Number of distinct rows in the working set."""
        return len(self.chosen)

    @property
    def n_examples(self) -> int:
        """Number of examples of the data as given in the working set (copies included)."""
        return int(sum(self._copies[i].size for i in self.chosen))

    @property
    def covers_all(self) -> bool:
        """True when every distinct row is in the working set."""
        return self.size == self.problem.n_rows

    def rows(self) -> np.ndarray:
        """Rows of the data as given: every copy of each chosen row, in the order chosen."""
        if not self.chosen:
            return np.zeros(0, dtype=np.intp)
        return np.concatenate([self._copies[i] for i in self.chosen])

    def subproblem(self) -> Problem:
        """The problem on the working set's rows (row ``i`` is the ``i``-th row chosen)."""
        p = self.problem
        return Problem.build(take_rows(p.data, self.rows()), p.hidden, p.activation, merge=self.merge)

    def add(self, rows: np.ndarray) -> int:
        """Append the distinct rows ``rows`` not yet chosen (in the order given); how many were new."""
        new = [int(r) for r in dict.fromkeys(np.asarray(rows, dtype=np.intp).tolist()) if not self.member[r]]
        self.chosen.extend(new)
        self.member[new] = True
        return len(new)

    def seed(self, size: int, rng: np.random.Generator) -> None:
        """Choose the first rows: two thirds a stratified sample, one third near a linear boundary."""
        size = min(int(size), self.problem.n_rows)
        self.add(self._stratified_sample(size - size // 3, rng))
        self.add(self._near_linear_boundary(size // 3))
        self.add(self._stratified_sample(size - self.size, rng, exclude=self.member))

    def grow(self, network: ThresholdNetwork, k: int) -> int:
        """Add up to ``k`` rows outside the set that ``network`` gets wrong; how many were added."""
        margin = row_margins(self.problem, network)
        wrong = np.flatnonzero((margin <= 0) & ~self.member)
        if wrong.size == 0:
            return 0
        order = wrong[np.argsort(margin[wrong], kind="stable")]
        return self.add(_round_robin(order, self._patterns[order], k))

    def grow_near(self, network: ThresholdNetwork, k: int) -> int:
        """Add up to ``k`` rows outside the set nearest (Euclidean) to rows inside it that ``network`` gets wrong.

        For a round that ran out of time with a best network wrong only inside the set: a
        hard region of the input space (say, a small infeasible core) may still miss rows
        that no network seen gets wrong; its neighbours are the likeliest.
        """
        margin = row_margins(self.problem, network)
        wrong = np.flatnonzero((margin <= 0) & self.member)[:16]
        outside = np.flatnonzero(~self.member)
        if wrong.size == 0 or outside.size == 0:
            return 0
        X = self.problem.X
        per_row = max(1, k // wrong.size)
        near = []
        for r in wrong:
            distance = ((X[outside] - X[r]) ** 2).sum(axis=1)
            near.append(outside[np.argsort(distance, kind="stable")[:per_row]])
        return self.add(np.concatenate(near)[:k])

    def _stratified_sample(self, count: int, rng: np.random.Generator, exclude: np.ndarray | None = None) -> np.ndarray:
        """``count`` random rows, each label pattern in proportion (every pattern at least once)."""
        candidates = np.arange(self.problem.n_rows) if exclude is None else np.flatnonzero(~exclude)
        if count <= 0 or candidates.size == 0:
            return np.zeros(0, dtype=np.intp)
        shuffled = rng.permutation(candidates)
        return _round_robin(shuffled, self._patterns[shuffled], count, proportional=True)

    def _near_linear_boundary(self, count: int) -> np.ndarray:
        """The ``count`` rows with the smallest |z| of a least-squares fit ``[X 1] w ~ Y`` (per output)."""
        if count <= 0:
            return np.zeros(0, dtype=np.intp)
        X, Y = self.problem.X, self.problem.Y.astype(np.float64)
        A = np.hstack([X, np.ones((X.shape[0], 1))])
        fit_rows = np.arange(A.shape[0])
        if fit_rows.size > BOUNDARY_FIT_ROWS:  # the fit on a sample: linear time at any size
            fit_rows = np.random.default_rng(0).choice(fit_rows, BOUNDARY_FIT_ROWS, replace=False)
        w, *_ = np.linalg.lstsq(A[fit_rows], Y[fit_rows], rcond=None)
        closeness = np.abs(A @ w).min(axis=1)
        return np.argsort(closeness, kind="stable")[:count]


BOUNDARY_FIT_ROWS = 8192
"""Rows the least-squares fit of the first working set is made on, at most (a uniform sample)."""


def row_margins(problem: Problem, network: ThresholdNetwork) -> np.ndarray:
    """Per distinct row, the smallest output margin ``t z`` of ``network``, or 0 when uncertain.

    A row with a margin <= 0 is wrong, or has some pre-activation (hidden or output) whose
    sign rounding could flip (the rigorous bound of :mod:`ftprop_exact.rounding`), as the
    incumbent's verification counts it.
    """
    H = problem.X
    uncertain = np.zeros(problem.n_rows, dtype=bool)
    Z = H
    for layer in network.layers:
        Z = layer.pre_activation(H)
        uncertain |= ~(np.abs(Z) > affine_rounding_bound(H, layer.weights, layer.bias)).all(axis=1)
        H = apply_activation(Z, layer.activation)
    margin = (problem.Y * Z).min(axis=1)
    margin[uncertain] = np.minimum(margin[uncertain], 0.0)
    return margin


def _round_robin(order: np.ndarray, patterns: np.ndarray, count: int, proportional: bool = False) -> np.ndarray:
    """Up to ``count`` of ``order``, keeping each pattern's order, interleaving the patterns.

    Plain round robin gives every pattern equal turns (growth: no class starves);
    ``proportional`` gives each pattern turns in proportion to its share (sampling).
    """
    if order.size <= count:
        return order
    rank = np.empty(order.size, dtype=np.float64)
    for p in np.unique(patterns):
        where = np.flatnonzero(patterns == p)
        step = order.size / where.size if proportional else 1.0
        rank[where] = np.arange(where.size) * step
    return order[np.argsort(rank, kind="stable")[:count]]


def _label_patterns(Y: np.ndarray) -> np.ndarray:
    """A small integer per distinct label row of ``Y``."""
    return group_identical_rows(Y.astype(np.float64)).inverse


def _copies_of_distinct_rows(problem: Problem) -> list[np.ndarray]:
    """For each distinct row of ``problem``, the rows of the data as given that it stands for.

    Copies are examples with equal features and labels (with merged features and no
    conflict, the same grouping as ``problem``'s); the first copy is the distinct row's.
    """
    data = problem.data
    groups = group_identical_rows(np.hstack([data.X, data.Y.astype(np.float64)]))
    order = np.argsort(groups.inverse, kind="stable")
    bounds = np.r_[0, np.cumsum(groups.counts())]
    group_of = groups.inverse[problem.row_index]
    return [order[bounds[g] : bounds[g + 1]] for g in group_of]
