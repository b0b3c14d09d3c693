"""The model registry: `@register_model`, `get_model`, and importing users' model files."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from chop.dataset.info import DatasetInfo
from chop.errors import CheckpointError, ConfigError
from chop.models.info import ModelInfo
from chop.registry import Registry

Builder = Callable[[DatasetInfo], nn.Module]


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: its info and a builder `builder(dataset_info) -> nn.Module`."""

    info: ModelInfo
    builder: Builder


MODELS: Registry[ModelEntry] = Registry("model")


def register_model(name: str, info: ModelInfo | None = None, **info_fields):
    """Decorator registering a builder `f(dataset_info) -> nn.Module` under `name`.

    Either pass a `ModelInfo` (its name must equal `name`) or its fields as keywords:
    `@register_model("jsc-big", source="user", default_dataset="jsc")`.
    """
    if info is None:
        info = ModelInfo(name=name, **info_fields)
    elif info_fields:
        raise ConfigError("register_model: give either info=ModelInfo(...) or its fields, not both.")
    if info.name != name:
        raise ConfigError(
            f"Model registered as '{name}' but its info is named '{info.name}'; make them equal."
        )

    def wrap(builder: Builder) -> Builder:
        MODELS.register(name, ModelEntry(info=info, builder=builder))
        return builder

    return wrap


def get_model_info(name: str) -> ModelInfo:
    return MODELS.get(name).info


def get_model(name: str, dataset_info: DatasetInfo | None = None, *, task: str | None = None,
              pretrained: bool = False) -> nn.Module:
    """Build model `name` for `dataset_info` (default: the model's own default dataset).

    `task` and `pretrained` follow MASE's `get_model(name, task=, dataset_info=, pretrained=)`:
    a task other than the model's, or pretrained weights (none are registered; load a checkpoint
    with `chop.tools.checkpoint_load.load_model`), are refused with one line.
    """
    entry = MODELS.get(name)
    if task is not None and _task(task) != _task(entry.info.task):
        raise ConfigError(f"Model '{name}' is for task '{entry.info.task}', not '{task}'.")
    if pretrained:
        raise ConfigError(f"Model '{name}' has no pretrained weights here; build it with pretrained=False "
                          f"and load a checkpoint (load_model(CKPT, 'pl', model)).")
    if dataset_info is None:
        from chop.dataset import get_dataset_info

        dataset_info = get_dataset_info(entry.info.default_dataset)
    return entry.builder(dataset_info)


def _task(task: str) -> str:
    return "cls" if task == "classification" else task


def import_model_file(path: str | Path) -> None:
    """Import a user's Python file so that its `@register_model` decorators run.

    Importing the same file twice is a no-op, so a TOML list and a `file.py:name` model can both
    name it.
    """
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"Model file '{path}' does not exist; give the path of a .py file.")
    module_name = f"chop_user_models_{abs(hash(str(path)))}"
    if module_name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"Model file '{path}' cannot be imported; is it a Python file?")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except ConfigError:
        del sys.modules[module_name]
        raise
    except Exception as exc:
        del sys.modules[module_name]
        raise ConfigError(f"Importing model file '{path}' failed: {type(exc).__name__}: {exc}") from exc




def is_file_spec(spec: str) -> bool:
    """True for `'file.py:name'`, the form that imports a user's file."""
    return ":" in spec and spec.split(":", 1)[0].endswith(".py")


def resolve_model_name(spec: str) -> str:
    """`'file.py:name'` imports the file and returns `'name'`; a plain name is returned as is.

    Only for names the user typed (command line, their TOML): a name read from a loaded file
    goes through `saved_model_name`, which never imports.
    """
    if is_file_spec(spec):
        file, name = spec.split(":", 1)
        import_model_file(file)
        return name
    return spec


def saved_model_name(value: object, source: object) -> str:
    """A model name read from a loaded artefact (checkpoint, recipe): a plain name, never a file.

    A checkpoint is data; if it could say `payload.py:net`, loading it would run that file. Models
    from the user's own files are registered by the user's `--model-file` / `model_files`.
    """
    if not isinstance(value, str) or not value.strip():
        raise CheckpointError(f"'{source}' names its model as {value!r}, not a model name; the file is damaged.")
    if is_file_spec(value):
        raise CheckpointError(
            f"'{source}' names model '{value}', a path to code; a saved file may only name a registered "
            f"model. Register your model yourself: --model-file FILE.py (or model_files in the TOML).")
    return value
