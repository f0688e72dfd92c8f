"""Faults of an index on disk: a real `kill -9` of `kraftbot index` while it rebuilds (the previous
index stays whole and loadable, the next build completes and clears what the killed one left), and
damaged index files (a clear error that says to rebuild, and the rebuild then works)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kraftbot.errors import CorruptIndexError
from kraftbot.index.knowledge import CHUNKS_FILE, EMBEDDINGS_FILE
from kraftbot.index.manifest import Manifest
from kraftbot.index.store import build_index, load_index
from kraftbot.settings import load_settings

from ..conftest import SHIPPED_CORPUS, copy_corpus

pytestmark = pytest.mark.reliability
FIRST = ["utlysning-1-starta-er-ai-resa", "utlysning-2-gemensamma-ai-formagor"]


def test_a_build_killed_midway_leaves_the_old_index_and_the_next_build_completes(tmp_path: Path, embedder) -> None:
    corpus = copy_corpus(tmp_path / "corpus", FIRST)
    config = tmp_path / "kraftbot.toml"
    config.write_text(f'[paths]\ncorpus_dir = "{corpus}"\nindex_dir = "{tmp_path / "indexes"}"\n')
    settings = load_settings(config_file=config, environ={})
    build_index(settings, "default", corpus, embedder, progress=False)
    index = tmp_path / "indexes" / "default"
    before = Manifest.read(index)

    others = sorted({p.stem for p in SHIPPED_CORPUS.glob("*.md")} - set(FIRST))
    copy_corpus(corpus, others)  # a much larger rebuild, so the kill lands inside it
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KRAFTBOT_")}
    kraftbot = str(Path(sys.executable).with_name("kraftbot"))
    build = subprocess.Popen([kraftbot, "--config", str(config), "index"], env=environment, stderr=subprocess.DEVNULL)
    staging = index.parent / f".default.building-{build.pid}"
    deadline = time.monotonic() + 600
    while not staging.exists() and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # the new index is being written next to the old one: kill it now
    with contextlib.suppress(ProcessLookupError):
        os.kill(build.pid, signal.SIGKILL)
    build.wait(10)
    assert staging.exists(), "the kill landed while the new index was being written"

    assert Manifest.read(index) == before, "the old index is untouched"
    for stem in others:  # the old corpus again: the old index serves without any rebuild
        (corpus / f"{stem}.md").unlink()
    knowledge = load_index(settings, "default", embedder, progress=False)
    assert len(knowledge.nodes) == before.chunks

    copy_corpus(corpus, others)
    report = build_index(settings, "default", corpus, embedder, progress=False)
    assert report.documents == len(FIRST) + len(others)
    assert sorted(p.name for p in index.parent.iterdir()) == ["default"], "the killed build's folder is cleared"


@pytest.mark.parametrize("damage", ["a chunk lost", "vectors garbled"])
def test_damaged_index_files_are_a_clear_error_and_a_rebuild_repairs_them(tmp_path: Path, embedder, damage) -> None:
    corpus = copy_corpus(tmp_path / "corpus", FIRST)
    settings = load_settings(config_file=tmp_path / "none.toml", environ={})
    settings.paths.corpus_dir, settings.paths.index_dir = corpus, tmp_path / "indexes"
    build_index(settings, "default", corpus, embedder, progress=False)
    index = tmp_path / "indexes" / "default"
    if damage == "a chunk lost":
        lines = (index / CHUNKS_FILE).read_text(encoding="utf-8").splitlines()
        (index / CHUNKS_FILE).write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    else:
        (index / EMBEDDINGS_FILE).write_bytes(b"not a numpy archive")
    with pytest.raises(CorruptIndexError, match="kraftbot index"):
        load_index(settings, "default", embedder, progress=False)
    build_index(settings, "default", corpus, embedder, progress=False)
    assert len(load_index(settings, "default", embedder, progress=False).nodes) == Manifest.read(index).chunks
