"""Benchmarks, run by hand (make bench); their figures are written down in docs/performance.md."""
