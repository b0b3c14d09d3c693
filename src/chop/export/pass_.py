"""The `export_integer` pass: write a fixed-point quantized graph as a real integer model.

    mg = fold_batchnorm(mg)                          # chop.export: BatchNorm folded, in float
    mg, _ = quantize_transform_pass(mg, {...})       # integer formats everywhere it matters
    mg, result = export_integer_analysis_pass(mg, {"save_path": "out/model.int.safetensors"})
    result["program"](x)                             # bit-exact with mg.model.eval()(x)

TOML: `[passes.export_integer] save_path = "out/model.int.safetensors"`. An analysis pass: it
returns the graph it was given, unchanged, and writes the file if `save_path` is given. The
result also gives the file's size next to the float weights' safetensors size.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save as safetensors_bytes

from chop.export.lower import export_integer
from chop.export.program import ON_INEXACT
from chop.ir.graph import MaseGraph
from chop.passes.args import require_choice, resolve_args
from chop.passes.registry import register_pass

logger = logging.getLogger(__name__)
PASS = "export_integer"
DEFAULTS = {"save_path": None, "on_inexact": "error"}


def float_weights_bytes(model: torch.nn.Module) -> int:
    """Size of `model`'s state_dict as a safetensors file (every tensor stored as it is)."""
    state = {name: t.detach().cpu().clone().contiguous() for name, t in model.state_dict().items()}
    return len(safetensors_bytes(state))


def export_integer_analysis_pass(graph: MaseGraph, pass_args: Mapping[str, Any] | None = None):
    """Export `graph` as an integer program; returns (graph, {"program", "save_path", "bytes",
    "float_bytes", "text"})."""
    args = resolve_args(PASS, pass_args, DEFAULTS)
    require_choice(PASS, "on_inexact", args["on_inexact"], ON_INEXACT)
    program = export_integer(graph, on_inexact=args["on_inexact"])
    float_bytes = float_weights_bytes(graph.model)
    result: dict[str, Any] = {"program": program, "save_path": None, "bytes": None,
                              "float_bytes": float_bytes}
    text = f"Integer program: {len(program.ops)} ops; float weights {float_bytes} bytes"
    if args["save_path"] is not None:
        path = program.save(Path(args["save_path"]))
        result["save_path"], result["bytes"] = str(path), path.stat().st_size
        text += (f"; integer file {result['bytes']} bytes "
                 f"({result['bytes'] / float_bytes:.3f} of float) at {path}")
    result["text"] = text
    logger.info("%s", text)
    return graph, result


register_pass(PASS, DEFAULTS)(export_integer_analysis_pass)
