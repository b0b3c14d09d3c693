"""Which config applies to which node: by mase op type, by node name, or by node-name regex.

The quantize pass's arguments are `{"by": ..., "default": {"config": {...}}, "<key>":
{"config": {...}}}`: `<key>` is a mase op (`by="type"`), a node name (`by="name"`) or a regular
expression matched against node names (`by="regex_name"`, first match wins, in file order):
the keys of one `chop.passes.select.NodeSelector`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chop.errors import ConfigError, did_you_mean
from chop.passes.select import NodeSelector

RESERVED = ("by", "default", "report")


def selector(args: Mapping[str, Any]) -> NodeSelector:
    """The node selector that the arguments' `by` and keys describe."""
    return NodeSelector(args.get("by", "type"), tuple(key for key in args if key not in RESERVED))


def check_node_names(args: Mapping[str, Any], node_names: list[str]) -> None:
    """With `by="name"`, every key must name a node of the graph."""
    if args.get("by") != "name":
        return
    for key in selector(args).unknown(node_names, ()):
        raise ConfigError(f"Pass 'quantize': the graph has no node '{key}'."
                          f"{did_you_mean(key, node_names)}")


def config_for(node_name: str, mase_op: str | None, args: Mapping[str, Any],
               chosen: NodeSelector | None = None) -> tuple[dict | None, bool]:
    """The config for a node and whether it was chosen for this node specifically (not default)."""
    key = (chosen or selector(args)).key(node_name, mase_op)
    entry = args[key] if key is not None else None
    explicit = entry is not None
    if entry is None:
        entry = args.get("default")
    config = dict((entry or {}).get("config") or {})
    if config.get("name") is None:
        return None, explicit
    return config, explicit
