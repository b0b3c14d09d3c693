"""The integer program being built: its ops, its integer tensors, and the running value's format.

While the exporter walks the graph it holds one fixed-point value (the output of the last op):
its frac width `frac` and the range [`low`, `high`] of its integers (proven from the formats
and the exported weights). Before the first
quantizer the value is still float (`frac is None`); the ops met there (ReLU, Flatten, MaxPool,
Dropout) commute with quantization (`q(relu(x)) == relu(q(x))` because `q` is monotone and
`q(0) == 0`; reshapes and max-pooling only move or compare values), so the program quantizes
its input with the FIRST quantizer's format and runs them on integers.

Bit-exactness condition. The fake-quantized model computes in float32, which holds every integer
multiple of 2**-F exactly only up to 2**24 of them. An accumulation whose partial sums all stay
within 2**24 units of 2**-F is exact in float32 in any summation order, and then the integer
program (exact int64 arithmetic) gives the same bits. `check_exact` enforces this on every value
the program computes or requantizes to, from the exported weights (`bound` is a proven bound on
|integer|, not an estimate); beyond it the exporter refuses (`on_inexact="error"`) or warns and
exports the exact integer program anyway (`"warn"`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx

from chop.errors import ConfigError
from chop.export.arith import magnitude_bound, requantize, to_integers
from chop.nn.quantizers import IntegerFormat

logger = logging.getLogger(__name__)

#: float32 represents every integer of magnitude <= 2**24 exactly.
EXACT_LIMIT = 2**24
ON_INEXACT = ("error", "warn")
PROGRAM_FORMAT = "machop.IntegerProgram"
PROGRAM_VERSION = 1


@dataclass
class ProgramBuilder:
    """The ops and tensors of an integer program, built node by node."""

    on_inexact: str = "error"
    ops: list[dict[str, Any]] = field(default_factory=list)
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    tensor_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    input_format: IntegerFormat | None = None
    frac: int | None = None
    low: int = 0
    high: int = 0

    @property
    def bound(self) -> int:
        """The largest |integer| the running value can hold."""
        return max(-self.low, self.high)

    @property
    def quantized(self) -> bool:
        return self.frac is not None

    def check_exact(self, node: fx.Node, what: str, bound: int, frac: int) -> None:
        """Refuse (or warn about) a value that float32 may not hold exactly."""
        if bound <= EXACT_LIMIT:
            return
        message = (
            f"export_integer: node '{node.name}': {what} can reach {bound} units of 2^-{frac} "
            f"(about 2^{math.log2(bound):.1f}), beyond the 2^24 that float32 holds exactly, so "
            "the fake-quantized float32 model may round there and the integer program (exact "
            "int64) would not match it bit for bit. Use narrower widths or fewer features, or "
            "export anyway with on_inexact='warn'."
        )
        if self.on_inexact == "error":
            raise ConfigError(message)
        logger.warning("%s", message)

    def quantize_to(self, node: fx.Node, spec: IntegerFormat) -> None:
        """Requantize the running value to `spec` (the first quantizer sets the input format).

        A requantization that cannot change any value (same frac, range already inside the
        format's, e.g. after a ReLU of a value in that format) is left out.
        """
        self.check_exact(node, f"the {spec} format", magnitude_bound(spec), spec.frac_width)
        if not self.quantized:
            self.input_format = spec
            self.frac, self.low, self.high = spec.frac_width, spec.int_min, spec.int_max
            return
        if self.frac == spec.frac_width and spec.int_min <= self.low <= self.high <= spec.int_max:
            return
        self.ops.append({"op": "requantize", "node": node.name, "frac_in": self.frac,
                         "format": spec.to_dict()})
        # Requantization is monotone: the new range is the requantized old one.
        ends = requantize(torch.tensor([self.low, self.high]), self.frac, spec).tolist()
        self.frac, (self.low, self.high) = spec.frac_width, ends

    def add_tensor(self, name: str, values: torch.Tensor, spec: IntegerFormat) -> torch.Tensor:
        """Store `spec(values)` as integers under `name`; returns them (int64)."""
        integers = to_integers(spec, values)
        self.tensors[name] = integers
        self.tensor_info[name] = {"shape": list(integers.shape), "width": spec.width,
                                  "signed": spec.is_signed, "frac": spec.frac_width}
        return integers

    def emit(self, op: dict[str, Any], frac: int | None = None,
             value_range: tuple[int, int] | None = None) -> None:
        """Append `op`; an op that changes the value also gives its frac and/or range."""
        self.ops.append(op)
        if frac is not None:
            self.frac = frac
        if value_range is not None:
            self.low, self.high = value_range

    def document(self) -> dict[str, Any]:
        """The JSON program (see `chop.export.format`)."""
        if self.input_format is None:
            raise ConfigError("export_integer: the graph has no integer-quantized op, so there "
                              "is nothing to export; quantize it with an 'integer' config first.")
        return {
            "format": PROGRAM_FORMAT,
            "version": PROGRAM_VERSION,
            "input_format": self.input_format.to_dict(),
            "ops": self.ops,
            "output_frac": self.frac,
            "tensors": self.tensor_info,
        }
