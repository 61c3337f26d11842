"""Exact target search with CP-SAT: logic-based Benders decomposition with LP cuts.

The master (:mod:`ftprop_exact.proofs.master`) proposes hidden targets that every
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

from ftprop_exact import progress
from ftprop_exact.activations import ACTIVATION_FAMILIES, is_levelled
from ftprop_exact.errors import DataError
from ftprop_exact.solvers.assemble import network_excluding_errors
from ftprop_exact.budget import Deadline, Interrupted
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.proofs.certificate import Certificate
from ftprop_exact.proofs.master import MasterModel, MasterSpec, ModelTooLarge, capped, first_layer_codes_spec, master_spec
from ftprop_exact.proofs.benders import CPSATProof, ProofCut
from ftprop_exact.solvers.exact.cuts import Cut, CutPool
from ftprop_exact.solvers.exact.level_cpsat import search_levels_exactly
from ftprop_exact.solvers.exact.must_differ import cached_incompatible_pairs
from ftprop_exact.solvers.exact.sizing import master_refusal
from ftprop_exact.solvers.search_base import Capabilities, Incumbent, SearchOutcome, require_deciding_learner, try_targets
from ftprop_exact.status import Status

FIRST_LAYER_MODES = ("auto", "exact", "cuts")


def default_threads() -> int:
    """CP-SAT workers by default: the cores this process may use (at most 8)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def level_refusal(objective: str, max_weight: int | None, activation: str) -> str | None:
    """Why the exact engine over level targets does not take this question (None: it does)."""
    if objective != "feasibility":
        return f"--min-errors is not supported for {activation} networks (the exact level engine answers feasibility only)"
    if max_weight is not None:
        return f"--max-weight does not apply to {activation} networks (the level engine models no integer weights)"
    return None


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
    cuts_per_column : int, default=6
        Certificates sought per non-separable first-layer column (multi-cut Benders: each
        new one excludes a row of the previous).
    objective : {"feasibility", "min_errors"}, default="feasibility"
        "min_errors": minimise the number of misclassified examples (error literal per row,
        weighted by multiplicity); the answer is OPTIMAL with a proof of the bound, or
        UNKNOWN with the best network and ``stats["lower_bound"]``.

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
    codes_first = True  # try the first-layer codes master first (cube-and-conquer does not)
    codes_share = 1 / 3  # of the time left, at most
    capabilities = Capabilities(
        objectives=("feasibility", "min_errors"),
        activations=ACTIVATION_FAMILIES,
        proves=True,
        bounds_first=True,
        options=("threads", "max_weight"),
    )

    def __init__(
        self,
        threads: int | None = None,
        first_layer: str = "auto",
        max_weight: int | None = None,
        cut_pool: CutPool | None = None,
        hint: list[np.ndarray] | None = None,
        objective: str = "feasibility",
        cuts_per_column: int = 6,
    ) -> None:
        if objective not in self.capabilities.objectives:
            raise ValueError(f"unknown objective {objective!r}; choose one of: {', '.join(self.capabilities.objectives)}")
        if first_layer not in FIRST_LAYER_MODES:
            raise ValueError(f"unknown first_layer {first_layer!r}; choose one of: {', '.join(FIRST_LAYER_MODES)}")
        if max_weight is not None and max_weight < 1:
            raise ValueError(f"max_weight must be a positive integer; got {max_weight!r}")
        self.threads = threads if threads is not None else default_threads()
        self.first_layer = first_layer
        self.max_weight = max_weight
        self.cut_pool = cut_pool if cut_pool is not None else CutPool()
        self.hint = hint
        self.objective = objective
        self.cuts_per_column = max(1, int(cuts_per_column))

    def refusal(self, problem: Problem, deadline: Deadline) -> str | None:
        """Why :meth:`search` would not build its master now (None: it would)."""
        if is_levelled(problem.activation):
            return level_refusal(self.objective, self.max_weight, problem.activation)
        try:
            spec, _ = master_spec(problem, self.first_layer, self.max_weight, self.objective)
        except ModelTooLarge as exc:
            return str(exc)
        return master_refusal(spec, deadline)

    # -- the Benders loop -----------------------------------------------------------------
    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Run the Benders loop until a verdict or the deadline.

        Feasibility: FEASIBLE / INFEASIBLE (proof) / UNKNOWN. Minimising errors: the
        incumbent improves as masters are solved; OPTIMAL when a master optimum passes the
        LP (its bound is then matched), else UNKNOWN with ``stats["lower_bound"]``.
        """
        if not problem.hidden:
            raise ValueError("the cpsat searcher needs at least one hidden layer")
        require_deciding_learner(f"searcher {self.name!r}", learner)
        if is_levelled(problem.activation):  # level targets: solvers/exact/level_cpsat.py
            refusal = level_refusal(self.objective, self.max_weight, problem.activation)
            if refusal is not None:
                raise DataError(refusal)
            return search_levels_exactly(problem, learner, deadline, incumbent, rng, self.threads)
        try:
            spec, mode = master_spec(problem, self.first_layer, self.max_weight, self.objective)
        except ModelTooLarge as exc:  # no exact model: no verdict from this searcher
            return SearchOutcome(Status.UNKNOWN, stats={"master_refused": str(exc)})
        except Interrupted as stop:  # deriving the implied constraints polls the deadline
            return SearchOutcome(Status.UNKNOWN, stats={"master_build": str(stop)})
        stats: dict[str, Any] = {"first_layer": mode, "master_solves": 0, "cuts": 0, "weight_bounds": list(spec.weight_bounds)}
        codes = self._first_layer_codes(problem, spec, deadline, stats) if mode == "exact" else None
        if codes is not None:  # settled before the whole master is built
            return codes
        refusal = master_refusal(spec, deadline)  # no room (time, memory) to build it now
        if refusal is not None:
            return SearchOutcome(Status.UNKNOWN, stats={"first_layer": mode, "master_refused": refusal})
        try:
            master = self._new_master(spec)
        except Interrupted as stop:  # a large model takes seconds to build
            return SearchOutcome(Status.UNKNOWN, stats={"first_layer": mode, "master_build": str(stop)})
        if mode == "cuts":
            if spec.error_weights is None:
                stats["incompatibility_cuts"] = self._seed_incompatibilities(problem, master, deadline)
            for cut in self.cut_pool:
                master.add_cut(cut.rows, cut.signs)
        hint = self.hint if self.hint is not None else incumbent.hidden_targets
        if hint is not None:
            master.set_hint(hint)
        seed = int(rng.integers(0, 2**31 - 1))
        lower_bound = 0
        excluded = 0  # first-layer columns excluded without a certificate (numerically undecided)
        while not deadline.expired():
            solver_holder: list[Any] = []
            with deadline.hook(lambda: solver_holder and solver_holder[0].stop_search()):
                solution = master.solve(deadline.remaining(), self.threads, seed, on_solver=solver_holder.append)
            stats["master_solves"] += 1
            stats["cuts"] = len(spec.cuts)
            if solution.bound is not None and not excluded:  # exclusions would void the bound
                lower_bound = max(lower_bound, solution.bound)
                stats["lower_bound"] = lower_bound
                progress.bound(lower_bound)
            if solution.status == "INFEASIBLE":
                if excluded:
                    break  # not a proof: some columns were excluded without a certificate
                return self._infeasible(problem, spec, mode, stats)
            if solution.status == "UNKNOWN" or deadline.expired():
                break  # no time left for the LP checks of these targets
            T = solution.targets
            new_cuts, undecided = self._separate(problem, learner, T[0], master) if mode == "cuts" else (0, 0)
            if undecided:
                excluded += undecided
                stats["excluded_undecided_columns"] = excluded
            fit = try_targets(problem, T, learner, incumbent)
            if undecided:
                master.set_hint(T)
                continue
            if new_cuts == 0:
                if spec.error_weights is None:
                    if incumbent.exact:
                        return SearchOutcome(Status.FEASIBLE, stats=stats)
                    stats["unverified_master_solution"] = True  # should not happen: never trusted
                    break
                network = network_excluding_errors(problem, T, learner, fit, ~solution.error_rows)
                if network is not None:
                    incumbent.offer(network, T)
                if solution.optimal and not excluded and incumbent.errors is not None and incumbent.errors <= lower_bound:
                    return self._optimal(problem, spec, mode, stats, incumbent)
                if solution.optimal and not excluded:
                    stats["unverified_master_solution"] = True  # should not happen
                break  # out of time before proving the optimum, or exclusions void the proof
            master.set_hint(T)
        stats["cuts"] = len(spec.cuts)
        if spec.error_weights is not None and not excluded and incumbent.errors is not None:
            if incumbent.errors <= lower_bound:  # the bound caught up with the incumbent
                return self._optimal(problem, spec, mode, stats, incumbent)
        return SearchOutcome(Status.UNKNOWN, stats=stats)

    def _seed_incompatibilities(self, problem: Problem, master: MasterModel, deadline: Deadline) -> int:
        """Pairwise-incompatible must-differ pairs into the master: distinct codes and cuts.

        The pairs come from the must-differ pass (:mod:`ftprop_exact.solvers.exact.must_differ`),
        time-boxed to a second. Each pair gets the distinct-code constraints (some unit of
        every hidden layer separates it); the certified incompatibilities go to the cut pool
        ("no unit separates these two pairs"), so each first-layer unit separates at most one
        pair of the clique. Returns the cuts found.
        """
        found = cached_incompatible_pairs(problem, Deadline(min(1.0, 0.05 * deadline.remaining()), parent=deadline))
        if found.bound < 2:
            return 0
        for a, b in found.pairs:
            master.add_differ_pair(a, b)
        cuts = found.cuts()
        for cut in cuts:
            self.cut_pool.add(cut)
        return len(cuts)

    @progress.in_phase("first-layer codes")
    def _first_layer_codes(
        self, problem: Problem, spec: MasterSpec, deadline: Deadline, stats: dict[str, Any]
    ) -> SearchOutcome | None:
        """INFEASIBLE when no first layer gives differently labelled rows different codes (else None).

        Feasibility with an exact first layer and no weight cap only; CP-SAT gets at most
        :attr:`codes_share` of the time left. The proof (scope "first-layer-codes") holds
        at any depth (:func:`~ftprop_exact.proofs.master.first_layer_codes_spec`).
        """
        if not self.codes_first or self.objective != "feasibility" or self.max_weight is not None:
            return None
        if getattr(self, "_codes_found_for", None) is problem:
            return None  # an earlier round (the portfolio's) found codes: nothing to prove here
        try:
            codes = first_layer_codes_spec(problem, None, base=spec)  # spec: this search's master
            if codes is None or master_refusal(codes, deadline) is not None:
                return None
            master = self._new_master(codes)
        except Interrupted:  # stopped while building (e.g. local search answered): no verdict here
            return None
        phase = Deadline(self.codes_share * deadline.remaining(), parent=deadline)
        holder: list[Any] = []
        with phase.hook(lambda: holder and holder[0].stop_search()):
            solution = master.solve(phase.remaining(), self.threads, 0, on_solver=holder.append)
        stats["first_layer_codes"] = solution.status.lower()
        if solution.status == "FEASIBLE":
            self._codes_found_for = problem
        if solution.status != "INFEASIBLE":
            return None
        claim = problem.claim()
        return SearchOutcome(Status.INFEASIBLE, proof=CPSATProof(claim, "exact", (), (), "first-layer-codes"), stats=stats)

    def _new_master(self, spec: MasterSpec) -> MasterModel:
        """The master of one search (a hook: cube-and-conquer fixes a cube's targets here)."""
        return MasterModel(spec)

    @progress.in_phase("LP cuts")
    def _separate(
        self, problem: Problem, learner: SeparabilityLearner, T1: np.ndarray, master: MasterModel
    ) -> tuple[int, int]:
        """LP-check every first-layer column; add cuts for each failure.

        Returns (cuts added, undecided columns). A column the learner cannot decide (its
        separator, if any, is too thin for floating point) is excluded by a no-good on the
        whole column: the search goes on, but no INFEASIBLE or OPTIMAL answer follows.
        """
        added = undecided = 0
        for j, verdict in enumerate(learner.check_layer(problem.X, T1)):
            if verdict.separable is None:
                master.exclude_first_layer_column(T1[:, j])
                undecided += 1
            elif verdict.separable is False:
                for cert in self._more_certificates(problem, learner, T1[:, j], verdict.certificate):
                    cut = Cut.from_certificate(cert, T1[:, j])
                    if self.cut_pool.add(cut) or (cut.rows, cut.signs) not in master.spec.cuts:
                        master.add_cut(cut.rows, cut.signs)
                        added += 1
        return added, undecided

    def _more_certificates(
        self, problem: Problem, learner: SeparabilityLearner, t: np.ndarray, first: Certificate
    ) -> list[Certificate]:
        """Several certificates for one failing column (multi-cut Benders).

        After each certificate, its row with the largest multiplier is set aside and the LP
        asked again on the remaining rows; a certificate on a subset of rows holds for the
        column. Stops at ``cuts_per_column`` or when the rest is separable.
        """
        found = [first]
        keep = np.ones(problem.n_rows, dtype=bool)
        while len(found) < self.cuts_per_column:
            last = found[-1]
            keep[last.rows[int(np.argmax([float(x) for x in last.multipliers]))]] = False
            rows = np.flatnonzero(keep)
            verdict = learner.check(problem.X[rows], t[rows])
            if verdict.separable is not False:
                break
            cert = verdict.certificate
            found.append(Certificate(tuple(int(rows[r]) for r in cert.rows), cert.multipliers))
        return found

    def _proof(self, problem: Problem, spec: MasterSpec, mode: str, lower_bound: int | None = None) -> CPSATProof:
        """The proof of the current master: its claim (a weight cap only when it binds) and its cuts."""
        certificates = {(c.rows, c.signs): c.certificate for c in self.cut_pool}
        cuts = []
        for rows, signs in spec.cuts:
            cert = certificates[(rows, signs)]
            original = tuple(int(problem.row_index[r]) for r in rows)
            cuts.append(ProofCut(rows=original, signs=signs, multipliers=cert.multipliers))
        cap = self.max_weight if capped(spec, problem, self.max_weight) else None
        pairs = tuple((int(problem.row_index[a]), int(problem.row_index[b])) for a, b in spec.differ_pairs)
        return CPSATProof(problem.claim(lower_bound, cap), mode, tuple(cuts), pairs)

    def _infeasible(self, problem: Problem, spec: MasterSpec, mode: str, stats: dict[str, Any]) -> SearchOutcome:
        """Package the proof; a weight cap makes it a bounded proof and the answer UNKNOWN."""
        proof = self._proof(problem, spec, mode)
        if proof.bounded:
            stats["infeasible_with_max_weight"] = self.max_weight
            return SearchOutcome(Status.UNKNOWN, proof=proof, stats=stats)
        return SearchOutcome(Status.INFEASIBLE, proof=proof, stats=stats)

    def _optimal(
        self, problem: Problem, spec: MasterSpec, mode: str, stats: dict[str, Any], incumbent: Incumbent
    ) -> SearchOutcome:
        """The incumbent matches the proven bound: optimal (bounded if weights are capped)."""
        bound = int(incumbent.errors)
        stats["lower_bound"] = bound
        if bound == 0:
            return SearchOutcome(Status.FEASIBLE, stats=stats)
        proof = self._proof(problem, spec, mode, lower_bound=bound)
        if proof.bounded:
            stats["optimal_with_max_weight"] = self.max_weight
            return SearchOutcome(Status.UNKNOWN, proof=proof, stats=stats)
        return SearchOutcome(Status.OPTIMAL, proof=proof, stats=stats)
