"""`add_hardware_metadata_analysis_pass`: what a hardware generator needs per node.

For each node: `is_implicit` (no hardware: inputs, outputs, shape-only ops), `parallelism` per
tensor operand (how many elements of each dimension a streaming interface carries per beat),
`interface` per parameter (`storage`, `transpose`), and `verilog_param`: Verilog-style parameter
names and values. Dimension 0 is the innermost (fastest-varying) one, as in hardware streaming:

    DATA_IN_0_PRECISION_0 = 32        DATA_IN_0_TENSOR_SIZE_DIM_0 = 16
    DATA_IN_0_PARALLELISM_DIM_0 = 4   WEIGHT_TENSOR_SIZE_DIM_1 = 5, ...
"""

from __future__ import annotations

from chop.errors import ConfigError
from chop.passes.graph.utils import common_metadata
from chop.passes.registry import register_pass

HARDWARE_DEFAULTS = {"max_parallelism": 4, "storage": "BRAM"}
IMPLICIT_TYPES = ("placeholder", "output", "get_attr", "implicit_func")
PARAMETER_NAMES = ("weight", "bias", "running_mean", "running_var")


def dim_parallelism(size: int, limit: int) -> int:
    """The largest divisor of `size` that is at most `limit` (a beat never straddles a row)."""
    for p in range(min(size, limit), 0, -1):
        if size % p == 0:
            return p
    return 1


def operand_parallelism(shape: list[int], limit: int) -> list[int]:
    """Per dimension, innermost first: the two innermost dimensions stream in parallel."""
    reversed_shape = list(reversed(shape))
    return [dim_parallelism(s, limit) if d < 2 else 1 for d, s in enumerate(reversed_shape)]


def verilog_params(name: str, operand: dict, parallelism: list[int]) -> dict[str, int]:
    prefix = name.upper()
    params = {f"{prefix}_PRECISION_{i}": int(p) for i, p in enumerate(operand.get("precision") or [])}
    for d, size in enumerate(reversed(operand["shape"])):
        params[f"{prefix}_TENSOR_SIZE_DIM_{d}"] = int(size)
        params[f"{prefix}_PARALLELISM_DIM_{d}"] = parallelism[d]
    return params


def _check(args: dict) -> None:
    limit = args["max_parallelism"]
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigError(f"add_hardware_metadata: max_parallelism must be a positive int, got {limit!r}.")


@register_pass("add_hardware_metadata", HARDWARE_DEFAULTS, check=_check)
def add_hardware_metadata_analysis_pass(graph, args):
    """Annotate every node's hardware metadata; returns the same graph."""
    limit = args["max_parallelism"]
    for node in graph.fx_graph.nodes:
        common = common_metadata(node)
        hardware = {"is_implicit": common["mase_type"] in IMPLICIT_TYPES, "parallelism": {},
                    "interface": {}, "verilog_param": {}}
        for section in ("args", "results"):
            for name, operand in common.get(section, {}).items():
                if operand.get("shape") is None:
                    continue
                parallelism = operand_parallelism(operand["shape"], limit)
                hardware["parallelism"][name] = parallelism
                hardware["verilog_param"].update(verilog_params(name, operand, parallelism))
                if name in PARAMETER_NAMES:
                    hardware["interface"][name] = {"storage": args["storage"], "transpose": False}
        node.meta["mase"]["hardware"] = hardware
    return graph, {}
