"""scripts/gpu_check.py without CUDA: a notice and exit code 0, nothing measured; its server path
with a tiny model on the CPU."""

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


def test_the_server_path_runs_with_a_tiny_model_on_the_cpu() -> None:
    done = subprocess.run(
        [
            *(sys.executable, str(PROJECT_ROOT / "scripts" / "gpu_check.py"), "--server"),
            *("--shape", "tiny", "--device", "cpu", "--concurrency", "1", "3"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if "at once:" in line]
    assert len(lines) == 2 and "1/1 answered" in lines[0] and "3/3 answered" in lines[1], done.stdout
    assert "the time alone" in lines[1]
