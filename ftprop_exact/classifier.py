"""A scikit-learn classifier over :func:`ftprop_exact.solve`.

:class:`FTPropClassifier` fits a hard-threshold network of the given hidden widths to the
training data with zero training errors when its searcher finds one within the time
limit (``status_`` is then FEASIBLE), and otherwise keeps the best network found
(``status_`` UNKNOWN). It works in :class:`~sklearn.pipeline.Pipeline` and
:class:`~sklearn.model_selection.GridSearchCV` like any other estimator.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ftprop_exact.activations import output_activation
from ftprop_exact.api import solve
from ftprop_exact.solvers.assemble import best_effort_network, fit_layers
from ftprop_exact.budget import Deadline
from ftprop_exact.data import make_dataset
from ftprop_exact.ensemble import VotingEnsemble
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.ovo import MULTICLASS, solve_one_vs_one
from ftprop_exact.problem import Problem
from ftprop_exact.result import Result
from ftprop_exact.solvers.registry import DEFAULT_LEARNER, DEFAULT_SEARCHER, make_learner
from ftprop_exact.status import Status

__all__ = ["FTPropClassifier"]

_SEED_RANGE = 2**31 - 1


class FTPropClassifier(ClassifierMixin, BaseEstimator):
    """Hard-threshold (sign) network classifier trained by exact target search.

    Parameters
    ----------
    hidden : tuple of int, default=(3,)
        Hidden widths; ``()`` for a single layer of threshold units.
    searcher : str, default=DEFAULT_SEARCHER
        Target searcher (:func:`ftprop_exact.solvers.searcher_names`), e.g. ``"ftprop"``,
        ``"local"`` or ``"cpsat"``; the default is the package's (``"auto"``, see
        :func:`ftprop_exact.solve`).
    learner : str, default=DEFAULT_LEARNER
        Convex learner (:func:`ftprop_exact.solvers.learner_names`); the default is the
        package's (``"auto"``).
    activation : {"sign", "step"}, default="sign"
        Activation of every unit.
    time_limit : float or None, default=10.0
        Seconds per :meth:`fit`, the fallback of an answer without a network included
        (a fit returns within about a second past it); ``None`` for no limit.
    random_state : int, RandomState or None, default=None
        Seed of the search (an int gives reproducible fits).
    objective : {"feasibility", "max_margin"}, default="feasibility"
        "max_margin": among zero-error networks, one whose units are all hard-margin
        separators of their targets, starting from large-margin hidden targets (see
        :func:`ftprop_exact.solve`).
    multiclass : {"ovr", "ovo"}, default="ovr"
        "ovr": one network with one output unit per class (binary: one unit). "ovo": one
        binary network of the same widths per pair of classes, majority vote
        (:class:`~ftprop_exact.ensemble.VotingEnsemble`), the time limit shared by the pairs.
    weights : {"real", "ternary", "int:K"}, default="real"
        Weight domain of every layer (:func:`ftprop_exact.solve`): "ternary" trains
        weights in {-1, 0, 1}, "int:K" integers with ``|w| <= K``, both with integer
        biases, exactly through CP-SAT. Without a network in the time limit, an integer
        domain falls back to the constant majority network (zero weights), never to a
        real-weights fit.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    network_ : ThresholdNetwork or VotingEnsemble
        The fitted network (with ``multiclass="ovo"``: the ensemble). Its own ``classes``
        are the indices ``0 .. n_classes - 1`` into ``classes_``; binary problems have one
        output unit, others one per class.
    status_ : Status
        FEASIBLE (zero training errors, verified), UNKNOWN (best network found in the
        time limit) or INFEASIBLE (no network of this shape fits; ``network_`` is then a
        best-effort fit of the data with conflicting duplicates resolved by majority).
    result_ : Result or OvoResult
        The full answer of :func:`ftprop_exact.solve` (stats, errors, proof), or of
        :func:`ftprop_exact.ovo.solve_one_vs_one`.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined only when ``X`` has feature names that are all strings.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); y = np.array(["no", "yes", "yes", "no"])
    >>> clf = FTPropClassifier(hidden=(2,), time_limit=30, random_state=0).fit(X, y)
    >>> clf.status_.value, clf.predict(X).tolist(), clf.score(X, y)
    ('FEASIBLE', ['no', 'yes', 'yes', 'no'], 1.0)
    """

    def __init__(
        self,
        hidden: tuple[int, ...] = (3,),
        searcher: str = DEFAULT_SEARCHER,
        learner: str = DEFAULT_LEARNER,
        activation: str = "sign",
        time_limit: float | None = 10.0,
        random_state: Any = None,
        objective: str = "feasibility",
        multiclass: str = "ovr",
        weights: str = "real",
    ) -> None:
        self.hidden = hidden
        self.searcher = searcher
        self.learner = learner
        self.activation = activation
        self.time_limit = time_limit
        self.random_state = random_state
        self.objective = objective
        self.multiclass = multiclass
        self.weights = weights

    def fit(self, X: Any, y: Any) -> FTPropClassifier:
        """Fit a network to ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (used as given: no scaling).
        y : array-like of shape (n_samples,)
            Class labels (at least two distinct values).

        Returns
        -------
        self : FTPropClassifier
        """
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; the data contain only "
                f"one class: {self.classes_[0]!r}"
            )
        if self.multiclass not in MULTICLASS:
            raise ValueError(f"multiclass must be one of {', '.join(MULTICLASS)}; got {self.multiclass!r}")
        seed = check_random_state(self.random_state).randint(_SEED_RANGE)
        deadline = Deadline(self.time_limit)  # one budget for the solve and any fallback
        if self.multiclass == "ovo":
            def fallback(Xp: np.ndarray, cp: np.ndarray, result: Result, share: Deadline) -> ThresholdNetwork:
                return self._fallback(Xp, cp, seed, share, result)

            self.result_ = solve_one_vs_one(X, codes, deadline=deadline, fallback=fallback, **self._solve_options(seed))
            self.status_, self.network_ = self.result_.status, self.result_.ensemble
            return self
        self.result_ = self._solve(X, codes, seed, deadline)
        self.status_ = self.result_.status
        self.network_ = self.result_.network or self._fallback(X, codes, seed, deadline, self.result_)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False)
        return self.classes_[self.network_.predict(X).astype(np.intp)]

    def decision_function(self, X: Any) -> np.ndarray:
        """Confidence scores whose sign (binary) or argmax (more classes) is the prediction.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Binary: the output unit's pre-activation (> 0 predicts ``classes_[1]``).
            Otherwise, "ovr": the output units' pre-activations; "ovo": the ensemble's
            votes plus squashed confidences
            (:meth:`~ftprop_exact.ensemble.VotingEnsemble.decision_function`).
        """
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False)
        if isinstance(self.network_, VotingEnsemble):
            if len(self.classes_) == 2:
                return self.network_.members[0].pre_activations(X)[-1][:, 0]
            return self.network_.decision_function(X)
        Z = self.network_.pre_activations(X)[-1]
        return Z[:, 0] if len(self.classes_) == 2 else Z

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.non_deterministic = True  # a fit depends on how far the search gets in time_limit
        return tags

    # -- internals ------------------------------------------------------------------------
    def _solve_options(self, seed: int) -> dict[str, Any]:
        """The keyword arguments of every :func:`~ftprop_exact.solve` of a fit.

        A ``weights`` parameter (a weight domain), where the estimator has one, is passed on too.
        """
        options = dict(
            hidden=tuple(self.hidden),
            searcher=self.searcher,
            learner=self.learner,
            activation=self.activation,
            random_state=int(seed),
            objective=self.objective,
        )
        if getattr(self, "weights", None) is not None:
            options["weights"] = self.weights
        return options

    def _solve(self, X: np.ndarray, codes: np.ndarray, seed: int, deadline: Deadline) -> Result:
        return solve(X, codes, deadline=deadline, **self._solve_options(seed))

    def _fallback(self, X: np.ndarray, codes: np.ndarray, seed: int, deadline: Deadline, answer: Result) -> ThresholdNetwork:
        """A usable network when the answer has none: INFEASIBLE (no network of this shape
        fits) or UNKNOWN before any network was found.

        Conflicting duplicates are resolved by majority (ties: the smaller class), then
        the search runs again in the time left; if that still ends without a network (a
        single layer that cannot separate the data, or no time), every output unit gets
        its hinge-loss fit in the time left, else the network predicts the majority class.
        """
        reason = "fits the training data exactly" if answer.status is Status.INFEASIBLE else "was found in the time limit"
        warnings.warn(
            f"no network of hidden widths {tuple(self.hidden)} {reason} "
            f"({answer.proof.kind if answer.proof else 'no proof'}); using a best-effort network",
            RuntimeWarning,
            stacklevel=3,
        )
        X, codes = _majority_rows(X, codes)
        present = np.unique(codes)
        if present.size < 2:  # one class left: a constant network predicting it
            return _constant_network(int(present[0]), X.shape[1], self.activation)
        if not deadline.expired():
            result = self._solve(X, codes, seed, deadline)
            if result.network is not None:
                return result.network
        if deadline.expired() or self.weights != "real":  # the hinge fit below has real weights
            return _constant_network(int(np.argmax(np.bincount(codes))), X.shape[1], self.activation)
        problem = Problem.build(make_dataset(X, codes), (), self.activation)
        with deadline.in_force():  # its LPs give up when the time is up (weights 0)
            return best_effort_network(problem, [], fit_layers(problem, [], make_learner(self.learner)), deadline)


def _constant_network(code: int, n_features: int, activation: str) -> ThresholdNetwork:
    """A network that predicts class ``code`` (0 or 1) on every input."""
    other = 1 if code == 0 else 0
    layer = Layer(np.zeros((1, n_features)), [-1.0], output_activation(activation))
    return ThresholdNetwork((layer,), classes=(code, other))


def _majority_rows(X: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One row per distinct input, labelled with the most frequent class among its copies."""
    unique, inverse = np.unique(X, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    votes = np.zeros((unique.shape[0], int(codes.max()) + 1), dtype=np.int64)
    np.add.at(votes, (inverse, codes), 1)
    return unique, np.argmax(votes, axis=1)
