"""The documents of the corpus folder as staff manage them: upload, metadata, delete, and the list
the Dokument page shows.

An upload is stored only when KraftBot can index it: its type is decided from its content (and
must match its name), it must be within `ingest.max_file_mb`, and KraftBot's own reader must read
text from it. Files are written atomically (a hidden temporary file, then a rename), so a build
running meanwhile never reads half a file.

Metadata goes to the sidecar `NAME.SUFFIX.meta.toml`, which wins over what the file says about
itself (front matter, PDF/Word properties, HTML <title> and canonical link) for every key it sets.
A sidecar holds only the keys with a value, so a field cleared in the form falls back to the
file's own value; for Markdown and text files the cleared keys are therefore also removed from
the front matter, so that clearing takes effect there too.

Messages of `DocumentError` and `UploadRefused` are Swedish, for staff.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import tomllib
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

from kraftbot.errors import KraftbotError, UnreadableFile
from kraftbot.index.store import corpus_fingerprint
from kraftbot.ingestion.corpus import SIDECAR_KEYS, SIDECAR_SUFFIX, Source, corpus_sources, read_corpus
from kraftbot.ingestion.readers import read_file, reader_for
from kraftbot.ingestion.readers.base import clean_value, decode_text
from kraftbot.ingestion.readers.text import read_text, split_front_matter
from kraftbot.settings import IngestSettings

if TYPE_CHECKING:
    from llama_index.core.schema import TextNode

    from kraftbot.index.knowledge import KnowledgeIndex
    from kraftbot.index.manifest import Manifest

# The formats staff may upload, by file suffix, as the content sniffing names them.
UPLOAD_KINDS = {
    ".md": "text",
    ".markdown": "text",
    ".txt": "text",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
}
KIND_NAMES = {"text": "text", "pdf": "en PDF", "docx": "ett Word-dokument (.docx)", "html": "en webbsida (HTML)"}
# A .docx is a zip archive; one that unpacks to more than this is refused before it is opened.
MAX_UNZIPPED_BYTES = 100 * 2**20
MAX_ZIP_ENTRIES = 2000
MAX_NAME_LENGTH = 120
MAX_TITLE_LENGTH = 300
MAX_DOC_TYPE_LENGTH = 60

UNREADABLE = "Kunde inte läsas: "

_HTML_MARKERS = (b"<!doctype html", b"<html")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9ÅÄÖåäöÆæØøÉéÜü_.-]+")
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")

# Reasons the readers and the corpus give (English, for logs), as staff read them.
_SWEDISH_REASONS = (
    ("empty file", "filen är tom"),
    ("no text found", "ingen text hittades i filen"),
    ("no text layer in the PDF", "PDF:en saknar textlager (inskannade sidor?)"),
    ("password-protected PDF", "PDF:en är lösenordsskyddad"),
    ("encrypted PDF", "PDF:en är krypterad och kan inte öppnas"),
    ("damaged PDF", "PDF:en är skadad"),
    ("not a valid .docx file", "filen är inte ett giltigt Word-dokument"),
    ("binary content, not text", "filen innehåller binära data, inte text"),
    ("invalid front matter", "front matter-blocket överst i filen är ogiltig YAML"),
    ("front matter is not a mapping", "front matter-blocket överst i filen är ogiltigt"),
    ("unsupported file type", "filtypen stöds inte"),
    ("file is ", "filen är större än gränsen ingest.max_file_mb"),
    ("unreadable metadata sidecar", "metadatafilen (.meta.toml) är trasig och används inte"),
    ("could not be read", "filen kunde inte läsas"),
)


class DocumentError(KraftbotError):
    """A document action staff asked for cannot be done; the message (Swedish) says why."""


class UploadRefused(DocumentError):
    """An uploaded file is not stored; the message (Swedish) says why and what to do."""


@dataclass(frozen=True)
class DocumentRow:
    """One document as the Dokument page lists it.

    `relative` (the path inside the corpus folder) is the key for `update_metadata` and `delete`.
    The metadata is what the index holds, or, for a file that is new or changed since the index
    was built (`pending`), what reading it gives now. `warnings` are reasons the file (or its
    sidecar) could not be read, in Swedish; `removed` marks a file still in the index but gone
    from the folder.
    """

    relative: str
    doc_id: str
    title: str
    doc_type: str
    date: str
    url: str
    chunks: int = 0
    indexed_at: str = ""
    pending: bool = False
    removed: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """One Swedish word or phrase for the list's status column."""
        if self.removed:
            return "Borttagen – indexera om"
        if not self.chunks and any(warning.startswith(UNREADABLE) for warning in self.warnings):
            return "Kunde inte läsas"
        if self.pending:
            return "Ändrad – indexera om" if self.chunks else "Ej indexerad"
        return "Indexerad"


