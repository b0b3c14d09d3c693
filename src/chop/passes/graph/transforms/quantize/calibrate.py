"""Post-training calibration: fractional widths chosen from the data for a given total width.

A config may say `"<operand>_frac_width" = "auto"` (integer/fixed formats). Weights and biases are
measured directly; inputs are measured by running calibration batches through the float graph.
The measured range r (max |x|, or a quantile of |x| to ignore outliers) sets the integer bits
i = floor(log2 r) + 1 (so r fits, sign bit aside) and frac = width - 1 - i (width - i unsigned),
clamped to what the format allows. The statistic "mse" instead picks, among that frac width and
the next few larger ones (which clip the largest values for a finer step), the one whose
quantization error sum((q(x) - x)**2) is least: at 2-4 bits a little clipping usually pays
(inputs are judged on a strided sample of up to 65,536 values per batch).

Signedness is read per operand, most specific key first (`data_in_0_is_signed`, then
`data_in_is_signed`, then the shared `is_signed`, default signed), as the format itself reads
it: an unsigned operand (e.g. the non-negative input after a ReLU) gets the sign bit as one
more fractional bit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torch import fx

from chop.errors import ConfigError
from chop.nn.learned import LEARNED, learned_frac_operands
from chop.nn.quantizers.integer import MAX_FRAC_WIDTH, MIN_FRAC_WIDTH, IntegerFormat
from chop.passes.args import draw_batches

AUTO = "auto"
CALIBRATION_DEFAULTS = {"statistic": "max", "quantile": 0.999, "num_batches": 4}
STATISTICS = ("max", "quantile", "mse")
#: "mse" tries the max-fitting frac width and this many larger ones.
MSE_EXTRA_FRAC_BITS = 4
MSE_SAMPLE = 65_536


def auto_operands(config: Mapping[str, Any]) -> list[str]:
    """Operands whose fractional width is "auto" in `config`, or "learned" (which starts where
    "auto" puts it)."""
    return [key[: -len("_frac_width")] for key, value in config.items()
            if key.endswith("_frac_width") and value in (AUTO, LEARNED)]


def frac_width_for(range_abs: float, width: int, signed: bool = True) -> int:
    """The fractional width that fits `range_abs` into `width` bits with the most precision.

    It follows the data however small it is (max|w| = 4.1e-4 in 8 signed bits: frac 18), within
    the fractional widths the format allows. An all-zero (or unmeasurable) range fits any
    fraction; it gets `width`, i.e. the range [-1/2, 1/2) signed, [0, 1) unsigned.
    """
    if not range_abs > 0 or not math.isfinite(range_abs):
        return width
    int_bits = math.floor(math.log2(range_abs)) + 1
    frac = width - int_bits - (1 if signed else 0)
    return max(MIN_FRAC_WIDTH, min(frac, MAX_FRAC_WIDTH))


def mse_frac_width(values: torch.Tensor, width: int, signed: bool = True) -> int:
    """The frac width, from the max-fitting one up to MSE_EXTRA_FRAC_BITS more, with the least
    squared quantization error on `values` (the smaller on a tie)."""
    values = values.detach().float().flatten()
    values = values[torch.isfinite(values)]
    start = frac_width_for(float(values.abs().max()) if values.numel() else 0.0, width, signed)
    best, best_error = start, math.inf
    for frac in range(start, min(start + MSE_EXTRA_FRAC_BITS, MAX_FRAC_WIDTH) + 1):
        error = float((IntegerFormat(width, frac, signed)(values) - values).square().sum())
        if error < best_error:
            best, best_error = frac, error
    return best


def sample(x: torch.Tensor) -> torch.Tensor:
    """Up to MSE_SAMPLE values of x, evenly strided (deterministic)."""
    flat = x.detach().float().flatten()
    return flat[:: flat.numel() // MSE_SAMPLE + 1] if flat.numel() > MSE_SAMPLE else flat.clone()


def measure(x: torch.Tensor, statistic: str, quantile: float) -> float | torch.Tensor:
    """The range of |x| ("max", "quantile"), or a sample of x to judge errors on ("mse")."""
    if statistic == "mse":
        return sample(x)
    x = x.detach().abs().float().flatten()
    if x.numel() == 0:
        return 0.0
    if statistic == "max":
        return float(x.max())
    if x.numel() > 1_000_000:  # torch.quantile's size limit; a strided sample is plenty
        x = x[:: x.numel() // 1_000_000 + 1]
    return float(torch.quantile(x, quantile))


def check_calibration(calibration: Mapping[str, Any] | None) -> dict:
    args = dict(CALIBRATION_DEFAULTS)
    for key, value in (calibration or {}).items():
        if key not in args:
            raise ConfigError(f"Pass 'quantize': calibration has no key '{key}'; keys: "
                              f"{', '.join(CALIBRATION_DEFAULTS)}.")
        args[key] = value
    if args["statistic"] not in STATISTICS:
        raise ConfigError(f"Pass 'quantize': calibration statistic must be 'max', 'quantile' or "
                          f"'mse', got {args['statistic']!r}.")
    return args


def _merge(old: float | torch.Tensor, new: float | torch.Tensor) -> float | torch.Tensor:
    if isinstance(new, torch.Tensor):
        return new if not isinstance(old, torch.Tensor) else torch.cat([old, new])
    return max(old, new)


class _InputRanges(fx.Interpreter):
    """Runs the graph and keeps, per node, the running max of each input's measured range (or,
    for "mse", its samples)."""

    def __init__(self, gm: fx.GraphModule, wanted: set[str], statistic: str, quantile: float):
        super().__init__(gm)
        self.wanted, self.statistic, self.quantile = wanted, statistic, quantile
        self.ranges: dict[str, list[float]] = {}

    def run_node(self, n: fx.Node) -> Any:
        if n.name in self.wanted:
            args, _ = self.fetch_args_kwargs_from_env(n)
            found = [measure(a, self.statistic, self.quantile) if isinstance(a, torch.Tensor) else 0.0
                     for a in args]
            old = self.ranges.get(n.name, [0.0] * len(found))
            self.ranges[n.name] = [_merge(a, b) for a, b in zip(old, found)]
        return super().run_node(n)


def input_ranges(gm: fx.GraphModule, nodes: set[str], batches: Iterable | None,
                 calibration: Mapping[str, Any]) -> dict[str, list[float]]:
    """Per node in `nodes`: the measured range of each positional input over the batches."""
    if not nodes:
        return {}
    batches = draw_batches("quantize", batches, calibration["num_batches"],
                           "calibration data for its 'auto' data_in frac widths")
    interp = _InputRanges(gm, nodes, calibration["statistic"], calibration["quantile"])
    was_training = gm.training
    gm.eval()
    with torch.no_grad():
        for batch in batches:
            if isinstance(batch, Mapping):
                interp.run(*batch.values())
            else:
                interp.run(batch)
    gm.train(was_training)
    return interp.ranges


def operand_field(config: Mapping[str, Any], operand: str, field: str, default: Any) -> Any:
    """`operand`'s value of a format field, the most specific key first: `data_in_0_<field>`,
    then `data_in_<field>`, then the shared `<field>` (as the quantized module reads them)."""
    keys = [f"{operand}_{field}"]
    if operand.startswith("data_in_"):
        keys.append(f"data_in_{field}")
    keys.append(field)
    for key in keys:
        if key in config and config[key] != "NA":
            return config[key]
    return default


def resolve_auto(config: dict, node_name: str, module: torch.nn.Module | None,
                 ranges: Mapping[str, list[float]], calibration: Mapping[str, Any]) -> dict:
    """`config` with every "auto" (or "learned") frac width replaced by a calibrated integer;
    the learned operands are listed under the key `learned`."""
    resolved = dict(config)
    learned = learned_frac_operands(config)
    if learned:
        resolved["learned"] = sorted(set(config.get("learned") or []) | set(learned))
    for operand in auto_operands(config):
        signed = bool(operand_field(config, operand, "is_signed", True))
        width = operand_field(config, operand, "width", None)
        if not isinstance(width, int):
            raise ConfigError(f"Pass 'quantize': '{operand}_frac_width' is '{config[operand + '_frac_width']}' for {node_name} "
                              f"but '{operand}_width' is not given.")
        if operand in ("weight", "bias"):
            tensor = getattr(module, operand, None) if module is not None else None
            value = measure(tensor, calibration["statistic"], calibration["quantile"]) if tensor is not None else 0.0
        else:
            index = int(operand.rsplit("_", 1)[1]) if operand.startswith("data_in_") else 0
            node_ranges = ranges.get(node_name, [])
            if operand == "data_in" and node_ranges:
                value = node_ranges[0]
                for other in node_ranges[1:]:
                    value = _merge(value, other)
            else:
                value = node_ranges[index] if index < len(node_ranges) else 0.0
        if isinstance(value, torch.Tensor):
            resolved[f"{operand}_frac_width"] = mse_frac_width(value, width, signed)
        else:
            resolved[f"{operand}_frac_width"] = frac_width_for(value, width, signed)
    return resolved
