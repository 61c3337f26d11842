"""The ftprop command line, through real subprocesses: verdict lines, exit codes, JSON, signals."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "ftprop_exact" / "examples"


def ftprop(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ftprop_exact.cli", *args], capture_output=True, text=True, timeout=timeout
    )


def verdict_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("s ")]


def write_parity(tmp_path: Path, n: int) -> Path:
    X = np.array(list(itertools.product([0, 1], repeat=n)))
    path = tmp_path / f"parity{n}.csv"
    header = ",".join(f"x{j}" for j in range(n)) + ",label"
    rows = [",".join(map(str, r)) + f",{int(r.sum()) % 2}" for r in X]
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


# -- check-targets ----------------------------------------------------------------------------
def test_check_targets_feasible_on_the_bundled_example():
    proc = ftprop("check-targets", str(EXAMPLES / "xor.csv"), "--targets", str(EXAMPLES / "xor_targets.npz"))
    assert proc.returncode == 10, proc.stderr
    assert verdict_lines(proc.stdout) == ["s FEASIBLE"]
    assert all(line.startswith(("c ", "s ")) for line in proc.stdout.splitlines())


def test_check_targets_infeasible_with_certificate_json():
    proc = ftprop("check-targets", str(EXAMPLES / "xor.csv"), "--targets", str(EXAMPLES / "xor_bad_targets.npz"), "--json")
    assert proc.returncode == 20, proc.stderr
    obj = json.loads(proc.stdout)
    assert obj["status"] == "INFEASIBLE"
    output_unit = obj["layers"][1]["units"][0]
    assert output_unit["separable"] is False
    assert output_unit["certificate"]["rows"] and output_unit["certificate"]["multipliers"]
    assert obj["layers"][0]["units"][0]["separable"] is True and obj["layers"][0]["units"][0]["margin"] > 0


def test_check_targets_without_targets_checks_a_single_layer():
    proc = ftprop("check-targets", str(EXAMPLES / "xor.csv"))
    assert proc.returncode == 20 and verdict_lines(proc.stdout) == ["s INFEASIBLE"]


@pytest.mark.parametrize(
    "make_targets, message",
    [
        (lambda: {"T1": np.array([[1], [0], [1], [1]])}, "row 1 column 0"),
        (lambda: {"T1": np.ones((3, 2))}, "3 rows but the data has 4"),
        (lambda: {"T2": np.ones((4, 2))}, "without gaps"),
        (lambda: {"T1": np.ones((4, 2)), "extra": np.ones(3)}, "unexpected array"),
        (lambda: {"T1": np.array([["a"], ["b"], ["c"], ["d"]])}, "numeric"),
    ],
)
def test_bad_targets_exit_2_with_a_clear_message(tmp_path, make_targets, message):
    path = tmp_path / "T.npz"
    np.savez(path, **make_targets())
    proc = ftprop("check-targets", str(EXAMPLES / "xor.csv"), "--targets", str(path))
    assert proc.returncode == 2
    assert message in proc.stderr and str(path) in proc.stderr
    assert proc.stdout == ""


def test_object_array_targets_are_refused(tmp_path):
    path = tmp_path / "T.npz"
    np.savez(path, T1=np.array([[1], [1], [1], [None]], dtype=object))
    proc = ftprop("check-targets", str(EXAMPLES / "xor.csv"), "--targets", str(path))
    assert proc.returncode == 2 and "Python objects" in proc.stderr


def test_missing_data_file_and_usage_errors_exit_2(tmp_path):
    proc = ftprop("check-targets", str(tmp_path / "nope.csv"))
    assert proc.returncode == 2 and "nope.csv" in proc.stderr
    assert ftprop("check", str(EXAMPLES / "xor.csv")).returncode == 2  # --hidden missing
    assert ftprop("check", str(EXAMPLES / "xor.csv"), "--hidden", "x").returncode == 2
    assert ftprop("check", str(EXAMPLES / "xor.csv"), "--hidden", "2", "--time-limit", "-1").returncode == 2
    assert ftprop("no-such-command").returncode == 2


# -- check and verify-proof ---------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3, 4])
def test_check_proves_parity_width_n_minus_1_infeasible_and_n_feasible(tmp_path, n):
    data = write_parity(tmp_path, n)
    proof = tmp_path / "proof.json"
    below = ftprop("check", str(data), "--hidden", str(n - 1), "--solver", "cpsat", "--proof", str(proof))
    assert below.returncode == 20, below.stderr
    assert verdict_lines(below.stdout) == ["s INFEASIBLE"]
    checked = ftprop("verify-proof", str(data), "--proof", str(proof), "--hidden", str(n - 1))
    claim = f"no network with hidden [{n - 1}] (sign units, real weights) fits every example"
    assert checked.returncode == 0 and verdict_lines(checked.stdout) == [f"s VERIFIED: {claim}"]
    network = tmp_path / "net.json"
    at = ftprop("check", str(data), "--hidden", str(n), "--json", "--network", str(network))
    assert at.returncode == 10, at.stderr
    obj = json.loads(at.stdout)
    assert obj["status"] == "FEASIBLE" and obj["errors"] == 0 and obj["hidden"] == [n]
    assert obj["classes"] == [0, 1] and "seconds" in obj["stats"] and obj["version"]
    assert json.loads(network.read_text()) == obj["network"]


def test_verify_proof_rejects_a_proof_for_other_data(tmp_path):
    data3, data4 = write_parity(tmp_path, 3), write_parity(tmp_path, 4)
    proof = tmp_path / "proof.json"
    assert ftprop("check", str(data3), "--hidden", "2", "--proof", str(proof)).returncode == 20
    proc = ftprop("verify-proof", str(data4), "--proof", str(proof))
    assert proc.returncode == 3 and verdict_lines(proc.stdout) == ["s REJECTED"]
    assert "the data differs from the data the proof was made for" in proc.stdout
    hashes = [line.split("sha256 ")[1:] for line in proc.stdout.splitlines() if "sha256" in line][0]
    assert len(hashes) == 2 and hashes[0][:64] != hashes[1][:64]  # which hash each has, in full
    assert f"the data file {str(data4)!r} differs from the one the proof was made for ({str(data3)!r}" in proc.stdout


def test_verify_proof_rejects_a_tampered_proof(tmp_path):
    data = write_parity(tmp_path, 3)
    proof = tmp_path / "proof.json"
    assert ftprop("check", str(data), "--hidden", "2", "--proof", str(proof)).returncode == 20
    document = json.loads(proof.read_text())
    document["proof"]["claim"]["hidden"] = [3]  # claim that three units do not suffice
    proof.write_text(json.dumps(document))
    proc = ftprop("verify-proof", str(data), "--proof", str(proof))
    assert proc.returncode == 3 and verdict_lines(proc.stdout) == ["s REJECTED"]


def test_time_limit_is_honoured(tmp_path):
    data = write_parity(tmp_path, 6)  # width 5: open, so no solver settles it in 2 s
    start = time.monotonic()
    proc = ftprop("check", str(data), "--hidden", "5", "--solver", "cpsat", "--time-limit", "2", "--threads", "1")
    elapsed = time.monotonic() - start
    assert proc.returncode == 0 and verdict_lines(proc.stdout) == ["s UNKNOWN"]
    assert elapsed < 2 + 2 + 3  # limit + 2 s, plus interpreter and import start-up


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_end_the_run_cleanly_with_unknown(tmp_path, sig):
    data = write_parity(tmp_path, 6)  # width 5: open, the run is still searching when the signal comes
    proc = subprocess.Popen(
        [sys.executable, "-m", "ftprop_exact.cli", "check", str(data), "--hidden", "5", "--solver", "cpsat", "--threads", "1", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert json.loads(out)["status"] == "UNKNOWN"
