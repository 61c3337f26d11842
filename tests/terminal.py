"""Run ``ftprop`` in a child process with stderr on a pseudo-terminal (or a pipe), for the
progress and signal tests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from typing import Callable

FTPROP = [sys.executable, "-m", "ftprop_exact.cli"]


class Run:
    """``ftprop ARGS`` started now; stdout on a pipe, stderr on a pseudo-terminal when ``pty``."""

    def __init__(self, args: list[str], pty: bool = True, **popen: object) -> None:
        self.text = b""
        self.out = b""
        self._lock = threading.Lock()
        if pty:
            import pty as pty_module

            master, slave = pty_module.openpty()
            stderr: object = slave
        else:
            stderr = subprocess.PIPE
        self.process = subprocess.Popen(
            FTPROP + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, **popen
        )
        self._master = master if pty else None
        if pty:
            os.close(slave)
        err_fd = master if pty else self.process.stderr.fileno()
        # one reader per stream (never communicate(): it would race them for the bytes)
        self._readers = [
            threading.Thread(target=self._read, args=(err_fd, "text"), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stdout.fileno(), "out"), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, fd: int, into: str) -> None:
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the pty closes with an EIO once the child is gone
                break
            if not chunk:
                break
            with self._lock:
                setattr(self, into, getattr(self, into) + chunk)

    @property
    def stderr(self) -> str:
        """What reached stderr so far."""
        with self._lock:
            return self.text.decode("utf-8", errors="replace")

    def wait_for(self, condition: Callable[[str], bool], timeout: float) -> bool:
        """Wait until ``condition(stderr)`` holds (True) or ``timeout`` passes / the child exits (False)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if condition(self.stderr):
                return True
            if self.process.poll() is not None:
                return condition(self.stderr)
            time.sleep(0.05)
        return False

    def finish(self, timeout: float = 120.0) -> tuple[int, str, str]:
        """Wait for the exit; (exit code, stdout, stderr)."""
        self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(5.0)
        if self._master is not None:
            os.close(self._master)
            self._master = None
        with self._lock:
            return self.process.returncode, self.out.decode("utf-8", errors="replace"), self.text.decode(
                "utf-8", errors="replace"
            )


def session_processes(session: int) -> list[tuple[int, str]]:
    """(pid, state) of every process of a session (Linux /proc); state "Z" is a zombie (dead)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[3]) == session:
            found.append((int(entry), fields[0]))
    return found
