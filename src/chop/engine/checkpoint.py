"""Training checkpoints: what they hold, how they load, and the checks that they fit.

A checkpoint is a plain dict loadable with `torch.load(weights_only=True)` (no pickled code):
the weights under `state_dict` with a `model.` prefix (the layout Lightning checkpoints use, so
`--load-type pl` reads both), plus the model name and dataset info so that loading can check
the checkpoint fits, and the optimizer and loop state so that training can resume.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from chop.dataset.info import DatasetInfo
from chop.errors import CheckpointError

FORMAT = "machop-ckpt-v1"
PREFIX = "model."


def make_checkpoint(
    model: nn.Module,
    model_name: str,
    dataset_info: DatasetInfo,
    **extra: Any,
) -> dict[str, Any]:
    state = {PREFIX + k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {
        "format": FORMAT,
        "model_name": model_name,
        "dataset_info": dataset_info.to_dict(),
        "state_dict": state,
        **extra,
    }


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint file safely; any failure is one clear CheckpointError."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"Checkpoint '{path}' is a directory; a ch transform output (transformed_ckpt) "
                              f"loads with --load-type mg, a training checkpoint is a .ckpt file.")
    if not path.is_file():
        raise CheckpointError(f"Checkpoint '{path}' does not exist; check the --load path.")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt file, or one that needs unsafe unpickling
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"Checkpoint '{path}' cannot be read safely ({first_line[:160]})."
        ) from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"Checkpoint '{path}' holds a {type(obj).__name__}, not a state dict.")
    _check_layout(obj, path)
    return obj


def _check_layout(ckpt: dict[str, Any], path: str | Path) -> None:
    """Refuse a checkpoint whose known entries have the wrong types (a damaged or hand-made file)."""
    from chop.models import saved_model_name

    if "model_name" in ckpt:
        saved_model_name(ckpt["model_name"], path)
    if "dataset_info" in ckpt:
        DatasetInfo.from_saved(ckpt["dataset_info"], path)
    if "state_dict" in ckpt:
        state = ckpt["state_dict"]
        if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                                  for k, v in state.items()):
            raise CheckpointError(f"Checkpoint '{path}' has a damaged 'state_dict' (a {type(state).__name__}, "
                                  f"not a table of named tensors); use a checkpoint saved by ch train.")


def weights_of(ckpt: dict[str, Any], load_type: str, path: str | Path = "") -> dict[str, torch.Tensor]:
    """The model's state dict inside a checkpoint of `load_type` ('pl' or 'pt')."""
    if load_type == "pl" or "state_dict" in ckpt:
        if "state_dict" not in ckpt:
            raise CheckpointError(
                f"Checkpoint '{path}' has no 'state_dict'; if it is a plain state dict use --load-type pt."
            )
        state = ckpt["state_dict"]
        if state and all(k.startswith(PREFIX) for k in state):
            state = {k[len(PREFIX):]: v for k, v in state.items()}
        return state
    if not all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise CheckpointError(f"Checkpoint '{path}' is not a plain state dict of tensors.")
    return ckpt


def check_fits(ckpt: dict[str, Any], model_name: str, dataset_info: DatasetInfo, path: str | Path) -> None:
    """Refuse a checkpoint made for another model or another dataset shape."""
    saved_model = ckpt.get("model_name")
    if saved_model is not None and saved_model != model_name:
        raise CheckpointError(
            f"Checkpoint '{path}' was trained for model '{saved_model}', not '{model_name}'; "
            f"pass the matching model name."
        )
    saved_info = ckpt.get("dataset_info")
    if saved_info is not None:
        info = DatasetInfo.from_saved(saved_info, path)
        if not info.same_interface(dataset_info):
            hint = ""
            if info.is_text and dataset_info.is_text and len(info.input_shape) == 1 \
                    and info.num_classes == dataset_info.num_classes:
                hint = f"; use --max-token-len {info.input_shape[0]}"
            raise CheckpointError(
                f"Checkpoint '{path}' was trained on '{info.name}' (input {tuple(info.input_shape)}, "
                f"{info.num_classes} classes), which does not fit '{dataset_info.name}' "
                f"(input {tuple(dataset_info.input_shape)}, {dataset_info.num_classes} classes){hint}."
            )


def load_weights(model: nn.Module, state: dict[str, torch.Tensor], path: str | Path) -> None:
    """Load `state` into `model` strictly, turning mismatches into one readable error."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing {missing[:3]}")
        if unexpected:
            parts.append(f"unexpected {unexpected[:3]}")
        if wrong:
            k = wrong[0]
            parts.append(f"shape of '{k}' is {tuple(state[k].shape)}, model has {tuple(own[k].shape)}")
        raise CheckpointError(
            f"Checkpoint '{path}' does not fit the model: {'; '.join(parts)}."
        )
    model.load_state_dict(state)


RESUME_KEYS = {"optimizer": dict, "epoch": int, "global_step": int, "tracker": dict}


def check_resumable(ckpt: dict[str, Any], optimizer: torch.optim.Optimizer, path: str | Path) -> None:
    """Refuse to resume from a checkpoint without the loop and optimizer state, or whose optimizer
    state does not fit the model's parameters (it would fail later, mid-step, or train on garbage)."""
    for key, kind in RESUME_KEYS.items():
        if not isinstance(ckpt.get(key), kind) or isinstance(ckpt.get(key), bool):
            raise CheckpointError(f"Checkpoint '{path}' cannot be resumed: its '{key}' is missing or not "
                                  f"{'a table' if kind is dict else 'a whole number'}; train without --resume (it keeps the old checkpoints aside).")
    saved = ckpt["optimizer"]
    params = [p for group in optimizer.param_groups for p in group["params"]]
    groups, state = saved.get("param_groups"), saved.get("state")
    if not isinstance(groups, list) or not isinstance(state, dict) or \
            sum(len(g.get("params", ())) for g in groups if isinstance(g, dict)) != len(params):
        raise CheckpointError(f"Checkpoint '{path}' holds optimizer state for another set of parameters; "
                              f"train without --resume, or resume with the same model and --optimizer.")
    for index, entries in state.items():
        if not isinstance(index, int) or not 0 <= index < len(params) or not isinstance(entries, dict):
            raise CheckpointError(f"Checkpoint '{path}' has damaged optimizer state; train without --resume.")
        for name, value in entries.items():
            if isinstance(value, torch.Tensor) and value.ndim > 0 and value.shape != params[index].shape:
                raise CheckpointError(
                    f"Checkpoint '{path}' has optimizer state '{name}' of shape {tuple(value.shape)} for a "
                    f"parameter of shape {tuple(params[index].shape)}; train without --resume.")
