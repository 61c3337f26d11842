"""Recursive FTPROP on XOR: fit a 2-2-1 sign network exactly and look inside the run.

Run: ``python docs/examples/ftprop_xor.py``.
"""

from __future__ import annotations

import numpy as np

from ftprop_exact import Status, solve
from ftprop_exact.classifier import FTPropClassifier


def main() -> None:
    """Fit XOR with the ftprop searcher (and the same through the scikit-learn estimator)."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])

    # One hidden layer is necessary: without it the LP returns a certificate (a proof).
    single = solve(X, y, hidden=(), searcher="ftprop", time_limit=10.0)
    print("no hidden layer:", single.status, single.proof.to_dict()["certificate"]["multipliers_exact"])

    result = solve(X, y, hidden=(2,), searcher="ftprop", loss="soft_hinge", time_limit=10.0, random_state=0)
    assert result.status is Status.FEASIBLE and result.network.verify(X, [-1, 1, 1, -1]).ok
    print("two hidden units:", result.status, "training errors:", result.errors)
    for d, layer in enumerate(result.network.layers, start=1):
        print(f"  layer {d}: W = {np.round(layer.weights, 3).tolist()}, b = {np.round(layer.bias, 3).tolist()}")
    print("  hidden activations:", result.network.forward(X)[0].astype(int).tolist())
    print("  stats:", {k: result.stats[k] for k in ("layer_calls", "lp_checks", "flips", "restarts")})

    clf = FTPropClassifier(hidden=(2,), time_limit=10.0, random_state=0).fit(X, y)
    print("classifier:", clf.status_, clf.predict(X).tolist(), "accuracy", clf.score(X, y))


if __name__ == "__main__":
    main()
