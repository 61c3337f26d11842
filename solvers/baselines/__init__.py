"""Baseline searchers for the benchmarks: MILP (``milp``), brute force over threshold
functions (``brute``) and the paper's gradient methods FTPROP-MB and SSTE (``gradient``)."""
