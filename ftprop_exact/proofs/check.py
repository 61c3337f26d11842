"""The one proof checker: ``solve()``, ``ftprop verify-proof`` and the benchmarks all call it.

It depends only on the data, the proof kinds and exact arithmetic (plus CP-SAT to re-solve
a rebuilt master or a hitting-set model): no searcher, no API. A proof is accepted when

1. its claim is well formed and names this data (fingerprint);
2. its claim equals the question asked, when one is given (``expected``);
3. its kind can prove such a claim (:meth:`Proof.structure_problem`; a claim about an
   integer weight domain only by a kind that says ``covers_integer_domains``);
4. its body, checked against its own claim, holds: fully for cheap kinds or when
   ``thorough``; else every exact certificate (a master is not re-solved).

A claim with a weight cap is *bounded*: callers must not report it as unconditional.
"""

from __future__ import annotations

from dataclasses import dataclass

from ftprop_exact.activations import is_levelled
from ftprop_exact.data import Dataset
from ftprop_exact.proofs.base import Proof
from ftprop_exact.proofs.claim import Claim, data_fingerprint


@dataclass(frozen=True)
class ProofCheck:
    """Verdict of :func:`check_proof`.

    Attributes
    ----------
    ok : bool
        The proof holds for its claim (and the claim is the one expected).
    claim : Claim
        The claim that was checked.
    reason : str
        What was checked, or why the proof was rejected.
    thorough : bool
        True when every part of the body was re-checked.
    """

    ok: bool
    claim: Claim
    reason: str
    thorough: bool

    @property
    def bounded(self) -> bool:
        """True when the claim only covers weights with ``|w| <= max_weight``."""
        return self.claim.bounded


def check_proof(
    proof: Proof,
    data: Dataset,
    expected: Claim | None = None,
    *,
    thorough: bool = True,
    time_limit: float | None = None,
    fingerprint: str | None = None,
) -> ProofCheck:
    """Check ``proof`` on ``data`` (and against the ``expected`` claim, when given).

    Parameters
    ----------
    proof : Proof
        Any proof kind.
    data : Dataset
        The data as given.
    expected : Claim, optional
        The question asked; any difference from the proof's claim rejects the proof.
    thorough : bool, default=True
        Re-check everything, including re-solving a master. False: cheap kinds fully,
        others down to their exact certificates.
    time_limit : float, optional
        Seconds for a re-solve.
    fingerprint : str, optional
        :func:`data_fingerprint` of ``data``, when the caller has it already.

    Returns
    -------
    ProofCheck
    """
    claim = getattr(proof, "claim", None)
    if not isinstance(claim, Claim):
        return ProofCheck(False, expected or _nothing(data), f"a {type(proof).__name__} states no claim", False)
    fingerprint = fingerprint if fingerprint is not None else data_fingerprint(data)
    if claim.data_sha256 != fingerprint:
        return ProofCheck(
            False,
            claim,
            f"the data differs from the data the proof was made for (the data has sha256 {fingerprint}; "
            f"the proof was made for sha256 {claim.data_sha256})",
            False,
        )
    if claim.minimum_errors > data.n_examples:
        return ProofCheck(False, claim, f"a bound of {claim.minimum_errors} errors on {data.n_examples} examples is impossible", False)
    if expected is not None and claim != expected:
        return ProofCheck(False, claim, "the proof's claim is not the question: " + "; ".join(expected.mismatches(claim)), False)
    if claim.integer and not getattr(proof, "covers_integer_domains", False):
        return ProofCheck(False, claim, f"a {proof.kind} proof is about real weights; it proves no claim about {claim.weights} weights", False)
    problem = proof.structure_problem()
    if problem is None and claim.hidden and is_levelled(claim.activation) and not getattr(proof, "covers_levels", False):
        problem = (
            f"a {getattr(proof, 'kind', type(proof).__name__)} proof reasons about two-valued hidden units; "
            f"it cannot show a claim about {claim.activation} units"
        )
    if problem is not None:
        return ProofCheck(False, claim, problem, False)
    full = thorough or bool(getattr(proof, "cheap", False))
    ok, reason = proof.check_body(data, full, time_limit)
    return ProofCheck(ok, claim, reason, full)


def _nothing(data: Dataset) -> Claim:
    return Claim(data_fingerprint(data), ())