def swedish_reason(reason: str) -> str:
    """A reader's or the corpus's reason for skipping a file, in Swedish (the original appended)."""
    for prefix, swedish in _SWEDISH_REASONS:
        if reason.startswith(prefix):
            return swedish if reason == prefix else f"{swedish} ({reason})"
    return reason


def safe_filename(filename: str) -> str:
    """The name an upload is stored under: no folder parts, only letters (åäö too), digits, `-_.`."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").split("/")[-1].strip()
    name = _UNSAFE_NAME.sub("_", name)
    name = re.sub(r"[_-]*\.[_-]*", ".", name)
    name = re.sub(r"\.{2,}", ".", name).strip("._-")
    stem, dot, suffix = name.rpartition(".")
    if dot and len(name) > MAX_NAME_LENGTH:
        name = f"{stem[: MAX_NAME_LENGTH - len(suffix) - 1]}.{suffix}"
    return name[:MAX_NAME_LENGTH]


def _zip_kind(data: bytes) -> str:
    """'docx' for a Word document; refuses other archives and archives that unpack too far."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise UploadRefused(f"Filen är ett trasigt zip-arkiv och kan inte vara ett Word-dokument ({error}).") from error
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UploadRefused(
            f"Filen är ett zip-arkiv med {len(entries)} delar (högst {MAX_ZIP_ENTRIES}); ett Word-dokument har "
            "betydligt färre. Filen sparades inte."
        )
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_UNZIPPED_BYTES:
        raise UploadRefused(
            f"Filen packas upp till {unpacked / 2**20:.0f} MB (högst {MAX_UNZIPPED_BYTES // 2**20} MB); "
            "det är inget vanligt Word-dokument (en så kallad zip-bomb?). Filen sparades inte."
        )
    if "word/document.xml" not in {entry.filename for entry in entries}:
        raise UploadRefused("Filen är ett zip-arkiv men inget Word-dokument (.docx). Filen sparades inte.")
    return "docx"


# PDF actions that run something when the file is opened or clicked: not a plain document.
_ACTIVE_PDF_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData"})


def _pdf_action(action: Any) -> str | None:
    """The kind of an active action (or of the first in its `/Next` chain), else None."""
    action = action.get_object() if hasattr(action, "get_object") else action
    if not isinstance(action, dict):
        return None  # a destination (an array), not an action
    kind = action.get("/S")
    return str(kind) if kind in _ACTIVE_PDF_ACTIONS else _pdf_action(action.get("/Next"))


def active_pdf_content(data: bytes) -> str | None:
    """What in a PDF would run when it is opened or clicked (document JavaScript, an open action,
    additional actions of the document, its pages or annotations), read by pypdf, which decodes
    escaped names and compressed object streams; None for a plain document or one pypdf cannot
    open (the reader then says why)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        catalog = reader.trailer["/Root"].get_object()
        if "/JavaScript" in (catalog.get("/Names") or {}):
            return "/JavaScript"
        holders = [catalog, *(page.get_object() for page in reader.pages)]
        holders += [a.get_object() for page in reader.pages for a in (page.get("/Annots") or [])]
        actions = [catalog.get("/OpenAction")] + [holder.get("/A") for holder in holders]
        actions += [value for holder in holders for value in (holder.get("/AA") or {}).values()]
        return next((kind for kind in map(_pdf_action, actions) if kind), None)
    except Exception:  # damaged or encrypted: the reader refuses it with the reason
        return None


def content_kind(data: bytes) -> str:
    """The format the bytes are, whatever the file is called: 'pdf', 'docx', 'html' or 'text'.

    Refuses content that is none of them: other archives, zip bombs, binary data, and text that
    is not UTF-8.
    """
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF-"):
        if action := active_pdf_content(data):
            raise UploadRefused(
                f"PDF-filen innehåller något som körs när den öppnas eller klickas ({action.lstrip('/')}). "
                "Spara den utan det (till exempel skriv ut till en ny PDF) och ladda upp den igen. Filen sparades inte."
            )
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if b"\x00" in data:
        raise UploadRefused(
            "Filen innehåller binära data (NUL-tecken) och är varken text, PDF, Word eller HTML. Filen sparades inte."
        )
    if head.startswith(b"<") and any(marker in head.lower() for marker in _HTML_MARKERS):
        return "html"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UploadRefused(
            "Filen är inte text i UTF-8 (och inte PDF, Word eller HTML). Spara den som UTF-8 och ladda upp den igen."
        ) from error
    return "text"


def _toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = []
    for char in value:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04X}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def _write_atomically(target: Path, data: bytes, replace: bool = True) -> None:
    """Write through a hidden temporary file in the same folder, then rename it into place.

    Without `replace`, an existing file is never overwritten (FileExistsError), even by a
    concurrent upload of the same name.
    """
    fd, temporary = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        if replace:
            os.replace(temporary, target)
            return
        try:
            os.link(temporary, target)  # fails if the target exists
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            if target.exists():
                raise FileExistsError(target) from None
            os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _read_sidecar(path: Path) -> dict[str, str]:
    """A sidecar's values ({} when there is none or it is broken; rows report the latter)."""
    try:
        data = tomllib.loads(decode_text(path.read_bytes()))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return {key: clean_value(data[key]) for key in SIDECAR_KEYS if data.get(key)}


