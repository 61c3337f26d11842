"""Progress on a terminal: the reporter, and ``ftprop`` under a pseudo-terminal or a pipe."""

from __future__ import annotations

import io
import re
import sys
import threading

import numpy as np
import pytest

from ftprop_exact import progress
from ftprop_exact.benchmarks.generators import random_labels
from terminal import Run

STATUS_LINE = re.compile(r"(check|min-width)\s+\d+\.\d s \|")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


def test_notices_without_a_reporter_do_nothing():
    assert progress.current_line() is None
    with progress.phase("cp-sat"):
        progress.best(3)
        progress.bound(1)
    assert progress.current_line() is None


def test_reporter_shows_phases_best_and_bound_as_they_change():
    reporter = progress.TerminalReporter(io.StringIO(), label="check", interval=60.0)
    with progress.reporting(reporter):
        assert progress.current_line().endswith("| running")
        with progress.phase("local search"), progress.phase("cp-sat"):
            progress.best(7)
            progress.best(1)
            progress.bound(1)
            assert progress.current_line().split(" | ")[1:] == ["local search, cp-sat", "best 1 error", "bound >= 1 error"]
        progress.bound("width >= 3")
        assert progress.current_line().split(" | ")[1:] == ["running", "best 1 error", "width >= 3"]
    assert progress.current_line() is None


def test_decorated_function_runs_in_its_phase_from_any_thread():
    seen = []

    @progress.in_phase("proof check")
    def work():
        seen.append(progress.current_line())
        return 42

    assert work() == 42 and seen == [None]  # no reporter: called directly
    with progress.reporting(progress.TerminalReporter(io.StringIO(), interval=60.0)):
        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
    assert "proof check" in seen[1]


def test_redraws_in_place_and_clears_the_line_on_close():
    stream = io.StringIO()
    with progress.reporting(progress.TerminalReporter(stream, label="check", interval=0.01)):
        progress.best(5)
        threading.Event().wait(0.1)
    text = stream.getvalue()
    assert text.count("\r") >= 3 and "best 5 errors" in text
    assert text.endswith("\r") and text.rsplit("\r", 2)[-2].strip() == ""  # last: blanks over the line


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_wanted_only_on_a_terminal_without_json_or_quiet():
    assert progress.wanted(_Stream(True))
    assert not progress.wanted(_Stream(False))
    assert not progress.wanted(_Stream(True), json=True)
    assert not progress.wanted(_Stream(True), quiet=True)


@pytest.fixture(scope="module")
def hard_data(tmp_path_factory):
    """Random labels: no quick answer, so a run lasts its time limit."""
    X, y = random_labels(4, 300, np.random.default_rng(5))
    path = tmp_path_factory.mktemp("progress") / "random.npz"
    np.savez(path, X=X, y=y)
    return str(path)


@pytest.mark.parametrize(
    "command, extra, on_pty, shown",
    [
        ("check", [], True, True),
        ("min-width", ["--max-width", "3"], True, True),
        ("check", [], False, False),
        ("check", ["--json"], True, False),
        ("check", ["--quiet"], True, False),
    ],
)
def test_progress_only_on_a_terminal_and_never_under_json_or_quiet(hard_data, command, extra, on_pty, shown):
    args = [command, hard_data, "--time-limit", "4", "--threads", "1", *extra]  # counted from process start
    if command == "check":
        args += ["--hidden", "2"]
    code, stdout, stderr = Run(args, pty=on_pty).finish()
    assert code in (0, 10, 20), stderr
    assert bool(STATUS_LINE.search(stderr)) is shown, stderr
    assert not STATUS_LINE.search(stdout)  # never on stdout
    if shown:
        assert "\r" in stderr and re.search(r"\| (local search|cp-sat|warm start|LP cuts|must-differ bound|width \d)", stderr)
    else:
        assert "\r" not in stderr
