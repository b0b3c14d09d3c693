"""How each supported op becomes integer program ops (the per-op half of `lower.py`).

Lowerings are registered in `LOWERINGS` under the names op-table rows give (`chop.nn.optable`);
which module classes and functions an op covers is the table's.

Quantized ops (every operand in the `integer` format) follow their module's forward:
requantize the input to `data_in_0`, compute, requantize to `data_out_0` if it has one.

Multiply-accumulate (Linear, Conv2d, and a normalised BatchNorm as a per-channel multiply):
with input frac `fx`, weight frac `fw` and bias frac `fb`, products have frac `fx + fw`. The
accumulator frac is `F = max(fx + fw, fb)`: products are shifted left by `F - fx - fw` and the
bias by `F - fb`, so that both are exact and the sum is rounded only once, by the next
quantizer, as the float32 model rounds `x @ W.T + b` only once. (Shifting the bias right to
`fx + fw` when `fb` is larger would round twice and could differ from the float model.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import fx, nn

from chop.errors import ConfigError
from chop.export.program import ProgramBuilder
from chop.nn.learned import frozen_spec
from chop.nn.quantizers import IntegerFormat
from chop.registry import Registry

Lowering = Callable[[ProgramBuilder, fx.Node, "nn.Module | None"], None]


def integer_specs(node: fx.Node, module: nn.Module) -> dict[str, IntegerFormat]:
    """The module's operand specs, all of which must be fixed point (a learned operand exports
    the format it uses now, as `freeze_learned` would freeze it)."""
    what = module.float_class.__name__
    specs = {operand: frozen_spec(spec) for operand, spec in module.specs.items()}
    for operand, spec in specs.items():
        if not isinstance(spec, IntegerFormat):
            raise ConfigError(
                f"export_integer: node '{node.name}' ({what}) has its {operand} in the "
                f"'{spec.name}' format ({spec}); integer export supports only the fixed-point "
                "'integer' format. Quantize this op with name 'integer'."
            )
    return specs


def _output(builder: ProgramBuilder, node: fx.Node, specs: dict[str, IntegerFormat]) -> None:
    if "data_out_0" in specs:
        builder.quantize_to(node, specs["data_out_0"])


def _multiply_accumulate(builder: ProgramBuilder, node: fx.Node, module: nn.Module,
                         specs: dict[str, IntegerFormat], op: dict) -> None:
    """Store weight and bias, fix the shifts, check exactness, emit `op`."""
    weight = builder.add_tensor(f"{node.name}.weight", module.weight, specs["weight"])
    product_frac = builder.frac + specs["weight"].frac_width
    acc_frac, bias_shift, bias = product_frac, 0, None
    if module.bias is not None:
        bias = builder.add_tensor(f"{node.name}.bias", module.bias, specs["bias"])
        acc_frac = max(product_frac, specs["bias"].frac_width)
        bias_shift = acc_frac - specs["bias"].frac_width
    product_shift = acc_frac - product_frac
    # Largest |partial sum| of each output channel, in units of 2^-acc_frac (Python ints).
    row_sums = weight.abs().reshape(weight.shape[0], -1).sum(dim=1).tolist()
    bias_abs = bias.abs().tolist() if bias is not None else [0] * len(row_sums)
    bound = max((builder.bound * s << product_shift) + (b << bias_shift)
                for s, b in zip(row_sums, bias_abs))
    builder.check_exact(node, "the accumulator", bound, acc_frac)
    op.update({"node": node.name, "weight": f"{node.name}.weight",
               "bias": f"{node.name}.bias" if bias is not None else None,
               "product_shift": product_shift, "bias_shift": bias_shift})
    builder.emit(op, frac=acc_frac, value_range=(-bound, bound))
    _output(builder, node, specs)


def lower_linear(builder: ProgramBuilder, node: fx.Node, module: nn.Linear) -> None:
    specs = integer_specs(node, module)
    builder.quantize_to(node, specs["data_in_0"])
    _multiply_accumulate(builder, node, module, specs, {"op": "linear"})


def conv_padding(node: fx.Node, module: nn.Conv2d) -> list[int]:
    """F.pad's [left, right, top, bottom] of a zero-padded Conv2d."""
    if module.padding_mode != "zeros":
        raise ConfigError(f"export_integer: node '{node.name}' (conv2d) uses padding_mode="
                          f"'{module.padding_mode}'; only 'zeros' is supported.")
    if module.padding == "valid":
        return [0, 0, 0, 0]
    pads = []
    for k, d, p in reversed(list(zip(module.kernel_size, module.dilation,
                                     (None, None) if module.padding == "same" else module.padding))):
        total = d * (k - 1) if p is None else 2 * p
        pads += [total // 2, total - total // 2]
    return pads


def lower_conv2d(builder: ProgramBuilder, node: fx.Node, module: nn.Conv2d) -> None:
    specs = integer_specs(node, module)
    builder.quantize_to(node, specs["data_in_0"])
    op = {"op": "conv2d", "pad": conv_padding(node, module), "stride": list(module.stride),
          "dilation": list(module.dilation), "groups": module.groups}
    _multiply_accumulate(builder, node, module, specs, op)


def lower_batch_norm(builder: ProgramBuilder, node: fx.Node, module: nn.Module) -> None:
    """A normalised BatchNorm (see `fold.py`) is the per-channel affine weight * x + bias."""
    specs = integer_specs(node, module)
    normalised = (module.eps == 0 and module.weight is not None and module.bias is not None
                  and module.running_mean is not None and bool((module.running_mean == 0).all())
                  and bool((module.running_var == 1).all()))
    if not normalised:
        raise ConfigError(
            f"export_integer: node '{node.name}' ({module.float_class.__name__}) divides by its "
            "running statistics, which has no exact integer form. Fold it first: "
            "mg = fold_batchnorm(mg) (chop.export), then quantize, then export."
        )
    builder.quantize_to(node, specs["data_in_0"])
    _multiply_accumulate(builder, node, module, specs, {"op": "channel_affine"})


def lower_quantized_relu(builder: ProgramBuilder, node: fx.Node, module: nn.ReLU) -> None:
    specs = integer_specs(node, module)
    builder.quantize_to(node, specs["data_in_0"])
    lower_relu(builder, node)
    _output(builder, node, specs)


# -- ops without parameters, exact on integers (and commuting with quantization) -------------

def lower_relu(builder: ProgramBuilder, node: fx.Node, module: nn.Module | None = None) -> None:
    builder.emit({"op": "relu", "node": node.name},
                 value_range=(max(builder.low, 0), max(builder.high, 0)))


def lower_flatten(builder: ProgramBuilder, node: fx.Node, module: nn.Flatten) -> None:
    builder.emit({"op": "flatten", "node": node.name, "start_dim": module.start_dim,
                  "end_dim": module.end_dim})


def lower_flatten_function(builder: ProgramBuilder, node: fx.Node, module: None = None) -> None:
    start = node.args[1] if len(node.args) > 1 else node.kwargs.get("start_dim", 0)
    end = node.args[2] if len(node.args) > 2 else node.kwargs.get("end_dim", -1)
    builder.emit({"op": "flatten", "node": node.name, "start_dim": start, "end_dim": end})


def lower_max_pool(builder: ProgramBuilder, node: fx.Node, module: nn.Module) -> None:
    if module.return_indices:
        raise ConfigError(f"export_integer: node '{node.name}' returns pooling indices; "
                          "only the pooled values can be exported.")
    dims = 2 if isinstance(module, nn.MaxPool2d) else 1
    as_list = (lambda v: [v] * dims if isinstance(v, int) else list(v))  # noqa: E731
    stride = module.stride if module.stride is not None else module.kernel_size
    builder.emit({"op": f"max_pool{dims}d", "node": node.name,
                  "kernel_size": as_list(module.kernel_size), "stride": as_list(stride),
                  "padding": as_list(module.padding), "dilation": as_list(module.dilation),
                  "ceil_mode": module.ceil_mode})


def lower_identity(builder: ProgramBuilder, node: fx.Node, module: nn.Module) -> None:
    """Dropout and Identity: the identity at inference."""


@dataclass(frozen=True)
class IntegerLowering:
    """How an op becomes program ops: `quantized` for its quantized module (None: it has no
    quantized form), `module` for its float module (None: the float module needs quantizing
    first when it has a quantized form), `function` for its function or method call (None:
    unsupported). Each is `fn(builder, node, module_or_None)`."""

    quantized: Lowering | None = None
    module: Lowering | None = None
    function: Lowering | None = None


#: Lowering name (the `lowering` an op-table row gives, see `chop.nn.optable`) -> how.
LOWERINGS: Registry[IntegerLowering] = Registry("integer lowering")
LOWERINGS.register("linear", IntegerLowering(quantized=lower_linear))
LOWERINGS.register("conv2d", IntegerLowering(quantized=lower_conv2d))
LOWERINGS.register("batch_norm", IntegerLowering(quantized=lower_batch_norm))
LOWERINGS.register("relu", IntegerLowering(lower_quantized_relu, lower_relu, lower_relu))
LOWERINGS.register("flatten", IntegerLowering(module=lower_flatten, function=lower_flatten_function))
LOWERINGS.register("max_pool", IntegerLowering(module=lower_max_pool))
LOWERINGS.register("identity", IntegerLowering(module=lower_identity))
