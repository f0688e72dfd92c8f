"""scripts/gpu_check.py on a machine without CUDA: a notice and exit code 0, nothing measured."""

from __future__ import annotations

import os
import subprocess
import sys

from ..conftest import PROJECT_ROOT


def test_gpu_check_only_prints_a_notice_without_cuda() -> None:
    environment = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "gpu_check.py")],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "no CUDA device" in done.stdout
    assert "tokens/s" not in done.stdout
