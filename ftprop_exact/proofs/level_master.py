"""The CP-SAT master over the level targets of a ``qrelu:K`` network (built by the engine, rebuilt by the checker).

Variables: for every hidden layer ``d``, row ``i`` (of the merged problem) and unit ``j``,
the order encoding of the unit's level, ``K-1`` Booleans ``g[d][i][j][l] = [level > l]``
for ``l = 0..K-2`` with ``g[l+1] => g[l]`` (so the level is their sum). Nothing else is
modelled: every layer is checked by LP outside the master, and what the LP refutes comes
back as a *cut* (a clause) that holds for every network, so an infeasible master with its
cuts proves that no network fits.

Cuts (:class:`LevelCutRows`, rows already mapped to the merged problem):

- hidden layer ``d`` (0-based), from a level certificate (:mod:`.levels`) over the layer's
  inputs: the certificate's (row, step) pairs cannot all carry their signs
  ``[level > step]`` at one unit *while the rows' inputs are the certified ones*. For the
  first layer the inputs are the data, fixed, so the clause is the negated pairs; for a
  deeper layer it also names the previous layer's levels on those rows (the certificate
  was computed over these integer vectors). Units of a layer share their inputs, so the
  clause is added for every unit of the layer.
- output layer, from a Gordan certificate (:mod:`.certificate`) over the last hidden
  levels with the labels of one output: those rows cannot carry those level vectors.

Symmetry breaking (sound: permuting the units of a hidden layer, and the next layer's
weights with them, computes the same network): the levels of the first row are
non-decreasing across the units of each layer. There is no negation symmetry for
``qrelu:K`` units (unlike sign units), so none is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from ftprop_exact.activations import activation_levels
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.master import solve_in_thread

__all__ = ["LevelCutRows", "LevelMaster", "LevelSolution"]


@dataclass(frozen=True)
class LevelCutRows:
    """One cut in rows of the merged problem.

    Attributes
    ----------
    layer : int
        0-based layer: ``0..len(hidden)-1`` hidden, ``len(hidden)`` the output layer.
    rows : tuple of int
        Rows of the merged problem.
    inputs : tuple of tuple of int, or None
        The previous layer's levels on ``rows`` (None for the first layer, whose inputs
        are the data).
    steps : tuple of (int, int, int)
        Hidden layers: ``(k, step, sign)`` with ``k`` an index into ``rows`` and ``sign`` the
        certified ``[level > step]`` (+1 true, -1 false). Empty for the output layer.
    """

    layer: int
    rows: tuple[int, ...]
    inputs: tuple[tuple[int, ...], ...] | None
    steps: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True)
class LevelSolution:
    """One master solve: ``status`` in {"FEASIBLE", "INFEASIBLE", "UNKNOWN"} and, when
    feasible, the hidden levels (one int64 array of shape (rows, width) per hidden layer)."""

    status: str
    levels: list[np.ndarray] | None = None


class LevelMaster:
    """The master model of a ``qrelu:K`` feasibility question.

    Parameters
    ----------
    problem : Problem
        A ``qrelu:K`` problem with at least one hidden layer (rows merged by features).

    Examples
    --------
    >>> from ftprop_exact.data import make_dataset
    >>> p = Problem.build(make_dataset([[0.0], [1.0]], [0, 1]), (2,), "qrelu:3")
    >>> LevelMaster(p).solve(5.0, 1).status
    'FEASIBLE'
    """

    def __init__(self, problem: Problem) -> None:
        if not problem.hidden:
            raise ValueError("the level master needs at least one hidden layer")
        self.problem = problem
        self.n_levels = activation_levels(problem.activation)
        self.model = cp_model.CpModel()
        steps = self.n_levels - 1
        self.order = [
            [[[self.model.new_bool_var(f"g{d}_{i}_{j}_{s}") for s in range(steps)] for j in range(width)] for i in range(problem.n_rows)]
            for d, width in enumerate(problem.hidden)
        ]
        for layer in self.order:
            for row in layer:
                for unit in row:
                    for s in range(steps - 1):
                        self.model.add_implication(unit[s + 1], unit[s])
            first = [sum(unit) for unit in layer[0]]
            for j in range(len(first) - 1):
                self.model.add(first[j] <= first[j + 1])
        self.n_cuts = 0

    def equal_literals(self, layer: int, row: int, vector: tuple[int, ...]) -> list[cp_model.IntVar]:
        """Literals that all hold iff the levels of ``layer`` on ``row`` are ``vector``."""
        units = self.order[layer][row]
        if len(vector) != len(units) or not all(0 <= v < self.n_levels for v in vector):
            raise ValueError(f"level vector {list(vector)} does not fit layer {layer + 1} ({len(units)} units, K = {self.n_levels})")
        return [units[j][s] if vector[j] > s else units[j][s].Not() for j in range(len(units)) for s in range(self.n_levels - 1)]

    def add_cut(self, cut: LevelCutRows) -> None:
        """Add the clause(s) of one cut (see the module docstring)."""
        n_hidden = len(self.problem.hidden)
        if not 0 <= cut.layer <= n_hidden:
            raise ValueError(f"cut layer {cut.layer + 1} is not a layer of the network")
        if not cut.rows or not all(0 <= r < self.problem.n_rows for r in cut.rows):
            raise ValueError(f"cut rows {list(cut.rows)} are not rows of the problem")
        if (cut.layer == 0) != (cut.inputs is None) or (cut.inputs is not None and len(cut.inputs) != len(cut.rows)):
            raise ValueError("a cut names the previous layer's levels on each of its rows exactly when it is not on the first layer")
        context: list[cp_model.IntVar] = []
        if cut.inputs is not None:
            for row, vector in zip(cut.rows, cut.inputs):
                context.extend(self.equal_literals(cut.layer - 1, row, vector))
        if cut.layer == n_hidden:
            if cut.steps:
                raise ValueError("an output-layer cut has no steps")
            self.model.add_bool_or([lit.Not() for lit in context])
            self.n_cuts += 1
            return
        if not cut.steps or not all(0 <= k < len(cut.rows) and 0 <= s < self.n_levels - 1 and sign in (-1, 1) for k, s, sign in cut.steps):
            raise ValueError("a hidden-layer cut needs (row, step, sign) triples within the cut's rows and the K-1 steps")
        for j in range(self.problem.hidden[cut.layer]):
            lits = [self.order[cut.layer][cut.rows[k]][j][s] for k, s, _ in cut.steps]
            held = [g if sign > 0 else g.Not() for g, (_, _, sign) in zip(lits, cut.steps)]
            self.model.add_bool_or([lit.Not() for lit in context + held])
        self.n_cuts += 1

    def solve(self, time_limit: float, threads: int, seed: int = 0) -> LevelSolution:
        """Solve within ``time_limit`` seconds with ``threads`` workers."""
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.01, float(time_limit))
        solver.parameters.num_workers = max(1, int(threads))
        solver.parameters.random_seed = int(seed)
        solver.parameters.catch_sigint_signal = False
        status = solve_in_thread(solver, self.model)
        if status == cp_model.MODEL_INVALID:
            raise RuntimeError(f"CP-SAT rejected the level master: {self.model.validate()}")
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            levels = [
                np.array([[sum(solver.boolean_value(g) for g in unit) for unit in row] for row in layer], dtype=np.int64)
                for layer in self.order
            ]
            return LevelSolution("FEASIBLE", levels)
        return LevelSolution("INFEASIBLE" if status == cp_model.INFEASIBLE else "UNKNOWN")
