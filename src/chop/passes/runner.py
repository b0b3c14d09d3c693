"""Running a list of passes from a TOML-style dict: `run_passes(mg, {"report_graph": {}, ...})`.

Passes run in the dict's order (TOML keeps the file's order). Every pass name and every argument
of the list is checked (`plan_passes`) before any pass runs, so a typo fails before anything
loads. `context` supplies what a TOML file cannot hold (dummy inputs, an input generator): each
pass gets the context values it declares. A pass declaring `original_graph` gets the graph as it
was before the latest transform pass.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from chop.errors import ConfigError, UnknownNameError
from chop.passes.contract import check_args, run_pass, split_args
from chop.passes.registry import PASSES, PassEntry

logger = logging.getLogger(__name__)


def pass_entry(name: str) -> PassEntry:
    """The registered pass `name`; an unknown name is a ConfigError naming the TOML table."""
    try:
        return PASSES.get(name)
    except UnknownNameError as exc:
        raise ConfigError(f"[passes.{name}]: {exc}") from None


def plan_passes(passes: Mapping[str, Mapping | None], context: Mapping[str, Any] | None = None) -> list[tuple[PassEntry, dict]]:
    """Each pass's entry and its given arguments, in order, after checking all of them."""
    if not isinstance(passes, Mapping):
        raise ConfigError(f"passes must be a table of pass names, got {type(passes).__name__}.")
    plan = []
    for name, given in passes.items():
        entry = pass_entry(name)
        if given is not None and not isinstance(given, Mapping):
            raise ConfigError(f"[passes.{name}] must be a table of arguments, got {type(given).__name__} "
                              f"{given!r:.40}.")
        static, _ = split_args(entry, given)
        check_args(entry, static)
        plan.append((entry, dict(given or {})))
    return plan


def run_passes(mg, passes: Mapping[str, Mapping | None], context: Mapping[str, Any] | None = None):
    """Run `passes` on `mg` in order; returns the final graph and each pass's result by name."""
    results: dict[str, dict] = {}
    before_transform = mg
    for entry, args in plan_passes(passes, context):
        logger.info("Running pass '%s'", entry.name)
        if entry.kind == "transform":
            before_transform = mg
        mg, results[entry.name] = run_pass(entry, mg, args, {**(context or {}), "original_graph": before_transform})
    return mg, results
