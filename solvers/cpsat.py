"""Exact target search with CP-SAT: logic-based Benders decomposition with LP cuts.

The master (:mod:`ftprop_exact.solvers.cpsat_model`) proposes hidden targets that every
layer with +-1 inputs can realise; the exact LP learner checks each first-layer unit over
the real inputs; a non-separable column's certificate becomes a cut for every first-layer
unit; repeat until the LP accepts every column (FEASIBLE: the network is assembled and
verified), the master is infeasible (INFEASIBLE: the cuts with their certificates are the
proof), or the time is up (UNKNOWN).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.base import SeparabilityLearner
from ftprop_exact.solvers.cpsat_model import (
    LEX_PREFIX_MAX,
    MasterModel,
    MasterSpec,
    boolean_encoding,
    default_weight_bounds,
)
from ftprop_exact.solvers.cpsat_proof import CPSATProof, ProofCut
from ftprop_exact.solvers.cuts import Cut, CutPool
from ftprop_exact.solvers.search_base import Incumbent, SearchOutcome, try_targets
from ftprop_exact.status import Status

FIRST_LAYER_MODES = ("auto", "exact", "cuts")


def default_threads() -> int:
    """CP-SAT workers by default: the cores this process may use (at most 8)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


class CPSATSearcher:
    """Exact searcher: FEASIBLE with a verified network, INFEASIBLE with a proof, or UNKNOWN.

    Parameters
    ----------
    threads : int, optional
        CP-SAT workers (default: available cores, at most 8).
    first_layer : {"auto", "exact", "cuts"}, default="auto"
        "exact" models layer 1 with integer weights (only for data whose every column takes
        two values, e.g. parity); "cuts" checks it with the LP and adds certificate cuts;
        "auto" picks "exact" for such Boolean data (it proves faster there) and "cuts" else.
    max_weight : int, optional
        Cap |w| and |b| of the modelled layers below the Muroga bounds. An infeasible master
        then only shows "infeasible with |w| <= max_weight": the answer stays UNKNOWN, with
        that bounded proof attached.
    cut_pool : CutPool, optional
        Cuts found earlier (e.g. by local search), shared and extended.
    hint : list of ndarray, optional
        Hidden targets to start CP-SAT from (e.g. the best local-search targets).

    Examples
    --------
    >>> import numpy as np
    >>> from ftprop_exact import solve
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); y = np.array([0, 1, 1, 0])
    >>> solve(X, y, hidden=[1], searcher="cpsat", time_limit=30).status.value
    'INFEASIBLE'
    >>> solve(X, y, hidden=[2], searcher="cpsat", time_limit=30).status.value
    'FEASIBLE'
    """

    name = "cpsat"

    def __init__(
        self,
        threads: int | None = None,
        first_layer: str = "auto",
        max_weight: int | None = None,
        cut_pool: CutPool | None = None,
        hint: list[np.ndarray] | None = None,
    ) -> None:
        if first_layer not in FIRST_LAYER_MODES:
            raise ValueError(f"unknown first_layer {first_layer!r}; choose one of: {', '.join(FIRST_LAYER_MODES)}")
        if max_weight is not None and max_weight < 1:
            raise ValueError(f"max_weight must be a positive integer; got {max_weight!r}")
        self.threads = threads if threads is not None else default_threads()
        self.first_layer = first_layer
        self.max_weight = max_weight
        self.cut_pool = cut_pool if cut_pool is not None else CutPool()
        self.hint = hint

    # -- the Benders loop -----------------------------------------------------------------
    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Run the Benders loop until a verdict or the deadline."""
        if not problem.hidden:
            raise ValueError("the cpsat searcher needs at least one hidden layer")
        spec, mode = self._spec(problem)
        master = MasterModel(spec)
        stats: dict[str, Any] = {"first_layer": mode, "master_solves": 0, "cuts": 0, "weight_bounds": list(spec.weight_bounds)}
        if mode == "cuts":
            for cut in self.cut_pool:
                master.add_cut(cut.rows, cut.signs)
        hint = self.hint if self.hint is not None else incumbent.hidden_targets
        if hint is not None:
            master.set_hint(hint)
        seed = int(rng.integers(0, 2**31 - 1))
        while not deadline.expired():
            solver_holder: list[Any] = []
            with deadline.hook(lambda: solver_holder and solver_holder[0].stop_search()):
                status, T, _ = master.solve(deadline.remaining(), self.threads, seed, on_solver=solver_holder.append)
            stats["master_solves"] += 1
            stats["cuts"] = len(spec.cuts)
            if status == "INFEASIBLE":
                return self._infeasible(problem, spec, mode, stats)
            if status == "UNKNOWN":
                break
            new_cuts = self._separate(problem, learner, T[0], master) if mode == "cuts" else 0
            if new_cuts < 0:
                stats["undecided_unit"] = True
                break
            if new_cuts == 0:
                try_targets(problem, T, learner, incumbent)
                if incumbent.exact:
                    return SearchOutcome(Status.FEASIBLE, stats=stats)
                stats["unverified_master_solution"] = True  # should not happen: never trusted
                break
            master.set_hint(T)
        stats["cuts"] = len(spec.cuts)
        return SearchOutcome(Status.UNKNOWN, stats=stats)

    def _spec(self, problem: Problem) -> tuple[MasterSpec, str]:
        encoded = boolean_encoding(problem.X) if self.first_layer in ("auto", "exact") else None
        if self.first_layer == "exact" and encoded is None:
            raise ValueError("first_layer='exact' needs every input column to take at most two values")
        mode = "exact" if encoded is not None else "cuts"
        fan_in_0 = problem.X.shape[1] if encoded is None else encoded.shape[1]
        spec = MasterSpec(
            Y=np.asarray(problem.Y),
            hidden=problem.hidden,
            weight_bounds=default_weight_bounds(fan_in_0, problem.hidden, self.max_weight),
            first_layer_inputs=encoded,
            lex_prefix=min(LEX_PREFIX_MAX, problem.n_rows - 1),
        )
        return spec, mode

    def _separate(self, problem: Problem, learner: SeparabilityLearner, T1: np.ndarray, master: MasterModel) -> int:
        """LP-check every first-layer column; add a cut per failure. -1 if a unit is undecided."""
        added = 0
        for j, verdict in enumerate(learner.check_layer(problem.X, T1)):
            if verdict.separable is None:
                return -1
            if verdict.separable is False:
                cut = Cut.from_certificate(verdict.certificate, T1[:, j])
                if self.cut_pool.add(cut) or (cut.rows, cut.signs) not in master.spec.cuts:
                    master.add_cut(cut.rows, cut.signs)
                    added += 1
        return added

    def _infeasible(self, problem: Problem, spec: MasterSpec, mode: str, stats: dict[str, Any]) -> SearchOutcome:
        """Package the proof; a weight cap makes it a bounded proof and the answer UNKNOWN."""
        certificates = {(c.rows, c.signs): c.certificate for c in self.cut_pool}
        cuts = []
        for rows, signs in spec.cuts:
            cert = certificates[(rows, signs)]
            original = tuple(int(problem.row_index[r]) for r in rows)
            cuts.append(ProofCut(rows=original, signs=signs, multipliers=cert.multipliers))
        proof = CPSATProof(hidden=problem.hidden, first_layer=mode, max_weight=self.max_weight, cuts=tuple(cuts))
        if self._capped(spec, problem):
            stats["infeasible_with_max_weight"] = self.max_weight
            return SearchOutcome(Status.UNKNOWN, proof=proof, stats=stats)
        return SearchOutcome(Status.INFEASIBLE, proof=proof, stats=stats)

    def _capped(self, spec: MasterSpec, problem: Problem) -> bool:
        if self.max_weight is None:
            return False
        uncapped = default_weight_bounds(
            spec.first_layer_inputs.shape[1] if spec.first_layer_inputs is not None else problem.X.shape[1],
            problem.hidden,
            None,
        )
        return uncapped != spec.weight_bounds
