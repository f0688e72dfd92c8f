"""A real `kill -9` of `kraftbot index` while it rebuilds: the previous index stays whole and
loadable, and the next build completes (and clears what the killed one left)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

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
    build = subprocess.Popen([kraftbot, "--config", str(config), "index"], env=environment, stderr=subprocess.PIPE)
    time.sleep(6)  # loaded, reading and embedding (the whole rebuild takes far longer on 2 cores)
    assert build.poll() is None, "the build ended before it could be killed"
    os.kill(build.pid, signal.SIGKILL)
    build.wait(10)

    assert Manifest.read(index) == before, "the old index is untouched"
    for stem in others:  # the old corpus again: the old index serves without any rebuild
        (corpus / f"{stem}.md").unlink()
    knowledge = load_index(settings, "default", embedder, progress=False)
    assert len(knowledge.nodes) == before.chunks

    copy_corpus(corpus, others)
    report = build_index(settings, "default", corpus, embedder, progress=False)
    assert report.documents == len(FIRST) + len(others)
    assert sorted(p.name for p in index.parent.iterdir()) == ["default"], "no staging folder left"
