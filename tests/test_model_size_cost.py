"""scripts/model_size_cost.py times stand-ins of the right size: their parameter counts match the model cards."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
import torch

from .conftest import PROJECT_ROOT


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
