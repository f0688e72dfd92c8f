"""Benchmarks that print measured numbers and write reports under `eval/reports/`.

Their metrics (percentiles, bootstrap intervals, hit@k, MRR, nDCG) come from `kraftbot.evaluation.metrics`.
"""

from __future__ import annotations

import os


def machine_note() -> str:
    """CPU count and load, because wall-clock timings on a shared machine depend on both."""
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.1f} (1 min) / {five:.1f} (5 min)"
