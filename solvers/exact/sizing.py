"""Is there room for the CP-SAT master? Its size against the time and memory left.

Building the master is a Python loop over every row, unit and input (tens of thousands of
model items per second, fewer while local search shares the interpreter), and CP-SAT
cannot be stopped while it is built. So the master is only built when its estimated build
time fits in :data:`BUILD_SHARE` of the time left to the run (a round of the ``auto``
schedule may overrun by that much, but is not refused for good) and its estimated memory fits under the
run's memory limit (:func:`ftprop_exact.memory.check_allocation`); otherwise the exact
searcher answers UNKNOWN at once (``stats["master_refused"]``) and, under ``auto``, local
search keeps the whole budget.
"""

from __future__ import annotations

import math

from ftprop_exact.budget import Deadline
from ftprop_exact.memory import MemoryLimitError, check_allocation
from ftprop_exact.proofs.master import MasterSpec, master_items

__all__ = ["BUILD_ITEMS_PER_SECOND", "BUILD_SHARE", "BYTES_PER_ITEM", "build_refusal", "master_refusal"]

BUILD_ITEMS_PER_SECOND = 40_000.0
"""Model items (variables and constraints) built per second, conservatively (measured:
about 110,000 alone, 30,000-40,000 beside local search in the same interpreter)."""

BUILD_SHARE = 0.25
"""Largest share of the time left that building the master may take."""

BYTES_PER_ITEM = 1000.0
"""Memory per model item: the Python model (about 270 bytes measured) plus CP-SAT's copies."""


def master_refusal(spec: MasterSpec, deadline: Deadline) -> str | None:
    """Why the master of ``spec`` should not be built now (None: build it).

    Examples
    --------
    >>> import numpy as np
    >>> spec = MasterSpec(Y=np.ones((100_000, 1)), hidden=(8,), weight_bounds=(10, 10),
    ...                   first_layer_inputs=None, lex_prefix=8)
    >>> master_refusal(spec, Deadline(60.0)).startswith("the master")
    True
    >>> master_refusal(spec, Deadline(None)) is None
    True
    """
    return build_refusal(master_items(spec), "the master", deadline)


def build_refusal(items: int, what: str, deadline: Deadline) -> str | None:
    """Why a CP-SAT model of ``items`` model items (``what``) should not be built now (None: build it)."""
    seconds = items / BUILD_ITEMS_PER_SECOND
    left = deadline.run_remaining()
    if math.isfinite(left) and seconds > BUILD_SHARE * left:
        return f"{what} ({items} items) would take about {seconds:.0f} s to build; {left:.0f} s left"
    try:
        check_allocation(deadline, items * BYTES_PER_ITEM, f"{what} ({items} items)")
    except MemoryLimitError as exc:
        return str(exc)
    return None
