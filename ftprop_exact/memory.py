"""The memory guard: a run ends with UNKNOWN at its memory limit, never by the kernel's OOM kill.

Three layers, so that no single one has to be perfect:

1. :func:`default_memory_limit`: without ``--memory-limit`` / ``memory_limit=``, a run may
   use :data:`DEFAULT_SHARE` of the memory available when it starts (``MemAvailable``, or
   the cgroup's limit minus its usage when that is smaller), on top of what it holds.
2. :func:`check_allocation`: a big step (the CP-SAT master, say) compares its estimated
   size with the head-room left before it starts, and is skipped if it does not fit.
3. :class:`MemoryGuard`: a watchdog thread reads the resident set size from
   ``/proc/self/statm`` every few milliseconds and interrupts the run's
   :class:`~ftprop_exact.budget.Deadline` (reason: the limit) when it is crossed; every
   searcher polls the deadline and a native solver's stop hook runs at once. A
   :class:`MemoryError` raised anyway is turned into UNKNOWN by :func:`ftprop_exact.solve`.

Examples
--------
>>> limit = default_memory_limit()
>>> limit is None or limit > 0
True
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType

from ftprop_exact.budget import Deadline

__all__ = [
    "DEFAULT_SHARE",
    "MemoryGuard",
    "MemoryLimitError",
    "available_bytes",
    "check_allocation",
    "default_memory_limit",
    "headroom",
    "memory_limit_bytes",
    "rss_bytes",
]

DEFAULT_SHARE = 0.75
"""Share of the available memory a run may take by default."""

_MIB = 1 << 20
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_CGROUP_FILES = (
    ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # cgroup v2
    ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),  # v1
)


class MemoryLimitError(MemoryError):
    """A step would take the run past its memory limit (raised before it allocates)."""


def rss_bytes() -> int | None:
    """Resident set size of this process in bytes (None where ``/proc`` is missing)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # "max": no limit


def available_bytes() -> int | None:
    """Memory this process could still take: ``MemAvailable``, or less inside a cgroup limit."""
    candidates = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                candidates.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    for limit_file, usage_file in _CGROUP_FILES:
        limit, usage = _read_int(limit_file), _read_int(usage_file)
        if limit is not None and usage is not None and limit < 1 << 60:
            candidates.append(max(0, limit - usage))
    return min(candidates) if candidates else None


def default_memory_limit(share: float = DEFAULT_SHARE) -> int | None:
    """What the run holds now plus ``share`` of the memory available (None: unknown platform)."""
    available = available_bytes()
    if available is None:
        return None
    return (rss_bytes() or 0) + int(share * available)


def memory_limit_bytes(megabytes: float | None) -> int | None:
    """``memory_limit=`` in MiB to bytes; None gives :func:`default_memory_limit`.

    Raises
    ------
    ValueError
        When the limit is not a positive number.
    """
    if megabytes is None:
        return default_memory_limit()
    if isinstance(megabytes, bool) or not isinstance(megabytes, (int, float)) or not megabytes > 0:
        raise ValueError(f"memory_limit must be a positive number of MiB; got {megabytes!r}")
    return int(megabytes * _MIB)


def headroom(deadline: Deadline) -> float:
    """Bytes the run may still allocate under its deadline's memory limit (inf: no limit)."""
    limit, rss = deadline.memory_limit, rss_bytes()
    if limit is None or rss is None:
        return float("inf")
    return float(limit - rss)


def check_allocation(deadline: Deadline, nbytes: float, what: str) -> None:
    """Raise :class:`MemoryLimitError` if allocating ``nbytes`` for ``what`` would cross the limit."""
    left = headroom(deadline)
    if nbytes > left:
        raise MemoryLimitError(
            f"{what} would need about {nbytes / _MIB:.0f} MiB; {max(0.0, left) / _MIB:.0f} MiB left "
            f"under the memory limit of {deadline.memory_limit / _MIB:.0f} MiB"
        )


def limit_message(limit: int, rss: int) -> str:
    """The reason recorded when the guard stops a run."""
    return f"memory limit of {limit / _MIB:.0f} MiB reached (resident {rss / _MIB:.0f} MiB)"


class MemoryGuard:
    """Watchdog thread: interrupt ``deadline`` (with a reason) once the RSS crosses its limit.

    Parameters
    ----------
    deadline : Deadline
        The run's deadline; its :attr:`~ftprop_exact.budget.Deadline.memory_limit` is the
        limit (no thread is started without one, or where the RSS cannot be read).
    interval : float, default=0.02
        Seconds between readings.

    Examples
    --------
    >>> d = Deadline(None, memory_limit=1 << 50)
    >>> with MemoryGuard(d) as guard:
    ...     pass
    >>> guard.tripped, d.interrupted
    (False, False)
    """

    def __init__(self, deadline: Deadline, interval: float = 0.02) -> None:
        self.deadline = deadline
        self.interval = float(interval)
        self.tripped = False
        self.peak = rss_bytes() or 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _watch(self) -> None:
        limit = self.deadline.memory_limit
        while not self._stop.wait(self.interval):
            rss = rss_bytes()
            if rss is None:
                return
            self.peak = max(self.peak, rss)
            if limit is not None and rss > limit:
                self.tripped = True
                self.deadline.interrupt(limit_message(limit, rss))
                return

    def __enter__(self) -> MemoryGuard:
        if self.deadline.memory_limit is not None and rss_bytes() is not None:
            self._thread = threading.Thread(target=self._watch, name="ftprop-memory-guard", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
