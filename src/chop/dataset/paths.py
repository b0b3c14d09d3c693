"""Where datasets live on disk: the user's data/cache root and the folders searched for raw files.

Raw files and processed caches live under `$MACHOP_DATA_DIR` (default `~/.cache/machop`), one
folder per dataset, and never inside the installed package.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

DATA_DIR_ENV = "MACHOP_DATA_DIR"
DEFAULT_DATA_ROOT = "~/.cache/machop"


def data_root() -> Path:
    """The user's data and cache root: `$MACHOP_DATA_DIR`, else `~/.cache/machop`."""
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_ROOT).expanduser()


def dataset_home(name: str) -> Path:
    """The folder of dataset `name` under the data root, where its raw files are put."""
    return data_root() / name


def processed_home(name: str) -> Path:
    """The folder holding the processed (split, scaled) tensors of dataset `name`."""
    return dataset_home(name) / "processed"


def search_dirs(name: str, data_dir: str | Path | None, extra: Iterable[str | Path] = ()) -> list[Path]:
    """Folders searched for the raw files of `name`, in order, without repeats.

    An explicit `data_dir` comes first (the folder itself, then its `<name>/` subfolder), then
    `$MACHOP_DATA_DIR/<name>/`, then `extra` (for example a system package's folder).
    """
    dirs: list[Path] = []
    if data_dir is not None:
        base = Path(data_dir).expanduser()
        dirs += [base, base / name]
    dirs.append(dataset_home(name))
    dirs += [Path(p) for p in extra]
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def find_file(dirs: Iterable[Path], filenames: Iterable[str]) -> Path | None:
    """The first existing file: each folder in turn, each name in turn within a folder."""
    filenames = list(filenames)
    for d in dirs:
        for f in filenames:
            candidate = d / f
            if candidate.is_file():
                return candidate
    return None
