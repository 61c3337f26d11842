"""Objectives beyond feasibility that choose among zero-error networks (``solve(objective=...)``).

- ``max_margin`` (:mod:`.margin`, :mod:`.margin_start`): every unit the hard-margin separator
  of its targets, hidden targets started from the data's linear max-margin separators.
"""

from __future__ import annotations

CHOOSING_OBJECTIVES = ("max_margin",)
"""Objectives that answer the feasibility question and then choose among the zero-error networks
(a proof of infeasibility keeps its feasibility claim: no zero-error network exists at all)."""

__all__ = ["CHOOSING_OBJECTIVES"]
