"""Benchmarks of ftprop_exact (installed as ftprop_exact.benchmarks)."""
