"""The paper's gradient baselines, full batch in numpy: FTPROP-MB (soft hinge) and SSTE.

FTPROP-MB (Algorithm 2 of Friesen & Domingos 2018) on the whole training set at once: a
forward pass through the sign units, then layer by layer from the output down:

- the output layer's pre-activations are trained on the labels with the hinge loss;
- each hidden layer ``d`` gets targets ``T_d = -sign(dL_{d+1}/dH_d)`` (move each activation
  the way that lowers the loss above), and its pre-activations are trained on them with the
  per-layer loss, each unit-example weighted by ``|dL_{d+1}/dH_d|``;
- one Adam step on every layer's weights.

With the saturated hinge ``min(2, max(0, 1 - t z))`` as the per-layer loss this is exactly
the saturated straight-through estimator (SSTE): the weighted loss derivative
``|g| * sign(g) * 1[|z| < 1]`` equals the STE's ``g * 1[|z| < 1]``. So ``"sste"`` is this
searcher with ``loss="saturated_hinge"``, and ``"ftprop-mb"`` uses the soft hinge
``tanh(-t z) + 1``, the paper's best (FTP-SH).

Inputs are standardised for training and the scaling is folded back into the first layer,
so every network offered applies to the data as given and is verified on it exactly like
the exact searchers' networks. Training restarts from a fresh random network when the
training errors stop improving.

These baselines only ever find networks: they answer FEASIBLE (a verified network) or
UNKNOWN, never INFEASIBLE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.activations import ACTIVATION_FAMILIES, activation_levels, boundary_towards, is_levelled, output_activation
from ftprop_exact.network import Layer, ThresholdNetwork, apply_activation
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.search.losses import LayerLoss, make_loss
from ftprop_exact.solvers.search_base import Capabilities, Incumbent, SearchOutcome
from ftprop_exact.status import Status

__all__ = [
    "Adam",
    "GradientSearcher",
    "Standardisation",
    "forward_pass",
    "ftprop_mb_gradients",
    "FTPropMBSearcher",
    "SSTESearcher",
    "weighted_errors",
]


@dataclass
class Adam:
    """Adam state for a list of parameter arrays (updated in place)."""

    params: list[np.ndarray]
    rate: float
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    steps: int = 0
    m: list[np.ndarray] = field(default_factory=list)
    v: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]

    def step(self, grads: list[np.ndarray]) -> None:
        self.steps += 1
        c1 = 1.0 - self.beta1**self.steps
        c2 = 1.0 - self.beta2**self.steps
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * g * g
            p -= self.rate * (m / c1) / (np.sqrt(v / c2) + self.eps)


@dataclass(frozen=True)
class Standardisation:
    """Per-column centring and scaling of the inputs, folded in and out of layer 1.

    Gradient training runs on standardised inputs ``A = (X - mean) / scale``; a first
    layer ``(W, b)`` on ``A`` is the layer ``(W / scale, b - (W / scale) @ mean)`` on ``X``.
    Constant columns keep scale 1.
    """

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray) -> Standardisation:
        """The standardisation of the rows ``X``."""
        X = np.asarray(X, dtype=np.float64)
        spread = X.std(axis=0)
        return cls(X.mean(axis=0), np.where(spread > 0, spread, 1.0))

    def apply(self, X: np.ndarray) -> np.ndarray:
        """``(X - mean) / scale``."""
        return (np.asarray(X, dtype=np.float64) - self.mean) / self.scale

    def onto_standardised(self, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The first layer on ``X`` as a layer on the standardised inputs."""
        return W * self.scale, b + W @ self.mean

    def onto_given(self, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The first layer on the standardised inputs as a layer on ``X``."""
        W = W / self.scale
        return W, b - W @ self.mean


def forward_pass(A: np.ndarray, params: list[np.ndarray], activation: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Inputs ``[H_0 .. H_{L-1}]`` and pre-activations ``[Z_1 .. Z_L]`` of every layer."""
    inputs, pre = [A], []
    for d in range(0, len(params), 2):
        Z = inputs[-1] @ params[d].T + params[d + 1]
        pre.append(Z)
        inputs.append(apply_activation(Z, activation))
    return inputs[:-1], pre


def weighted_errors(out: np.ndarray, Y: np.ndarray, counts: np.ndarray) -> float:
    """Total weight of the rows whose output pre-activations ``out`` miss a label of ``Y``."""
    return float(counts[((out > 0) != (Y > 0)).any(axis=1)].sum())


def ftprop_mb_gradients(
    inputs: list[np.ndarray],
    pre: list[np.ndarray],
    params: list[np.ndarray],
    Y: np.ndarray,
    weights: np.ndarray,
    hidden_loss: LayerLoss,
    output_loss: LayerLoss,
    activation: str = "sign",
) -> list[np.ndarray]:
    """Gradients of every layer's loss under FTPROP-MB target propagation.

    Parameters
    ----------
    inputs, pre : list of ndarray
        From the forward pass: ``H_{d-1}`` and ``Z_d`` of every layer ``d = 1..L``.
    params : list of ndarray
        ``[W_1, b_1, ..., W_L, b_L]``, ``W_d`` of shape (out, in).
    Y : ndarray of shape (u, k)
        Labels in {-1, +1}.
    weights : ndarray of shape (u,)
        Example weights (multiplicities, normalised).
    hidden_loss, output_loss : LayerLoss
        Per-layer loss of the hidden layers and loss of the output layer.
    activation : str, default="sign"
        Hidden activation. For ``qrelu:K`` a target "up" (or "down") is a target on the
        step just above (below) ``z``: the hidden loss is taken of ``z - step``
        (:func:`~ftprop_exact.activations.boundary_towards`), the paper's qReLU version.

    Returns
    -------
    list of ndarray
        ``[dW_1, db_1, ..., dW_L, db_L]``.
    """
    grads: list[np.ndarray] = [np.empty(0)] * len(params)
    dZ = output_loss.derivative(pre[-1], Y) * weights[:, None]
    for d in range(len(pre) - 1, -1, -1):
        grads[2 * d] = dZ.T @ inputs[d]
        grads[2 * d + 1] = dZ.sum(axis=0)
        if d == 0:
            break
        dH = dZ @ params[2 * d]  # dL_{d+1} / dH_d
        targets = np.where(dH > 0, -1.0, 1.0)  # t = -sign(dL/dh)
        shifted = pre[d - 1] - boundary_towards(pre[d - 1], targets, activation)
        dZ = np.abs(dH) * hidden_loss.derivative(shifted, targets)
    return grads


class GradientSearcher:
    """FTPROP-MB / SSTE baseline: full-batch gradient training of the sign network.

    It finds networks (FEASIBLE) or runs out of time (UNKNOWN); it never proves INFEASIBLE.

    Parameters
    ----------
    loss : str or LayerLoss, default="soft_hinge"
        Per-layer loss of the hidden layers: ``"soft_hinge"`` (FTPROP-MB, FTP-SH) or
        ``"saturated_hinge"`` (SSTE).
    output_loss : str or LayerLoss, default="hinge"
        Loss of the output layer's pre-activations against the labels.
    learning_rate : float, default=0.01
        Adam step size.
    patience : int, default=500
        Steps without fewer training errors before a restart from a new random network.
    name : str, default="ftprop-mb"
        Registry name reported in results.

    Examples
    --------
    >>> import numpy as np
    >>> from ftprop_exact import solve
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); y = [0, 1, 1, 0]
    >>> solve(X, y, hidden=[3], searcher=GradientSearcher(), time_limit=20).status.value
    'FEASIBLE'
    """

    capabilities = Capabilities(activations=ACTIVATION_FAMILIES)  # finds networks; never proves

    def __init__(
        self,
        loss: str | LayerLoss = "soft_hinge",
        output_loss: str | LayerLoss = "hinge",
        learning_rate: float = 0.01,
        patience: int = 500,
        name: str = "ftprop-mb",
    ) -> None:
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be positive; got {learning_rate!r}")
        if patience < 1:
            raise ValueError(f"patience must be a positive integer; got {patience!r}")
        self.loss = make_loss(loss)
        self.output_loss = make_loss(output_loss)
        self.learning_rate = learning_rate
        self.patience = patience
        self.name = name

    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Train with restarts until a verified network fits or the deadline passes."""
        standard = Standardisation.of(problem.X)
        A = standard.apply(problem.X)
        weights = problem.counts / problem.counts.sum()
        counts = np.asarray(problem.counts)
        stats: dict[str, Any] = {"steps": 0, "restarts": 0, "loss": self.loss.name, "best_errors": None}
        while not deadline.expired():
            params = self._init(problem, rng)
            adam = Adam(params, self.learning_rate)
            best, since = np.inf, 0
            while since < self.patience and not deadline.expired():
                inputs, pre = forward_pass(A, params, problem.activation)
                errors = int(weighted_errors(pre[-1], problem.Y, counts))
                if errors < best or (errors == 0 and stats["steps"] % 25 == 0):
                    best, since = min(best, errors), 0
                    incumbent.offer(self._network(problem, params, standard))
                    if incumbent.exact:
                        stats["best_errors"] = 0
                        return SearchOutcome(Status.FEASIBLE, stats=stats)
                else:
                    since += 1
                grads = ftprop_mb_gradients(
                    inputs, pre, params, problem.Y, weights, self.loss, self.output_loss, problem.activation
                )
                adam.step(grads)
                stats["steps"] += 1
            stats["restarts"] += 1
        stats["best_errors"] = incumbent.errors
        return SearchOutcome(Status.UNKNOWN, stats=stats)

    @staticmethod
    def _init(problem: Problem, rng: np.random.Generator) -> list[np.ndarray]:
        """Gaussian weights with variance 1 / fan-in, zero biases (qrelu:K hidden biases
        uniform over the steps, so that every level occurs)."""
        widths = problem.widths
        params = []
        top = activation_levels(problem.activation) - 2 if is_levelled(problem.activation) else 0
        for d, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
            params.append(rng.standard_normal((fan_out, fan_in)) / np.sqrt(fan_in))
            hidden = d < len(widths) - 2
            params.append(rng.uniform(0.0, top, fan_out) if hidden and top > 0 else np.zeros(fan_out))
        return params

    @staticmethod
    def _network(problem: Problem, params: list[np.ndarray], standard: Standardisation) -> ThresholdNetwork:
        """The trained network on the data as given (standardisation folded into layer 1)."""
        first = problem.activation if len(params) > 2 else output_activation(problem.activation)
        layers = [Layer(*standard.onto_given(params[0], params[1]), first)]
        layers += [Layer(params[d], params[d + 1], problem.activation) for d in range(2, len(params) - 2, 2)]
        layers.append(Layer(params[-2], params[-1], output_activation(problem.activation)))
        return ThresholdNetwork(tuple(layers), classes=problem.data.classes)


class FTPropMBSearcher(GradientSearcher):
    """FTPROP-MB with the soft hinge loss (registry name ``"ftprop-mb"``)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**{"loss": "soft_hinge", **options, "name": "ftprop-mb"})


class SSTESearcher(GradientSearcher):
    """The saturated straight-through estimator (registry name ``"sste"``)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**{"loss": "saturated_hinge", **options, "name": "sste"})
