"""Chunking by section: a Markdown document is cut at its headings, each chunk carries its heading
as metadata (embedded, never quoted), and the heading reaches the passage a citation is made from."""

from __future__ import annotations

from llama_index.core import Document

from kraftbot.index.knowledge import to_passage
from kraftbot.ingestion.chunking import chunk_documents, embedding_text, split_sections
from kraftbot.settings import ChunkSettings

FAQ = (
    "Inledning om satsningen.\n\n"
    "## Vem får söka?\nKommuner får söka.\n\n"
    "## Tom rubrik\n\n"
    "### Hur mycket? ###\nHögst 600 000 kronor per projekt.\n"
)
METADATA = {"doc_id": "faq", "title": "Vanliga frågor", "url": "https://example.se/faq"}


def document(text: str = FAQ) -> Document:
    return Document(text=text, metadata=dict(METADATA), id_="faq")


def test_a_document_is_cut_at_its_headings_and_each_body_keeps_its_heading_as_metadata() -> None:
    sections = split_sections(document())
    assert [(s.metadata["section"], s.text) for s in sections] == [
        ("", "Inledning om satsningen."),
        ("Vem får söka?", "Kommuner får söka."),
        ("Hur mycket?", "Högst 600 000 kronor per projekt."),  # closing #s are no part of the heading
    ]
    assert all(s.metadata.items() >= METADATA.items() for s in sections), "the document's metadata is kept"
    assert len({s.id_ for s in sections}) == len(sections)


def test_a_heading_without_text_under_it_adds_no_section() -> None:
    assert "Tom rubrik" not in [s.metadata["section"] for s in split_sections(document())]


def test_a_document_without_headings_comes_back_unchanged() -> None:
    plain = document("Kommuner får söka. Högst 600 000 kronor per projekt.")
    assert split_sections(plain) == [plain]


def test_no_chunk_runs_a_heading_into_the_next_sentence() -> None:
    nodes = chunk_documents([document()], ChunkSettings())
    texts = [node.get_content() for node in nodes]
    assert texts == ["Inledning om satsningen.", "Kommuner får söka.", "Högst 600 000 kronor per projekt."]
    assert not any("#" in text or "Vem får söka?" in text for text in texts)
    assert [node.metadata["chunk"] for node in nodes] == [0, 1, 2], "chunks are numbered per document"


def test_the_heading_is_embedded_with_its_chunk_after_the_title() -> None:
    node = chunk_documents([document()], ChunkSettings())[1]
    assert node.metadata["section"] == "Vem får söka?"
    assert embedding_text(node) == "Vanliga frågor\nVem får söka?\n\nKommuner får söka."


def test_without_section_splitting_the_headings_stay_in_the_text() -> None:
    nodes = chunk_documents([document()], ChunkSettings(split_sections=False))
    assert len(nodes) == 1 and "## Vem får söka?\nKommuner får söka." in nodes[0].get_content()
    assert nodes[0].metadata["section"] == ""


def test_a_chunk_becomes_a_passage_under_its_section() -> None:
    sections = [to_passage(node, 1.0).section for node in chunk_documents([document()], ChunkSettings())]
    assert sections == ["", "Vem får söka?", "Hur mycket?"]
