"""Checking pass arguments up front: unknown keys are errors, "NA" means None, nothing mutated.

TOML has no null, so the string "NA" stands for None at any depth of a pass's arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chop.errors import ConfigError, did_you_mean

NA = "NA"


def na_to_none(value: Any) -> Any:
    """A copy of nested dicts/lists with every "NA" replaced by None (other objects shared)."""
    if isinstance(value, str) and value == NA:
        return None
    if isinstance(value, Mapping):
        return {k: na_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [na_to_none(v) for v in value]
    return value


def resolve_args(pass_name: str, pass_args: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> dict:
    """The defaults updated by `pass_args`, as a new dict; an unknown key is a ConfigError."""
    if pass_args is None:
        pass_args = {}
    if not isinstance(pass_args, Mapping):
        raise ConfigError(
            f"Pass '{pass_name}' takes a dict of arguments, got {type(pass_args).__name__}."
        )
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
