"""Every benchmark answer is checked independently of the process that produced it.

- FEASIBLE: the network is rebuilt from its JSON form and re-verified on the instance's data
  as given (zero errors, every sign certain under rigorous rounding bounds).
- INFEASIBLE: compared with the known truth, and the proof rebuilt from its JSON form and
  re-checked by :func:`~ftprop_exact.proofs.check.check_proof` against the instance's own
  question (its data, its widths, sign units, unbounded real weights): exact
  certificates, master re-solved. A proof of another claim is a wrong answer.
- UNKNOWN with ``claimed_infeasible`` (the MILP baseline): not a proof; a claim on an
  instance known to be FEASIBLE is a wrong answer of that baseline.

A FEASIBLE answer on an instance whose truth is INFEASIBLE is wrong too: either the
network or the instance's truth is (and both are bugs worth failing loudly for).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ftprop_exact.activations import is_levelled
from ftprop_exact.benchmarks.suites import Instance
from ftprop_exact.errors import DataError
from ftprop_exact.network import ThresholdNetwork
from ftprop_exact.proofs.check import check_proof
from ftprop_exact.proofs.claim import Claim
from ftprop_exact.proofs.io import proof_from_dict
from ftprop_exact.status import Status

__all__ = ["Check", "check_answer"]


@dataclass(frozen=True)
class Check:
    """Outcome of checking one answer.

    Attributes
    ----------
    wrong : bool
        True when the answer is wrong (disqualifying).
    note : str
        What was checked, or why the answer is wrong.
    seconds : float
        Time spent checking.
    """

    wrong: bool
    note: str
    seconds: float


def _network_ok(instance: Instance, network: dict[str, Any] | None) -> tuple[bool, str]:
    if network is None:
        return False, "FEASIBLE without a network"
    try:
        net = ThresholdNetwork.from_dict(network)
        verification = net.verify(instance.data.X, instance.data.Y)
    except DataError as exc:
        return False, f"the network is malformed: {exc}"
    hidden_activations = {layer.activation for layer in net.layers[:-1]}
    if is_levelled(instance.activation) and hidden_activations != {instance.activation}:
        return False, f"the network's hidden units are {sorted(hidden_activations)}, not {instance.activation}"
    if not verification.ok:
        return False, f"the network does not verify ({verification.errors} errors, {verification.n_unsafe} unsafe signs)"
    return True, "network re-verified"


def _proof_ok(instance: Instance, proof: dict[str, Any] | None, time_limit: float) -> tuple[bool, str]:
    if proof is None:
        return False, "INFEASIBLE without a proof"
    try:
        obj = proof_from_dict(proof)
    except DataError as exc:
        return False, f"the proof is malformed: {exc}"
    question = Claim.of(instance.data, instance.hidden, instance.activation)
    check = check_proof(obj, instance.data, question, thorough=True, time_limit=time_limit)
    if not check.ok:
        return False, f"the {obj.kind} proof does not re-check: {check.reason}"
    return True, f"{obj.kind} proof re-checked: {check.claim.describe()}"


def check_answer(instance: Instance, status: str, result: dict[str, Any] | None, proof_time_limit: float = 600.0) -> Check:
    """Check one answer against the data and the known truth.

    Parameters
    ----------
    instance : Instance
        The instance that was solved.
    status : str
        ``FEASIBLE``, ``INFEASIBLE``, ``UNKNOWN``, ``ERROR`` or ``TIMEOUT``.
    result : dict or None
        :meth:`Result.to_dict` of the run (None when it crashed or was killed).
    proof_time_limit : float, default=600.0
        Seconds allowed for re-solving a proof's master.

    Returns
    -------
    Check
    """
    start = time.perf_counter()
    try:
        wrong, note = _judge(instance, status, result or {}, proof_time_limit)
    except Exception as exc:  # noqa: BLE001 - an answer whose check crashes is not accepted
        wrong, note = True, f"the check itself failed ({type(exc).__name__}: {exc})"
    return Check(wrong, note, time.perf_counter() - start)


def _judge(instance: Instance, status: str, result: dict[str, Any], proof_time_limit: float) -> tuple[bool, str]:
    truth = None if instance.truth is None else instance.truth.value
    wrong, note = False, "nothing to check"
    if status == Status.FEASIBLE.value:
        ok, note = _network_ok(instance, result.get("network"))
        if ok and truth == Status.INFEASIBLE.value:
            ok, note = False, "a verified network on an instance whose truth is INFEASIBLE (the suite's truth is wrong)"
        wrong = not ok
    elif status == Status.INFEASIBLE.value:
        if truth == Status.FEASIBLE.value:
            wrong, note = True, "INFEASIBLE on an instance that is FEASIBLE by construction"
        else:
            ok, note = _proof_ok(instance, result.get("proof"), proof_time_limit)
            wrong = not ok
    elif (result.get("stats") or {}).get("claimed_infeasible"):
        if truth == Status.FEASIBLE.value:
            wrong, note = True, "claimed infeasible (no proof) on an instance that is FEASIBLE by construction"
        else:
            note = "claimed infeasible without a proof (not counted as solved)"
    return wrong, note
