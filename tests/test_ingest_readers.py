"""Reading real files of every format: titles, urls, Swedish text and PDF pages come back intact."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kraftbot.documents import CorpusReadResult, read_corpus
from kraftbot.readers import UnreadableFile, read_file
from kraftbot.readers.web import read_html

from .make_fixtures import EXPECTED, PDF_PAGES, make_fixtures


@pytest.fixture(scope="module")
def fixture_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fixtures")
    make_fixtures(folder)
    return folder


@pytest.fixture(scope="module")
def read_fixtures(fixture_corpus: Path) -> CorpusReadResult:
    return read_corpus(fixture_corpus)


def _documents_of(result: CorpusReadResult, relative: str) -> list:
    return [d for d in result.documents if d.metadata["file_path"] == relative]


@pytest.mark.parametrize("relative", list(EXPECTED))
def test_every_format_reads_back_title_url_and_swedish_text(read_fixtures: CorpusReadResult, relative: str):
    expected = EXPECTED[relative]
    documents = _documents_of(read_fixtures, relative)
    assert documents, f"{relative} was not read: {read_fixtures.skipped.get(relative)}"
    text = "\n".join(d.text for d in documents)
    for document in documents:
        assert document.metadata["title"] == expected.title
        assert document.metadata["url"] == expected.url
        assert len(document.metadata["sha256"]) == 64
    for phrase in expected.phrases:
        assert phrase in " ".join(text.split()), phrase
    for noise in expected.absent:
        assert noise not in text, noise


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


def test_html_without_title_falls_back_to_first_heading_and_keeps_inline_text_in_line():
    html = "<html><body><nav>Meny</nav><article><h1>Rubrik om å</h1><p>En <a href='#'>länk</a> i text.</p>"
    extracted = read_html(html.encode("utf-8"))
    assert extracted.heading == "Rubrik om å"
    assert "title" not in extracted.meta
    assert "En länk i text." in extracted.pages[0][1]
    assert "Meny" not in extracted.pages[0][1]


def test_html_article_header_is_kept_while_the_site_header_goes():
    html = (
        "<html><body><header>Kommunens webbplats</header><article><header><h1>Beslut i Ljusdal</h1>"
        "</header><p>Stödet beviljades.</p></article></body></html>"
    )
    text = read_html(html.encode("utf-8")).pages[0][1]
    assert "Beslut i Ljusdal" in text and "Stödet beviljades." in text
    assert "Kommunens webbplats" not in text


def test_windows_1252_text_keeps_swedish_letters_and_dashes(tmp_path: Path):
    path = tmp_path / "gammal.txt"
    path.write_bytes("Årsmöte – på söndag".encode("cp1252"))
    assert read_file(path, path.read_bytes()).pages[0][1] == "Årsmöte – på söndag"


def test_utf16_text_from_notepad_is_decoded_and_binary_text_files_are_refused(tmp_path: Path):
    path = tmp_path / "unicode.txt"
    path.write_bytes("Möte i Skövde".encode("utf-16"))
    assert read_file(path, path.read_bytes()).pages[0][1] == "Möte i Skövde"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(UnreadableFile, match="not text"):
        read_file(path, path.read_bytes())


def test_unsupported_suffix_is_refused(tmp_path: Path):
    path = tmp_path / "bild.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(UnreadableFile, match="unsupported file type"):
        read_file(path, path.read_bytes())


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
