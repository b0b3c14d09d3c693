"""Replaying a saved recipe: the transform passes that made a graph, applied again to its model.

A recipe (`recipe.json` beside a saved graph, or a checkpoint's `recipe`) is data read from a
file, so it is held to more than a TOML file is: it may name only registered *transform* passes,
each with arguments that pass the same static check as `[passes.<name>]`, and it may not set a
path argument. So loading a graph never runs an analysis pass, never writes a file, and never
imports code. Every step is checked before the first one runs; a bad recipe is one
CheckpointError line naming the file and the step.

    mg = graph_from_recipe(recipe)            # the model rebuilt and its transforms replayed
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from chop.errors import CheckpointError, ConfigError, UnknownNameError
from chop.ir.graph import MaseGraph
from chop.ir.serialize import rebuild_graph
from chop.passes.contract import check_args, run_pass, split_args
from chop.passes.registry import PASSES, PassEntry


def _step(where: str, index: int, step: Any) -> tuple[PassEntry, dict]:
    at = f"{where}: step {index + 1}"
    if not isinstance(step, (list, tuple)) or len(step) != 2:
        size = f"{len(step)} items" if isinstance(step, (list, tuple)) else type(step).__name__
        raise CheckpointError(f"{at} must be [pass_name, {{arguments}}], got {size}.")
    name, args = step
    if not isinstance(name, str) or not isinstance(args, Mapping):
        raise CheckpointError(f"{at} must be [pass_name, {{arguments}}], got [{type(name).__name__}, "
                              f"{type(args).__name__}].")
    try:
        entry = PASSES.get(name)
    except UnknownNameError as exc:
        raise CheckpointError(f"{at}: {exc} (a pass of your own must be registered before loading).") from None
    if entry.kind != "transform":
        raise CheckpointError(f"{at}: '{name}' is an analysis pass; a recipe may replay only transform passes.")
    for key in entry.paths:
        if args.get(key) is not None:
            raise CheckpointError(f"{at}: '{name}' sets the path '{key}'; a recipe may not name files.")
    try:
        static, _ = split_args(entry, args)
        check_args(entry, static)
    except ConfigError as exc:
        raise CheckpointError(f"{at}: {exc}") from None
    return entry, dict(args)


def recipe_steps(passes: Any, where: str = "recipe") -> list[tuple[PassEntry, dict]]:
    """The recipe's steps, every one checked (see the module docstring)."""
    if not isinstance(passes, list):
        raise CheckpointError(f"{where}: 'passes' must be a list of [pass_name, {{arguments}}] pairs, "
                              f"got {type(passes).__name__}.")
    return [_step(where, i, step) for i, step in enumerate(passes)]


def replay_passes(mg: MaseGraph, passes: Any, where: str = "recipe") -> MaseGraph:
    """`mg` with the recipe's transform passes applied again, in order."""
    for entry, args in recipe_steps(passes, where):
        try:
            mg, _ = run_pass(entry, mg, args)
        except ConfigError as exc:
            raise CheckpointError(f"{where}: replaying '{entry.name}' failed: {exc}") from None
    return mg


def graph_from_recipe(recipe: Any, model: torch.nn.Module | None = None, where: str = "recipe") -> MaseGraph:
    """Rebuild a graph (fresh weights) from a recipe: the model, then its transforms replayed."""
    if not isinstance(recipe, Mapping):
        raise CheckpointError(f"{where} must be a table, got {type(recipe).__name__}.")
    steps = recipe.get("passes", [])
    recipe_steps(steps, where)  # a bad recipe fails before the model is built
    return replay_passes(rebuild_graph(dict(recipe), model), steps, where)
