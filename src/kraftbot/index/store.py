"""Build, update and load the named indexes of corpora.

An index lives in `<index_dir>/<name>/`: its chunks, their vectors and a FAISS index over them
(`knowledge.py`), and a manifest with the SHA-256 of every corpus file. A build reuses
the chunks and vectors of files whose hash (and sidecar) did not change and embeds only the new
ones, so re-indexing a large corpus after one edit takes seconds. It writes into a temporary
folder and swaps it in at the end, so an interrupted build leaves the previous index usable.
Loading an index whose manifest no longer matches the corpus or the settings updates it first.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import TextNode

from kraftbot.errors import CorpusError, IndexMissingError
from kraftbot.index.embedders import build_embedder, embedder_id
from kraftbot.index.knowledge import STORE_FILES, KnowledgeIndex, read_chunks, read_store, read_vectors, write_store
from kraftbot.index.manifest import MANIFEST_FILE, Manifest, incompatibility, staleness
from kraftbot.ingestion.chunking import chunk_documents, embedding_text
from kraftbot.ingestion.corpus import (
    SIDECAR_SUFFIX,
    CorpusReadResult,
    Source,
    corpus_files,
    file_fingerprint,
    read_corpus,
)
from kraftbot.settings import IngestSettings, Settings

log = logging.getLogger(__name__)

# Called with (chunks embedded so far, chunks to embed) while a build embeds.
Progress = Callable[[int, int], None]

DEFAULT_INDEX = "default"
STAGING_MARK = ".building-"


@dataclass
class BuildReport:
    """What a build did: document files added, changed (re-embedded), removed and reused."""

    name: str
    path: Path
    documents: int
    chunks: int
    skipped: dict[str, str]
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded_chunks: int = 0

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}, "
            f"unchanged {self.unchanged}, skipped {len(self.skipped)}"
        )


@dataclass
class IndexStatus:
    """One built index as `kraftbot index --status` lists it."""

    name: str
    path: Path
    manifest: Manifest
    state: str


@dataclass
class _PreviousBuild:
    """The chunks and vectors of the index being replaced, grouped by corpus file."""

    manifest: Manifest
    nodes: dict[str, list[TextNode]]
    vectors: dict[str, np.ndarray]

    def reusable(self, source: Source, files: dict[str, str]) -> bool:
        """True when the file and its sidecar are unchanged and every chunk has its vector."""
        nodes = self.nodes.get(source.relative)
        return (
            bool(nodes)
            and all(
                self.manifest.files.get(key) == files.get(key)
                for key in (source.relative, source.relative + SIDECAR_SUFFIX)
            )
            and all(n.metadata.get("doc_id") == source.doc_id and n.node_id in self.vectors for n in nodes)
        )


def index_path(settings: Settings, name: str) -> Path:
    return settings.paths.index_dir / name


def corpus_fingerprint(corpus_dir: Path, config: IngestSettings) -> dict[str, str]:
    """`file_fingerprint` (the SHA-256) of every file below the corpus folder, by relative path."""
    return {p.relative_to(corpus_dir).as_posix(): file_fingerprint(p, config) for p in corpus_files(corpus_dir)}


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` with two renames; the old copy is removed only afterwards."""
    retired = target.with_name(f".{target.name}.old")
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        os.replace(target, retired)
    os.replace(staging, target)
    shutil.rmtree(retired, ignore_errors=True)


def _recover_interrupted_swap(target: Path) -> None:
    retired = target.with_name(f".{target.name}.old")
    if not target.exists() and (retired / MANIFEST_FILE).exists():
        log.warning("Restoring index %s left by an interrupted swap", target)
        os.replace(retired, target)


