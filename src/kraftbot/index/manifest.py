"""The index manifest: what an index was built from, so a stale or foreign index is detected."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

MANIFEST_FILE = "manifest.json"
# 2: stores every chunk's vector in embeddings.npz, so an update embeds only new chunks.
FORMAT_VERSION = 2


@dataclass
class Manifest:
    """Everything that decides whether an index still matches its corpus and settings."""

    embedder: str
    chunking: dict[str, int]
    files: dict[str, str]
    corpus_dir: str
    documents: int = 0
    chunks: int = 0
    dimension: int = 0
    # Files read but not indexed, with the reason (reported again while they are unchanged).
    skipped: dict[str, str] = field(default_factory=dict)
    built_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    format_version: int = FORMAT_VERSION

    def write(self, index_path: Path) -> None:
        text = json.dumps(asdict(self), ensure_ascii=False, indent=2)
        (index_path / MANIFEST_FILE).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def read(cls, index_path: Path) -> Manifest:
        known = {f.name for f in fields(cls)}
        data = json.loads((index_path / MANIFEST_FILE).read_text(encoding="utf-8"))
        # Keys of another format version are dropped; `format_version` says whether it is usable.
        return cls(**{key: value for key, value in data.items() if key in known})


def incompatibility(built: Manifest, embedder: str, chunking: dict[str, int]) -> str:
    """Why none of an index's chunks can be reused (empty string when all of them can)."""
    if built.format_version != FORMAT_VERSION:
        return f"index format {built.format_version} is not the current {FORMAT_VERSION}"
    if built.embedder != embedder:
        return f"built with embedder {built.embedder}, settings name {embedder}"
    if built.chunking != chunking:
        return f"built with chunking {built.chunking}, settings say {chunking}"
    return ""


def staleness(built: Manifest, embedder: str, chunking: dict[str, int], files: dict[str, str]) -> str:
    """Why an index no longer matches (empty string when it does)."""
    if reason := incompatibility(built, embedder, chunking):
        return reason
    if built.files != files:
        changed = sorted(set(built.files.items()) ^ set(files.items()))
        names = sorted({name for name, _ in changed})
        return f"corpus changed ({len(names)} file(s), e.g. {names[0]})"
    return ""
