"""Convex learners and target searchers (installed as ``ftprop_exact.solvers``)."""

from ftprop_exact.solvers.base import SeparabilityLearner, UnitVerdict
from ftprop_exact.solvers.certificate import Certificate, verify_certificate
from ftprop_exact.solvers.lp import LPLearner
from ftprop_exact.solvers.registry import learner_names, make_learner

__all__ = [
    "Certificate",
    "LPLearner",
    "SeparabilityLearner",
    "UnitVerdict",
    "learner_names",
    "make_learner",
    "verify_certificate",
]
