"""SIGINT / SIGTERM: the first ends the run cleanly with the best so far; a second exits at once.

The first signal interrupts the run's deadline (every searcher polls it; CP-SAT is stopped
through its hook, and steps that do not poll give up through :func:`~ftprop_exact.budget.
check_interrupt`), so the command prints its answer (UNKNOWN with the best network, unless
a verdict was already reached) and exits with the verdict's code. A second signal exits at
once, without an answer, with ``128 + signal number`` (130 for SIGINT, 143 for SIGTERM) and
a one-line message on stderr.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from typing import Callable, ContextManager, Iterator

from ftprop_exact.budget import Deadline

__all__ = ["SIGNALS", "exit_code", "interrupt_on_signals", "leave_if_signalled", "on_signals", "received"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_received: list[int] = []  # the signals received inside the current (or last) block


def exit_code(signum: int) -> int:
    """The conventional exit status after a signal: ``128 + signum`` (130 SIGINT, 143 SIGTERM)."""
    return 128 + int(signum)


def received() -> int | None:
    """The first signal received inside the last :func:`on_signals` block, if any."""
    return _received[0] if _received else None


def _say(text: str) -> None:
    """One line on stderr, safe inside a signal handler (one unbuffered write)."""
    prefix = "\r\n" if _is_terminal() else ""
    try:
        os.write(2, f"{prefix}ftprop: {text}\n".encode())
    except OSError:
        pass


def _is_terminal() -> bool:
    try:
        return os.isatty(2)
    except OSError:
        return False


@contextmanager
def on_signals(first: Callable[[int], None], what: str, before_exit: Callable[[], None] | None = None) -> Iterator[None]:
    """Within the block, the first SIGINT/SIGTERM calls ``first(signum)``; a second exits at once.

    Parameters
    ----------
    first : callable
        Called (in the main thread, from the handler) with the first signal's number.
    what : str
        What the first signal does, for the message (e.g. "stopping with the best so far").
    before_exit : callable, optional
        Called before a second signal exits the process (e.g. to kill child processes).
    """
    _received.clear()

    def handler(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if _received:
            _say(f"second {name}: exiting at once (exit code {exit_code(signum)})")
            if before_exit is not None:
                before_exit()
            os._exit(exit_code(signum))
        _received.append(signum)
        _say(f"{name}: {what} (send it again to exit at once)")
        first(signum)

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def interrupt_on_signals(deadline: Deadline) -> ContextManager[None]:
    """Within the block, the first SIGINT/SIGTERM interrupts ``deadline``; a second exits at once."""
    return on_signals(lambda signum: deadline.interrupt(), "stopping, the best answer so far follows")


def leave_if_signalled(code: int) -> int:
    """After a run that a signal ended: flush the answer and exit now (skip a slow teardown).

    Abandoned native calls (an LP still running in a helper thread) and large models would
    otherwise delay the exit by a second or more. Returns ``code`` when no signal came.
    """
    if received() is None:
        return code
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
