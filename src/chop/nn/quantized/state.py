"""Saving and rebuilding quantized modules without pickle: weights as safetensors, specs as JSON.

A quantized module's state_dict has exactly its float module's keys, so the weights go in a
plain safetensors file. The specs go beside it as JSON (`quant_state()` of each quantized
module, by module path), and are rebuilt on load on top of the float model:

    save_quantized(model, "out/")                 # out/model.safetensors, out/quantization.json
    model = load_quantized(float_model, "out/")   # float_model is not changed

Only classes from the quantizable-op table are ever built from saved names.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from safetensors.torch import load_model, save_model

from chop import atomic
from torch import nn

from chop.errors import CheckpointError, ConfigError
from chop.nn.learned import NAME as LEARNED_NAME
from chop.nn.learned import LearnedFixedPoint
from chop.nn.quantizers import spec_from_dict
from chop.nn.quantized.factory import QuantizedModule, quantized_class, with_specs
from chop.nn.quantized.ops import op_for_path

WEIGHTS_FILE = "model.safetensors"
SPECS_FILE = "quantization.json"
STATE_VERSION = 1


def quant_state(module: nn.Module) -> dict[str, Any]:
    """The JSON-able state of one quantized module (see QuantizedModule.quant_state)."""
    if not isinstance(module, QuantizedModule):
        raise ConfigError(f"{type(module).__name__} is not a quantized module.")
    return module.quant_state()


def rebuild(float_module: nn.Module | None, state: Mapping[str, Any]) -> nn.Module:
    """The quantized module described by `state`, on a copy of `float_module`.

    `float_module` supplies the shapes and settings (its weights are copied too; load the saved
    ones afterwards); it may be None for ops built without arguments (add, matmul, ReLU, ...).
    """
    try:
        op = op_for_path(state["float_class"])
        format_name, config, spec_dicts = state["format"], state["config"], state["specs"]
    except (KeyError, TypeError) as error:
        raise CheckpointError(f"Malformed quantized-module state: missing {error}.") from None
    if float_module is None:
        try:
            float_module = op.float_class()
        except TypeError:
            raise ConfigError(f"Rebuilding a quantized {op.float_class.__name__} needs the float "
                              "module (its constructor takes arguments).") from None
    actual = float_module.float_class if isinstance(float_module, QuantizedModule) \
        else type(float_module)
    if actual is not op.float_class:
        raise CheckpointError(f"The saved quantized module is a {op.float_class.__name__}, but "
                              f"the model has a {actual.__name__} there.")
    specs = {operand: saved_spec(data) for operand, data in spec_dicts.items()}
    return with_specs(float_module, quantized_class(op.float_class, format_name), specs, config)


def saved_spec(data: Mapping[str, Any]) -> Any:
    """A spec from its saved dict: a number format, or a learned fixed-point learner."""
    if isinstance(data, Mapping) and data.get("name") == LEARNED_NAME:
        return LearnedFixedPoint.from_dict(dict(data))
    return spec_from_dict(data)


def quant_states(model: nn.Module) -> dict[str, dict[str, Any]]:
    """{module path: quant_state} for every quantized submodule of `model`."""
    return {name: module.quant_state() for name, module in model.named_modules()
            if isinstance(module, QuantizedModule)}


def rebuild_model(model: nn.Module, states: Mapping[str, Mapping[str, Any]]) -> nn.Module:
    """A copy of `model` with the quantized modules of `states` in place (or added)."""
    rebuilt = copy.deepcopy(model)
    for path, state in states.items():
        parent_path, _, child = path.rpartition(".")
        try:
            parent = rebuilt.get_submodule(parent_path)
        except AttributeError:
            raise CheckpointError(f"The model has no submodule '{parent_path}' for the saved "
                                  f"quantized module '{path}'.") from None
        float_module = getattr(parent, child, None)
        if float_module is not None and not isinstance(float_module, nn.Module):
            raise CheckpointError(f"'{path}' is not a module in this model.")
        try:
            setattr(parent, child, rebuild(float_module, state))
        except ConfigError as error:
            if float_module is not None:
                raise
            raise CheckpointError(f"The model has no module '{path}' for the saved quantized "
                                  f"module there ({error})") from None
    return rebuilt


def save_quantized(model: nn.Module, directory: str | Path) -> Path:
    """Write `model`'s weights (safetensors) and its quantization specs (JSON)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with atomic.replacing(directory / WEIGHTS_FILE) as tmp:
        save_model(model, str(tmp))
    document = {"version": STATE_VERSION, "modules": quant_states(model)}
    atomic.write_text(directory / SPECS_FILE, json.dumps(document, indent=2, sort_keys=True))
    return directory


def load_quantized(float_model: nn.Module, directory: str | Path) -> nn.Module:
    """The quantized model saved by `save_quantized`, rebuilt on a copy of `float_model`."""
    directory = Path(directory)
    for name in (WEIGHTS_FILE, SPECS_FILE):
        if not (directory / name).is_file():
            raise CheckpointError(f"{directory / name} does not exist; save with save_quantized.")
    try:
        document = json.loads((directory / SPECS_FILE).read_text())
    except json.JSONDecodeError as error:
        raise CheckpointError(f"{directory / SPECS_FILE} is not valid JSON: {error}.") from None
    if document.get("version") != STATE_VERSION:
        raise CheckpointError(f"{directory / SPECS_FILE} has version "
                              f"{document.get('version')!r}; this machop reads {STATE_VERSION}.")
    model = rebuild_model(float_model, document["modules"])
    missing, unexpected = load_model(model, str(directory / WEIGHTS_FILE), strict=False)
    if missing or unexpected:
        raise CheckpointError(f"{directory / WEIGHTS_FILE} does not fit the model: missing "
                              f"{sorted(missing)}, unexpected {sorted(unexpected)}.")
    return model
