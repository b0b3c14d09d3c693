"""Running a list of passes from a TOML-style dict: `run_passes(mg, {"report_graph": {}, ...})`.

Passes run in the dict's order (TOML keeps the file's order). A misspelled pass name or argument
is a ConfigError naming it, raised before any pass runs. `context` supplies values a TOML file
cannot hold (dummy inputs, an input generator): each pass that takes such an argument and was not
given it gets it from there. A pass taking `original_graph` gets the graph as it was before the
latest transform pass.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from chop.errors import ConfigError, UnknownNameError
from chop.passes.args import na_to_none, resolve_args
from chop.passes.registry import PASSES, PassEntry

logger = logging.getLogger(__name__)


def _entry(name: str) -> PassEntry:
    import chop.passes.graph  # noqa: F401  (registers the built-in passes)

    try:
        return PASSES.get(name)
    except UnknownNameError as exc:
        raise ConfigError(f"[passes.{name}]: {exc}") from None


def plan_passes(passes: Mapping[str, Mapping | None], context: Mapping[str, Any] | None = None) -> list[tuple[PassEntry, dict]]:
    """Each pass's entry and its checked arguments (with context filled in), in order."""
    if not isinstance(passes, Mapping):
        raise ConfigError(f"passes must be a table of pass names, got {type(passes).__name__}.")
    plan = []
    for name, given in passes.items():
        entry = _entry(name)
        args = dict(given or {})
        if entry.check is not None:
            entry.check(na_to_none(args))
        else:
            resolve_args(name, args, entry.defaults)  # fail early on a misspelled key
        for key, value in (context or {}).items():
            if key in entry.defaults and key not in args:
                args[key] = value
        plan.append((entry, args))
    return plan


def run_passes(mg, passes: Mapping[str, Mapping | None], context: Mapping[str, Any] | None = None):
    """Run `passes` on `mg` in order; returns the final graph and each pass's result by name."""
    results: dict[str, dict] = {}
    before_transform = mg
    for entry, args in plan_passes(passes, context):
        if "original_graph" in entry.defaults and args.get("original_graph") is None:
            args["original_graph"] = before_transform  # e.g. summarize: the graph before quantize
        logger.info("Running pass '%s'", entry.name)
        if entry.kind == "transform":
            before_transform = mg
        mg, results[entry.name] = entry.fn(mg, args)
    return mg, results
