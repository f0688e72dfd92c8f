"""Staff document management: an upload is stored only when its content is the format its name says
and KraftBot can read it, never outside the corpus folder; metadata edits read back through the
corpus reader; delete takes the sidecar along; the Dokument list and the re-index progress."""

from __future__ import annotations

import io
import itertools
import shutil
import tomllib
import zipfile
from pathlib import Path

import docx
import pytest
from reportlab.lib import pdfencrypt
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from kraftbot.admin.documents import MAX_UNZIPPED_BYTES, DocumentError, DocumentLibrary, UploadRefused
from kraftbot.errors import KraftbotError
from kraftbot.index.store import build_index, load_index
from kraftbot.ingestion.corpus import read_corpus
from kraftbot.settings import IngestSettings

from ..conftest import SHIPPED_CORPUS, copy_corpus

MARKDOWN = "# Bidrag till bygdegårdar\n\nFöreningar i Älvdalen kan söka stöd för att rusta bygdegården.\n"
HTML = (
    "<!DOCTYPE html>\n<html lang='sv'><head><title>Öppet hus i Åre</title></head>"
    "<body><main><h1>Öppet hus</h1><p>Kommunen bjuder in till öppet hus om AI i Åre.</p></main></body></html>"
)
# The two smallest shipped documents: a build of them embeds a handful of chunks.
SMALL_DOCS = ["utlysning-1-starta-er-ai-resa-senare-omgang", "guide-statsstod"]


def docx_bytes(text: str = "Beslutet gäller stöd till skolor i Härnösand.", title: str = "Beslut om stöd") -> bytes:
    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=1)
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(lines: tuple[str, ...] = ("Rapporten beskriver förstudien i Växjö.",), **options: object) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, **options)
    pdf.setTitle("Förstudie i Växjö")
    for row, line in enumerate(lines):
        pdf.drawString(72, 760 - 18 * row, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def pdf_with_catalog(entry: bytes) -> bytes:
    """A readable PDF whose catalog also holds `entry` (an action, say), as a hostile file would."""
    return pdf_bytes().replace(b"/Type /Catalog", b"/Type /Catalog " + entry, 1)


def zip_bytes(members: dict[str, bytes], zeros_mb: int = 0) -> bytes:
    """A zip of the given members, plus `word/document.xml` of `zeros_mb` MB of zeros when asked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if zeros_mb:
            block = b"\0" * 2**20
            with archive.open("word/document.xml", "w") as member:
                for _ in range(zeros_mb):
                    member.write(block)
    return buffer.getvalue()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return tmp_path / "korpus" / "corpus"


@pytest.fixture
def library(corpus: Path) -> DocumentLibrary:
    return DocumentLibrary(corpus, IngestSettings())


def read_back(corpus: Path) -> dict[str, dict[str, object]]:
    """Each file's metadata as the corpus reader (and so the index) sees it."""
    result = read_corpus(corpus, IngestSettings())
    return {str(d.metadata["file_path"]): d.metadata for d in result.documents}


def test_every_format_is_stored_byte_for_byte_and_reads_back(library: DocumentLibrary, corpus: Path):
    uploads = {
        "Bygdegårdar i Älvdalen.md": MARKDOWN.encode(),
        "anteckning.txt": "Anteckning om mötet i Östersund.\n".encode(),
        "öppet-hus.html": HTML.encode(),
        "C:\\Users\\anna\\Beslut (slutligt).docx": docx_bytes(),
        "förstudie.PDF": pdf_bytes(),
    }
    stored = {library.save_upload(name, data): data for name, data in uploads.items()}
    assert list(stored) == [
        "Bygdegårdar_i_Älvdalen.md",
        "anteckning.txt",
        "öppet-hus.html",
        "Beslut_slutligt.docx",
        "förstudie.PDF",
    ]
    assert {path: (corpus / path).read_bytes() for path in stored} == stored
    assert sorted(p.name for p in corpus.iterdir()) == sorted(stored)  # no temporary files left
    titles = {path: meta["title"] for path, meta in read_back(corpus).items()}
    assert titles == {
        "Bygdegårdar_i_Älvdalen.md": "Bidrag till bygdegårdar",
        "anteckning.txt": "anteckning",
        "öppet-hus.html": "Öppet hus i Åre",
        "Beslut_slutligt.docx": "Beslut om stöd",
        "förstudie.PDF": "Förstudie i Växjö",
    }


@pytest.mark.reliability
def test_a_pdf_that_only_mentions_scripts_in_its_text_is_accepted(library: DocumentLibrary, corpus: Path):
    text = ("Rapporten om /JavaScript och /JS i Växjö beskriver /Launch-åtgärder.",)
    assert library.save_upload("om-skript.pdf", pdf_bytes(lines=text)) == "om-skript.pdf"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("tom.md", b"", "är tom"),
        ("blank.md", b"  \n\n", "filen är tom"),
        ("rapport.docx", pdf_bytes(), "innehållet är en PDF, inte ett Word-dokument"),
        ("beslut.pdf", docx_bytes(), "innehållet är ett Word-dokument (.docx), inte en PDF"),
        ("sida.md", HTML.encode(), "innehållet är en webbsida (HTML), inte text"),
        ("sida.html", MARKDOWN.encode(), "innehållet är text, inte en webbsida"),
        ("arkiv.docx", zip_bytes({"data.csv": b"a;b\n1;2\n"}), "inget Word-dokument"),
        ("noll.txt", "Text med\x00NUL-tecken i Umeå".encode(), "NUL-tecken"),
        ("windows.txt", "Gärdebylåten i Örebro".encode("cp1252"), "UTF-8"),
        ("program.exe", b"MZ\x90\x00", "Filtypen '.exe' stöds inte"),
        ("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n", "saknar filändelse"),
        ("../..", MARKDOWN.encode(), "saknar namn"),
        ("låst.pdf", pdf_bytes(encrypt=pdfencrypt.StandardEncryption("hemligt")), "lösenordsskyddad"),
        ("skannad.pdf", pdf_bytes(lines=()), "saknar textlager"),
        ("trasig.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage", "KraftBot kan inte läsa trasig.pdf"),
        ("tomt.docx", docx_bytes(text="", title=""), "ingen text hittades"),
        ("falsk.docx", zip_bytes({"word/document.xml": b"<w:document/>"}), "inte ett giltigt Word-dokument"),
        ("trasig.md", b"---\ntitle: [oavslutad\n---\nText om Kiruna.\n", "front matter"),
        ("skript.pdf", pdf_with_catalog(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "JavaScript"),
        ("dold.pdf", pdf_with_catalog(b"/OpenAction << /S /J#61vaScript /JS (app.alert(1)) >>"), "JavaScript"),
        ("start.pdf", pdf_with_catalog(b"/OpenAction << /S /Launch /F (calc.exe) >>"), "Launch"),
    ],
)
@pytest.mark.reliability
def test_refused_uploads_store_nothing(library: DocumentLibrary, corpus: Path, name: str, data: bytes, reason: str):
    with pytest.raises(UploadRefused, match=reason.replace("(", r"\(").replace(")", r"\)")) as refused:
        library.save_upload(name, data)
    assert isinstance(refused.value, KraftbotError)
    assert not corpus.exists() or not any(corpus.iterdir())
    assert not (corpus.parent.parent / "etc").exists()


