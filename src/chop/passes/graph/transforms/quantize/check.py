"""The quantize pass's static check: its whole argument dict, number formats included, no graph.

One rule decides whether a quantization config is valid: the number format's own (a spec built
from the config's keys, e.g. `integer` allows frac_width up to width + 8). The pass checks every
config with it before anything loads, and the search space uses the same function to reject a
point (`search.spaces.quantize`; its `frac_le_width` is a narrowing of the searched values,
not a validity rule). Errors name the TOML table and the key:

    [passes.quantize.linear.config] weight_width=0 must be at least 1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chop.config import is_na
from chop.errors import ConfigError, did_you_mean
from chop.ir.taxonomy import known_ops
from chop.nn.learned import LEARNED, check_learn_options
from chop.nn.quantized.specs import check_config_keys, input_config
from chop.nn.quantizers import FORMATS, spec_from_config
from chop.passes.graph.transforms.quantize.select import selector

BY = ("type", "name", "regex_name")
AUTO = "auto"
# (operand prefix of the keys, input index or None, required)
_OPERANDS = (("data_in", 0, True), ("data_in", 1, False), ("weight", None, False),
             ("bias", None, False), ("data_out", None, False))
_FIELD_ERROR = re.compile(r"^[\w-]+: (\w+)=(.*)$", re.S)


def _key_of(field: str, prefix: str, index: int | None, config: Mapping[str, Any]) -> str:
    for key in ((f"data_in_{index}_{field}",) if index is not None else ()) + (f"{prefix}_{field}",):
        if key in config:
            return key
    return field


def _probe(config: Mapping[str, Any]) -> dict:
    """The config with "auto"/"learned" fractional widths (calibrated later) replaced by a valid
    stand-in."""
    return {k: 0 if isinstance(k, str) and k.endswith("frac_width") and v in (AUTO, LEARNED) else v
            for k, v in config.items()}


def check_format_config(config: Mapping[str, Any]) -> None:
    """A ConfigError naming the key when `config` ({"name": format, "<operand>_<field>": ...})
    is not a valid quantization config; formats "NA"/None (no quantization) pass."""
    if not isinstance(config, Mapping):
        raise ConfigError(f"a quantization config is a table, got {type(config).__name__}.")
    name = config.get("name")
    if is_na(name):
        return
    if not isinstance(name, str) or name not in FORMATS:
        raise ConfigError(f"name={name!r} is not a number format.{did_you_mean(str(name), FORMATS.names())}")
    check_learn_options(config)
    check_config_keys(config)
    probe = _probe(config)
    for prefix, index, required in _OPERANDS:
        operand_config = input_config(probe, index) if index is not None else probe
        try:
            spec_from_config(operand_config, prefix, optional=not required)
        except ConfigError as exc:
            found = _FIELD_ERROR.match(str(exc))
            if found is None:
                raise
            field, rest = found.groups()
            raise ConfigError(f"{_key_of(field, prefix, index, config)}={rest}") from None


def _check_entry(key: str, entry: Any, by: str) -> None:
    if not isinstance(entry, Mapping) or set(entry) - {"config"}:
        raise ConfigError(f"Pass 'quantize': '{key}' must be a table with one key 'config', "
                          f"e.g. [passes.quantize.{key}.config].")
    config = entry.get("config") or {}
    if not isinstance(config, Mapping):
        raise ConfigError(f"Pass 'quantize': '{key}.config' must be a table.")
    if key != "default" and by == "type" and key not in known_ops():
        raise ConfigError(f"Pass 'quantize': '{key}' is not an op type.{did_you_mean(key, known_ops())}")
    try:
        check_format_config(config)
    except ConfigError as exc:
        raise ConfigError(f"[passes.quantize.{key}.config] {exc}") from None


def check_quantize_args(args: Mapping[str, Any]) -> None:
    """`by`, and every entry being `{"config": {...}}` with a valid number-format config."""
    by = args.get("by", "type")
    if by not in BY:
        raise ConfigError(f"Pass 'quantize': 'by' must be one of {', '.join(BY)}, got {by!r}."
                          f"{did_you_mean(str(by), BY)}")
    for key, entry in args.items():
        if key not in ("by", "report"):
            _check_entry(key, entry, by)
    try:
        selector(args)  # the keys as node selector entries: regexes compile
    except ConfigError as exc:
        raise ConfigError(f"Pass 'quantize': {exc}") from None
