"""Which config applies to which node: by mase op type, by node name, or by node-name regex.

The quantize pass's arguments are `{"by": ..., "default": {"config": {...}}, "<key>":
{"config": {...}}}`: `<key>` is a mase op (`by="type"`), a node name (`by="name"`) or a regular
expression matched against node names (`by="regex_name"`, first match wins, in file order).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chop.errors import ConfigError, did_you_mean

BY = ("type", "name", "regex_name")
RESERVED = ("by", "default", "report")


def check_quantize_args(args: Mapping[str, Any]) -> None:
    """Shape checks that need no graph: `by`, and every entry being `{"config": {"name": ...}}`."""
    from chop.ir.taxonomy import known_ops

    by = args.get("by", "type")
    if by not in BY:
        raise ConfigError(f"Pass 'quantize': 'by' must be one of {', '.join(BY)}, got {by!r}."
                          f"{did_you_mean(str(by), BY)}")
    for key, entry in args.items():
        if key in ("by", "report"):
            continue
        if not isinstance(entry, Mapping) or set(entry) - {"config"}:
            raise ConfigError(f"Pass 'quantize': '{key}' must be a table with one key 'config', "
                              f"e.g. [passes.quantize.{key}.config].")
        config = entry.get("config") or {}
        if not isinstance(config, Mapping):
            raise ConfigError(f"Pass 'quantize': '{key}.config' must be a table.")
        if key == "default":
            continue
        if by == "type" and key not in known_ops():
            raise ConfigError(f"Pass 'quantize': '{key}' is not an op type."
                              f"{did_you_mean(key, known_ops())}")
        if by == "regex_name":
            try:
                re.compile(key)
            except re.error as exc:
                raise ConfigError(f"Pass 'quantize': '{key}' is not a valid regex ({exc}).") from None


def check_node_names(args: Mapping[str, Any], node_names: list[str]) -> None:
    """With `by="name"`, every key must name a node of the graph."""
    if args.get("by") != "name":
        return
    for key in args:
        if key not in RESERVED and key not in node_names:
            raise ConfigError(f"Pass 'quantize': the graph has no node '{key}'."
                              f"{did_you_mean(key, node_names)}")


def config_for(node_name: str, mase_op: str | None, args: Mapping[str, Any]) -> tuple[dict | None, bool]:
    """The config for a node and whether it was chosen for this node specifically (not default)."""
    by = args.get("by", "type")
    entry = None
    if by == "type":
        entry = args.get(mase_op) if mase_op not in RESERVED else None
    elif by == "name":
        entry = args.get(node_name)
    else:
        for key, value in args.items():
            if key not in RESERVED and re.fullmatch(key, node_name):
                entry = value
                break
    explicit = entry is not None
    if entry is None:
        entry = args.get("default")
    config = dict((entry or {}).get("config") or {})
    if config.get("name") is None:
        return None, explicit
    return config, explicit
