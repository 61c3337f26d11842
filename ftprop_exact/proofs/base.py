"""What every proof kind provides: its claim, its JSON form, and two levels of checking."""

from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

from ftprop_exact.data import Dataset
from ftprop_exact.proofs.claim import Claim


@runtime_checkable
class Proof(Protocol):
    """A re-checkable proof of :attr:`claim` (infeasibility, or a lower bound on errors).

    Attributes
    ----------
    kind : str
        The proof kind (the ``"kind"`` of its JSON form).
    claim : Claim
        What the proof proves. The body is always checked *against this claim*.
    """

    kind: str
    claim: Claim

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"kind": ..., "claim": {...}, ...body}``."""
        ...

    def structure_problem(self) -> str | None:
        """Why this kind of body cannot prove its claim (e.g. a single-layer certificate
        for a claim about hidden layers), or None. Cheap: reads no data."""
        ...

    def check_body(self, data: Dataset, thorough: bool, time_limit: float | None) -> tuple[bool, str]:
        """Re-check the body against the claim on ``data``; returns ``(ok, explanation)``.

        ``thorough=False`` may skip the expensive part (re-solving a master, re-running an
        enumeration) but checks every exact certificate; ``thorough=True`` checks it all.
        """
        ...


class ProofBase:
    """What every proof kind inherits: one :meth:`verify` with one signature."""

    def verify(self, data: Dataset, time_limit: float | None = None) -> bool:
        """Re-check this proof thoroughly against its own claim on ``data`` (True iff it holds).

        To require a given claim, use :func:`ftprop_exact.proofs.check.check_proof`.
        """
        from ftprop_exact.proofs.check import check_proof  # check imports this module

        return check_proof(self, data, thorough=True, time_limit=time_limit).ok  # type: ignore[arg-type]


def rebuilt_master_verdict(
    build: Callable[[], Any], n_certificates: int, thorough: bool, time_limit: float | None, name: str = "master"
) -> tuple[bool, str]:
    """The end of a master-based check: rebuild the master (``build``) and re-solve it; infeasible passes.

    ``thorough=False`` stops before the rebuild (the certificates are already verified);
    a ``ValueError`` from ``build`` rejects the proof with its message.
    """
    if not thorough:
        return True, f"{n_certificates} certificates verified exactly ({name} not re-solved)"
    try:
        master = build()
    except ValueError as exc:
        return False, str(exc)
    status = master.solve(time_limit if time_limit is not None else 1e9, 1, seed=0).status
    if status != "INFEASIBLE":
        return False, f"the rebuilt {name} is {status.lower()}, not infeasible"
    return True, f"{n_certificates} certificates verified exactly; rebuilt {name} infeasible"


def parse_fields(d: Any, kind: str, required: tuple[str, ...]) -> dict[str, Any]:
    """The body of a proof's JSON form, with exactly the fields ``kind``, ``claim`` and ``required``.

    Raises
    ------
    ValueError
        Naming the missing or unexpected fields.
    """
    if not isinstance(d, dict):
        raise ValueError(f"a {kind} proof must be a JSON object")
    expected = {"kind", "claim", *required}
    missing, extra = sorted(expected - set(d)), sorted(set(d) - expected)
    if missing or extra:
        raise ValueError(f"{kind} proof fields: missing {missing}, unexpected {extra}")
    if d["kind"] != kind:
        raise ValueError(f"expected a {kind} proof, got {d['kind']!r}")
    return d


def int_list(values: Any, what: str) -> tuple[int, ...]:
    """A JSON list of integers (booleans and floats refused)."""
    if not isinstance(values, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{what} must be a list of integers; got {values!r}")
    return tuple(values)
