"""Time budgets and cooperative interruption shared by every searcher."""

from __future__ import annotations

import math
import os
import time
from contextlib import contextmanager
from typing import Callable, Iterator


def process_age() -> float:
    """Seconds since this process started (0.0 where ``/proc`` does not tell)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as handle:
            uptime = float(handle.read().split()[0])
        return max(0.0, uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


class Deadline:
    """A wall-clock deadline that searchers poll, plus an interruption flag.

    Parameters
    ----------
    time_limit : float or None
        Seconds from now; ``None`` or ``inf`` means no limit.
    parent : Deadline, optional
        A deadline this one never outlives (and whose interruption stops it).
    memory_limit : int, optional
        Bytes of resident memory the run may use (inherited from ``parent`` when not
        given); big steps size themselves against it and
        :class:`~ftprop_exact.memory.MemoryGuard` interrupts the deadline when it is crossed.

    Examples
    --------
    >>> d = Deadline(10.0)
    >>> d.expired(), 0 < d.remaining() <= 10.0
    (False, True)
    >>> d.interrupt(); d.expired()
    True
    """

    def __init__(self, time_limit: float | None, parent: Deadline | None = None, memory_limit: int | None = None) -> None:
        if time_limit is not None and (math.isnan(time_limit) or time_limit < 0):
            raise ValueError(f"time_limit must be a non-negative number of seconds; got {time_limit!r}")
        self.start = time.monotonic()
        self.time_limit = math.inf if time_limit is None else float(time_limit)
        self._interrupted = False
        self._reason: str | None = None
        self._parent = parent
        self._memory_limit = memory_limit
        self._hooks: list[Callable[[], None]] = []

    @classmethod
    def from_process_start(cls, time_limit: float | None, memory_limit: int | None = None) -> Deadline:
        """A deadline counted from the start of this process (interpreter start-up and imports
        included), where the platform tells it (Linux); else from now."""
        deadline = cls(time_limit, memory_limit=memory_limit)
        deadline.start -= process_age()
        return deadline

    def elapsed(self) -> float:
        """Seconds since the deadline was created."""
        return time.monotonic() - self.start

    def remaining(self) -> float:
        """Seconds left (0 when expired or interrupted; ``inf`` when unlimited)."""
        if self._interrupted:
            return 0.0
        own = max(0.0, self.time_limit - self.elapsed())
        return own if self._parent is None else min(own, self._parent.remaining())

    def run_remaining(self) -> float:
        """Seconds left to the whole run: the outermost deadline's :meth:`remaining` (a round
        of a schedule ends sooner, but a step that cannot stop is sized against the run)."""
        if self.interrupted:
            return 0.0
        return self.remaining() if self._parent is None else self._parent.run_remaining()

    def expired(self) -> bool:
        """True once the time is up or :meth:`interrupt` was called."""
        return self.remaining() <= 0.0

    def interrupt(self, reason: str | None = None) -> None:
        """Ask every searcher polling this deadline to stop (e.g. on SIGINT).

        Registered hooks run too (a native solver's stop function, say), so a solver that
        does not poll stops as well. Safe to call from a signal handler. The first
        ``reason`` given (e.g. "memory limit reached") is kept in :attr:`reason`.
        """
        if reason is not None and self._reason is None:
            self._reason = reason
        self._interrupted = True
        for hook in list(self._hooks):
            hook()

    @contextmanager
    def hook(self, stop: Callable[[], None]) -> Iterator[None]:
        """Run ``stop`` if this deadline (or a parent) is interrupted inside the block."""
        chain = [self]
        while chain[-1]._parent is not None:
            chain.append(chain[-1]._parent)
        for deadline in chain:
            deadline._hooks.append(stop)
        try:
            yield
        finally:
            for deadline in chain:
                deadline._hooks.remove(stop)

    @property
    def reason(self) -> str | None:
        """Why the deadline was interrupted, when a reason was given (here or on a parent)."""
        if self._reason is not None:
            return self._reason
        return None if self._parent is None else self._parent.reason

    @property
    def memory_limit(self) -> int | None:
        """Bytes of resident memory allowed (this deadline's, else its parent's; None: no limit)."""
        if self._memory_limit is not None:
            return self._memory_limit
        return None if self._parent is None else self._parent.memory_limit

    @memory_limit.setter
    def memory_limit(self, value: int | None) -> None:
        self._memory_limit = None if value is None else int(value)

    @property
    def interrupted(self) -> bool:
        """Whether :meth:`interrupt` was called (here or on a parent)."""
        return self._interrupted or (self._parent is not None and self._parent.interrupted)

    def reserve(self, seconds: float) -> Deadline:
        """A child deadline ending ``seconds`` before this one (at most half the time left):
        room for a last step that cannot be interrupted, and for finishing."""
        left = self.remaining()
        if not math.isfinite(left):
            return Deadline(None, parent=self)
        return Deadline(max(0.0, left - min(float(seconds), left / 2.0)), parent=self)

    def sub(self, fraction: float) -> Deadline:
        """A child deadline ending after ``fraction`` of the remaining time, never later than
        this one, and stopped whenever this one is interrupted."""
        left = self.remaining()
        return Deadline(left * fraction if math.isfinite(left) else None, parent=self)
