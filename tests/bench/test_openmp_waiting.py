"""The OpenMP waiting benchmark: each child process gets the waiting policy of its configuration."""

from __future__ import annotations

import pytest

from kraftbot.bench.openmp_waiting import CONFIGS


def test_bench_children_get_their_own_waiting_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each child's every runtime, even one loaded on import, waits as its configuration says."""
    monkeypatch.setenv("GOMP_SPINCOUNT", "5")
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    for config in CONFIGS:
        env = config.environment()
        assert "OMP_WAIT_POLICY" not in env
        assert env["KRAFTBOT_OPENMP_SPIN_COUNT"] == env["GOMP_SPINCOUNT"] == str(config.spin_count)
