"""Convex learners and target searchers (installed as ``ftprop_exact.solvers``).

The searcher classes load lazily (``from ftprop_exact.solvers import FTPropSearcher``
imports CP-SAT or the flip machinery only when first asked for).
"""

from importlib import import_module

from ftprop_exact.solvers.learners.base import SeparabilityLearner, UnitVerdict
from ftprop_exact.proofs.certificate import Certificate, verify_certificate
from ftprop_exact.solvers.learners.lp import LPLearner
from ftprop_exact.solvers.registry import (
    DEFAULT_LEARNER,
    DEFAULT_SEARCHER,
    capabilities_of,
    learner_names,
    make_learner,
    make_searcher,
    searcher_names,
)
from ftprop_exact.solvers.search_base import Capabilities

_LAZY = {
    "ActiveSetSearcher": "ftprop_exact.solvers.active_set",
    "CPSATSearcher": "ftprop_exact.solvers.exact.cpsat",
    "FTPropSearcher": "ftprop_exact.solvers.search.ftprop",
    "LocalSearcher": "ftprop_exact.solvers.search.local_search",
    "PortfolioSearcher": "ftprop_exact.solvers.exact.portfolio",
    "loss_names": "ftprop_exact.solvers.search.losses",
    "make_loss": "ftprop_exact.solvers.search.losses",
}

__all__ = [
    "ActiveSetSearcher",
    "DEFAULT_LEARNER",
    "DEFAULT_SEARCHER",
    "CPSATSearcher",
    "Capabilities",
    "Certificate",
    "FTPropSearcher",
    "LPLearner",
    "LocalSearcher",
    "PortfolioSearcher",
    "SeparabilityLearner",
    "UnitVerdict",
    "capabilities_of",
    "learner_names",
    "loss_names",
    "make_learner",
    "make_loss",
    "make_searcher",
    "searcher_names",
    "verify_certificate",
]


def __getattr__(name: str) -> object:
    """Load a searcher class or loss helper on first use."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
