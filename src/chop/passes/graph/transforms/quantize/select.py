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

RESERVED = ("by", "default", "report")


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
