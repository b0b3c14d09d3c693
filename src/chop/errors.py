"""User-facing error types.

Anything a user can get wrong (a name, a file, a flag, a config key) raises a `ChopError`
subclass with a message that says what was wrong and what to do. The CLI prints that message as
one line and exits with code 2; every other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ChopError(Exception):
    """Base class of errors caused by user input; shown as one line, exit code 2."""

    exit_code = 2


class ConfigError(ChopError):
    """A configuration key, value or flag is invalid."""


class UnknownNameError(ChopError, KeyError):
    """A name (model, dataset, pass, format, ...) is not registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DataError(ChopError):
    """A data file is missing, corrupt or has the wrong schema."""


class CheckpointError(ChopError):
    """A checkpoint is missing, unreadable or does not fit the model."""


class DiskFullError(ChopError):
    """The disk (or quota) is full; what was written before is intact."""


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to `name`, or None when nothing is close."""
    matches = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """' Did you mean 'x'?' when a candidate is close, else a list of the valid names."""
    candidates = sorted(str(c) for c in candidates)
    best = closest(name, candidates)
    if best is not None:
        return f" Did you mean '{best}'?"
    if len(candidates) <= 12:
        return f" Valid: {', '.join(candidates)}."
    return ""
