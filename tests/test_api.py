"""solve(): validation, duplicate conflicts, single-layer proofs, claims re-checked, anytime answers."""

from __future__ import annotations

import numpy as np
import pytest

from ftprop_exact import Deadline, Status, make_dataset, solve
from ftprop_exact.problem import Problem
from ftprop_exact.proofs import DuplicateConflictProof, SingleLayerProof
from ftprop_exact.solvers.search_base import SearchOutcome

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
XOR_Y = np.array([0, 1, 1, 0])


def test_duplicate_rows_with_two_labels_are_infeasible_with_their_row_numbers():
    X = np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 1.0]])
    result = solve(X, [0, 1, 1], hidden=[3], searcher="cpsat")
    assert result.status is Status.INFEASIBLE
    assert isinstance(result.proof, DuplicateConflictProof) and result.proof.rows == (0, 2)
    assert result.proof.verify(make_dataset(X, [0, 1, 1]))
    assert not DuplicateConflictProof(result.proof.claim, (0, 1)).verify(make_dataset(X, [0, 1, 1]))


def test_no_hidden_layer_is_decided_by_the_lp_with_a_certificate():
    result = solve(XOR_X, XOR_Y, hidden=[], searcher="cpsat")
    assert result.status is Status.INFEASIBLE and isinstance(result.proof, SingleLayerProof)
    assert result.proof.verify(make_dataset(XOR_X, XOR_Y))
    assert SingleLayerProof.from_dict(result.proof.to_dict()) == result.proof
    conj = solve(XOR_X, [0, 0, 0, 1], hidden=[], searcher="cpsat")
    assert conj.status is Status.FEASIBLE and conj.network.verify(XOR_X, make_dataset(XOR_X, [0, 0, 0, 1]).Y).ok


def test_bad_arguments_are_rejected_with_the_valid_choices():
    with pytest.raises(ValueError, match="choose one of"):
        solve(XOR_X, XOR_Y, hidden=[2], searcher="simulated-annealing")
    with pytest.raises(ValueError, match="objective"):
        solve(XOR_X, XOR_Y, hidden=[2], objective="widest")
    with pytest.raises(ValueError, match="positive integers"):
        solve(XOR_X, XOR_Y, hidden=[0])
    with pytest.raises(ValueError, match="y=None"):
        solve(make_dataset(XOR_X, XOR_Y), XOR_Y, hidden=[2])


def test_merge_modes():
    X = np.array([[0.0], [1.0], [0.0], [0.0]])
    data = make_dataset(X, [0, 1, 0, 1])
    by_features = Problem.build(data, [1])
    assert by_features.n_rows == 2 and by_features.conflict == (0, 3)
    by_examples = Problem.build(data, [1], merge="examples")
    assert by_examples.n_rows == 3 and by_examples.conflict is None
    assert by_examples.counts.tolist() == [2, 1, 1] and by_examples.row_index.tolist() == [0, 1, 3]


class _LyingSearcher:
    """Claims whatever it is told without evidence: solve() must not believe it."""

    name = "liar"

    def __init__(self, status: Status) -> None:
        self.status = status

    def search(self, problem, learner, deadline, incumbent, rng):
        return SearchOutcome(self.status)


@pytest.mark.parametrize("claim", [Status.FEASIBLE, Status.INFEASIBLE, Status.OPTIMAL])
def test_unbacked_claims_become_unknown(claim):
    result = solve(XOR_X, XOR_Y, hidden=[2], searcher=_LyingSearcher(claim))
    assert result.status is Status.UNKNOWN
    assert result.stats["rejected_claim"] == claim.value


def test_keyboard_interrupt_returns_the_best_so_far():
    class Interrupted:
        name = "interrupted"

        def search(self, problem, learner, deadline, incumbent, rng):
            from ftprop_exact.solvers.search_base import try_targets

            try_targets(problem, [np.array([[1], [1], [1], [1]], dtype=np.int8)], learner, incumbent)
            raise KeyboardInterrupt

    result = solve(XOR_X, XOR_Y, hidden=[1], searcher=Interrupted())
    assert result.status is Status.UNKNOWN and result.stats["interrupted"]
    assert result.network is not None and result.errors == result.network.verify(XOR_X, make_dataset(XOR_X, XOR_Y).Y).errors


def test_expired_deadline_answers_unknown_quickly():
    deadline = Deadline(0.0)
    result = solve(XOR_X, XOR_Y, hidden=[2], searcher="cpsat", deadline=deadline)
    assert result.status is Status.UNKNOWN


def test_deadline_hooks_run_on_interrupt_and_reach_children():
    parent = Deadline(None)
    child = parent.sub(0.5)
    calls = []
    with child.hook(lambda: calls.append("stop")):
        parent.interrupt()
    assert calls == ["stop"] and child.expired() and child.interrupted


def test_every_public_name_resolves():
    """``__all__`` of the package and of ``ftprop_exact.solvers`` (lazy names included)."""
    import ftprop_exact
    import ftprop_exact.solvers as solvers

    for module in (ftprop_exact, solvers):
        for name in module.__all__:
            assert getattr(module, name) is not None, name
    assert ftprop_exact.FTPropClassifier.__name__ == "FTPropClassifier"
    assert solvers.make_searcher("ftprop").__class__ is solvers.FTPropSearcher
    with pytest.raises(AttributeError, match="no attribute"):
        solvers.NoSuchSearcher  # noqa: B018
