"""The release gate: a run passes when every measure in the thresholds file is within its bound.

`eval/thresholds.toml` has a `[min]` and a `[max]` table keyed by the names of `summary.flatten`
(for example `hit_at_3`, `ungrounded_terms`, `"latency.total_s.p95"`). A measure the run could not
compute (no question it applies to) fails: a gate that cannot check must not pass.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kraftbot.errors import ConfigurationError
from kraftbot.evaluation.summary import flatten


@dataclass(frozen=True)
class Thresholds:
    minimum: dict[str, float]
    maximum: dict[str, float]


@dataclass(frozen=True)
class Failure:
    name: str
    value: float | None
    bound: str

    def __str__(self) -> str:
        shown = "not measured" if self.value is None else f"{self.value:.3f}"
        return f"{self.name} = {shown}, required {self.bound}"


def load_thresholds(path: Path) -> Thresholds:
    if not path.is_file():
        raise ConfigurationError(f"Thresholds file {path} not found")
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    unknown = set(data) - {"min", "max"}
    if unknown:
        raise ConfigurationError(f"{path}: unknown tables {sorted(unknown)}; use [min] and [max]")
    return Thresholds(
        {k: float(v) for k, v in data.get("min", {}).items()},
        {k: float(v) for k, v in data.get("max", {}).items()},
    )


def check(summary: Mapping[str, object], thresholds: Thresholds) -> list[Failure]:
    """The measures that miss their bound; an unknown measure name is an error, not a pass."""
    flat = flatten(summary)
    unknown = (thresholds.minimum.keys() | thresholds.maximum.keys()) - flat.keys()
    if unknown:
        raise ConfigurationError(f"Thresholds name unknown measures: {sorted(unknown)}")
    failures = []
    for name, bound in thresholds.minimum.items():
        value = flat[name]
        if value is None or value < bound:
            failures.append(Failure(name, value, f">= {bound:g}"))
    for name, bound in thresholds.maximum.items():
        value = flat[name]
        if value is None or value > bound:
            failures.append(Failure(name, value, f"<= {bound:g}"))
    return failures
