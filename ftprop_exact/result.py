"""The answer of a solve: a frozen :class:`Result`, never a bare bool or None."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from ftprop_exact.network import ThresholdNetwork
from ftprop_exact.proofs.base import Proof
from ftprop_exact.status import Status


@dataclass(frozen=True)
class Result:
    """Verdict of one run.

    Attributes
    ----------
    status : Status
        FEASIBLE, INFEASIBLE or UNKNOWN; OPTIMAL when minimising errors.
    network : ThresholdNetwork or None
        FEASIBLE: a network re-verified on the data as given (zero errors). OPTIMAL: a
        verified network with the proven minimum number of errors. UNKNOWN: the best
        network seen (fewest training errors), if any. INFEASIBLE: None.
    errors : int or None
        Training errors of ``network`` on the data as given (examples with a wrong output).
    proof : Proof or None
        INFEASIBLE: the re-checkable proof; OPTIMAL: the proof of the lower bound; UNKNOWN:
        possibly a bounded proof ("infeasible with |w| <= K").
    lower_bound : int or None
        Minimising errors: the proven lower bound on the number of errors.
    hidden : tuple of int
        Hidden widths asked for.
    solver : str
        Name of the searcher that produced the answer.
    stats : mapping
        Run statistics: ``seconds`` always; searchers add their own counters (LP checks,
        per-layer calls, flips, restarts, ...).
    """

    status: Status
    network: ThresholdNetwork | None = None
    errors: int | None = None
    proof: Proof | None = None
    hidden: tuple[int, ...] = ()
    solver: str = ""
    stats: Mapping[str, Any] = field(default_factory=dict)
    lower_bound: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "stats", MappingProxyType(dict(self.stats)))
        if self.status is Status.FEASIBLE and (self.network is None or self.errors != 0):
            raise ValueError("a FEASIBLE result needs a network with zero errors")
        if self.status is Status.INFEASIBLE and self.proof is None:
            raise ValueError("an INFEASIBLE result needs a proof")
        if self.status is Status.OPTIMAL and (self.network is None or self.proof is None or self.errors != self.lower_bound):
            raise ValueError("an OPTIMAL result needs a network whose errors equal the proven lower bound")

    def __reduce__(self) -> tuple:
        # the read-only stats view cannot be pickled: rebuild from a plain dict
        fields = (
            self.status,
            self.network,
            self.errors,
            self.proof,
            self.hidden,
            self.solver,
            dict(self.stats),
            self.lower_bound,
        )
        return (type(self), fields)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (network in the documented format, proof summary)."""
        return {
            "status": self.status.value,
            "hidden": list(self.hidden),
            "network": None if self.network is None else self.network.to_dict(),
            "errors": self.errors,
            "proof": None if self.proof is None else self.proof.to_dict(),
            "lower_bound": self.lower_bound,
            "stats": dict(self.stats),
            "solver": self.solver,
        }