def _valid_date(text: str) -> bool:
    """True for YYYY, YYYY-MM or YYYY-MM-DD naming a real year, month or day."""
    if not _DATE.fullmatch(text):
        return False
    parts = [int(part) for part in text.split("-")]
    try:
        Date(*parts, *[1] * (3 - len(parts)))
    except ValueError:
        return False
    return True


def _validate_metadata(values: dict[str, str]) -> None:
    if len(values["title"]) > MAX_TITLE_LENGTH:
        raise DocumentError(f"Titeln är för lång (högst {MAX_TITLE_LENGTH} tecken).")
    if len(values["doc_type"]) > MAX_DOC_TYPE_LENGTH:
        raise DocumentError(f"Dokumenttypen är för lång (högst {MAX_DOC_TYPE_LENGTH} tecken).")
    if (date := values["date"]) and not _valid_date(date):
        raise DocumentError(f"Datumet '{date}' ska skrivas ÅÅÅÅ, ÅÅÅÅ-MM eller ÅÅÅÅ-MM-DD (till exempel 2024-03-15).")
    if url := values["url"]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(char.isspace() for char in url):
            raise DocumentError(f"Webbadressen '{url}' ska börja med http:// eller https://.")


class DocumentLibrary:
    """The documents of one corpus folder: what staff upload, edit and delete there."""

    def __init__(self, corpus_dir: Path, ingest: IngestSettings) -> None:
        self.corpus_dir = corpus_dir
        self.ingest = ingest

    # Uploads

    def save_upload(self, filename: str, data: bytes, *, replace: bool = False) -> str:
        """Store an uploaded file in the corpus folder and return its path there.

        Raises UploadRefused, and stores nothing, when the file is empty or too large, its
        content is not the format its name says (or not md, txt, pdf, docx or html), KraftBot
        cannot read text from it, its name is empty after cleaning, or a document of that name
        exists and `replace` is not set.
        """
        name = safe_filename(filename)
        suffix = Path(name).suffix.lower()
        if not name or not Path(name).stem:
            raise UploadRefused("Filen saknar namn. Ge den ett namn som slutar på .md, .txt, .pdf, .docx eller .html.")
        if not data:
            raise UploadRefused(f"Filen {name} är tom. Filen sparades inte.")
        limit_mb = self.ingest.max_file_mb
        if len(data) > limit_mb * 2**20:
            raise UploadRefused(
                f"Filen {name} är {len(data) / 2**20:.3g} MB; gränsen är {limit_mb:g} MB (ingest.max_file_mb). "
                "Filen sparades inte."
            )
        if not suffix:
            raise UploadRefused(
                f"Filnamnet {name} saknar filändelse. Ladda upp .md, .txt, .pdf, .docx eller .html. "
                "Filen sparades inte."
            )
        if suffix not in UPLOAD_KINDS:
            raise UploadRefused(
                f"Filtypen '{suffix}' stöds inte. Ladda upp .md, .txt, .pdf, .docx eller .html. Filen sparades inte."
            )
        kind = content_kind(data)
        if kind != UPLOAD_KINDS[suffix]:
            raise UploadRefused(
                f"Filen heter {name} men innehållet är {KIND_NAMES[kind]}, inte {KIND_NAMES[UPLOAD_KINDS[suffix]]}. "
                "Byt filändelse eller ladda upp rätt fil. Filen sparades inte."
            )
        self.corpus_dir.mkdir(parents=True, exist_ok=True)
        root = self.corpus_dir.resolve()
        target = root / name
        if target.resolve().parent != root:
            raise UploadRefused(f"Filen {name} skulle hamna utanför dokumentmappen. Filen sparades inte.")
        if target.exists() and (not replace or not target.is_file()):
            raise UploadRefused(self._exists_message(name))
        try:
            read_file(Path(name), data)
        except UnreadableFile as error:
            reason = swedish_reason(str(error))
            raise UploadRefused(f"KraftBot kan inte läsa {name}: {reason}. Filen sparades inte.") from error
        except Exception as error:  # a reader library failing in an unforeseen way on a bad file
            raise UploadRefused(
                f"KraftBot kan inte läsa {name} ({type(error).__name__}: {error}). Filen sparades inte."
            ) from error
        try:
            _write_atomically(target, data, replace=replace)
        except FileExistsError as error:
            raise UploadRefused(self._exists_message(name)) from error
        return name

    @staticmethod
    def _exists_message(name: str) -> str:
        return (
            f"Det finns redan ett dokument som heter {name}. Välj att ersätta det, eller byt namn på filen. "
            "Filen sparades inte."
        )

    # Metadata and deletion

    def _document_path(self, relative: str) -> Path:
        """The document file `relative` names; refuses paths outside the corpus and non-documents."""
        root = self.corpus_dir.resolve()
        if not relative or "\x00" in relative or Path(relative).is_absolute():
            raise DocumentError(f"Ogiltig sökväg '{relative}'.")
        try:
            path = (root / relative).resolve()
            exists = path.is_file()
        except OSError as error:  # a name too long for the file system, and the like
            raise DocumentError("Ogiltig sökväg.") from error
        if path == root or not path.is_relative_to(root):
            raise DocumentError(f"Sökvägen '{relative}' ligger utanför dokumentmappen.")
        inside = path.relative_to(root)
        if relative.endswith(SIDECAR_SUFFIX) or any(part.startswith(".") for part in inside.parts):
            raise DocumentError(f"'{relative}' är inget dokument.")
        if not exists:
            raise DocumentError(f"Dokumentet '{relative}' finns inte.")
        return path

    def update_metadata(self, relative: str, title: str, url: str, doc_type: str, date: str) -> None:
        """Set a document's title, url, doc_type and date; an empty value means the file's own.

        Takes effect at the next re-index. Raises DocumentError for a bad date (not YYYY,
        YYYY-MM or YYYY-MM-DD), a url that is not http(s), or a path that is not a document.
        """
        path = self._document_path(relative)
        values = {
            "title": clean_value(title),
            "url": clean_value(url),
            "doc_type": clean_value(doc_type),
            "date": clean_value(date),
        }
        _validate_metadata(values)
        rewritten = self._without_front_matter_keys(path, [key for key in SIDECAR_KEYS if not values[key]])
        sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
        lines = [f"{key} = {_toml_string(values[key])}\n" for key in SIDECAR_KEYS if values[key]]
        if lines:
            _write_atomically(sidecar, "".join(lines).encode("utf-8"))
        else:
            sidecar.unlink(missing_ok=True)
        if rewritten is not None:
            _write_atomically(path, rewritten.encode("utf-8"))

    @staticmethod
    def _without_front_matter_keys(path: Path, keys: list[str]) -> str | None:
        """A Markdown/text file's text with `keys` removed from its front matter (None: no change)."""
        data = path.read_bytes()
        try:
            if reader_for(path, data) is not read_text:
                return None
            meta, body = split_front_matter(decode_text(data))
        except UnreadableFile:  # not text, or broken front matter: the sidecar still applies
            return None
        if not any(key in meta for key in keys):
            return None
        rest = {key: value for key, value in meta.items() if key not in keys}
        if rest:
            text = "---\n" + yaml.safe_dump(rest, allow_unicode=True, sort_keys=False) + "---\n" + body
        else:
            text = "---\n---\n" + body if body.startswith("---") else body
        try:
            check = split_front_matter(text)
        except UnreadableFile:
            check = ({}, "")
        if check != (rest, body):
            raise DocumentError(
                f"Front matter-blocket i '{path.name}' kunde inte skrivas om automatiskt; "
                f"ta bort {', '.join(keys)} där för hand."
            )
        return text

    def delete(self, relative: str) -> None:
        """Remove a document and its metadata sidecar (gone from the index at the next re-index)."""
        path = self._document_path(relative)
        path.unlink()
        path.with_name(path.name + SIDECAR_SUFFIX).unlink(missing_ok=True)

    # The list

    def rows(self, index: KnowledgeIndex | None = None, manifest: Manifest | None = None) -> list[DocumentRow]:
        """Every document of the corpus folder, and every file the index still holds, by path.

        `index` is the loaded index of this folder (chunk counts and the metadata it holds);
        `manifest` defaults to its manifest (when the index was built, what it skipped and the
        fingerprints that tell which files changed since). Files new or changed since then are
        read now, so their row shows what the next re-index will store.
        """
        manifest = manifest or (index.manifest if index is not None else None)
        nodes: dict[str, list[TextNode]] = {}
        for node in index.nodes if index is not None else []:
            nodes.setdefault(str(node.metadata.get("file_path", "")), []).append(node)
        built = manifest.files if manifest else {}
        skipped = manifest.skipped if manifest else {}
        built_at = manifest.built_at if manifest else ""

        sources: list[Source] = []
        current: dict[str, str] = {}
        if self.corpus_dir.is_dir():
            sources, _ = corpus_sources(self.corpus_dir)
            current = corpus_fingerprint(self.corpus_dir, self.ingest)

        def changed(source: Source) -> bool:
            keys = (source.relative, source.relative + SIDECAR_SUFFIX)
            if any(built.get(key) != current.get(key) for key in keys):
                return True
            return source.relative not in nodes and source.relative not in skipped

        pending = {source.relative for source in sources if changed(source)}
        fresh: dict[str, dict[str, object]] = {}
        fresh_skipped: dict[str, str] = {}
        if pending:
            read = read_corpus(self.corpus_dir, self.ingest, reuse=lambda source: source.relative not in pending)
            fresh_skipped = read.skipped
            for document in read.documents:
                fresh.setdefault(str(document.metadata["file_path"]), document.metadata)

        rows = []
        for source in sources:
            is_pending = source.relative in pending
            own = nodes.get(source.relative, [])
            reasons = fresh_skipped if is_pending else skipped
            meta = fresh.get(source.relative) if is_pending else (own[0].metadata if own else None)
            if meta is None:
                sidecar = _read_sidecar(self.corpus_dir / source.sidecar) if source.sidecar else {}
                meta = {"title": source.path.stem, **sidecar}
            warnings = []
            if source.relative in reasons:
                warnings.append(UNREADABLE + swedish_reason(reasons[source.relative]))
            if source.relative + SIDECAR_SUFFIX in reasons:
                warnings.append(
                    "Metadatafilen används inte: " + swedish_reason(reasons[source.relative + SIDECAR_SUFFIX])
                )
            rows.append(self._row(source.relative, source.doc_id, meta, own, built_at, is_pending, False, warnings))
        listed = {source.relative for source in sources}
        for relative, own in nodes.items():
            if relative not in listed:
                doc_id = str(own[0].metadata.get("doc_id", ""))
                rows.append(self._row(relative, doc_id, own[0].metadata, own, built_at, True, True, []))
        return sorted(rows, key=lambda row: row.relative)

    @staticmethod
    def _row(
        relative: str,
        doc_id: str,
        meta: dict[str, object],
        nodes: list[TextNode],
        built_at: str,
        pending: bool,
        removed: bool,
        warnings: list[str],
    ) -> DocumentRow:
        return DocumentRow(
            relative=relative,
            doc_id=doc_id,
            title=str(meta.get("title", "")),
            doc_type=str(meta.get("doc_type", "")),
            date=str(meta.get("date", "")),
            url=str(meta.get("url", "")),
            chunks=len(nodes),
            indexed_at=built_at if nodes else "",
            pending=pending,
            removed=removed,
            warnings=tuple(warnings),
        )
