"""Benchmarks that print measured numbers and write reports under `eval/reports/`."""
