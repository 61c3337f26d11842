"""One import root: the built wheel holds ftprop_exact only (solvers/ and benchmarks/ inside it)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_installs_nothing_generic_at_the_top_level(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("ftprop_exact-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"ftprop_exact", next(t for t in tops if t.endswith(".dist-info"))}
    assert "ftprop_exact/solvers/learners/lp.py" in names and "ftprop_exact/benchmarks/suites.py" in names
    assert "ftprop_exact/examples/xor.csv" in names
    assert "ftprop_exact/commands/check.py" in names and "ftprop_exact/proofs/check.py" in names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "ftprop = ftprop_exact.cli:console_main" in entry_points
