"""Benchmarks of the synthetic LEO generator and the full build (issue #8); see
``benchmarks/run.py``."""
