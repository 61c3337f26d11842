"""The question a proof answers, stated in full: :class:`Claim`.

A proof is only as good as the statement it is checked against. Every proof therefore
carries its claim inside the part that is verified: the data's fingerprint, the hidden
widths, the activation, the objective and (minimising errors) the proven lower bound, and
the weight domain (real weights, possibly capped). Checkers re-check the proof's body
*against its own claim* (the claim parameterises the check: a CP-SAT master is rebuilt from
the claim's widths and bound, an exhaustive enumeration runs over the claim's widths), and
compare the claim with the question that was asked. An edited claim is therefore either
still proven by the body, or rejected.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftprop_exact.data import Dataset
from ftprop_exact.errors import DataError
from ftprop_exact.weights import WEIGHT_KINDS, parse_weights, weights_problem
from ftprop_exact.activations import check_activation

OBJECTIVES = ("feasibility", "min_errors", "min_weight")
_HEX64 = re.compile(r"[0-9a-f]{64}")
WEIGHT_DOMAINS = WEIGHT_KINDS
_FIELDS = ("data_sha256", "hidden", "activation", "objective", "lower_bound", "weights", "max_weight")


def data_fingerprint(data: Dataset) -> str:
    """SHA-256 of the features (float64, C order), their shape and the encoded labels.

    Examples
    --------
    >>> from ftprop_exact.data import make_dataset
    >>> len(data_fingerprint(make_dataset([[0.0], [1.0]], [0, 1])))
    64
    """
    digest = hashlib.sha256()
    digest.update(np.asarray(data.X.shape, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(data.X, dtype=np.float64).tobytes())
    digest.update(np.asarray(data.Y.shape, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(data.Y, dtype=np.int8).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Claim:
    """What a proof proves, in full.

    Attributes
    ----------
    data_sha256 : str
        :func:`data_fingerprint` of the data (features and encoded labels as given).
    hidden : tuple of int
        Hidden widths (``()``: a single layer).
    activation : str
        Hidden activation (``"sign"`` or ``"step"``, which compute the same functions, or
        ``"qrelu:K"``, which only proofs made for level targets cover).
    objective : {"feasibility", "min_errors", "min_weight"}
        "feasibility": no network fits every example. "min_errors": every network
        misclassifies at least ``lower_bound`` examples. "min_weight" (integer domains):
        every network that fits every example has at least ``lower_bound`` non-zero weights.
    lower_bound : int or None
        Minimising errors or weights: the proven lower bound (>= 1); None otherwise.
    weights : str
        Weight domain: ``"real"``, ``"ternary"`` or ``"int:K"`` (:mod:`ftprop_exact.weights`).
    max_weight : int or None
        A cap ``|w| <= max_weight`` on the integer weights the proof ranges over. A capped
        claim is *bounded*: it says nothing about networks with larger weights.
    """

    data_sha256: str
    hidden: tuple[int, ...]
    activation: str = "sign"
    objective: str = "feasibility"
    lower_bound: int | None = None
    weights: str = "real"
    max_weight: int | None = None

    def __post_init__(self) -> None:
        problem = self.problem()
        if problem is not None:
            raise DataError(f"invalid claim: {problem}")

    def problem(self) -> str | None:
        """Why this claim is malformed, or None when it is well formed."""
        if not isinstance(self.data_sha256, str) or not _HEX64.fullmatch(self.data_sha256):
            return f"data_sha256 must be a 64-digit hex string; got {self.data_sha256!r}"
        if not isinstance(self.hidden, tuple) or not all(
            isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in self.hidden
        ):
            return f"hidden must be a list of positive integers; got {self.hidden!r}"
        try:
            check_activation(self.activation)
        except DataError as exc:
            return str(exc)
        if self.objective not in OBJECTIVES:
            return f"unknown objective {self.objective!r} (known: {', '.join(OBJECTIVES)})"
        if self.objective == "feasibility" and self.lower_bound is not None:
            return "a feasibility claim has no lower_bound"
        if self.objective != "feasibility" and not _positive_int(self.lower_bound):
            return f"a {self.objective} claim needs a lower_bound >= 1; got {self.lower_bound!r}"
        domain_problem = weights_problem(self.weights)
        if domain_problem is not None:
            return domain_problem
        if self.objective == "min_weight" and self.weights == "real":
            return "a min_weight claim needs an integer weight domain (ternary or int:K)"
        if self.max_weight is not None and self.weights != "real":
            return f"max_weight caps real weights only; the {self.weights} domain bounds its weights itself"
        if self.max_weight is not None and not _positive_int(self.max_weight):
            return f"max_weight must be a positive integer or null; got {self.max_weight!r}"
        return None

    @property
    def bounded(self) -> bool:
        """True when the claim only covers weights with ``|w| <= max_weight``."""
        return self.max_weight is not None

    @property
    def minimum_errors(self) -> int:
        """Errors every network makes according to the claim (1 for infeasibility, 0 for min_weight)."""
        if self.objective == "min_weight":
            return 0
        return 1 if self.lower_bound is None else int(self.lower_bound)

    @property
    def integer(self) -> bool:
        """True when the claim is about an integer weight domain (ternary or int:K)."""
        return parse_weights(self.weights).integer

    def describe(self) -> str:
        """One line of plain words.

        Examples
        --------
        >>> Claim("0" * 64, (3,)).describe()
        'no network with hidden [3] (sign units, real weights) fits every example'
        """
        weights = self.weights + " weights"
        if self.max_weight is not None:
            weights += f", bounded to integer |w| <= {self.max_weight} in the exactly modelled layers"
        network = f"network with hidden {list(self.hidden)} ({self.activation} units, {weights})"
        if self.objective == "feasibility":
            return f"no {network} fits every example"
        if self.objective == "min_weight":
            return f"every {network} that fits every example has at least {self.lower_bound} non-zero weight(s)"
        return f"every {network} misclassifies at least {self.lower_bound} example(s)"

    def mismatches(self, other: Claim) -> list[str]:
        """The fields in which ``other`` differs from this claim, as ``name: ours != theirs``."""
        return [
            f"{name}: {getattr(self, name)!r} != {getattr(other, name)!r}"
            for name in _FIELDS
            if getattr(self, name) != getattr(other, name)
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (every field, always)."""
        return {
            "data_sha256": self.data_sha256,
            "hidden": list(self.hidden),
            "activation": self.activation,
            "objective": self.objective,
            "lower_bound": self.lower_bound,
            "weights": self.weights,
            "max_weight": self.max_weight,
        }

    @classmethod
    def from_dict(cls, d: Any) -> Claim:
        """Inverse of :meth:`to_dict`; every field is required and no other is allowed.

        Raises
        ------
        DataError
            Naming the missing, unexpected or malformed field.
        """
        if not isinstance(d, dict):
            raise DataError(f"a claim must be a JSON object; got {type(d).__name__}")
        missing = [name for name in _FIELDS if name not in d]
        extra = sorted(set(d) - set(_FIELDS))
        if missing or extra:
            raise DataError(f"claim fields: missing {missing}, unexpected {extra}")
        hidden = d["hidden"]
        if not isinstance(hidden, list):
            raise DataError(f"claim hidden must be a list; got {hidden!r}")
        return cls(
            data_sha256=d["data_sha256"],
            hidden=tuple(hidden),
            activation=d["activation"],
            objective=d["objective"],
            lower_bound=d["lower_bound"],
            weights=d["weights"],
            max_weight=d["max_weight"],
        )

    @classmethod
    def of(
        cls,
        data: Dataset,
        hidden: tuple[int, ...],
        activation: str = "sign",
        lower_bound: int | None = None,
        max_weight: int | None = None,
        fingerprint: str | None = None,
        weights: str = "real",
        objective: str | None = None,
    ) -> Claim:
        """The claim about ``data``: infeasibility, or (``lower_bound`` given) a bound on errors
        (or, with ``objective="min_weight"``, on the non-zero weights)."""
        return cls(
            data_sha256=fingerprint if fingerprint is not None else data_fingerprint(data),
            hidden=tuple(int(h) for h in hidden),
            activation=activation,
            objective=objective or ("feasibility" if lower_bound is None else "min_errors"),
            lower_bound=None if lower_bound is None else int(lower_bound),
            weights=weights,
            max_weight=None if max_weight is None else int(max_weight),
        )


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1
