"""Reading real files of every format: titles, urls and Swedish text come back intact; odd encodings
are decoded and what is not a document is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from kraftbot.errors import UnreadableFile
from kraftbot.ingestion.corpus import CorpusReadResult, read_corpus
from kraftbot.ingestion.readers import read_file
from kraftbot.ingestion.readers.web import read_html

from ..make_fixtures import EXPECTED, PDF_PAGES, make_fixtures


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


def test_a_pdf_is_read_page_by_page_with_its_printed_labels(fixture_corpus: Path):
    path = fixture_corpus / "rapporter/förstudie.pdf"
    extracted = read_file(path, path.read_bytes())
    assert [label for label, _ in extracted.pages] == list(EXPECTED["rapporter/förstudie.pdf"].pages)
    for (_, text), lines in zip(extracted.pages, PDF_PAGES, strict=True):
        assert all(line in text for line in lines)
    assert extracted.meta["title"] == EXPECTED["rapporter/förstudie.pdf"].title
