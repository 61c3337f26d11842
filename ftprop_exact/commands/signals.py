"""SIGINT / SIGTERM end a run cleanly: the deadline is interrupted, the best answer is printed."""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Iterator

from ftprop_exact.budget import Deadline


@contextmanager
def interrupt_on_signals(deadline: Deadline) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM interrupt ``deadline`` instead of killing the process."""

    def handler(signum: int, frame: object) -> None:
        deadline.interrupt()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
