"""Exhaustive search for tiny problems: an independent oracle for the exact searchers.

One hidden layer only. Every first-layer column (up to negation) is checked once by the
exact LP; every multiset of ``h`` separable columns is then tried against the output
layer, whose inputs are +-1 patterns: a unit fits iff some threshold function of ``h``
inputs agrees with the labels on the patterns that occur. The threshold functions are
enumerated from integer weights within generous bounds (``|w| <= 2 M(h)``,
``|b| <= 2 (h+2) M(h) + 1``; twice the bound the CP-SAT master relies on, so the two
do not share an assumption).

The proof (:class:`~ftprop_exact.proofs.exhaustive.ExhaustiveProof`) carries a certificate
for every first-layer column the LP rejected, and is re-checked by an enumeration that
shares nothing with this one. A combination that passes the truth-table test but yields no
verified network makes the answer UNKNOWN, never INFEASIBLE.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.errors import DataError
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.benders import ProofCut
from ftprop_exact.proofs.exhaustive import ExhaustiveProof
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.search_base import Capabilities, Incumbent, SearchOutcome, require_deciding_learner, try_targets
from ftprop_exact.status import Status

MAX_ROWS = 14  # distinct rows: 2^(rows-1) first-layer columns
MAX_WIDTH = 4  # threshold functions of up to 4 inputs are enumerated
MAX_COMBINATIONS = 2_000_000


@lru_cache(maxsize=None)
def threshold_truth_tables(h: int) -> np.ndarray:
    """Every threshold function of ``h`` +-1 inputs as a truth-table bitmask (bit p = value on pattern p).

    Pattern ``p`` has input ``q`` equal to +1 iff bit ``q`` of ``p`` is set.

    Examples
    --------
    >>> [threshold_truth_tables(h).size for h in (1, 2, 3)]   # OEIS A000609
    [4, 14, 104]
    """
    if not 0 <= h <= MAX_WIDTH:
        raise ValueError(f"threshold functions are enumerated for at most {MAX_WIDTH} inputs")
    m_h = (h + 1) ** ((h + 1) / 2) / 2**h
    w_max, b_max = math.floor(2 * m_h), math.floor(2 * (h + 2) * m_h + 1)
    patterns = np.array([[1 if (p >> q) & 1 else -1 for q in range(h)] for p in range(2**h)], dtype=np.int64)
    grid = list(itertools.product(range(-w_max, w_max + 1), repeat=h))
    weights = np.array(grid, dtype=np.int64).reshape(len(grid), h)
    z = weights @ patterns.T  # (candidates, patterns)
    bits = np.int64(1) << np.arange(2**h, dtype=np.int64)
    tables = set()
    for b in range(-b_max, b_max + 1):
        positive = (z + b) > 0
        tables.update(((positive * bits).sum(axis=1)).tolist())
    return np.array(sorted(tables), dtype=np.int64)


def _output_fits(patterns: np.ndarray, y: np.ndarray, tables: np.ndarray) -> bool:
    """Is there a threshold function with value ``y_i`` on pattern ``patterns_i`` for all i?"""
    care = 0
    value = 0
    for p, label in zip(patterns.tolist(), y.tolist()):
        bit = 1 << p
        if care & bit and bool(value & bit) != (label > 0):
            return False
        care |= bit
        if label > 0:
            value |= bit
    return bool(np.any((tables & care) == value))


class BruteForceSearcher:
    """Exhaustive search over first-layer columns (one hidden layer, tiny problems only).

    Raises
    ------
    ValueError
        When the problem is too large (the message says which limit).
    """

    name = "brute"
    capabilities = Capabilities(proves=True)

    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Enumerate; FEASIBLE with a network, INFEASIBLE with an exhaustive proof, or UNKNOWN on time-out."""
        self._check_size(problem)
        require_deciding_learner(f"searcher {self.name!r}", learner)
        h = problem.hidden[0]
        u = problem.n_rows
        found = self._separable_columns(problem, learner, deadline)
        if found is None:
            return SearchOutcome(Status.UNKNOWN, stats={"rows": u, "stage": "columns"})
        columns, cuts = found
        tables = threshold_truth_tables(h)
        weights_of_bits = 1 << np.arange(h)
        combos = unverified = 0
        for chosen in itertools.combinations_with_replacement(range(len(columns)), h):
            combos += 1
            if combos % 4096 == 0 and deadline.expired():
                return SearchOutcome(Status.UNKNOWN, stats={"columns": len(columns), "combinations": combos})
            T1 = np.stack([columns[c] for c in chosen], axis=1)
            patterns = ((T1 > 0) * weights_of_bits).sum(axis=1)
            if all(_output_fits(patterns, problem.Y[:, k], tables) for k in range(problem.Y.shape[1])):
                try_targets(problem, [T1], learner, incumbent)
                if incumbent.exact:
                    return SearchOutcome(Status.FEASIBLE, stats={"columns": len(columns), "combinations": combos})
                unverified += 1  # the truth tables say it fits, but no verified network came of it
        stats = {"columns": len(columns), "combinations": combos, "rows": u}
        if unverified:
            stats["unverified_combinations"] = unverified
            return SearchOutcome(Status.UNKNOWN, stats=stats)
        return SearchOutcome(Status.INFEASIBLE, proof=ExhaustiveProof(problem.claim(), tuple(cuts)), stats=stats)

    @staticmethod
    def _check_size(problem: Problem) -> None:
        """Refuse (:class:`DataError`, exit 2 on the command line) what brute force cannot enumerate."""
        if len(problem.hidden) != 1:
            raise DataError("the brute-force searcher handles exactly one hidden layer")
        h, u = problem.hidden[0], problem.n_rows
        if h > MAX_WIDTH:
            raise DataError(f"the brute-force searcher handles widths up to {MAX_WIDTH}; asked for {h}")
        if u > MAX_ROWS:
            raise DataError(f"the brute-force searcher handles up to {MAX_ROWS} distinct rows; the data has {u}")
        n_columns = 2 ** (u - 1)
        if math.comb(n_columns + h - 1, h) > MAX_COMBINATIONS:
            raise DataError(
                f"too large for brute force: up to {math.comb(n_columns + h - 1, h)} column combinations "
                f"(limit {MAX_COMBINATIONS}); use fewer rows or a smaller width"
            )

    @staticmethod
    def _separable_columns(
        problem: Problem, learner: SeparabilityLearner, deadline: Deadline | None = None
    ) -> tuple[list[np.ndarray], list[ProofCut]] | None:
        """Every first-layer column with row 0 = +1 that the LP proves separable, and a cut
        (certificate in rows of the data as given) for each one it proves not separable.

        None on time-out. Raises RuntimeError when the LP leaves a column undecided.
        """
        u = problem.n_rows
        candidates = np.array(
            [[1] + [1 if (c >> i) & 1 else -1 for i in range(u - 1)] for c in range(2 ** (u - 1))], dtype=np.int8
        ).T
        verdicts = []
        for start in range(0, candidates.shape[1], 256):
            if deadline is not None and deadline.expired():
                return None
            verdicts.extend(learner.check_layer(problem.X, candidates[:, start : start + 256]))
        if any(v.separable is None for v in verdicts):
            raise RuntimeError("the LP left a first-layer column undecided; brute force cannot conclude")
        columns = [candidates[:, c] for c, v in enumerate(verdicts) if v.separable]
        cuts = {}
        for c, v in enumerate(verdicts):
            if v.separable is False:
                rows = tuple(int(problem.row_index[r]) for r in v.certificate.rows)
                signs = tuple(int(candidates[r, c]) for r in v.certificate.rows)
                cuts.setdefault((rows, signs), ProofCut(rows, signs, v.certificate.multipliers))
        return columns, list(cuts.values())