@pytest.mark.reliability
def test_zip_bombs_are_refused_before_they_are_unpacked(library: DocumentLibrary, corpus: Path):
    bomb = zip_bytes({"[Content_Types].xml": b"<Types/>"}, zeros_mb=200)
    assert len(bomb) < 1024 * 1024 < MAX_UNZIPPED_BYTES < 200 * 2**20
    with pytest.raises(UploadRefused, match="packas upp till 200 MB"):
        library.save_upload("bomb.docx", bomb)
    many = zip_bytes({f"word/media/{number}.xml": b"" for number in range(3000)} | {"word/document.xml": b"<a/>"})
    with pytest.raises(UploadRefused, match="3001 delar"):
        library.save_upload("många.docx", many)
    assert not corpus.exists() or not any(corpus.iterdir())


def test_oversize_upload_is_refused(corpus: Path):
    library = DocumentLibrary(corpus, IngestSettings(max_file_mb=0.01))
    with pytest.raises(UploadRefused, match=r"0\.021 MB; gränsen är 0\.01 MB"):
        library.save_upload("stor.md", ("Lång text om Luleå. " * 1000).encode())
    assert library.save_upload("liten.md", MARKDOWN.encode()) == "liten.md"


@pytest.mark.reliability
def test_directory_parts_are_stripped_so_nothing_lands_outside(library: DocumentLibrary, corpus: Path):
    outside = corpus.parent
    for name in ("../../rapport.md", "/etc/rapport.md", "..\\..\\rapport.md", "undermapp/../../rapport.md"):
        assert library.save_upload(name, MARKDOWN.encode(), replace=True) == "rapport.md"
    assert [p.relative_to(outside).as_posix() for p in outside.rglob("*")] == ["corpus", "corpus/rapport.md"]


