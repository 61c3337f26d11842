"""Time budgets and cooperative interruption shared by every searcher."""

from __future__ import annotations

import atexit
import contextvars
import functools
import math
import os
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

R = TypeVar("R")

_POLL = 0.05  # seconds between checks while a native call runs in its helper thread
# the deadlines in force in this context (Deadline.in_force): per thread, so that solves in
# different threads do not stop each other; a searcher's worker thread inherits them when
# started with contextvars.copy_context().run
_IN_FORCE: contextvars.ContextVar[tuple[Deadline, ...]] = contextvars.ContextVar("ftprop_in_force", default=())


class Interrupted(KeyboardInterrupt):
    """A solve's deadline passed or was interrupted inside a step that does not poll it
    (a native call, a model build).

    A :class:`KeyboardInterrupt`, so generic ``except Exception`` handlers let it through
    and :func:`ftprop_exact.solve` answers UNKNOWN with the best network so far, as for Ctrl-C.
    """


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


def process_started_at() -> float:
    """The :func:`time.monotonic` reading at this process's start (now where it cannot be told)."""
    return time.monotonic() - process_age()


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
        return cls.since(process_started_at(), time_limit, memory_limit)

    @classmethod
    def since(cls, started: float, time_limit: float | None, memory_limit: int | None = None) -> Deadline:
        """A deadline counted from ``started`` (a :func:`time.monotonic` reading in the past)."""
        deadline = cls(time_limit, memory_limit=memory_limit)
        deadline.start = min(deadline.start, float(started))
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

    @contextmanager
    def in_force(self) -> Iterator[None]:
        """Within the block, :func:`check_interrupt` and :func:`interruptible` calls obey this deadline.

        ``solve`` puts its deadline in force around the search, so steps far from any
        deadline (an LP inside a loss fit, a CP-SAT model build) stop when it passes or is
        interrupted. It holds in the current thread (a context variable) and in threads
        started with :func:`contextvars.copy_context` from it.
        """
        token = _IN_FORCE.set((*_IN_FORCE.get(), self))
        try:
            yield
        finally:
            _IN_FORCE.reset(token)

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


def stop_requested() -> bool:
    """Whether a deadline in force (:meth:`Deadline.in_force`) passed or was interrupted."""
    return any(deadline.expired() for deadline in _IN_FORCE.get())


def time_left_in_force() -> float | None:
    """Seconds until the first deadline in force passes (None: none in force, or no limit)."""
    left = min((deadline.remaining() for deadline in _IN_FORCE.get()), default=math.inf)
    return None if not math.isfinite(left) else max(0.0, left)


def check_interrupt() -> None:
    """Raise :class:`Interrupted` if a deadline in force passed or was interrupted (cheap: poll
    it in long loops)."""
    for deadline in _IN_FORCE.get():
        if deadline.expired():
            raise Interrupted("interrupted" if deadline.interrupted else "time limit reached")


_ABANDONED: set[threading.Thread] = set()  # helper threads whose callers stopped waiting
ABANDONED_EXIT_WAIT = 30.0  # seconds the interpreter waits at exit for abandoned native calls


@atexit.register
def _wait_for_abandoned_calls() -> None:
    """At interpreter exit, give abandoned native calls time to end by themselves.

    A daemon thread still inside native code (HiGHS) when the interpreter finalises can
    abort the process ("terminate called without an active exception"); the abandoned calls
    carry their own time limits, so they end soon after the deadline that abandoned them.
    The wait is bounded (:data:`ABANDONED_EXIT_WAIT`); ``ftprop`` after a signal leaves
    with ``os._exit`` and does not wait.
    """
    until = time.monotonic() + ABANDONED_EXIT_WAIT
    for helper in list(_ABANDONED):
        helper.join(max(0.0, until - time.monotonic()))


def interruptible(function: Callable[..., R], abandoned: Callable[[], R] | None = None) -> Callable[..., R]:
    """Wrap a long native call (e.g. HiGHS through scipy) so that an interruption ends the wait.

    While a deadline is in force, the call runs in a daemon helper thread (the native code
    releases the GIL) and the caller polls the deadline every 50 ms. When it passes or is
    interrupted, the caller stops waiting at once (the abandoned call finishes unobserved)
    and returns ``abandoned()`` — e.g. a solver result saying "time limit reached", which
    callers already handle — or, without ``abandoned``, raises :class:`Interrupted`. With
    no deadline in force the call runs directly (no thread).

    Examples
    --------
    >>> add = interruptible(lambda a, b: a + b, abandoned=lambda: None)
    >>> add(2, 3)
    5
    >>> d = Deadline(None)
    >>> with d.in_force():
    ...     add(2, 3)
    5
    >>> d.interrupt()
    >>> with d.in_force():
    ...     add(2, 3) is None
    True
    """

    def stop() -> R:
        if abandoned is None:
            check_interrupt()
        return abandoned()  # type: ignore[misc]

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> R:
        if not _IN_FORCE.get():
            return function(*args, **kwargs)
        if stop_requested():
            return stop()
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = function(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                box["error"] = exc

        helper = threading.Thread(target=run, name=f"ftprop-{getattr(function, '__name__', 'call')}", daemon=True)
        helper.start()
        while helper.is_alive():
            helper.join(_POLL)
            if helper.is_alive() and stop_requested():
                _ABANDONED.difference_update([t for t in list(_ABANDONED) if not t.is_alive()])
                _ABANDONED.add(helper)
                return stop()
        if "error" in box:
            raise box["error"]
        return box["value"]

    return call
