"""A labelled text table in memory: what every text source (packaged corpus, hub set, user file)
reads into before splitting and tokenizing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chop.errors import DataError

# A row's part when the source fixes its own test split ("train" rows are split into train and
# validation); sources without one leave `parts` as None and both hold-outs are drawn.
TRAIN_PART, TEST_PART = "train", "test"


@dataclass(frozen=True)
class TextTable:
    """Texts with integer labels 0..len(class_names)-1, and optionally each row's fixed part."""

    texts: list[str]
    labels: np.ndarray
    class_names: tuple[str, ...]
    parts: np.ndarray | None = None
    rows_read: int = 0
    duplicates_dropped: int = 0

    def __post_init__(self):
        if len(self.texts) != len(self.labels) or (self.parts is not None and len(self.parts) != len(self.texts)):
            raise ValueError("texts, labels and parts must have one entry per row")

    def __len__(self) -> int:
        return len(self.texts)

    def rows(self, index: np.ndarray) -> "TextTable":
        """The table of the rows at positions `index`, in that order."""
        return TextTable(
            texts=[self.texts[i] for i in index], labels=self.labels[index], class_names=self.class_names,
            parts=None if self.parts is None else self.parts[index],
            rows_read=self.rows_read, duplicates_dropped=self.duplicates_dropped,
        )


def drop_duplicate_texts(table: TextTable) -> TextTable:
    """The table without repeated texts: each text's first row is kept, whatever its label.

    Repeats would otherwise land on both sides of a split and inflate test accuracy. Where a
    source fixes its own test split, a training text that repeats a test text is dropped from
    training (the test split stays whole).
    """
    seen: set[str] = set()
    order = range(len(table))
    if table.parts is not None:  # test rows first, so that they win over training copies
        order = sorted(order, key=lambda i: table.parts[i] != TEST_PART)
    keep = []
    for i in order:
        text = table.texts[i]
        if text not in seen:
            seen.add(text)
            keep.append(i)
    kept = table.rows(np.asarray(sorted(keep), dtype=np.int64))
    return TextTable(kept.texts, kept.labels, kept.class_names, kept.parts,
                     rows_read=table.rows_read or len(table), duplicates_dropped=len(table) - len(keep))


def check_texts(texts: list, where: str) -> list[str]:
    """`texts` as str; an empty, missing or non-text cell is one DataError naming its row."""
    out = []
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            shown = "an empty cell" if isinstance(text, str) or text is None else f"{type(text).__name__} {text!r:.40}"
            raise DataError(f"{where}: row {i + 1} has {shown} where a text should be; "
                            f"remove the row or fill in its text.")
        out.append(text)
    return out


def labels_to_indices(values, class_names: tuple[str, ...] | None, where: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer labels and class names from a label column.

    With `class_names` given, each value must be one of them (or its index); otherwise the
    classes are the sorted distinct values (integers 0..K-1 stay in their own order).
    """
    values = list(values)
    if class_names is None:
        class_names = _infer_classes(values, where)
    lookup = {name: i for i, name in enumerate(class_names)}
    lookup.update({str(i): i for i in range(len(class_names))})
    out = np.empty(len(values), dtype=np.int64)
    for row, value in enumerate(values):
        key = _label_key(value)
        if key not in lookup:
            raise DataError(f"{where}: row {row + 1} has label {value!r}, not one of "
                            f"{', '.join(class_names)}; fix the row or the class list.")
        out[row] = lookup[key]
    return out, tuple(class_names)


def _label_key(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else "None"


def _infer_classes(values: list, where: str) -> tuple[str, ...]:
    keys = {_label_key(v) for v in values}
    if not keys or keys & {"", "None", "nan"}:
        raise DataError(f"{where}: the label column has empty cells; give every row a label.")
    if all(k.lstrip("-").isdigit() for k in keys):
        ints = sorted(int(k) for k in keys)
        if ints[0] < 0:
            raise DataError(f"{where}: integer labels must be 0, 1, ..., got {ints[0]}.")
        return tuple(str(i) for i in range(ints[-1] + 1))
    return tuple(sorted(keys))
