"""The `kraftbot` command as a user runs it: a subprocess with settings from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import copy_corpus

QUESTION = "Hur mycket pengar kunde man som mest söka per projekt i Starta er AI-resa?"


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KRAFTBOT_PATHS_CORPUS_DIR": str(tmp_path / "corpus"),
        "KRAFTBOT_PATHS_INDEX_DIR": str(tmp_path / "indexes"),
        "KRAFTBOT_CONFIG": str(tmp_path / "none.toml"),
    }
    return subprocess.run(
        [sys.executable, "-m", "kraftbot.cli", *args], env=env, capture_output=True, text=True, timeout=900
    )


@pytest.mark.parametrize("question", ["", "   \n ", "x" * 2001])
def test_bad_questions_get_a_swedish_message_before_any_model_loads(tmp_path: Path, question: str) -> None:
    done = run_cli(tmp_path, "ask", question)
    assert done.returncode == 2
    assert "Frågan" in done.stderr or "fråga" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_index_says_what_to_run(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "ask", "Vad är Kraftsamlingen?")
    assert done.returncode == 2
    assert "kraftbot index" in done.stderr


def test_missing_corpus_folder_is_a_clear_error(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "index")
    assert done.returncode == 2
    assert "does not exist" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_index_then_ask_json_cites_the_call(tmp_path: Path) -> None:
    copy_corpus(
        tmp_path / "corpus",
        ["utlysning-1-starta-er-ai-resa", "utlysning-2-gemensamma-ai-formagor", "satsningen"],
    )
    assert run_cli(tmp_path, "index").returncode == 0
    done = run_cli(tmp_path, "ask", "--json", QUESTION)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for key in ("question", "answer", "refused", "citations", "retrieved", "timings", "tokens_out", "backend", "model"):
        assert key in result
    assert result["question"] == QUESTION
    assert not result["refused"]
    assert "600 000" in result["answer"].replace("\u00a0", " ")
    cited = {c["doc_id"] for c in result["citations"]}
    assert "utlysning-1-starta-er-ai-resa" in cited
    assert any("2022-00880" in c["url"] for c in result["citations"])
    assert result["retrieved"][0]["doc_id"] == "utlysning-1-starta-er-ai-resa"
    assert result["timings"]["total_s"] >= result["timings"]["retrieval_s"] > 0