def minimum_errors(problem: Problem, learner: SeparabilityLearner) -> int:
    """The fewest training errors of any network with one hidden layer, by enumeration.

    Binary labels only (one output unit); errors are weighted by ``problem.counts``. The
    oracle of the error-minimisation tests.
    """
    BruteForceSearcher._check_size(problem)
    if problem.Y.shape[1] != 1:
        raise ValueError("minimum_errors handles two classes (one output unit)")
    h = problem.hidden[0]
    tables = threshold_truth_tables(h)
    table_bits = ((tables[:, None] >> np.arange(2**h)) & 1).astype(np.int64)  # (functions, patterns)
    positive = problem.Y[:, 0] > 0
    counts = np.asarray(problem.counts, dtype=np.int64)
    columns, _ = BruteForceSearcher._separable_columns(problem, learner)
    best = int(counts.sum())
    for chosen in itertools.combinations_with_replacement(range(len(columns)), h):
        T1 = np.stack([columns[c] for c in chosen], axis=1)
        patterns = ((T1 > 0) * (1 << np.arange(h))).sum(axis=1)
        pos = np.bincount(patterns, weights=counts * positive, minlength=2**h)
        neg = np.bincount(patterns, weights=counts * ~positive, minlength=2**h)
        errors = table_bits @ neg + (1 - table_bits) @ pos
        best = min(best, int(errors.min()))
        if best == 0:
            break
    return best
