"""Flip-based target searchers (``"ftprop"``, ``"local"``) and their machinery.

State and unit checks (``state``); layer losses, unit fits and flip deltas (``deltas``);
moves, tabu and kicks (``moves``); one descent (``descent``); starts and restarts
(``starts``); the warm starts (``anneal_start``, ``soft_start``); the layer losses
(``losses``); the searchers themselves (``ftprop``, ``local_search``).
"""
