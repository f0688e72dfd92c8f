"""Generate real document files of every supported format, plus the bad files ingestion must survive.

Run `python tests/make_fixtures.py DIR` to write them to a folder for a manual look, or import
`make_fixtures` / `make_bad_files` from a test. The files are produced by the same libraries
users' tools produce them with (reportlab for PDF, python-docx for Word), never hand-edited.
Every document holds Swedish text with å, ä and ö; `EXPECTED` says what reading it must give.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import docx
from pypdf import PdfWriter
from reportlab.lib import pdfencrypt
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

LARGE_FILE_MB = 50


@dataclass(frozen=True)
class Expected:
    """What the corpus reader must find in one fixture file."""

    title: str
    url: str
    phrases: tuple[str, ...]
    absent: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()


PDF_PAGES = (
    ("Kommunernas AI-resa börjar med en förstudie.", "Förstudien kartlägger behov i äldreomsorgen."),
    ("Andra sidan beskriver hur data delas mellan förvaltningar.", "Öppna data gör det lättare."),
    ("Tredje sidan: budgeten för pilotprojektet i Växjö.", "Återrapportering sker årligen."),
)

EXPECTED: dict[str, Expected] = {
    "rapporter/förstudie.pdf": Expected(
        title="Förstudie om AI i äldreomsorgen",
        url="https://example.se/rapporter/forstudie.pdf",
        phrases=("Förstudien kartlägger behov i äldreomsorgen", "budgeten för pilotprojektet i Växjö"),
        pages=("1", "2", "3"),
    ),
    "beslut.docx": Expected(
        title="Beslut om stöd till kommunernas AI-arbete",
        url="",
        phrases=("Beviljat belopp för förstudien", "Härryda kommun | 250 000 kronor"),
    ),
    "webb/nyhet.html": Expected(
        title="Nyhet: Ny utlysning för civilsamhället öppnar",
        url="https://example.se/nyheter/ny-utlysning",
        phrases=("Föreningar kan söka stöd för att pröva AI", "Läs mer om villkoren i utlysningstexten"),
        absent=("Startsida", "spårningskod", "Sök på webbplatsen", "Cookie-inställningar", "color:"),
    ),
    "anteckning.md": Expected(
        title="Anteckningar från mötet i Älvsbyn",
        url="https://example.se/anteckningar",
        phrases=("Mötet handlade om språkmodeller på svenska",),
    ),
    "lathund.txt": Expected(
        title="Lathund för ansökan",
        url="",
        phrases=("Ansökan görs i Vinnovas e-tjänst", "för små och stora kommuner"),
    ),
}

# Files that must be skipped with one warning each; the value is a word the reason must contain.
BAD_FILES = {
    "tom.md": "empty",
    "trasig.pdf": "PDF",
    "låst.pdf": "password",
    "inte-word.docx": "docx",
    "jättestor.txt": "max_file_mb",
    "binärblob": "not text",
}
# Awkward files that must be read correctly, with text the reader must find.
AWKWARD_FILES = {
    "gammal-latin1.txt": "Gärdebylåten spelades på årsmötet i Örebro",
    "LASMIG": "Den här filen saknar ändelse men är vanlig text om Åre",
    "skyddad-utan-lösenord.pdf": "Läsbar trots skrivskydd i Östersund",
    "skyddad-aes.pdf": "AES-skyddad men läsbar rapport från Sundsvall",
}


def _write_pdf(path: Path, title: str, pages: tuple[tuple[str, ...], ...], **options: object) -> None:
    pdf = canvas.Canvas(str(path), pagesize=A4, **options)
    pdf.setTitle(title)
    for lines in pages:
        for row, line in enumerate(lines):
            pdf.drawString(72, 760 - 18 * row, line)
        pdf.showPage()
    pdf.save()


def _write_aes_pdf(path: Path, text: str) -> None:
    """An AES-256 PDF that anyone may read but only the owner may edit, as Acrobat writes them."""
    _write_pdf(path, "AES-skyddad rapport", ((text,),))
    writer = PdfWriter(clone_from=str(path))
    writer.encrypt(user_password="", owner_password="ägare", algorithm="AES-256")
    writer.write(str(path))


def _write_docx(path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = EXPECTED["beslut.docx"].title
    document.add_heading("Beslut om stöd", level=1)
    document.add_paragraph("Vinnova har beslutat att bevilja stöd för förstudien om AI i äldreomsorgen.")
    document.add_paragraph("Beviljat belopp för förstudien framgår av tabellen nedan.")
    table = document.add_table(rows=2, cols=2)
    for row, (who, amount) in enumerate((("Mottagare", "Belopp"), ("Härryda kommun", "250 000 kronor"))):
        table.cell(row, 0).text = who
        table.cell(row, 1).text = amount
    document.add_paragraph("Stödet betalas ut i förskott efter att projektet har startat.")
    document.save(str(path))


NEWS_HTML = """<!DOCTYPE html>
<html lang="sv"><head>
<meta charset="utf-8"><title>Nyhet: Ny utlysning för civilsamhället öppnar</title>
<link rel="canonical" href="https://example.se/nyheter/ny-utlysning">
<style>body { color: #333; }</style>
<script>var spårningskod = "UA-123";</script>
</head><body>
<header><a href="/">Startsida</a></header>
<nav><ul><li><a href="/">Startsida</a></li><li><a href="/om">Om oss</a></li></ul></nav>
<form role="search"><label>Sök på webbplatsen</label><input name="q"></form>
<main>
<h1>Ny utlysning för civilsamhället</h1>
<p>Föreningar kan söka stöd för att pröva AI i sin verksamhet. Sista ansökningsdag är i höst.</p>
<p>Läs mer om villkoren i <a href="/villkor">utlysningstexten</a> och <strong>kontakta</strong> oss.</p>
</main>
<aside>Relaterade nyheter: Äldre artiklar</aside>
<footer>Cookie-inställningar · © Kommunen</footer>
<script>console.log("spårningskod");</script>
</body></html>
"""

MARKDOWN = """---
title: Anteckningar från mötet i Älvsbyn
url: https://example.se/anteckningar
doc_type: nyhet
---
# En annan rubrik som inte är titeln

Mötet handlade om språkmodeller på svenska och hur kommuner kan dela erfarenheter.
"""

TEXT = """# Lathund för ansökan

Ansökan görs i Vinnovas e-tjänst. Den fungerar för små och stora kommuner, och även för föreningar.
"""


def make_fixtures(target: Path) -> dict[str, Path]:
    """Write one readable document of every format (and a metadata sidecar) below `target`."""
    (target / "rapporter").mkdir(parents=True, exist_ok=True)
    (target / "webb").mkdir(exist_ok=True)
    pdf = target / "rapporter/förstudie.pdf"
    _write_pdf(pdf, EXPECTED["rapporter/förstudie.pdf"].title, PDF_PAGES)
    (target / "rapporter/förstudie.pdf.meta.toml").write_text(
        f'url = "{EXPECTED["rapporter/förstudie.pdf"].url}"\ndoc_type = "fallstudie"\n', encoding="utf-8"
    )
    _write_docx(target / "beslut.docx")
    (target / "webb/nyhet.html").write_text(NEWS_HTML, encoding="utf-8")
    (target / "anteckning.md").write_text(MARKDOWN, encoding="utf-8")
    (target / "lathund.txt").write_text(TEXT, encoding="utf-8")
    return {name: target / name for name in EXPECTED}


def make_bad_files(target: Path) -> dict[str, Path]:
    """Write the files that must be skipped (`BAD_FILES`) or read despite oddities (`AWKWARD_FILES`)."""
    target.mkdir(parents=True, exist_ok=True)
    (target / "tom.md").write_bytes(b"")
    (target / "trasig.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage without an end")
    _write_pdf(
        target / "låst.pdf",
        "Låst rapport",
        (("Hemlig text om åäö",),),
        encrypt=pdfencrypt.StandardEncryption("hemligt", ownerPassword="ägare"),
    )
    (target / "inte-word.docx").write_text("Det här är ingen zip-fil utan vanlig text.", encoding="utf-8")
    with (target / "jättestor.txt").open("wb") as large:
        large.truncate(LARGE_FILE_MB * 2**20)  # sparse: costs no disk, still 50 MB by size
    (target / "binärblob").write_bytes(bytes(range(256)) * 64)
    (target / "gammal-latin1.txt").write_bytes(AWKWARD_FILES["gammal-latin1.txt"].encode("latin-1"))
    (target / "LASMIG").write_text(AWKWARD_FILES["LASMIG"], encoding="utf-8")
    _write_pdf(
        target / "skyddad-utan-lösenord.pdf",
        "Skrivskyddad rapport",
        ((AWKWARD_FILES["skyddad-utan-lösenord.pdf"],),),
        encrypt=pdfencrypt.StandardEncryption("", ownerPassword="ägare", canModify=0),
    )
    _write_aes_pdf(target / "skyddad-aes.pdf", AWKWARD_FILES["skyddad-aes.pdf"])
    return {name: target / name for name in (*BAD_FILES, *AWKWARD_FILES)}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/make_fixtures.py DIR")
    folder = Path(sys.argv[1])
    written = [*make_fixtures(folder).values(), *make_bad_files(folder / "bad").values()]
    print("\n".join(str(path) for path in written))
