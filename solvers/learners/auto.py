"""The default learner: the batched perceptron first, the exact LP on what it leaves undecided."""

from __future__ import annotations

from typing import Any

import numpy as np

from ftprop_exact.solvers.learners.base import UnitVerdict
from ftprop_exact.solvers.learners.lp import LPLearner
from ftprop_exact.solvers.kernels.perceptron import PerceptronLearner


class AutoLearner:
    """Perceptron fast path, then the LP on the undecided units only.

    Its verdicts are the LP's: a separable verdict from the perceptron carries weights
    verified rigorously (so the LP would say separable too), and every other unit is
    decided by :class:`~ftprop_exact.solvers.learners.lp.LPLearner`, with its exactly verified
    certificate. Non-separable targets cost little extra because the perceptron gives a
    unit up as soon as its mistake count stalls (see
    :class:`~ftprop_exact.solvers.kernels.perceptron.PerceptronLearner`).

    Parameters
    ----------
    backend : {"numba", "numpy", "cupy"}, default="numba"
        Perceptron back end.
    lp : LPLearner or None, default=None
        The exact learner for undecided units (default ``LPLearner()``).
    lp_only_cells : int, default=20000
        Layers with at most this many (rows x units) cells go straight to the LP: there the
        LP is fast and the perceptron's kernel start-up (numba cache load, about 0.5 s per
        process) would dominate.
    **perceptron_options
        Passed to :class:`~ftprop_exact.solvers.kernels.perceptron.PerceptronLearner`.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> T = np.array([[-1, -1], [-1, 1], [-1, 1], [1, -1]])   # AND, XOR
    >>> [v.separable for v in AutoLearner(backend="numpy", lp_only_cells=0).check_layer(A, T)]
    [True, False]
    """

    name = "auto"
    decides = True  # every unit the perceptron leaves undecided goes to the exact LP

    def __init__(
        self,
        backend: str = "numba",
        lp: LPLearner | None = None,
        lp_only_cells: int = 20000,
        **perceptron_options: Any,
    ) -> None:
        self.backend = backend
        self.lp_only_cells = lp_only_cells
        self.perceptron = PerceptronLearner(backend=backend, **perceptron_options)
        self.lp = lp if lp is not None else LPLearner()

    def check(self, A: np.ndarray, t: np.ndarray) -> UnitVerdict:
        """Decide one target column ``t`` (m,) over inputs ``A`` (m, n)."""
        return self.check_layer(A, np.asarray(t).reshape(-1, 1))[0]

    def check_layer(self, A: np.ndarray, T: np.ndarray) -> list[UnitVerdict]:
        """Decide every column of ``T`` (m, K) over the same inputs ``A`` (m, n).

        Returns
        -------
        list of UnitVerdict
            One per column: the perceptron's verified separator, or the LP's verdict.
        """
        T = np.asarray(T)
        T = T.reshape(-1, 1) if T.ndim == 1 else T
        if T.size <= self.lp_only_cells:
            return self.lp.check_layer(A, T)
        verdicts = list(self.perceptron.check_layer(A, T))
        undecided = [k for k, verdict in enumerate(verdicts) if verdict.separable is None]
        if undecided:
            for k, verdict in zip(undecided, self.lp.check_layer(A, T[:, undecided])):
                verdicts[k] = verdict
        return verdicts
