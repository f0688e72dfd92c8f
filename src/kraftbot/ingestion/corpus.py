"""Read a corpus folder into llama-index Documents with the metadata answers cite.

Every document carries `doc_id` (its path inside the corpus, without suffix), `title`, `url`,
`doc_type`, `date`, `file_path` and the file's `sha256`, so a citation can link to its source and
the index manifest can tell which files changed; a PDF gives one Document per page, with
`page_label` (the page number as the PDF prints it).

Metadata comes, in rising priority, from the file name (title), the file itself (first heading,
then HTML <title>, PDF/DOCX properties or front matter) and an optional sidecar
`NAME.SUFFIX.meta.toml` next to it (`rapport.pdf.meta.toml` for `rapport.pdf`) with any of the
keys `title`, `url`, `doc_type`, `date`. A sidecar is never indexed as a document itself.

A file that cannot be read is skipped with one warning line naming it and the reason; the rest
of the corpus is still read.
"""

from __future__ import annotations

import hashlib
import logging
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from llama_index.core import Document

from kraftbot.errors import CorpusError, UnreadableFile
from kraftbot.ingestion.readers import Extracted, read_file
from kraftbot.ingestion.readers.base import clean_value, decode_text
from kraftbot.settings import IngestSettings

log = logging.getLogger(__name__)

METADATA_KEYS = ("doc_id", "title", "url", "doc_type", "date", "file_path", "sha256", "page_label", "section")
SIDECAR_SUFFIX = ".meta.toml"
SIDECAR_KEYS = ("title", "url", "doc_type", "date")


@dataclass(frozen=True)
class Source:
    """One document file of the corpus, with its document id and optional metadata sidecar."""

    path: Path
    relative: str
    doc_id: str
    sidecar: str = ""


@dataclass
class CorpusReadResult:
    """What was read, what the caller chose to reuse instead, and what was skipped and why."""

    documents: list[Document] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    reused: list[Source] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        """The corpus files that were read (a PDF of many pages counts once)."""
        return list(dict.fromkeys(str(d.metadata["file_path"]) for d in self.documents))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _over_size_limit(size: int, config: IngestSettings) -> bool:
    return size > config.max_file_mb * 2**20


def file_fingerprint(path: Path, config: IngestSettings) -> str:
    """What tells whether a file changed: its SHA-256, or only its size while it is too large
    to be read anyway (hashing a stray video at every start would be wasted time)."""
    try:
        size = path.stat().st_size
        return f"oversize:{size}" if _over_size_limit(size, config) else file_sha256(path)
    except OSError as error:  # reported by read_corpus, which skips the file
        return f"unreadable:{error.strerror}"


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Every file below the corpus folder (documents and sidecars), in a stable order."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus folder {corpus_dir} does not exist; put documents there or pass --corpus DIR.")
    return sorted(p for p in corpus_dir.rglob("*") if p.is_file() and not p.name.startswith("."))


def corpus_sources(corpus_dir: Path) -> tuple[list[Source], dict[str, str]]:
    """The document files with their ids and sidecars, and the sidecars that have no document.

    The id is the relative path without suffix; files that would share one (`a.pdf`, `a.docx`)
    keep their suffix instead, so every id names one file.
    """
    relatives = [p.relative_to(corpus_dir).as_posix() for p in corpus_files(corpus_dir)]
    sidecars = {r for r in relatives if r.endswith(SIDECAR_SUFFIX)}
    documents = [r for r in relatives if r not in sidecars]
    stems = {r: PurePosixPath(r).with_suffix("").as_posix() for r in documents}
    shared = {stem for stem, count in Counter(stems.values()).items() if count > 1}
    sources = [
        Source(
            path=corpus_dir / relative,
            relative=relative,
            doc_id=relative if stems[relative] in shared else stems[relative],
            sidecar=relative + SIDECAR_SUFFIX if relative + SIDECAR_SUFFIX in sidecars else "",
        )
        for relative in documents
    ]
    orphans = sidecars - {source.sidecar for source in sources}
    return sources, {name: "metadata sidecar without its document" for name in sorted(orphans)}


def _sidecar_meta(corpus_dir: Path, source: Source, skipped: dict[str, str]) -> dict[str, str]:
    """The sidecar's metadata; a broken sidecar is reported and its document read without it."""
    if not source.sidecar:
        return {}
    try:
        data = tomllib.loads(decode_text((corpus_dir / source.sidecar).read_bytes()))
    except (OSError, tomllib.TOMLDecodeError) as error:
        skipped[source.sidecar] = f"unreadable metadata sidecar, ignored ({error})"
        return {}
    return {key: clean_value(data[key]) for key in SIDECAR_KEYS if data.get(key)}


def _extract(source: Source, config: IngestSettings) -> tuple[Extracted, str]:
    """The file's text and metadata, and its SHA-256 (of the same bytes)."""
    size = source.path.stat().st_size
    if _over_size_limit(size, config):
        raise UnreadableFile(f"file is {size / 2**20:.1f} MB, over ingest.max_file_mb = {config.max_file_mb:g}")
    data = source.path.read_bytes()
    return read_file(source.path, data), hashlib.sha256(data).hexdigest()


def _documents(source: Source, extracted: Extracted, sidecar: dict[str, str], sha256: str) -> list[Document]:
    meta = {**extracted.meta, **sidecar}
    common = {
        "doc_id": source.doc_id,
        "title": meta.get("title") or extracted.heading or source.path.stem,
        "url": meta.get("url", ""),
        "doc_type": meta.get("doc_type", ""),
        "date": meta.get("date", ""),
        "file_path": source.relative,
        "sha256": sha256,
    }
    if len(extracted.pages) == 1 and not extracted.pages[0][0]:
        return [Document(text=extracted.pages[0][1], metadata=common, id_=source.doc_id)]
    return [
        Document(text=text, metadata={**common, "page_label": label}, id_=f"{source.doc_id}#{number}")
        for number, (label, text) in enumerate(extracted.pages, start=1)
    ]


def read_corpus(
    corpus_dir: Path,
    config: IngestSettings | None = None,
    reuse: Callable[[Source], bool] | None = None,
) -> CorpusReadResult:
    """Read every document file, except those `reuse` claims (the caller already has them).

    Any failure to read one file, expected or not, skips that file: one bad upload must not stop
    a municipality's whole index.
    """
    config = config or IngestSettings()
    sources, skipped = corpus_sources(corpus_dir)
    result = CorpusReadResult(skipped=skipped)
    for source in sources:
        if reuse is not None and reuse(source):
            result.reused.append(source)
            continue
        try:
            extracted, sha256 = _extract(source, config)
        except UnreadableFile as error:
            result.skipped[source.relative] = str(error)
            continue
        except Exception as error:  # a reader library failing in an unforeseen way on a bad file
            reason = str(error).splitlines()[0] if str(error) else ""
            result.skipped[source.relative] = f"could not be read ({type(error).__name__}: {reason})"
            continue
        sidecar = _sidecar_meta(corpus_dir, source, result.skipped)
        result.documents.extend(_documents(source, extracted, sidecar, sha256))
    for relative, reason in result.skipped.items():
        log.warning("Skipped %s: %s", relative, reason)
    return result
