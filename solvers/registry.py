"""Learners and searchers chosen by name, one facade over every back end.

The one default of the package lives here: :data:`DEFAULT_SEARCHER` and
:data:`DEFAULT_LEARNER` are what ``solve``, ``FTPropClassifier``, ``min_width`` and the
command line use when no searcher or learner is named (docs/architecture.md, "Defaults").
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, Callable, TypeVar

from ftprop_exact.solvers.learners.auto import AutoLearner
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.learners.lp import LPLearner
from ftprop_exact.solvers.kernels.perceptron import PerceptronLearner
from ftprop_exact.solvers.search_base import Capabilities, TargetSearcher

T = TypeVar("T")

DEFAULT_SEARCHER = "auto"
"""The searcher used when none is named: local search and CP-SAT side by side (it proves)."""

DEFAULT_LEARNER = "auto"
"""The learner used when none is named: the batched perceptron, the exact LP for the rest."""

INTEGER_SEARCHER = "cpsat-int"
"""What the default searcher means for integer weight domains (``weights="ternary"`` or
``"int:K"``): the whole-network CP-SAT model (the LP of the other searchers decides real weights)."""

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


def deciding_learner_names() -> tuple[str, ...]:
    """Names of the learners that decide non-separability (a certificate, not only separators).

    Searchers that prove (``Capabilities.proves``) need one of them.

    Examples
    --------
    >>> deciding_learner_names()
    ('auto', 'lp')
    """
    return tuple(name for name in learner_names() if _learner_class(_LEARNERS[name]).decides)


def _learner_class(factory: Callable[..., SeparabilityLearner]) -> type:
    """The class a learner factory builds (a class, or a ``functools.partial`` of one)."""
    return factory.func if isinstance(factory, functools.partial) else factory


def make_learner(name: str = DEFAULT_LEARNER, **options: Any) -> SeparabilityLearner:
    """Build a convex learner by name.

    Parameters
    ----------
    name : str, default=DEFAULT_LEARNER
        One of :func:`learner_names` (the default, :data:`DEFAULT_LEARNER`, is ``"auto"``).
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
    return _lookup(_LEARNERS, "learner", name)(**options)


# Searchers are imported lazily ("module:Class"): some pull in heavy libraries (OR-Tools).
_SEARCHERS: dict[str, str] = {
    "auto": "ftprop_exact.solvers.exact.portfolio:PortfolioSearcher",
    "brute": "ftprop_exact.solvers.baselines.brute:BruteForceSearcher",
    "cpsat": "ftprop_exact.solvers.exact.cpsat:CPSATSearcher",
    "cpsat-int": "ftprop_exact.solvers.exact.integer_network:IntegerSearcher",
    "ftprop": "ftprop_exact.solvers.search.ftprop:FTPropSearcher",
    "ftprop-mb": "ftprop_exact.solvers.baselines.gradient:FTPropMBSearcher",
    "milp": "ftprop_exact.solvers.baselines.milp:MILPSearcher",
    "local": "ftprop_exact.solvers.search.local_search:LocalSearcher",
    "sste": "ftprop_exact.solvers.baselines.gradient:SSTESearcher",
}


def searcher_names() -> tuple[str, ...]:
    """Names accepted by :func:`make_searcher`."""
    return tuple(sorted(_SEARCHERS))


def searcher_class(name: str) -> type:
    """The class behind a searcher name (imports its module).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    module_name, class_name = _lookup(_SEARCHERS, "searcher", name).split(":")
    return getattr(importlib.import_module(module_name), class_name)


def _lookup(table: dict[str, T], kind: str, name: str) -> T:
    """``table[name]``, or a ValueError naming the valid choices."""
    if name not in table:
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {', '.join(sorted(table))}")
    return table[name]


def capabilities_of(searcher: str | object) -> Capabilities:
    """What a searcher (a registry name, a class or an object) declares it supports.

    A searcher without a ``capabilities`` attribute gets the plain
    :class:`~ftprop_exact.solvers.search_base.Capabilities`: it finds networks, never proves.

    Examples
    --------
    >>> capabilities_of("cpsat").proves, capabilities_of("local").proves
    (True, False)
    """
    found = getattr(searcher_class(searcher) if isinstance(searcher, str) else searcher, "capabilities", None)
    return found if isinstance(found, Capabilities) else Capabilities()


def searchers_that(wanted: Callable[[Capabilities], bool]) -> tuple[str, ...]:
    """Registry names of the searchers whose capabilities satisfy ``wanted`` (imports them all).

    Examples
    --------
    >>> searchers_that(lambda c: "min_errors" in c.objectives)
    ('auto', 'cpsat')
    """
    return tuple(name for name in searcher_names() if wanted(capabilities_of(name)))


def make_searcher(name: str = DEFAULT_SEARCHER, **options: Any) -> TargetSearcher:
    """Build a target searcher by name.

    Parameters
    ----------
    name : str, default=DEFAULT_SEARCHER
        One of :func:`searcher_names` (the default, :data:`DEFAULT_SEARCHER`, is ``"auto"``).
    **options
        Passed to the searcher's constructor.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    return searcher_class(name)(**options)
