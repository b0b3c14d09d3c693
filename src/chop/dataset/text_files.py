"""`text-file`: a user's own labelled texts in CSV, TSV, JSON, JSON lines or Parquet.

    ch train bert-tiny text-file --data-dir reviews.csv --max-token-len 64
    get_dataset("text-file", data_dir="reviews/", text_column="review", label_column="stars")

`--data-dir` names the file itself, or a folder holding `train.<ext>` (and optionally
`test.<ext>`, then used as the test split as it is) or exactly one data file. Columns are
`text` and `label` by default (options `text_column`, `label_column`; in a TOML run config,
`[dataset_options]`). Labels are class names or integers 0..K-1; option `classes` fixes their
order (otherwise sorted names, or the integers). The rows then go through the same pipeline as
every text set: duplicates dropped, stratified test / validation hold-outs, tokenization, cache
(keyed by the files' SHA-256).
"""

from __future__ import annotations

import logging
from pathlib import Path

from chop.dataset.cache import file_sha256
from chop.dataset.info import Dataset
from chop.dataset.options import reject_unknown_options
from chop.dataset.registry import register_dataset
from chop.dataset.text import TEXT_OPTIONS, load_text_dataset, text_info
from chop.dataset.text_table import TEST_PART, TRAIN_PART, TextTable, check_texts, labels_to_indices
from chop.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

SUFFIXES = (".csv", ".tsv", ".csv.gz", ".json", ".jsonl", ".parquet")
FILE_OPTIONS = ("text_column", "label_column", "classes")

TEXT_FILE_INFO = text_info(
    "text-file", (), "your file: --data-dir FILE.csv|.json|.jsonl|.parquet",
    "Your labelled texts: columns text and label (CSV, TSV, JSON, JSON lines, Parquet).",
)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return next((s for s in SUFFIXES if name.endswith(s)), "")


def find_text_files(data_dir: str | Path | None) -> dict[str, Path]:
    """`{"train": path}` or `{"train": ..., "test": ...}` from `--data-dir` (a file or a folder)."""
    if data_dir is None:
        raise DataError(f"Dataset 'text-file' reads your file: give it with --data-dir FILE "
                        f"({', '.join(SUFFIXES)}) or a folder holding train.csv (and test.csv).")
    path = Path(data_dir).expanduser()
    if path.is_file():
        if not _suffix(path):
            raise DataError(f"'{path}' is not a data file text-file reads ({', '.join(SUFFIXES)}).")
        return {TRAIN_PART: path}
    if not path.is_dir():
        raise DataError(f"--data-dir '{path}' does not exist; give your .csv/.json/.parquet file or its folder.")
    files = sorted(p for p in path.iterdir() if p.is_file() and _suffix(p))
    by_stem = {p.name[: -len(_suffix(p))].lower(): p for p in files}
    if TRAIN_PART in by_stem:
        found = {TRAIN_PART: by_stem[TRAIN_PART]}
        if TEST_PART in by_stem:
            found[TEST_PART] = by_stem[TEST_PART]
        return found
    if len(files) == 1:
        return {TRAIN_PART: files[0]}
    listed = ", ".join(p.name for p in files[:6]) or "none"
    raise DataError(f"'{path}' must hold train.<ext> (and optionally test.<ext>) or exactly one data file "
                    f"({', '.join(SUFFIXES)}); found {listed}.")


