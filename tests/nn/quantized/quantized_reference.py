"""Shared test material: one config per format family and the reference computation.

The reference of a quantized module is its float module run on explicitly quantized operands:
the inputs and parameters are quantized with the plain quantizer functions of
`chop.nn.quantizers` (not with the module's own specs), then the float forward runs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from chop.nn.quantizers import block_fp_quantizer, integer_quantizer, minifloat_ieee_quantizer

#: name -> (flat user config, the plain quantize function those keys mean)
FORMATS: dict[str, tuple[dict, Callable[[torch.Tensor], torch.Tensor]]] = {
    "integer": (
        {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
         "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4},
        lambda t: integer_quantizer(t, 8, 4),
    ),
    "minifloat_ieee": (
        {"name": "minifloat_ieee", "data_in_width": 8, "data_in_exponent_width": 4,
         "weight_width": 8, "weight_exponent_width": 4, "bias_width": 8,
         "bias_exponent_width": 4},
        lambda t: minifloat_ieee_quantizer(t, 8, 4),
    ),
    "block_fp": (
        {"name": "block_fp", "data_in_width": 6, "data_in_block_size": 4, "weight_width": 6,
         "weight_block_size": 4, "bias_width": 6, "bias_block_size": 4},
        lambda t: block_fp_quantizer(t, 6, block_size=4),
    ),
}


def operand_quantizers(format_name: str, module: nn.Module) -> tuple[Callable, Callable]:
    """(input quantizer, parameter quantizer) of the reference. Block formats block along a
    conv's reduction: the input along its channels, the weight along Cin*kernel (its rows when
    flattened to [Cout, -1]); everything else along the last dim."""
    _, quantize = FORMATS[format_name]
    if format_name != "block_fp" or not isinstance(module, nn.modules.conv._ConvNd):
        return quantize, quantize
    channel_dim = -(len(module.kernel_size) + 1)

    def along_channels(x: torch.Tensor) -> torch.Tensor:
        return quantize(x.movedim(channel_dim, -1)).movedim(-1, channel_dim)

    def along_reduction(w: torch.Tensor) -> torch.Tensor:
        return quantize(w.reshape(w.shape[0], -1)).reshape(w.shape) if w.dim() > 1 else quantize(w)

    return along_channels, along_reduction


def with_quantized_parameters(float_module: nn.Module, quantize: Callable,
                              parameters: tuple[str, ...] = ("weight", "bias")) -> nn.Module:
    """A deep copy of `float_module` whose parameters hold their quantized values; run it on
    quantized inputs to get the reference output (and, for BatchNorm, reference running stats).
    """
    reference = copy.deepcopy(float_module)
    with torch.no_grad():
        for name in parameters:
            value = getattr(reference, name, None)
            if value is not None:
                value.copy_(quantize(value))
    return reference
