"""FTPROP and local search over level targets (``qrelu:K`` hidden units).

One start: the hard levels of an annealed soft network (:mod:`.level_soft`) are the hidden
targets; every other start normalises the first layer's weights (a fixed gain that spreads
each unit's pre-activations over the K levels, so no unit saturates at the end levels).
The last hidden layer is first improved unit by unit (:mod:`.level_descent`: each unit
refitted to the level intervals that make the outputs right, least slack). Then the
paper's heuristic, extended to levels, repairs the last hidden layer:

1. fit the output units to the labels over the current levels (hinge loss);
2. for every row whose output hinge is active, the downstream loss's gradient with respect
   to each level is ``g_ij = -sum_k y_ik v_kj``; the heuristic moves level ``h_ij`` one step
   by ``-sign(g_ij)`` (up or down), preferring large ``|g_ij|``;
3. a moved unit whose new level column is infeasible (exact LP,
   :func:`~ftprop_exact.solvers.learners.levels.check_level_unit`) is projected back: a
   level-hinge fit of the unit to its new targets, and the levels that fit computes;
4. every layer is then fitted exactly (:mod:`.level_fit`); a network that fits every unit
   goes to the incumbent, which verifies it on the data as given.

``ftprop`` moves the ``batch`` largest-gradient levels each round; ``local`` picks moves at
random among the improving directions (weighted by ``|g|``) with a tabu list of recently
moved entries. Both restart from a new soft start when the output errors stop falling.
They find networks; they never prove (UNKNOWN when the time is up).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ftprop_exact.activations import activation_levels, apply_activation
from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.learners.hinge import fit_hinge
from ftprop_exact.solvers.learners.levels import check_level_unit, fit_level_hinge
from ftprop_exact.solvers.search.level_descent import descend_levels
from ftprop_exact.solvers.search.level_fit import fit_level_network
from ftprop_exact.solvers.search.level_soft import soft_level_targets
from ftprop_exact.solvers.search_base import Capabilities, Incumbent, SearchOutcome
from ftprop_exact.status import Status

__all__ = ["LevelSearcher"]

MOVES = ("gradient", "random")


class LevelSearcher:
    """Search level targets of a ``qrelu:K`` network (FTPROP moves or local search).

    Parameters
    ----------
    moves : {"gradient", "random"}, default="gradient"
        ``"gradient"``: the ``batch`` moves with the largest downstream gradient (FTPROP);
        ``"random"``: moves drawn in proportion to it, with a tabu list (local search).
    batch : float, default=0.05
        Fraction of the active rows moved per round (at least one move).
    patience : int, default=15
        Rounds without fewer output errors before a restart.
    soft_steps : int, default=1500
        Adam steps of each soft start.
    name : str, default="level-ftprop"

    Examples
    --------
    >>> import numpy as np
    >>> from ftprop_exact import solve
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = [0, 1, 1, 0]
    >>> solve(X, y, hidden=[2], activation="qrelu:4", searcher="ftprop", time_limit=20).status.value
    'FEASIBLE'
    """

    capabilities = Capabilities(activations=("qrelu",))

    def __init__(
        self,
        moves: str = "gradient",
        batch: float = 0.05,
        patience: int = 15,
        soft_steps: int = 1500,
        name: str = "level-ftprop",
    ) -> None:
        if moves not in MOVES:
            raise ValueError(f"unknown moves {moves!r}; choose one of: {', '.join(MOVES)}")
        if not 0 < batch <= 1:
            raise ValueError(f"batch must be in (0, 1]; got {batch!r}")
        self.moves, self.batch, self.patience, self.soft_steps, self.name = moves, batch, patience, soft_steps, name

    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Soft starts and level repairs until a verified network fits or the deadline passes."""
        stats: dict[str, Any] = {"starts": 0, "rounds": 0, "moves": self.moves}
        n_levels = activation_levels(problem.activation)
        while not deadline.expired():
            stats["starts"] += 1
            gain = (n_levels - 1) / 2.56 if stats["starts"] % 2 == 0 else None
            targets = soft_level_targets(problem, rng, deadline, self.soft_steps, gain=gain)
            self._descend(problem, targets, deadline, rng)
            fit_level_network(problem, targets, learner, incumbent)
            if not incumbent.exact:
                self._repair(problem, targets, learner, deadline, incumbent, rng, stats)
            if incumbent.exact:
                return SearchOutcome(Status.FEASIBLE, stats=stats)
        stats["best_errors"] = incumbent.errors
        return SearchOutcome(Status.UNKNOWN, stats=stats)

    def _descend(self, problem: Problem, targets: list[np.ndarray], deadline: Deadline, rng: np.random.Generator) -> None:
        """Unit-by-unit interval fits of the last hidden layer (:func:`descend_levels`), in place."""
        last = len(problem.hidden) - 1
        levels, _ = descend_levels(
            problem.layer_inputs(last, targets),
            targets[last],
            np.asarray(problem.Y, dtype=np.float64),
            np.asarray(problem.counts, dtype=np.float64),
            problem.activation,
            activation_levels(problem.activation),
            deadline,
            rng,
            patience=self.patience // 3,
        )
        targets[last] = levels.astype(targets[last].dtype)

    def _repair(
        self,
        problem: Problem,
        targets: list[np.ndarray],
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
        stats: dict[str, Any],
    ) -> None:
        """FTPROP / local-search rounds on the last hidden layer's levels (in place)."""
        n_levels = activation_levels(problem.activation)
        last = len(problem.hidden) - 1
        below = problem.layer_inputs(last, targets)
        counts = np.asarray(problem.counts, dtype=np.float64)
        Y = np.asarray(problem.Y, dtype=np.float64)
        tabu: dict[tuple[int, int], int] = {}
        best, since = np.inf, 0
        while since < self.patience and not deadline.expired():
            stats["rounds"] += 1
            T = targets[last]
            H = T.astype(np.float64)
            fits = [fit_hinge(H, Y[:, k], counts, deadline.remaining()) for k in range(Y.shape[1])]
            V = np.vstack([w for w, _ in fits])
            margins = Y * (H @ V.T + np.array([b for _, b in fits]))
            errors = float(counts[(margins <= 0).any(axis=1)].sum())
            if errors < best:
                best, since = errors, 0
            else:
                since += 1
            grad = -((margins < 1) * Y * counts[:, None]) @ V  # dL/dH, shape (rows, width)
            direction = -np.sign(grad)
            allowed = (grad != 0) & (T + direction >= 0) & (T + direction <= n_levels - 1)
            for (i, j), until in tabu.items():
                if until > stats["rounds"]:
                    allowed[i, j] = False
            cells = np.argwhere(allowed)
            if cells.size == 0:
                return
            strength = np.abs(grad[allowed])
            n_moves = max(1, int(self.batch * int(((margins < 1).any(axis=1)).sum())))
            n_moves = min(n_moves, len(cells))
            if self.moves == "gradient":
                chosen = cells[np.argsort(-strength, kind="stable")[:n_moves]]
            else:
                chosen = cells[rng.choice(len(cells), size=n_moves, replace=False, p=strength / strength.sum())]
            for i, j in chosen.tolist():
                T[i, j] += int(direction[i, j])
                tabu[(i, j)] = stats["rounds"] + 5
            for j in sorted({int(j) for _, j in chosen.tolist()}):
                if check_level_unit(below, T[:, j], n_levels, learner).feasible is not True:
                    w, b = fit_level_hinge(below, T[:, j], n_levels, counts)
                    T[:, j] = apply_activation(below @ w + b, problem.activation).astype(T.dtype)
            fit_level_network(problem, targets, learner, incumbent)
            if incumbent.exact:
                return
