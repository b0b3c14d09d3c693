"""One node selector for the passes and the search spaces: by op type, node name or name regex,
with exclusions.

    NodeSelector("type", ["linear"])                        # nodes whose mase_op is linear
    NodeSelector("name", ["seq_blocks_2"])                  # nodes by name
    NodeSelector("regex_name", [r"seq_blocks_[24]"])        # names matching a pattern (first wins)
    NodeSelector("name_or_type", ["seq_blocks_2", "conv2d"], exclude=["seq_blocks_6"])

`name_or_type` takes entries that are node names or ops (prune's `layers`/`exclude` lists and
per-layer tables; a name is preferred to an op). A selector works on (name, mase_op) pairs, so a
search space selects from the base model's node list before any graph is transformed. The
user-facing keys stay as each pass spells them (quantize `by = "type" | "name" | "regex_name"`,
profile's `by` and target lists, prune's `layers`/`exclude`, the search spaces' `by`/`ops`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from chop.errors import ConfigError

BY = ("type", "name", "regex_name", "name_or_type")
T = TypeVar("T")


@dataclass(frozen=True)
class NodeSelector:
    """`include` entries (None: every node) minus `exclude` entries, read as `by` says."""

    by: str = "type"
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    _patterns: tuple[re.Pattern, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.by not in BY:
            raise ConfigError(f"A node selector's 'by' is one of {', '.join(BY)}, got {self.by!r}.")
        for what in ("include", "exclude"):
            value = getattr(self, what)
            if value is None:
                continue
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"A node selector's {what} must be a list of strings, got {value!r}.")
            object.__setattr__(self, what, tuple(value))
        if self.by == "regex_name":
            patterns = []
            for entry in self.include or ():
                try:
                    patterns.append(re.compile(entry))
                except re.error as exc:
                    raise ConfigError(f"'{entry}' is not a valid regex ({exc}).") from None
            object.__setattr__(self, "_patterns", tuple(patterns))

    def _matches(self, entry: str, name: str, op: str | None) -> bool:
        if self.by == "type":
            return op == entry
        if self.by == "name":
            return name == entry
        if self.by == "regex_name":
            return re.fullmatch(entry, name) is not None
        return name == entry or op == entry

    def key(self, name: str, op: str | None) -> str | None:
        """The include entry that picks this node (regexes: the first in order; `name_or_type`: its
        name before its op), or None; exclusions are not applied here."""
        if self.by == "regex_name":
            for entry, pattern in zip(self.include or (), self._patterns):
                if pattern.fullmatch(name):
                    return entry
            return None
        entries = self.include or ()
        if self.by in ("name", "name_or_type") and name in entries:
            return name
        if self.by in ("type", "name_or_type") and op in entries:
            return op
        return None

    def excluded(self, name: str, op: str | None) -> bool:
        return any(self._matches(entry, name, op) for entry in self.exclude)

    def selects(self, name: str, op: str | None) -> bool:
        return (self.include is None or self.key(name, op) is not None) and not self.excluded(name, op)

    def select(self, items: Iterable[T], name_and_op=lambda item: item) -> list[T]:
        """The items (default: (name, op) pairs) this selector picks, in their order."""
        return [item for item in items if self.selects(*name_and_op(item))]

    def unknown(self, names: Sequence[str], ops: Iterable[str]) -> list[str]:
        """Entries (included or excluded) that can match nothing: not a node name / not an op."""
        valid = set()
        if self.by in ("name", "name_or_type"):
            valid |= set(names)
        if self.by in ("type", "name_or_type"):
            valid |= set(ops)
        if self.by == "regex_name":
            return []
        return [e for e in (*(self.include or ()), *self.exclude) if e not in valid]
