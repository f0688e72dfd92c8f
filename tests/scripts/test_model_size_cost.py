"""scripts/model_size_cost.py times stand-ins of the right size (parameter counts match the model cards) and
reports the project's percentiles of the timed runs."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType, SimpleNamespace

import pytest
import torch

from tests.conftest import PROJECT_ROOT


def load_script() -> ModuleType:
    """The script as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("model_size_cost", PROJECT_ROOT / "scripts" / "model_size_cost.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("shape_name", "cross_encoder", "model_card_parameters"),
    [("E5_BASE", False, 278e6), ("E5_LARGE", False, 560e6), ("BGE_RERANKER_V2_M3", True, 568e6)],
)
def test_stand_in_has_the_published_parameter_count(
    shape_name: str, cross_encoder: bool, model_card_parameters: float
) -> None:
    script = load_script()
    with torch.device("meta"):  # shapes only: no memory, no weights
        model = script.xlmr(getattr(script, shape_name), cross_encoder)
    parameters = sum(parameter.numel() for parameter in model.parameters())
    assert parameters == pytest.approx(model_card_parameters, rel=0.005)


def test_measure_reports_interpolated_percentiles_of_the_timed_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs of 1, 2, 3, 4 and 5 s (clock readings 0,1 | 1,3 | 3,6 | 6,10 | 10,15); the warm-up is not timed.
    script = load_script()
    readings = iter([0, 1, 1, 3, 3, 6, 6, 10, 10, 15])
    monkeypatch.setattr(script, "time", SimpleNamespace(perf_counter=lambda: float(next(readings))))
    calls = []
    p50, p95 = script.measure(lambda: calls.append(1), runs=5)
    assert len(calls) == 6
    assert (p50, p95) == pytest.approx((3000.0, 4800.0))  # linear p95 of 1..5 s; nearest rank would say 5000
