"""Checking pass arguments up front: unknown keys are errors, "NA" means None, nothing mutated.

TOML has no null, so the string "NA" stands for None at any depth of a pass's arguments.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from chop.config import NA, na_to_none  # noqa: F401  ("NA" is TOML's None, here too)
from chop.errors import ConfigError, did_you_mean


def resolve_args(pass_name: str, pass_args: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> dict:
    """The defaults updated by `pass_args`, as a new dict; an unknown key is a ConfigError."""
    if pass_args is None:
        pass_args = {}
    if not isinstance(pass_args, Mapping):
        raise ConfigError(
            f"Pass '{pass_name}' takes a dict of arguments, got {type(pass_args).__name__}."
        )
    if pass_args and not defaults:
        raise ConfigError(f"Pass '{pass_name}' takes no arguments, got {sorted(map(str, pass_args))}.")
    for key in pass_args:
        if key not in defaults:
            raise ConfigError(
                f"Pass '{pass_name}' has no argument '{key}'.{did_you_mean(key, defaults)}"
            )
    args = dict(defaults)
    args.update(na_to_none(dict(pass_args)))
    return args


def require_choice(pass_name: str, key: str, value: Any, choices: tuple) -> None:
    """A ConfigError unless `value` is one of `choices`."""
    if value not in choices:
        raise ConfigError(
            f"Pass '{pass_name}': '{key}' must be one of {', '.join(map(repr, choices))}, "
            f"got {value!r}.{did_you_mean(str(value), map(str, choices))}"
        )


def draw_batches(pass_name: str, generator: Any, count: Any, what: str = "calibration batches") -> list[Any]:
    """Up to `count` batches from `generator` (an iterable); a missing or empty one is an error.

    Passes that look at data (statistics, activation pruning, PTQ calibration) take an
    `input_generator`; `ch transform` supplies one over the training split.
    """
    if generator is None:
        raise ConfigError(f"Pass '{pass_name}' needs {what}: pass 'input_generator' "
                          f"(ch transform supplies the training data).")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ConfigError(f"Pass '{pass_name}': the number of batches must be a positive int, got {count!r}.")
    batches = list(itertools.islice(iter(generator), count))
    if not batches:
        raise ConfigError(f"Pass '{pass_name}': input_generator gave no batch.")
    return batches
