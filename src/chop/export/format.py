"""The integer model file: ONE safetensors file holding packed integers and the JSON program.

- Tensors: each integer tensor of the program (weights, biases, BatchNorm scales and shifts) is
  stored under its name (`<node>.weight`, `<node>.bias`) as a 1-d uint8 tensor, its integers
  packed to their bit width (see `pack.py` for the bit order). A w-bit weight costs w/8 bytes.
- Metadata: the safetensors header's `__metadata__` (a str -> str map) holds
  `"format": "machop.IntegerProgram"`, `"version": "1"` and `"program"`: the JSON document

      {"format", "version",
       "input_format": {"name": "integer", "width", "frac_width", "is_signed", "rounding"},
       "ops": [{"op": "linear" | "conv2d" | "channel_affine" | "requantize" | "relu" |
                "flatten" | "max_pool1d" | "max_pool2d", "node": graph node name, ...}],
       "output_frac": frac width of the result,
       "tensors": {name: {"shape", "width", "signed", "frac"}}}

  Multiply-accumulate ops carry "weight", "bias" (tensor names or null), "product_shift" and
  "bias_shift" (left shifts to the accumulator frac); "requantize" carries "frac_in" and the
  target "format"; conv2d carries "pad" (F.pad order), "stride", "dilation", "groups".

Read it with `safetensors.safe_open(path, "pt").metadata()["program"]`. Nothing is pickled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as safetensors_bytes
from safetensors.torch import save_file

from chop.errors import CheckpointError
from chop.export.pack import pack_bits, unpack_bits
from chop.export.program import PROGRAM_FORMAT, PROGRAM_VERSION


def save_program(document: dict[str, Any], tensors: dict[str, torch.Tensor],
                 path: str | Path) -> Path:
    """Write `document` and its `tensors` (packed) to `path`; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    packed = {}
    for name, info in document["tensors"].items():
        packed[name] = pack_bits(tensors[name], info["width"], info["signed"])
    metadata = {"format": PROGRAM_FORMAT, "version": str(PROGRAM_VERSION),
                "program": json.dumps(document, separators=(",", ":"))}
    from chop import atomic

    with atomic.replacing(path) as tmp:
        save_file(packed, str(tmp), metadata=metadata)
    return path


def read_document(path: str | Path) -> dict[str, Any]:
    """The JSON program stored in an integer model file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"'{path}' does not exist; write it with IntegerProgram.save.")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
    except (SafetensorError, OSError) as error:
        raise CheckpointError(f"'{path}' is not a safetensors file: {error}") from None
    if metadata.get("format") != PROGRAM_FORMAT:
        raise CheckpointError(f"'{path}' is not a {PROGRAM_FORMAT} file (it may be a float "
                              "checkpoint); export one with export_integer(mg).save(path).")
    if metadata.get("version") != str(PROGRAM_VERSION):
        raise CheckpointError(f"'{path}' has program version {metadata.get('version')!r}; "
                              f"this machop reads version {PROGRAM_VERSION}.")
    try:
        return json.loads(metadata["program"])
    except (KeyError, json.JSONDecodeError) as error:
        raise CheckpointError(f"'{path}' has no readable program: {error}") from None


def load_program(path: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(document, int64 tensors) of the integer model file at `path`."""
    document = read_document(path)
    tensors = {}
    with safe_open(str(path), framework="pt") as handle:
        stored = set(handle.keys())
        for name, info in document["tensors"].items():
            if name not in stored:
                raise CheckpointError(f"'{path}' lacks the tensor '{name}' its program uses.")
            try:
                tensors[name] = unpack_bits(handle.get_tensor(name), info["shape"],
                                            info["width"], info["signed"])
            except ValueError as error:
                raise CheckpointError(f"'{path}': tensor '{name}' is corrupt: {error}") from None
    return document, tensors


def float_weights_bytes(model: torch.nn.Module) -> int:
    """Size of `model`'s state_dict as a safetensors file (every tensor stored as it is), the
    float baseline an integer file is compared with."""
    state = {name: t.detach().cpu().clone().contiguous() for name, t in model.state_dict().items()}
    return len(safetensors_bytes(state))