def test_a_name_in_use_is_refused_unless_replace_is_asked(library: DocumentLibrary, corpus: Path):
    library.save_upload("beslut.docx", docx_bytes("Första versionen om Kalmar."))
    library.update_metadata("beslut.docx", "Beslut", "", "beslut", "2024")
    second = docx_bytes("Andra versionen om Kalmar.")
    with pytest.raises(UploadRefused, match=r"finns redan ett dokument som heter beslut\.docx"):
        library.save_upload("beslut.docx", second)
    assert library.save_upload("beslut.docx", second, replace=True) == "beslut.docx"
    assert (corpus / "beslut.docx").read_bytes() == second
    assert read_back(corpus)["beslut.docx"]["doc_type"] == "beslut"  # the metadata stays


def test_metadata_edit_of_markdown_with_front_matter_reads_back(library: DocumentLibrary, corpus: Path):
    copy_corpus(corpus, ["ai-radet"])
    before = read_back(corpus)["ai-radet.md"]
    assert (before["doc_type"], before["date"]) == ("nyhet", "2023-08-24")
    body = (corpus / "ai-radet.md").read_text(encoding="utf-8").split("\n---\n", 1)[1]

    title = 'AI-rådet "tolv kommuner" – C:\\mapp\\fil'
    library.update_metadata("ai-radet.md", f"  {title} ", "https://example.se/ai-radet", "", "2024-02-29")
    after = read_back(corpus)["ai-radet.md"]
    # The sidecar wins over the front matter; the cleared doc_type no longer comes from it either.
    assert (after["title"], after["url"], after["doc_type"], after["date"]) == (
        title,
        "https://example.se/ai-radet",
        "",
        "2024-02-29",
    )
    sidecar = tomllib.loads((corpus / "ai-radet.md.meta.toml").read_text(encoding="utf-8"))
    assert sidecar == {"title": title, "url": "https://example.se/ai-radet", "date": "2024-02-29"}
    text = (corpus / "ai-radet.md").read_text(encoding="utf-8")
    assert "doc_type" not in text and "sources:" in text and text.endswith(body)
    assert "title:" in text  # keys that still have a value stay in the front matter (the sidecar wins)

    library.update_metadata("ai-radet.md", "", "", "", "")  # back to what the file says
    assert not (corpus / "ai-radet.md.meta.toml").exists()
    reset = read_back(corpus)["ai-radet.md"]
    assert (reset["url"], reset["date"]) == ("", "")
    assert reset["title"] == "Vad är AI-rådet?"  # the cleared title left the front matter: the first heading


def test_metadata_of_pdf_goes_to_its_sidecar(library: DocumentLibrary, corpus: Path):
    library.save_upload("förstudie.pdf", pdf_bytes())
    library.update_metadata("förstudie.pdf", "Förstudie, reviderad", "http://example.se/f.pdf", "rapport", "2023")
    meta = read_back(corpus)["förstudie.pdf"]
    assert (meta["title"], meta["url"], meta["doc_type"], meta["date"]) == (
        "Förstudie, reviderad",
        "http://example.se/f.pdf",
        "rapport",
        "2023",
    )


@pytest.mark.parametrize(
    ("url", "date", "reason"),
    [
        ("", "2024-13", "Datumet"),
        ("", "2023-02-29", "Datumet"),
        ("", "24-01-01", "Datumet"),
        ("", "15 mars 2024", "Datumet"),
        ("www.example.se", "", "Webbadressen"),
        ("javascript:alert(1)", "", "Webbadressen"),
        ("https://", "", "Webbadressen"),
    ],
)
def test_bad_dates_and_urls_are_refused(library: DocumentLibrary, corpus: Path, url: str, date: str, reason: str):
    library.save_upload("a.md", MARKDOWN.encode())
    with pytest.raises(DocumentError, match=reason):
        library.update_metadata("a.md", "Titel", url, "guide", date)
    assert not (corpus / "a.md.meta.toml").exists()


