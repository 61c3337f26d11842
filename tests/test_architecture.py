"""The import direction of docs/architecture.md, enforced by import-linter (contracts: .importlinter).

setup.cfg maps ``solvers/`` and ``benchmarks/`` to ``ftprop_exact.solvers`` and
``ftprop_exact.benchmarks``; the editable install resolves them through a finder that grimp
does not follow, so walking ``ftprop_exact/`` alone would miss both and the contracts could
pass vacuously. The tests lint a copy of the sources laid out as installed, assert that the
graph holds the mapped packages, and show that a forbidden import is caught. (The contract
"trust-boundary" replaces the former hand-written AST check of ``proofs/``.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"
# where each source folder lands when installed (setup.cfg, package_dir)
LAYOUT = {"ftprop_exact": "ftprop_exact", "solvers": "ftprop_exact/solvers", "benchmarks": "ftprop_exact/benchmarks"}
# modules the graph must hold, one per room, so that no contract passes on a partial graph
EXPECTED_MODULES = (
    "ftprop_exact.cli",
    "ftprop_exact.commands.check",
    "ftprop_exact.benchmarks.runner",
    "ftprop_exact.api",
    "ftprop_exact.solvers.registry",
    "ftprop_exact.solvers.assemble",
    "ftprop_exact.solvers.exact.cpsat",
    "ftprop_exact.solvers.search.starts",
    "ftprop_exact.solvers.learners.lp",
    "ftprop_exact.solvers.kernels.perceptron",
    "ftprop_exact.solvers.baselines.brute",
    "ftprop_exact.proofs.check",
    "ftprop_exact.problem",
)


def installed_layout(target: Path) -> Path:
    """Copy the package sources to ``target`` as ``pip install`` lays them out; return ``target``."""
    for source, dest in LAYOUT.items():
        shutil.copytree(ROOT / source, target / dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "examples"))
    return target


def run_in(tree: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``python args...`` with only ``tree`` (not the editable install) providing ftprop_exact."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([sys.executable, *args], cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def lint(tree: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` with the repository's contracts, on ``tree``."""
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return run_in(tree, "-c", code, str(CONFIG), "--no-cache")


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return installed_layout(tmp_path_factory.mktemp("installed"))


def test_the_graph_holds_every_room_including_the_mapped_packages(tree):
    code = (
        "import grimp, ftprop_exact; print(ftprop_exact.__file__); "
        "print('\\n'.join(sorted(grimp.build_graph('ftprop_exact', cache_dir=None).modules)))"
    )
    done = run_in(tree, "-c", code)
    assert done.returncode == 0, done.stderr
    origin, *modules = done.stdout.split()
    assert Path(origin).is_relative_to(tree)  # the copy, not the editable install
    missing = [name for name in EXPECTED_MODULES if name not in modules]
    assert not missing, f"the import graph lacks {missing}"
    assert sum(name.startswith("ftprop_exact.solvers.") for name in modules) >= 30


def test_the_import_contracts_hold(tree):
    done = lint(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout and "3 kept" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("ftprop_exact/data.py", "from ftprop_exact.solvers.registry import make_learner", "ftprop_exact.data -> ftprop_exact.solvers.registry"),
        ("ftprop_exact/solvers/exact/cuts.py", "from ftprop_exact.api import solve", "ftprop_exact.solvers.exact.cuts -> ftprop_exact.api"),
        ("ftprop_exact/proofs/claim.py", "import ftprop_exact.solvers.learners.lp", "ftprop_exact.proofs.claim -> ftprop_exact.solvers.learners.lp"),
        ("ftprop_exact/solvers/learners/lp.py", "from ftprop_exact.solvers import registry", "ftprop_exact.solvers.learners.lp -> ftprop_exact.solvers.registry"),
    ],
    ids=["core-imports-solvers", "solver-imports-api", "proofs-import-a-learner", "learner-imports-registry"],
)
def test_a_forbidden_import_breaks_a_contract(tmp_path, module, line, broken):
    tree = installed_layout(tmp_path)
    with open(tree / module, "a", encoding="utf-8") as handle:
        handle.write(f"\n{line}\n")
    done = lint(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    assert broken in done.stdout
