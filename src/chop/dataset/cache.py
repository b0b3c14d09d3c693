"""A cache of processed dataset tensors, keyed by the source files' content and the preprocessing.

Each entry is two files in the dataset's `processed/` folder: `<key>.safetensors` (the tensors)
and `<key>.json` (what was done, and facts such as class names). Both are written to a temporary
name and renamed into place, the JSON last, so that a half-written entry is never read, even when
several processes (parallel search trials) load the same dataset at once. Nothing is pickled.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from chop import atomic
from chop.errors import DataError, DiskFullError

logger = logging.getLogger(__name__)

# Bump when the layout or the meaning of cached tensors changes, so that old entries are ignored.
CACHE_FORMAT = 1

Tensors = dict[str, torch.Tensor]


def file_sha256(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def cache_key(dataset: str, sources: Iterable[str], params: Mapping) -> str:
    """A short key naming the processed result of `sources` (content hashes) under `params`."""
    blob = json.dumps(
        {"format": CACHE_FORMAT, "dataset": dataset, "sources": list(sources), "params": dict(params)},
        sort_keys=True,
    )
    return f"{dataset}-{hashlib.sha256(blob.encode()).hexdigest()[:20]}"


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    with atomic.replacing(path) as tmp:
        write(tmp)


def save_entry(folder: Path, key: str, tensors: Tensors, meta: Mapping) -> None:
    """Store `tensors` and JSON-able `meta` as cache entry `key` in `folder`."""
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    _atomic_write(folder / f"{key}.safetensors", lambda p: save_file(tensors, str(p)))
    record = {"key": key, "format": CACHE_FORMAT, **meta}
    _atomic_write(
        folder / f"{key}.json", lambda p: p.write_text(json.dumps(record, indent=2, sort_keys=True))
    )


def load_entry(folder: Path, key: str) -> tuple[Tensors, dict] | None:
    """Cache entry `key` as (tensors, meta), or None when absent or unreadable."""
    meta_path, tensor_path = folder / f"{key}.json", folder / f"{key}.safetensors"
    if not (meta_path.is_file() and tensor_path.is_file()):
        return None
    try:
        meta = json.loads(meta_path.read_text())
        tensors = load_file(str(tensor_path))
    except Exception as e:  # a damaged entry is rebuilt, not fatal
        logger.warning("Ignoring unreadable dataset cache %s (%s); rebuilding it.", tensor_path, e)
        return None
    if meta.get("key") != key or meta.get("format") != CACHE_FORMAT:
        return None
    return tensors, meta


def cached(
    folder: Path, key: str, build: Callable[[], tuple[Tensors, dict]],
    check: Callable[[Tensors], object] | None = None,
) -> tuple[Tensors, dict]:
    """Entry `key` from `folder`, calling `build()` and storing its result only when missing.

    `check(tensors)` vets a cache hit: if it raises DataError (a cache of the wrong size, say),
    the entry is rebuilt.
    """
    hit = load_entry(folder, key)
    if hit is not None and check is not None:
        try:
            check(hit[0])
        except DataError as e:
            logger.warning("Ignoring damaged dataset cache %s (%s); rebuilding it.", folder / key, e)
            hit = None
    if hit is not None:
        logger.debug("Loaded processed dataset from cache %s", folder / key)
        return hit
    tensors, meta = build()
    meta = json.loads(json.dumps(meta))  # the same plain types a later cache hit returns
    try:
        save_entry(folder, key, tensors, meta)
    except (OSError, DiskFullError) as e:  # a read-only or full cache costs time, not the run
        logger.warning("Could not write dataset cache in %s (%s); continuing without it.", folder, e)
    return tensors, {"key": key, "format": CACHE_FORMAT, **meta}