def test_delete_removes_the_sidecar_and_refuses_anything_but_a_document(library: DocumentLibrary, corpus: Path):
    library.save_upload("a.md", MARKDOWN.encode())
    library.update_metadata("a.md", "Titel", "", "", "2024-05")
    (corpus.parent / "utanför.md").write_text(MARKDOWN, encoding="utf-8")
    for relative in ("../utanför.md", str(corpus.parent / "utanför.md"), "a.md.meta.toml", "saknas.md", "", "."):
        with pytest.raises(DocumentError):
            library.delete(relative)
    assert (corpus.parent / "utanför.md").exists()
    library.delete("a.md")
    assert not any(corpus.iterdir())


def test_rows_show_the_index_and_what_changed_since(make_settings, embedder, library: DocumentLibrary, corpus: Path):
    settings = make_settings()
    copy_corpus(corpus, SMALL_DOCS)
    shutil.copy(SHIPPED_CORPUS / "ai-radet.md", corpus / "ai-radet.md")
    (corpus / "låst.pdf").write_bytes(pdf_bytes(encrypt=pdfencrypt.StandardEncryption("hemligt")))
    build_index(settings, "test", corpus, embedder, progress=False)
    index = load_index(settings, "test", embedder, progress=False)

    rows = {row.relative: row for row in library.rows(index)}
    assert sorted(rows) == sorted(["ai-radet.md", "låst.pdf", *[f"{doc}.md" for doc in SMALL_DOCS]])
    radet = rows["ai-radet.md"]
    assert (radet.doc_id, radet.doc_type, radet.date) == ("ai-radet", "nyhet", "2023-08-24")
    assert radet.chunks == sum(n.metadata["file_path"] == "ai-radet.md" for n in index.nodes) > 0
    assert (radet.indexed_at, radet.pending, radet.warnings, radet.status) == (
        index.manifest.built_at,
        False,
        (),
        "Indexerad",
    )
    locked = rows["låst.pdf"]
    assert (locked.chunks, locked.indexed_at, locked.pending, locked.status) == (0, "", False, "Kunde inte läsas")
    assert locked.warnings == ("Kunde inte läsas: PDF:en är lösenordsskyddad",)

    library.update_metadata("ai-radet.md", "AI-rådet 2024", "", "nyhet", "2024")
    library.save_upload("beslut.docx", docx_bytes())
    library.delete("guide-statsstod.md")
    rows = {row.relative: row for row in library.rows(index)}
    assert (rows["ai-radet.md"].title, rows["ai-radet.md"].pending, rows["ai-radet.md"].status) == (
        "AI-rådet 2024",
        True,
        "Ändrad – indexera om",
    )
    new = rows["beslut.docx"]
    assert (new.title, new.chunks, new.pending, new.status) == ("Beslut om stöd", 0, True, "Ej indexerad")
    gone = rows["guide-statsstod.md"]
    assert (gone.removed, gone.chunks > 0, gone.status) == (True, True, "Borttagen – indexera om")
    assert not rows[f"{SMALL_DOCS[0]}.md"].pending

    # Without an index every document is listed as not indexed yet.
    assert {row.status for row in library.rows()} == {"Ej indexerad", "Kunde inte läsas"}


def test_build_index_reports_embedding_progress_in_batches(make_settings, embedder, tmp_path: Path):
    settings = make_settings(embedding={"batch_size": 2})
    corpus = copy_corpus(tmp_path / "corpus", SMALL_DOCS)
    calls: list[tuple[int, int]] = []
    report = build_index(settings, "test", corpus, embedder, progress=False, on_progress=lambda *c: calls.append(c))
    total = report.embedded_chunks
    assert total == report.chunks >= 3
    done = [d for d, _ in calls]
    assert calls[0] == (0, total) and calls[-1] == (total, total)
    assert {t for _, t in calls} == {total} and done == sorted(done) and len(calls) == 1 + -(-total // 2)
    assert all(b - a <= 2 for a, b in itertools.pairwise(done))

    calls.clear()
    build_index(settings, "test", corpus, embedder, progress=False, on_progress=lambda *c: calls.append(c))
    assert calls == [(0, 0), (0, 0)]  # up to date: nothing to embed, still a start and an end

    calls.clear()
    (corpus / f"{SMALL_DOCS[0]}.md").write_text("# Ändrad\n\nNu gäller nya regler i Sundsvall.\n", encoding="utf-8")
    report = build_index(settings, "test", corpus, embedder, progress=False, on_progress=lambda *c: calls.append(c))
    assert report.embedded_chunks == 1
    assert calls == [(0, 1), (1, 1)]
