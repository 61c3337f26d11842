"""Batched perceptron learner: K units on the same inputs at once, three back ends.

The perceptron is the fast path of separability checking. A unit it separates comes back
with weights verified rigorously by :func:`ftprop_exact.solvers.learners.base.verified_separator`;
a unit it cannot separate within its budget is *undecided* (``separable=None``): a
perceptron never says "not separable" (the ``"auto"`` learner hands those units to the LP).

Algorithm (shared by every back end): the inputs are prepared once per layer
(:func:`ftprop_exact.solvers.kernels.perceptron_xp.prepare_inputs`: seeded row order, whitening,
bias feature, unit-length rows), every unit starts from its least-squares weights, and
chunked perceptron epochs run on all undecided units at once. A unit is done when an
epoch makes no mistake (its weights then separate every prepared row). It is given up
(left to the LP) when least squares already misclassifies more than ``hopeless_fraction``
of the rows (random-looking labels: checked on a row sample first when the inputs are
large, so such units cost almost nothing), when its best mistake count has not improved
for ``patience`` epochs, or after ``max_epochs``. These budgets only ever cost speed,
never correctness: the LP decides every unit left undecided.

Back ends: ``"numba"`` (parallel JIT kernel, the CPU default), ``"numpy"`` (the reference)
and ``"cupy"`` (GPU); numpy and cupy share one array-namespace code path.
"""

from __future__ import annotations

import functools
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from ftprop_exact.solvers.kernels import perceptron_xp
from ftprop_exact.solvers.learners.base import UnitVerdict, as_target_matrix, constant_targets_verdict, verified_separator

BACKENDS = ("numba", "numpy", "cupy")
GPU_INSTALL_HINT = "pip install 'ftprop_exact[gpu]'"

# Why each unit ended (PerceptronRun.outcome).
SEPARATED = "separated"
CONSTANT = "constant"
HOPELESS = "hopeless"
STALLED = "stalled"
OUT_OF_EPOCHS = "out_of_epochs"
OUT_OF_TIME = "out_of_time"
UNVERIFIED = "unverified"

_SCREEN_TEST_ROWS = 1024


def load_cupy() -> ModuleType:
    """Import CuPy and check that a CUDA device is usable.

    Raises
    ------
    ImportError
        When CuPy is not installed or no CUDA device is available; the message carries the
        install hint.
    """
    try:
        import cupy
    except ImportError as exc:
        raise ImportError(f"the 'cupy' back end needs CuPy: {GPU_INSTALL_HINT}") from exc
    try:
        devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # noqa: BLE001 - CUDA reports missing drivers in many ways
        raise ImportError(f"the 'cupy' back end needs a CUDA GPU ({exc}); {GPU_INSTALL_HINT}") from exc
    if devices < 1:
        raise ImportError(f"the 'cupy' back end needs a CUDA GPU (none found); {GPU_INSTALL_HINT}")
    return cupy


@dataclass(frozen=True)
class PerceptronRun:
    """Everything one batched run produced.

    Attributes
    ----------
    verdicts : list of UnitVerdict
        One per target column: separable (verified) or undecided.
    epochs : ndarray of shape (K,)
        Epochs each unit trained before it was separated or given up (0 for constant).
    outcome : tuple of str
        Why each unit ended: ``"separated"``, ``"constant"``, ``"stalled"``,
        ``"out_of_epochs"``, ``"out_of_time"`` or ``"unverified"`` (an epoch without
        mistakes whose weights failed the rigorous check on the inputs as given).
    """

    verdicts: list[UnitVerdict]
    epochs: np.ndarray
    outcome: tuple[str, ...]


