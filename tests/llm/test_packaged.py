"""The packaged models: parts joined in order, checked by size and SHA-256, a tampered file refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kraftbot.errors import ModelIntegrityError
from kraftbot.llm.packaged import PackagedModel, _concatenate, ensure_model, verify


def _model_from_parts(tmp_path: Path, parts: list[bytes]) -> tuple[PackagedModel, list[Path]]:
    paths = []
    for number, content in enumerate(parts):
        path = tmp_path / f"part{number}.bin"
        path.write_bytes(content)
        paths.append(path)
    whole = b"".join(parts)
    model = PackagedModel("m.gguf", (), len(whole), hashlib.sha256(whole).hexdigest())
    return model, paths


def test_parts_are_joined_in_order_and_verified(tmp_path: Path) -> None:
    model, parts = _model_from_parts(tmp_path, [b"abc", b"def", b"g"])
    target = tmp_path / "joined"
    _concatenate(parts, target, model.size)
    assert target.read_bytes() == b"abcdefg"
    verify(target, model.size, model.sha256)


@pytest.mark.reliability
def test_tampered_file_is_refused_with_both_hashes(tmp_path: Path) -> None:
    model, _ = _model_from_parts(tmp_path, [b"good bytes"])
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / model.file_name).write_bytes(b"evil bytes")  # same size, other content
    with pytest.raises(ModelIntegrityError) as raised:
        ensure_model(model, cache, progress=False)
    message = str(raised.value)
    assert model.sha256 in message
    assert hashlib.sha256(b"evil bytes").hexdigest() in message
    assert model.file_name in message


@pytest.mark.reliability
def test_wrong_size_is_refused(tmp_path: Path) -> None:
    model, _ = _model_from_parts(tmp_path, [b"12345"])
    short = tmp_path / "short"
    short.write_bytes(b"1234")
    with pytest.raises(ModelIntegrityError, match="size 4 bytes, expected 5"):
        verify(short, model.size, model.sha256)


def test_packaged_generator_is_assembled_and_matches(packaged_model_path: Path) -> None:
    from kraftbot.llm.packaged import PACKAGED_GENERATOR

    assert packaged_model_path.stat().st_size == PACKAGED_GENERATOR.size
    assert not packaged_model_path.with_suffix(".gguf.partial").exists()
