"""The integer executor: `IntegerProgram.load(path)(x_float) -> float tensor`.

A program is its JSON document (see `format.py`) plus int64 tensors. Calling it:
1. quantizes the float input with the program's input format (the first quantizer of the
   graph: the same `IntegerFormat` the fake-quantized model uses) and takes its integers;
2. runs every op on int64 tensors (vectorised torch; matmuls and convolutions accumulate in
   int64, shifts are exact, requantization is a rounding right shift plus saturation);
3. dequantizes the result: `integers * 2**-output_frac`, in the input's float dtype.

Each op name maps to a kernel factory in `KERNELS` (one Registry): `factory(op, tensors)`
returns the function int64 tensor -> int64 tensor that the op performs. Programs run on the CPU;
an input on another device is moved there and the result moved back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from chop.errors import CheckpointError, ChopError
from chop.export.arith import dequantize, requantize, to_integers
from chop.nn.quantizers import IntegerFormat
from chop.registry import Registry

Kernel = Callable[[torch.Tensor], torch.Tensor]
KernelFactory = Callable[[dict, Mapping[str, torch.Tensor]], Kernel]
KERNELS: Registry[KernelFactory] = Registry("integer program op")


def _bias_adder(op: dict, tensors: Mapping[str, torch.Tensor], view: tuple[int, ...]):
    """acc -> (acc << product_shift) + (bias << bias_shift), the bias viewed as `view`."""
    product_shift = op["product_shift"]
    bias = None if op["bias"] is None else (tensors[op["bias"]] << op["bias_shift"]).view(view)

    def finish(acc: torch.Tensor) -> torch.Tensor:
        if product_shift:
            acc = acc << product_shift
        return acc if bias is None else acc + bias

    return finish


@KERNELS.register("linear")
def linear_kernel(op: dict, tensors: Mapping[str, torch.Tensor]) -> Kernel:
    weight_t = tensors[op["weight"]].t().contiguous()
    finish = _bias_adder(op, tensors, (-1,))
    return lambda a: finish(a @ weight_t)


@KERNELS.register("conv2d")
def conv2d_kernel(op: dict, tensors: Mapping[str, torch.Tensor]) -> Kernel:
    weight = tensors[op["weight"]]
    out_channels, group_channels, kh, kw = weight.shape
    groups, (sh, sw), (dh, dw) = op["groups"], op["stride"], op["dilation"]
    grouped = weight.view(groups, out_channels // groups, group_channels, kh, kw)
    finish = _bias_adder(op, tensors, (1, -1, 1, 1))

    def conv(a: torch.Tensor) -> torch.Tensor:
        n = a.shape[0]
        padded = F.pad(a, op["pad"])
        # Patches (N, C, OH, OW, kh, kw): windows of the dilated kernel extent, every d-th.
        patches = padded.unfold(2, (kh - 1) * dh + 1, sh).unfold(3, (kw - 1) * dw + 1, sw)
        patches = patches[..., ::dh, ::dw]
        patches = patches.reshape(n, groups, group_channels, *patches.shape[2:])
        out = torch.einsum("ngcyxhw,gochw->ngoyx", patches, grouped)
        return finish(out.reshape(n, out_channels, *out.shape[3:]))

    return conv


@KERNELS.register("channel_affine")
def channel_affine_kernel(op: dict, tensors: Mapping[str, torch.Tensor]) -> Kernel:
    scale = tensors[op["weight"]]

    def affine(a: torch.Tensor) -> torch.Tensor:
        view = (1, -1) + (1,) * (a.dim() - 2)
        return _bias_adder(op, tensors, view)(a * scale.view(view))

    return affine


@KERNELS.register("requantize")
def requantize_kernel(op: dict, tensors: Mapping[str, torch.Tensor]) -> Kernel:
    spec, frac_in = IntegerFormat.from_dict(op["format"]), op["frac_in"]
    return lambda a: requantize(a, frac_in, spec)


@KERNELS.register("relu")
def relu_kernel(op: dict, tensors: Mapping[str, torch.Tensor]) -> Kernel:
    return lambda a: a.clamp(min=0)


@KERNELS.register("flatten")
def flatten_kernel(op: dict, tensors: Mapping[str, torch.Tensor]) -> Kernel:
    return lambda a: a.flatten(op["start_dim"], op["end_dim"])


@KERNELS.register("max_pool2d")
def max_pool2d_kernel(op: dict, tensors: Mapping[str, torch.Tensor]) -> Kernel:
    settings = {key: op[key] for key in ("kernel_size", "stride", "padding", "dilation",
                                         "ceil_mode")}
    return lambda a: F.max_pool2d(a, **settings)


@KERNELS.register("max_pool1d")
def max_pool1d_kernel(op: dict, tensors: Mapping[str, torch.Tensor]) -> Kernel:
    """As a 2-d pooling over a height of 1 (torch has no int64 max_pool1d on the CPU)."""
    settings = {key: [1 if key != "padding" else 0, op[key][0]]
                for key in ("kernel_size", "stride", "padding", "dilation")}
    return lambda a: F.max_pool2d(a.unsqueeze(-2), **settings,
                                  ceil_mode=op["ceil_mode"]).squeeze(-2)


class IntegerProgram:
    """An exported integer model: `program(x)` runs it (see the module docstring)."""

    def __init__(self, document: dict[str, Any], tensors: Mapping[str, torch.Tensor]):
        self.document = document
        self.tensors = {name: t.to(torch.int64).cpu() for name, t in tensors.items()}
        self.input_format = IntegerFormat.from_dict(document["input_format"])
        self.output_frac: int = document["output_frac"]
        self._kernels: list[Kernel] = []
        for op in document["ops"]:
            try:
                factory = KERNELS.get(op["op"])
                self._kernels.append(factory(op, self.tensors))
            except (KeyError, ChopError) as error:
                raise CheckpointError(f"Integer program op {op.get('op')!r} of node "
                                      f"{op.get('node')!r} cannot be built: {error}") from None

    @property
    def ops(self) -> list[dict[str, Any]]:
        return self.document["ops"]

    def quantize_input(self, x: torch.Tensor) -> torch.Tensor:
        """The int64 integers of the input, quantized by the program's input format."""
        return to_integers(self.input_format, x.cpu())

    def run_integers(self, integers: torch.Tensor) -> torch.Tensor:
        """Run the ops on input integers; the result has frac width `output_frac`."""
        for kernel in self._kernels:
            integers = kernel(integers)
        return integers

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype if x.is_floating_point() else torch.float32
        out = self.run_integers(self.quantize_input(x.to(dtype)))
        return dequantize(out, self.output_frac, dtype).to(x.device)

    def save(self, path: str | Path) -> Path:
        """Write the program as one safetensors file (packed integers + JSON program)."""
        from chop.export.format import save_program

        return save_program(self.document, self.tensors, path)

    @classmethod
    def load(cls, path: str | Path) -> IntegerProgram:
        """Read a program written by `save` (no pickle: safetensors and JSON only)."""
        from chop.export.format import load_program

        return cls(*load_program(path))

    def __repr__(self) -> str:
        names = ", ".join(op["op"] for op in self.ops)
        return f"IntegerProgram({len(self.ops)} ops: {names}; input {self.input_format})"