def read_frame(path: Path):
    """The file as a pandas DataFrame; an unreadable or empty file is one DataError."""
    import pandas as pd

    suffix = _suffix(path)
    try:
        if suffix == ".parquet":
            return _read_parquet(path)
        if suffix in (".json", ".jsonl"):
            return pd.read_json(path, lines=suffix == ".jsonl" or _looks_like_json_lines(path))
        sep = "\t" if suffix == ".tsv" else ","
        try:
            return pd.read_csv(path, sep=sep, keep_default_na=False)
        except UnicodeDecodeError:
            logger.warning("'%s' is not UTF-8; reading it as Latin-1.", path)
            return pd.read_csv(path, sep=sep, keep_default_na=False, encoding="latin-1")
    except pd.errors.EmptyDataError:
        raise DataError(f"'{path}' is empty; it needs a header row and one row per text.") from None
    except (ValueError, OSError, pd.errors.ParserError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(f"'{path}' cannot be read as {suffix.lstrip('.').upper()} ({first}).") from None


def _looks_like_json_lines(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(64).lstrip()[:1] == b"{"


def _read_parquet(path: Path):
    import pandas as pd

    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise DataError(f"Reading '{path}' needs pyarrow: pip install pyarrow (or pip install 'machop[hub]').") from None
    return pd.read_parquet(path)


def table_from_frames(frames: dict[str, object], paths: dict[str, Path], text_column: str, label_column: str,
                      classes: tuple[str, ...] | None) -> TextTable:
    """One TextTable of all parts, labels indexed over the classes of every part together."""
    texts, values, parts = [], [], []
    for part, frame in frames.items():
        where = f"'{paths[part]}'"
        missing = [c for c in (text_column, label_column) if c not in frame.columns]
        if missing:
            have = ", ".join(map(str, frame.columns[:8])) or "no columns"
            raise DataError(f"{where} has no column {' or '.join(repr(m) for m in missing)} (it has {have}); "
                            f"name the columns with the options text_column / label_column.")
        if not len(frame):
            raise DataError(f"{where} has a header but no rows.")
        texts += check_texts(frame[text_column].tolist(), where)
        values += frame[label_column].tolist()
        parts += [part] * len(frame)
    labels, class_names = labels_to_indices(values, classes, f"'{paths[TRAIN_PART]}'")
    if len(class_names) < 2:
        raise DataError(f"'{paths[TRAIN_PART]}' has a single class ({class_names[0]}); a classifier needs two or more.")
    import numpy as np

    fixed = np.asarray(parts) if TEST_PART in frames else None
    return TextTable(texts, labels, class_names, fixed)


def _check_file_options(text_column, label_column, classes) -> tuple[str, ...] | None:
    for key, value in (("text_column", text_column), ("label_column", label_column)):
        if not isinstance(value, str) or not value:
            raise ConfigError(f"text-file option {key} must be a column name, got {value!r}.")
    if classes is None:
        return None
    if isinstance(classes, str) or not isinstance(classes, (list, tuple)) or len(classes) < 2 or \
            not all(isinstance(c, str) and c for c in classes) or len(set(classes)) != len(classes):
        raise ConfigError(f"text-file option classes must be a list of two or more distinct names, got {classes!r}.")
    return tuple(classes)


@register_dataset("text-file", TEXT_FILE_INFO)
def load_text_file(data_dir: str | Path | None = None, split_seed: int = 42, text_column: str = "text",
                   label_column: str = "label", classes: list[str] | None = None, **options) -> Dataset:
    """Your file's texts as token ids and its labels as class indices."""
    reject_unknown_options("text-file", {k: v for k, v in options.items() if k not in TEXT_OPTIONS},
                           TEXT_OPTIONS + FILE_OPTIONS)
    fixed_classes = _check_file_options(text_column, label_column, classes)
    paths = find_text_files(data_dir)
    sources = [f"{part}:{file_sha256(p)}" for part, p in paths.items()]
    sources.append(f"columns:{text_column}/{label_column}/{'|'.join(fixed_classes or ())}")

    def read() -> TextTable:
        frames = {part: read_frame(p) for part, p in paths.items()}
        return table_from_frames(frames, paths, text_column, label_column, fixed_classes)

    shown = " + ".join(str(p) for p in paths.values())
    return load_text_dataset(TEXT_FILE_INFO, sources, read, split_seed=split_seed, source=shown, **options)