class _Progress:
    """Per-unit convergence and stall bookkeeping over the epochs of a run."""

    def __init__(self, start_mistakes: np.ndarray, patience: int, min_improvement: float) -> None:
        self.patience = patience
        self.min_improvement = min_improvement
        self.best = start_mistakes.astype(np.int64)
        self.since_best = np.zeros(start_mistakes.size, dtype=np.int64)
        self.epochs = np.zeros(start_mistakes.size, dtype=np.int64)
        self.outcome = np.full(start_mistakes.size, OUT_OF_EPOCHS, dtype=object)

    def next_round(self, active: np.ndarray, round_epochs: int) -> int:
        """Epochs for the next kernel call: no more than until the first unit could stall."""
        return int(max(1, min(round_epochs, np.min(self.patience - self.since_best[active]))))

    def record(self, active: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Take one round's mistake counts (epochs, len(active)); return the units still going."""
        going = np.ones(active.size, dtype=bool)
        for row in counts:
            for j in np.flatnonzero(going):
                unit = active[j]
                self.epochs[unit] += 1
                best = self.best[unit]
                if row[j] == 0:
                    self.outcome[unit] = SEPARATED
                    going[j] = False
                elif row[j] <= best - max(1, int(self.min_improvement * best)):
                    self.best[unit], self.since_best[unit] = row[j], 0
                else:
                    self.since_best[unit] += 1
                    if self.since_best[unit] >= self.patience:
                        self.outcome[unit] = STALLED
                        going[j] = False
        return active[going]


class PerceptronLearner:
    """Check K target columns at once with a batched perceptron (never says "not separable").

    Parameters
    ----------
    backend : {"numba", "numpy", "cupy"}, default="numba"
        ``"numba"``: parallel JIT kernel (CPU default). ``"numpy"``: the reference.
        ``"cupy"``: GPU (needs ``pip install 'ftprop_exact[gpu]'`` and a CUDA device).
    max_epochs : int, default=256
        Epoch budget per unit.
    patience : int, default=16
        Give a unit up when its best epoch mistake count has not improved for this many
        epochs (an improvement removes at least ``max(1, min_improvement * best)`` mistakes).
    min_improvement : float, default=0.02
        Relative improvement that resets the patience.
    hopeless_fraction : float, default=0.3
        Give a unit up before any epoch when least squares misclassifies more than this
        fraction of the rows (random labels sit near 1/2; separable targets far below). On
        large inputs (``m >= 4 (16 (n + 1) + 1024)``) this is first estimated on a row
        sample, so hopeless units cost almost nothing.
    chunks_per_epoch : int, default=16
        Rows are processed in this many chunks per epoch; each chunk's mistakes update the
        weights together.
    warm_scale : float, default=30.0
        Mean ``|z|`` of the least-squares start on the unit-length prepared rows; every
        perceptron step has length 1, so larger values mean smaller relative steps.
    margin : float, default=0.0
        A row is a mistake when ``t z <= margin`` (on the prepared rows).
    round_epochs : int, default=4
        Most epochs per kernel call; separated and stalled units leave between calls.
    seed : int, default=0
        Seed of the row order and of the screening sample (results are reproducible).
    time_limit : float or None, default=None
        Optional wall-clock budget in seconds for one call (checked between rounds; units
        still training then are undecided). None keeps runs deterministic.
    blas_threads : int or None, default=1
        BLAS threads during a call (``threadpoolctl``); the BLAS work here is small matrix
        products and the rigorous per-unit checks, which threads slow down when cores are
        shared (numba's own threads, other processes). None leaves the global setting.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> learner = PerceptronLearner(backend="numpy")
    >>> learner.check(A, np.array([-1, -1, -1, 1])).separable      # AND
    True
    >>> learner.check(A, np.array([-1, 1, 1, -1])).separable is None  # XOR: undecided
    True
    """

    decides = False  # finds separators, never a certificate: searchers that prove refuse it

    def __init__(
        self,
        backend: str = "numba",
        max_epochs: int = 256,
        patience: int = 16,
        min_improvement: float = 0.02,
        hopeless_fraction: float = 0.3,
        chunks_per_epoch: int = 16,
        warm_scale: float = 30.0,
        margin: float = 0.0,
        round_epochs: int = 4,
        seed: int = 0,
        time_limit: float | None = None,
        blas_threads: int | None = 1,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown perceptron back end {backend!r}; choose one of: {', '.join(BACKENDS)}")
        self.backend = backend
        self.name = backend
        self.max_epochs = max_epochs
        self.patience = patience
        self.min_improvement = min_improvement
        self.hopeless_fraction = hopeless_fraction
        self.chunks_per_epoch = chunks_per_epoch
        self.warm_scale = warm_scale
        self.margin = margin
        self.round_epochs = round_epochs
        self.seed = seed
        self._prepared: tuple[np.ndarray, Any] | None = None  # (inputs, their preparation): see _prepare
        self.time_limit = time_limit
        self.blas_threads = blas_threads
        self._xp: ModuleType = load_cupy() if backend == "cupy" else np

    def check(self, A: np.ndarray, t: np.ndarray) -> UnitVerdict:
        """Check one target column ``t`` (m,) over inputs ``A`` (m, n)."""
        return self.train(A, np.asarray(t).reshape(-1, 1)).verdicts[0]

    def check_layer(self, A: np.ndarray, T: np.ndarray) -> list[UnitVerdict]:
        """Check every column of ``T`` (m, K) over the same inputs ``A`` (m, n).

        Returns
        -------
        list of UnitVerdict
            Separable (verified weights) or undecided, one per column.
        """
        return self.train(A, T).verdicts

    def train(self, A: np.ndarray, T: np.ndarray) -> PerceptronRun:
        """Train every column of ``T`` and report verdicts, epochs and outcomes.

        Parameters
        ----------
        A : ndarray of shape (m, n)
            Inputs as given (finite).
        T : ndarray of shape (m, K)
            Target columns in {-1, +1}.

        Returns
        -------
        PerceptronRun
        """
        A = _as_inputs(A)
        T = as_target_matrix(T, A.shape[0])
        with _blas_limit(self.blas_threads):
            return self._train(A, T)

    def _train(self, A: np.ndarray, T: np.ndarray) -> PerceptronRun:
        K = T.shape[1]
        verdicts: list[UnitVerdict] = [UnitVerdict(separable=None)] * K
        epochs = np.zeros(K, dtype=np.int64)
        outcome = np.full(K, HOPELESS, dtype=object)
        units = []
        for k in range(K):
            constant = constant_targets_verdict(A, T[:, k])
            if constant is not None:
                verdicts[k], outcome[k] = constant, CONSTANT
            else:
                units.append(k)
        units = self._screened(A, T, np.asarray(units, dtype=np.intp))
        if units.size:
            self._train_units(A, T, units, verdicts, epochs, outcome)
        return PerceptronRun(verdicts=verdicts, epochs=epochs, outcome=tuple(outcome))

    # -- the batched loop -----------------------------------------------------------------
    def _screened(self, A: np.ndarray, T: np.ndarray, units: np.ndarray) -> np.ndarray:
        """The units that pass the sampled least-squares test (all of them on small inputs)."""
        m, n = A.shape
        fit_rows = max(256, 16 * (n + 1))
        if units.size == 0 or m < 4 * (fit_rows + _SCREEN_TEST_ROWS):
            return units
        error = perceptron_xp.screen(A, T[:, units], fit_rows, _SCREEN_TEST_ROWS, self.seed)
        return units[error <= self.hopeless_fraction]

    def _train_units(
        self,
        A: np.ndarray,
        T: np.ndarray,
        units: np.ndarray,
        verdicts: list[UnitVerdict],
        epochs: np.ndarray,
        outcome: np.ndarray,
    ) -> None:
        """Train ``units`` (columns of ``T``) together; fill their verdicts, epochs and outcomes."""
        xp = self._xp
        start = time.monotonic()
        m = A.shape[0]
        prepared = self._prepare(A)
        targets = xp.asarray(np.ascontiguousarray(T[prepared.order][:, units]))
        W, start_mistakes = perceptron_xp.warm_start(xp, prepared.X, targets, self.warm_scale)
        progress = _Progress(start_mistakes, self.patience, self.min_improvement)
        progress.outcome[start_mistakes > self.hopeless_fraction * m] = HOPELESS
        active = np.flatnonzero(start_mistakes <= self.hopeless_fraction * m)
        targets_active = xp.ascontiguousarray(targets[:, xp.asarray(active)])
        chunk = max(1, -(-m // max(1, self.chunks_per_epoch)))
        epoch = 0
        while active.size and epoch < self.max_epochs:
            if self.time_limit is not None and time.monotonic() - start > self.time_limit:
                progress.outcome[active] = OUT_OF_TIME
                break
            n_epochs = min(progress.next_round(active, self.round_epochs), self.max_epochs - epoch)
            index = xp.asarray(active)
            W_active = xp.ascontiguousarray(W[:, index])
            counts = self._run_epochs(prepared.X, targets_active, W_active, n_epochs, chunk)
            W[:, index] = W_active
            epoch += n_epochs
            still = progress.record(active, counts)
            if 0 < still.size < active.size:
                targets_active = xp.ascontiguousarray(targets[:, xp.asarray(still)])
            active = still
        for j, unit in enumerate(units):
            epochs[unit], outcome[unit] = progress.epochs[j], progress.outcome[j]
            if progress.outcome[j] == SEPARATED:
                w, b = prepared.to_input_space(perceptron_xp.to_numpy(xp, W[:, j]))
                verdict = verified_separator(A, T[:, unit], w, b)
                if verdict is None:
                    outcome[unit] = UNVERIFIED
                else:
                    verdicts[unit] = verdict

    def _prepare(self, A: np.ndarray) -> Any:
        """The prepared rows of ``A``, reused while the same array object comes back.

        A searcher checks many target columns over the same first-layer inputs; preparing
        them (a pass over the data and an eigendecomposition) costs more than the epochs
        at 100,000 rows. A stale preparation could only cost epochs: every separator is
        verified on ``A`` itself.
        """
        cached = self._prepared
        if cached is not None and cached[0] is A:
            return cached[1]
        prepared = perceptron_xp.prepare_inputs(self._xp, A, self.seed)
        self._prepared = (A, prepared)
        return prepared

    def _run_epochs(self, X: Any, T: Any, W: Any, epochs: int, chunk: int) -> np.ndarray:
        if self.backend == "numba":
            from ftprop_exact.solvers.kernels import perceptron_numba  # compiled (or loaded from cache) on first use

            return perceptron_numba.run_epochs(X, T, W, epochs, chunk, self.margin)
        return perceptron_xp.run_epochs(self._xp, X, T, W, epochs, chunk, self.margin)


@functools.lru_cache(maxsize=1)
def _threadpools() -> ThreadpoolController:
    """The BLAS/OpenMP pools of this process, inspected once (inspection costs ~0.3 ms)."""
    return ThreadpoolController()


def _blas_limit(threads: int | None) -> AbstractContextManager:
    """Limit BLAS threads for the duration of a call (no-op for None)."""
    return nullcontext() if threads is None else _threadpools().limit(limits=threads, user_api="blas")


def _as_inputs(A: np.ndarray) -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"inputs must have shape (m, n); got {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError("inputs must be finite")
    return A