def _remove_abandoned_staging(target: Path) -> None:
    """Delete staging folders of builds whose process is gone (killed mid-build)."""
    for staging in target.parent.glob(f".{target.name}{STAGING_MARK}*"):
        pid = staging.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _process_alive(int(pid)):
            log.info("Removing %s left by an interrupted build", staging)
            shutil.rmtree(staging, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        pass
    return True


def _built_from(target: Path) -> Path | None:
    """The corpus folder an existing index was built from, when the index and the folder exist."""
    try:
        folder = Path(Manifest.read(target).corpus_dir)
    except (OSError, ValueError, TypeError):
        return None
    return folder if folder.is_dir() else None


def _previous_build(target: Path, settings: Settings) -> _PreviousBuild | None:
    """The old index's chunks and vectors, or None when they cannot be reused."""
    if not (target / MANIFEST_FILE).exists():
        return None
    try:
        manifest = Manifest.read(target)
        if reason := incompatibility(manifest, embedder_id(settings.embedding), settings.chunking.model_dump()):
            log.info("Re-embedding the whole corpus of index %s: %s", target.name, reason)
            return None
        ids, matrix = read_vectors(target)
        vectors = dict(zip(ids, matrix, strict=True))
        chunks = read_chunks(target)
        if len(chunks) != manifest.chunks or {node.node_id for node in chunks} != set(vectors):
            raise ValueError("its chunks, vectors and manifest disagree")  # damaged: nothing is reused
    except (OSError, ValueError, TypeError, KeyError) as error:
        log.warning("Cannot reuse index %s (%s); re-embedding the whole corpus", target.name, error)
        return None
    nodes: dict[str, list[TextNode]] = {}
    for node in chunks:
        nodes.setdefault(str(node.metadata.get("file_path", "")), []).append(node)
    return _PreviousBuild(manifest, nodes, vectors)


def _embed_reporting(
    embedder: BaseEmbedding, texts: list[str], batch_size: int, on_progress: Progress
) -> list[list[float]]:
    """Embed in batches of `batch_size`, reporting (done, total) before the first and after each."""
    total = len(texts)
    on_progress(0, total)
    vectors: list[list[float]] = []
    for start in range(0, total, batch_size):
        vectors.extend(embedder.get_text_embedding_batch(texts[start : start + batch_size], show_progress=False))
        on_progress(len(vectors), total)
    if not total:
        on_progress(0, 0)
    return vectors


def _up_to_date_report(name: str, target: Path, manifest: Manifest) -> BuildReport:
    for relative, reason in manifest.skipped.items():
        log.warning("Skipped %s: %s (unchanged since the last build)", relative, reason)
    log.info("Index %s is up to date: nothing to embed", name)
    return BuildReport(
        name, target, manifest.documents, manifest.chunks, dict(manifest.skipped), unchanged=manifest.documents
    )


def build_index(
    settings: Settings,
    name: str = DEFAULT_INDEX,
    corpus_dir: Path | None = None,
    embedder: BaseEmbedding | None = None,
    progress: bool = True,
    *,
    on_progress: Progress | None = None,
) -> BuildReport:
    """Bring a named index up to date with its corpus, embedding only new or changed files.

    Without `corpus_dir`, an existing index is updated from the folder it was built from and a
    new one is built from `paths.corpus_dir`. The old index is replaced only when the new one
    is complete. `on_progress` is called with (chunks embedded, chunks to embed): (0, total)
    first, then after every batch of `embedding.batch_size`, ending with (total, total), also
    when nothing needs embedding.
    """
    target = index_path(settings, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    _recover_interrupted_swap(target)
    _remove_abandoned_staging(target)
    corpus_dir = corpus_dir or _built_from(target) or settings.paths.corpus_dir
    files = corpus_fingerprint(corpus_dir, settings.ingest)
    previous = _previous_build(target, settings)
    if previous and previous.manifest.files == files and previous.manifest.corpus_dir == str(corpus_dir.resolve()):
        if on_progress is not None:
            on_progress(0, 0)
            on_progress(0, 0)
        return _up_to_date_report(name, target, previous.manifest)

    read = read_corpus(corpus_dir, settings.ingest, reuse=(lambda s: previous.reusable(s, files)) if previous else None)
    kept = [node for source in read.reused for node in previous.nodes[source.relative]] if previous else []
    new_nodes = chunk_documents(read.documents, settings.chunking) if read.documents else []
    if not kept and not new_nodes:
        raise CorpusError(f"No readable documents in {corpus_dir}; nothing to index.")

    embedder = embedder or build_embedder(settings)
    staging = target.with_name(f".{name}{STAGING_MARK}{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        texts = [embedding_text(node) for node in new_nodes]
        if on_progress is None:
            new_vectors = embedder.get_text_embedding_batch(texts, show_progress=progress)
        else:
            new_vectors = _embed_reporting(embedder, texts, settings.embedding.batch_size, on_progress)
        reused_vectors = [previous.vectors[n.node_id] for n in kept] if previous else []
        vectors = np.asarray(reused_vectors + new_vectors, dtype=np.float32)
        write_store(staging, kept + new_nodes, vectors, settings.retrieval)
        Manifest(
            embedder=embedder_id(settings.embedding),
            chunking=settings.chunking.model_dump(),
            files=files,
            corpus_dir=str(corpus_dir.resolve()),
            documents=len(read.reused) + len(read.files),
            chunks=len(vectors),
            dimension=vectors.shape[1],
            skipped=read.skipped,
        ).write(staging)
        _swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report = _build_report(name, target, read, previous, len(vectors), len(new_nodes))
    log.info("Built index %s: %d documents, %d chunks (%s)", name, report.documents, report.chunks, report.summary())
    return report


def _build_report(
    name: str, target: Path, read: CorpusReadResult, previous: _PreviousBuild | None, chunks: int, embedded: int
) -> BuildReport:
    """What changed against the index that was replaced."""
    old_files = set(previous.nodes) if previous else set()
    return BuildReport(
        name,
        target,
        len(read.reused) + len(read.files),
        chunks,
        read.skipped,
        added=[f for f in read.files if f not in old_files],
        changed=[f for f in read.files if f in old_files],
        removed=sorted(old_files - set(read.files) - {s.relative for s in read.reused}),
        unchanged=len(read.reused),
        embedded_chunks=embedded,
    )


def _current_staleness(settings: Settings, path: Path, built: Manifest) -> str:
    """Why a built index no longer matches its corpus, the settings or the store format ('' when it does)."""
    if missing := [name for name in STORE_FILES if not (path / name).is_file()]:
        return f"written in an older format, without {', '.join(missing)}"
    corpus_dir = Path(built.corpus_dir)
    return staleness(
        built,
        embedder_id(settings.embedding),
        settings.chunking.model_dump(),
        corpus_fingerprint(corpus_dir, settings.ingest) if corpus_dir.is_dir() else built.files,
    )


def load_index(
    settings: Settings,
    name: str = DEFAULT_INDEX,
    embedder: BaseEmbedding | None = None,
    progress: bool = True,
) -> KnowledgeIndex:
    """Open a named index, updating it first when its corpus or settings have changed.

    A missing default index is built from `paths.corpus_dir`; any other missing index is an error
    that says how to build it.
    """
    path = index_path(settings, name)
    _recover_interrupted_swap(path)
    embedder = embedder or build_embedder(settings)
    if not (path / MANIFEST_FILE).exists():
        if name != DEFAULT_INDEX or not settings.paths.corpus_dir.is_dir():
            hint = "kraftbot index" if name == DEFAULT_INDEX else f"kraftbot index --corpus DIR --name {name}"
            raise IndexMissingError(f"Index '{name}' not found in {path.parent}; run `{hint}` first.")
        # The default index is the shipped corpus's: build it, as `scripts/chat.sh` does, instead of failing.
        log.warning("Index %s not found in %s; building it from %s", name, path.parent, settings.paths.corpus_dir)
        build_index(settings, name, settings.paths.corpus_dir, embedder, progress)
    built = Manifest.read(path)
    if reason := _current_staleness(settings, path, built):
        log.warning("Index %s is stale (%s); updating it", name, reason)
        build_index(settings, name, Path(built.corpus_dir), embedder, progress)
    return read_store(path, embedder)


def index_statuses(settings: Settings) -> list[IndexStatus]:
    """Every built index under `paths.index_dir`, with whether it still matches its corpus."""
    index_dir = settings.paths.index_dir
    if not index_dir.is_dir():
        return []
    statuses = []
    for path in sorted(index_dir.iterdir()):
        if path.name.startswith(".") or not (path / MANIFEST_FILE).is_file():
            continue
        try:
            manifest = Manifest.read(path)
        except (OSError, ValueError, TypeError) as error:
            log.warning("Index %s has an unreadable manifest (%s); rebuild it with `kraftbot index`", path, error)
            continue
        if not Path(manifest.corpus_dir).is_dir():
            state = f"corpus folder {manifest.corpus_dir} is missing"
        else:
            state = _current_staleness(settings, path, manifest) or "up to date"
        statuses.append(IndexStatus(path.name, path, manifest, state))
    return statuses
