"""Checking the keyword options a dataset loader is given."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from chop.errors import ConfigError, did_you_mean


def reject_unknown_options(dataset: str, options: Mapping, known: Iterable[str] = ()) -> None:
    """Raise ConfigError naming the first option that loader `dataset` does not take."""
    for name in options:
        raise ConfigError(
            f"Dataset '{dataset}' has no option '{name}'.{did_you_mean(name, known)}"
        )
