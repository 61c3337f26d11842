"""ftprop_exact: exact full-batch FTPROP for small hard-threshold networks.

Examples
--------
>>> import numpy as np
>>> from ftprop_exact import solve
>>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); y = np.array([0, 1, 1, 0])
>>> result = solve(X, y, hidden=[2], searcher="cpsat", time_limit=30)
>>> result.status, result.errors
(<Status.FEASIBLE: 'FEASIBLE'>, 0)
"""

from ftprop_exact._version import __version__
from ftprop_exact.budget import Deadline
from ftprop_exact.data import Dataset, load_dataset, make_dataset
from ftprop_exact.errors import DataError, FTPropError
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.result import Result
from ftprop_exact.status import Status

__all__ = [
    "DataError",
    "FTPropClassifier",
    "Dataset",
    "Deadline",
    "FTPropError",
    "Layer",
    "Result",
    "Status",
    "ThresholdNetwork",
    "__version__",
    "load_dataset",
    "make_dataset",
    "solve",
]


def __getattr__(name: str) -> object:
    """Import the scikit-learn estimator and ``solve`` only when asked for.

    scikit-learn is slow to load; ``solve`` brings every searcher (CP-SAT, SciPy's HiGHS),
    which checking a proof of the kinds that need neither must not import.
    """
    if name == "FTPropClassifier":
        from ftprop_exact.classifier import FTPropClassifier

        return FTPropClassifier
    if name == "solve":
        from ftprop_exact.api import solve

        return solve
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
