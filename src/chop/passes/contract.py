"""The pass contract: what happens around every pass body, the same for the Python API, TOML and replay.

`run_pass(entry, graph, pass_args, context)`:
1. the graph must be a MaseGraph and `pass_args` a dict (or None): a ConfigError otherwise;
2. context keys the pass declares (dummy_in, input_generator, ...) are taken out of `pass_args`
   or from `context`; the rest is checked statically (`check_args`), as before anything loads;
3. path arguments must not name a directory where a file goes, or a file where a directory goes;
4. the metadata the pass needs is ensured (on the working copy for a transform);
5. the body runs: an analysis pass on the graph, which it must return; a transform pass on a
   private working copy, which it returns edited. The runner then derives the new graph and
   records `[name, args]` in its recipe (the static arguments plus, under "recorded", any state
   the body returned as `result["recorded"]`), so that replay rebuilds the same graph.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chop.config import na_to_none
from chop.errors import ChopError, ConfigError, did_you_mean
from chop.ir.graph import MaseGraph
from chop.passes.args import resolve_args
from chop.passes.needs import ensure_needs

if TYPE_CHECKING:
    from chop.passes.registry import PassEntry

RECORDED = "recorded"


class PassContractError(ChopError):
    """A pass body broke its declared kind (a bug in that pass, named in the message)."""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_graph(entry: PassEntry, graph: Any) -> None:
    if isinstance(graph, MaseGraph):
        return
    what = "None" if graph is None else type(graph).__name__
    hint = " Wrap the model first: mg = MaseGraph(model)." if hasattr(graph, "named_modules") else ""
    raise ConfigError(f"{entry.fn.__name__} (pass '{entry.name}') takes a MaseGraph as its first "
                      f"argument, got {what}.{hint}")


def split_args(entry: PassEntry, pass_args: Any) -> tuple[dict, dict]:
    """(static arguments, context values given directly) of a call's `pass_args`."""
    if pass_args is None:
        return {}, {}
    if not isinstance(pass_args, Mapping):
        raise ConfigError(
            f"{entry.fn.__name__} (pass '{entry.name}') takes a dict of arguments, as in "
            f"[passes.{entry.name}], got {type(pass_args).__name__} {_shown(pass_args)}."
        )
    static = {k: v for k, v in pass_args.items() if k not in entry.context}
    given = {k: v for k, v in pass_args.items() if k in entry.context}
    return static, given


def check_args(entry: PassEntry, static: Mapping[str, Any]) -> dict:
    """The pass's arguments checked without a graph: defaults filled in, "NA" -> None, checked."""
    for key in static:
        if not isinstance(key, str):
            raise ConfigError(f"Pass '{entry.name}': argument names are strings, got {_shown(key)}.")
    if entry.open_keys:
        args = {**entry.defaults, **na_to_none(dict(static))}
    else:
        valid = [*entry.defaults, *(key for key in entry.context if key != RECORDED)]
        for key in static:
            if key not in entry.defaults and entry.context:
                raise ConfigError(f"Pass '{entry.name}' has no argument '{key}'.{did_you_mean(key, valid)}")
        args = resolve_args(entry.name, static, entry.defaults)
    if entry.check is not None:
        checked = entry.check(args)
        if checked is not None:
            args = checked
    return args


def check_paths(entry: PassEntry, args: Mapping[str, Any]) -> None:
    for key, kind in entry.paths.items():
        value = args.get(key)
        if value is None:
            continue
        if not isinstance(value, (str, Path)) or not str(value):
            raise ConfigError(f"Pass '{entry.name}': '{key}' must be a path, got {_shown(value)}.")
        path = Path(value)
        if kind == "file" and path.is_dir():
            raise ConfigError(f"Pass '{entry.name}': {key}='{path}' is a directory; give a file name.")
        if kind == "dir" and path.exists() and not path.is_dir():
            raise ConfigError(f"Pass '{entry.name}': {key}='{path}' is an existing file; give a directory "
                              f"(it is created if missing).")


def working_copy(graph: MaseGraph) -> MaseGraph:
    """A MaseGraph over a deep copy of `graph`'s model and metadata, same name and recipe."""
    work = MaseGraph(graph.copy_model(), model_name=graph.model_name, dataset_info=graph.dataset_info)
    work.trace_options = dict(graph.trace_options)
    work.applied_passes = list(graph.applied_passes)
    return work


def _context(entry: PassEntry, graph: MaseGraph, given: Mapping, context: Mapping | None) -> dict:
    values = {key: given.get(key, (context or {}).get(key)) for key in entry.context}
    if entry.kind == "transform" and "original_graph" in values and values["original_graph"] is None:
        values["original_graph"] = graph
    return values


def run_pass(entry: PassEntry, graph: Any, pass_args: Any = None, context: Mapping | None = None):
    """Run one pass under the contract; returns (graph, result)."""
    check_graph(entry, graph)
    static, given = split_args(entry, pass_args)
    args = check_args(entry, static)
    check_paths(entry, args)
    args.update(_context(entry, graph, given, context))
    if entry.kind == "analysis":
        ensure_needs(graph, entry.needs)
        out, result = entry.body(graph, args)
        if out is not graph:
            raise PassContractError(f"Analysis pass '{entry.name}' must return the graph it was given.")
        return graph, _result(entry, result)
    work = working_copy(graph)
    ensure_needs(work, entry.needs)
    out, result = entry.body(work, args)
    if not isinstance(out, MaseGraph) or out is graph or out.model is graph.model:
        raise PassContractError(f"Transform pass '{entry.name}' must return its edited working copy, "
                                f"not its input graph.")
    result = _result(entry, result)
    recipe_args = copy.deepcopy(na_to_none(static))
    recorded = result.pop(RECORDED, None)
    if recorded is not None:
        recipe_args[RECORDED] = recorded
    return graph.derive(out.model, entry.name, recipe_args), result


def _result(entry: PassEntry, result: Any) -> dict:
    if not isinstance(result, dict):
        raise PassContractError(f"Pass '{entry.name}' must return (graph, dict), got a {type(result).__name__}.")
    return result


def public_function(entry: PassEntry):
    """The function users call: `fn(graph, pass_args=None) -> (graph, result)`."""

    def fn(graph, pass_args=None, *more, **keywords):
        if entry.adapt is not None:
            graph, pass_args = entry.adapt(graph, pass_args, *more, **keywords)
        elif more or keywords:
            extra = sorted(keywords) or [f"{len(more)} more positional"]
            raise ConfigError(f"{fn.__name__} takes (graph, pass_args); put {extra} into the "
                              f"pass_args dict.{did_you_mean(str(extra[0]), entry.defaults)}")
        return run_pass(entry, graph, pass_args)

    functools.update_wrapper(fn, entry.body)
    return fn
