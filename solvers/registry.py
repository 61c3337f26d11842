"""Learners (and later searchers) chosen by name, one facade over every back end."""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any, Callable

from ftprop_exact.solvers.learners.auto import AutoLearner
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.learners.lp import LPLearner
from ftprop_exact.solvers.kernels.perceptron import PerceptronLearner

if TYPE_CHECKING:  # searchers import the core modules, which import the learners
    from ftprop_exact.solvers.search_base import TargetSearcher

_LEARNERS: dict[str, Callable[..., SeparabilityLearner]] = {
    "auto": AutoLearner,
    "cupy": functools.partial(PerceptronLearner, backend="cupy"),
    "lp": LPLearner,
    "numba": functools.partial(PerceptronLearner, backend="numba"),
    "numpy": functools.partial(PerceptronLearner, backend="numpy"),
}


def learner_names() -> tuple[str, ...]:
    """Names accepted by :func:`make_learner`."""
    return tuple(sorted(_LEARNERS))


def make_learner(name: str = "lp", **options: Any) -> SeparabilityLearner:
    """Build a convex learner by name.

    Parameters
    ----------
    name : str, default="lp"
        One of :func:`learner_names`.
    **options
        Passed to the learner's constructor.

    Returns
    -------
    SeparabilityLearner

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.

    Examples
    --------
    >>> make_learner("lp").name
    'lp'
    """
    try:
        factory = _LEARNERS[name]
    except KeyError:
        raise ValueError(f"unknown learner {name!r}; choose one of: {', '.join(learner_names())}") from None
    return factory(**options)


# Searchers are imported lazily ("module:Class"): some pull in heavy libraries (OR-Tools).
_SEARCHERS: dict[str, str] = {
    "auto": "ftprop_exact.solvers.exact.portfolio:PortfolioSearcher",
    "brute": "ftprop_exact.solvers.baselines.brute:BruteForceSearcher",
    "cpsat": "ftprop_exact.solvers.exact.cpsat:CPSATSearcher",
    "ftprop": "ftprop_exact.solvers.search.ftprop:FTPropSearcher",
    "ftprop-mb": "ftprop_exact.solvers.baselines.gradient:make_ftprop_mb",
    "milp": "ftprop_exact.solvers.baselines.milp:MILPSearcher",
    "local": "ftprop_exact.solvers.search.local_search:LocalSearcher",
    "sste": "ftprop_exact.solvers.baselines.gradient:make_sste",
}


def searcher_names() -> tuple[str, ...]:
    """Names accepted by :func:`make_searcher`."""
    return tuple(sorted(_SEARCHERS))


def make_searcher(name: str = "auto", **options: Any) -> TargetSearcher:
    """Build a target searcher by name.

    Parameters
    ----------
    name : str, default="auto"
        One of :func:`searcher_names`.
    **options
        Passed to the searcher's constructor.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    try:
        path = _SEARCHERS[name]
    except KeyError:
        raise ValueError(f"unknown searcher {name!r}; choose one of: {', '.join(searcher_names())}") from None
    module_name, class_name = path.split(":")
    factory = getattr(importlib.import_module(module_name), class_name)
    return factory(**options)
