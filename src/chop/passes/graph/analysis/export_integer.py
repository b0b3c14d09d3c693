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

from chop.export.format import float_weights_bytes
from chop.export.lower import export_integer
from chop.export.program import ON_INEXACT
from chop.passes.args import require_choice
from chop.passes.registry import register_pass

logger = logging.getLogger(__name__)
PASS = "export_integer"
DEFAULTS = {"save_path": None, "on_inexact": "error"}


def _check(args: Mapping[str, Any]) -> None:
    require_choice(PASS, "on_inexact", args["on_inexact"], ON_INEXACT)


@register_pass(PASS, DEFAULTS, check=_check, paths={"save_path": "file"})
def export_integer_analysis_pass(graph, args):
    """Export `graph` as an integer program; returns (graph, {"program", "save_path", "bytes",
    "float_bytes", "text"})."""
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

