"""The processes a benchmark started: find them all, and stop them all.

A benchmark's runs live in processes below the driver: joblib (loky) workers, the fork
servers, and one child per run. When the driver is told to stop (SIGINT / SIGTERM,
:mod:`ftprop_exact.commands.bench`), none of them may outlive it. The tree is read from
``/proc`` on Linux (``ps`` elsewhere), so no extra dependency is needed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Collection

__all__ = ["descendants", "kill_descendants"]


def _parent_links() -> dict[int, int]:
    """pid -> parent pid of every process visible now."""
    links: dict[int, int] = {}
    if os.path.isdir("/proc"):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:  # gone meanwhile
                continue
            fields = stat[stat.rfind(b")") + 2 :].split()  # after "pid (comm) "
            if len(fields) > 1:
                links[int(entry)] = int(fields[1])
        return links
    listing = subprocess.run(["ps", "-A", "-o", "pid=", "-o", "ppid="], capture_output=True, text=True, check=False)
    for line in listing.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            links[int(parts[0])] = int(parts[1])
    return links


def descendants(pid: int | None = None, exclude: Collection[int] = ()) -> list[int]:
    """Every process below ``pid`` (default: this process), children first, leaving out the
    processes in ``exclude`` and everything below them.

    Examples
    --------
    >>> import subprocess, sys
    >>> child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    >>> child.pid in descendants()
    True
    >>> child.kill(); child.wait() != 0
    True
    """
    root = os.getpid() if pid is None else pid
    children: dict[int, list[int]] = {}
    for child, parent in _parent_links().items():
        children.setdefault(parent, []).append(child)
    found: list[int] = []
    frontier = [root]
    while frontier:
        below = [c for p in frontier for c in children.get(p, ()) if c != root and c not in exclude]
        found += below
        frontier = below
    return found


def kill_descendants(pid: int | None = None, rounds: int = 20, pause: float = 0.05, exclude: Collection[int] = ()) -> int:
    """SIGKILL every process below ``pid`` until none is left (a parent may spawn more meanwhile).

    Processes in ``exclude`` and their subtrees are spared (e.g. the children a host program
    had before it started a benchmark).

    Returns the number of processes signalled. Zombies (killed, not yet reaped by their
    parent) count as gone.
    """
    signalled: set[int] = set()
    for _ in range(rounds):
        alive = [p for p in descendants(pid, exclude) if not _zombie(p)]
        if not alive:
            break
        for p in alive:
            try:
                os.kill(p, signal.SIGKILL)
                signalled.add(p)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(pause)
    return len(signalled)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:  # gone, or no /proc (then signal it again: harmless)
        return False
    return stat[stat.rfind(b")") + 2 :][:1] == b"Z"
