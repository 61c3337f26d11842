"""Progress of a long run on a terminal: elapsed time, phase, best error count, proven bound.

Code that runs long *notifies* (:func:`phase`, :func:`best`, :func:`bound`); a reporter,
when one is active (:func:`reporting`), shows the notices. The command line activates the
:class:`TerminalReporter` only when stderr is a terminal and neither ``--json`` nor
``--quiet`` is given (:func:`wanted`); otherwise no reporter is active and every notice
returns at once (one global read), so nothing is printed and nothing is slowed down.

This module is core-level: it imports nothing from the package, so the searchers, the API
and the proof checker may all notify.

Examples
--------
>>> import io
>>> stream = io.StringIO()
>>> with reporting(TerminalReporter(stream, label="check", interval=60.0)):
...     with phase("cp-sat"):
...         best(3)
...         bound(1)
...         line = current_line()
>>> line.split(" | ")[1:]
['cp-sat', 'best 3 errors', 'bound >= 1 error']
>>> best(2)  # no reporter active: nothing happens
"""

from __future__ import annotations

import functools
import shutil
import threading
import time
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, ContextManager, Iterator, TextIO, TypeVar

__all__ = [
    "TerminalReporter",
    "best",
    "bound",
    "current_line",
    "in_phase",
    "phase",
    "reporting",
    "wanted",
]

F = TypeVar("F", bound=Callable[..., Any])

_active: TerminalReporter | None = None  # the reporter shown now, if any


class TerminalReporter:
    """A status line on a terminal, redrawn in place (``\\r``) at most ``1 / interval`` times a second.

    A daemon thread redraws the line (so the elapsed time moves even when nothing else
    does); notices only update fields under a lock. :meth:`close` stops the thread and
    clears the line, so the answer printed afterwards starts on a clean line.

    Parameters
    ----------
    stream : text stream
        Where the line goes (the CLI: ``sys.stderr``, a terminal).
    label : str, default=""
        Shown first (the subcommand).
    interval : float, default=0.25
        Seconds between redraws.
    """

    def __init__(self, stream: TextIO, label: str = "", interval: float = 0.25) -> None:
        self.stream = stream
        self.label = label
        self.interval = float(interval)
        self.start = time.monotonic()
        self._lock = threading.Lock()
        self._phases: list[str] = []
        self._best: str | None = None
        self._bound: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._width = 0

    # -- notices (thread-safe) ------------------------------------------------------------
    def enter(self, name: str) -> None:
        """A phase begins (phases running at once are all shown)."""
        with self._lock:
            self._phases.append(name)

    def leave(self, name: str) -> None:
        """A phase ends."""
        with self._lock:
            if name in self._phases:
                self._phases.remove(name)

    def set_best(self, value: int | str) -> None:
        """The best so far: an error count, or any short text."""
        with self._lock:
            self._best = f"best {value} error{'s' if value != 1 else ''}" if isinstance(value, int) else str(value)

    def set_bound(self, value: int | str) -> None:
        """The proven bound: a lower bound on the errors, or any short text."""
        with self._lock:
            self._bound = f"bound >= {value} error{'s' if value != 1 else ''}" if isinstance(value, int) else str(value)

    # -- drawing --------------------------------------------------------------------------
    def line(self) -> str:
        """The status line now: label, elapsed seconds, phases, best, bound."""
        with self._lock:
            parts = [f"{self.label} {time.monotonic() - self.start:7.1f} s".strip()]
            parts.append(", ".join(self._phases) if self._phases else "running")
            parts += [text for text in (self._best, self._bound) if text]
        return " | ".join(parts)

    def draw(self) -> None:
        """Redraw the line in place (cut to the terminal's width)."""
        columns = shutil.get_terminal_size((80, 24)).columns
        text = self.line()[: max(10, columns - 1)]
        try:
            self.stream.write("\r" + text + " " * max(0, self._width - len(text)))
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: stop drawing
            self._stop.set()
        self._width = len(text)

    def open(self) -> None:
        """Start redrawing."""
        self._thread = threading.Thread(target=self._run, name="ftprop-progress", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop redrawing and clear the line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._width:
            try:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
            except (OSError, ValueError):
                pass

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.draw()


def wanted(stream: TextIO, *, json: bool = False, quiet: bool = False) -> bool:
    """Whether to show progress: ``stream`` is a terminal and neither ``--json`` nor ``--quiet``."""
    if json or quiet:
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextmanager
def reporting(reporter: TerminalReporter | None) -> Iterator[None]:
    """Within the block, notices go to ``reporter`` (None: nowhere, as outside any block)."""
    global _active
    previous = _active
    if reporter is not None:
        reporter.open()
    _active = reporter
    try:
        yield
    finally:
        _active = previous
        if reporter is not None:
            reporter.close()


def phase(name: str) -> ContextManager[None]:
    """``with phase("cp-sat"): ...`` shows the phase while the block runs."""
    reporter = _active
    if reporter is None:
        return nullcontext()
    return _shown(reporter, name)


@contextmanager
def _shown(reporter: TerminalReporter, name: str) -> Iterator[None]:
    reporter.enter(name)
    try:
        yield
    finally:
        reporter.leave(name)


def in_phase(name: str) -> Callable[[F], F]:
    """Decorator: the function's calls run in phase ``name`` (see :func:`phase`)."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            if _active is None:
                return function(*args, **kwargs)
            with phase(name):
                return function(*args, **kwargs)

        return call  # type: ignore[return-value]

    return decorate


def best(value: int | str) -> None:
    """The best so far changed (an error count, or a short text such as ``"width <= 3"``)."""
    reporter = _active
    if reporter is not None:
        reporter.set_best(value)


def bound(value: int | str) -> None:
    """The proven bound changed (a lower bound on the errors, or a short text)."""
    reporter = _active
    if reporter is not None:
        reporter.set_bound(value)


def current_line() -> str | None:
    """The active reporter's status line (None when none is active)."""
    reporter = _active
    return None if reporter is None else reporter.line()
