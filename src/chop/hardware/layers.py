"""The integer program's ops as logic: each op maps a list of `Signal`s (one per element, in
row-major order of the per-sample tensor) to the next list, writing wires into a module.

- `linear` / `channel_affine`: each output is `bias << bias_shift + sum(w << product_shift * x)`,
  an adder tree over the non-zero terms whose every node is as wide as its own exact range. A
  term is a constant multiplication: `*` by the constant ("mul"), or the constant's canonical
  signed digits as shifted copies of x added or subtracted in the tree ("csd", no multiplier).
  Terms of constant inputs fold into the bias.
- `requantize`: a left shift, or a rounding right shift (floor: drop the low bits; round half
  to even: add `x[s-1] & (x[s-2:0] != 0 | x[s])`), then saturation to the format's range when
  the value can leave it.
- `relu`: zero when the sign bit is set. `flatten`: only renames (row-major order is kept).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch

from chop.errors import ConfigError
from chop.hardware.ranges import csd_digits, linear_range, shift_round, signed_width
from chop.hardware.verilog import ModuleWriter, Signal, constant, literal
from chop.nn.quantizers import IntegerFormat

Values = list[Signal]


class _Node:
    """An adder-tree node: `sign * signal`, the signal holding sum(form[i] * x_i)."""

    def __init__(self, sign: int, signal: Signal, form: dict[int, int]):
        self.sign, self.signal, self.form = sign, signal, form


def _combine(w: ModuleWriter, a: _Node, b: _Node, ranges, base: str) -> _Node:
    if a.sign < 0 < b.sign:
        a, b = b, a
    op = "+" if a.sign == b.sign else "-"
    factor = 1 if op == "+" else -1
    form = dict(a.form)
    for i, c in b.form.items():
        form[i] = form.get(i, 0) + factor * c
    low, high = linear_range(form, ranges)
    width = signed_width(low, high)
    expression = f"{w.resized(a.signal, width)} {op} {w.resized(b.signal, width)}"
    w.count_adder(width)
    return _Node(a.sign, w.wire(base, low, high, expression), form)


def _shifted(w: ModuleWriter, x: Signal, shift: int, base: str) -> Signal:
    if shift == 0:
        return x
    expression = f"{{{w.bits(x)}, {shift}'h0}}"
    return w.wire(base, x.low << shift, x.high << shift, expression, width=x.width + shift)


def _leaves(w: ModuleWriter, index: int, x: Signal, coef: int, style: str,
            base: str) -> list[_Node]:
    """The tree leaves whose signed sum is coef * x."""
    magnitude, sign = abs(coef), (1 if coef > 0 else -1)
    if style == "csd" or magnitude & (magnitude - 1) == 0:
        return [_Node(s, _shifted(w, x, k, f"{base}_s{k}"), {index: 1 << k})
                for s, k in csd_digits(coef)]
    low, high = sorted((magnitude * x.low, magnitude * x.high))
    width = signed_width(low, high)
    product = f"{w.resized(x, width)} * {literal(magnitude, width)}"
    w.multipliers += 1
    return [_Node(sign, w.wire(f"{base}_m", low, high, product), {index: magnitude})]


def weighted_sum(w: ModuleWriter, xs: Values, coefs: Mapping[int, int], bias: int,
                 style: str, base: str) -> Signal:
    """bias + sum(coefs[i] * xs[i]) as an adder tree of exact widths."""
    ranges = [(x.low, x.high) for x in xs]
    nodes: list[_Node] = []
    for i in sorted(coefs):
        coef = coefs[i]
        if coef == 0:
            continue
        if xs[i].constant:
            bias += coef * xs[i].value
            continue
        nodes += _leaves(w, i, xs[i], coef, style, f"{base}_x{i}")
    if not nodes:
        return constant(bias)
    level = 0
    while len(nodes) > 1:
        paired = [_combine(w, nodes[k], nodes[k + 1], ranges, f"{base}_t{level}")
                  for k in range(0, len(nodes) - 1, 2)]
        nodes = paired + ([nodes[-1]] if len(nodes) % 2 else [])
        level += 1
    root = nodes[0]
    if bias == 0 and root.sign > 0:
        return root.signal
    total = {i: root.sign * c for i, c in root.form.items()}
    low, high = linear_range(total, ranges, bias)
    width = signed_width(low, high)
    value = w.resized(root.signal, width)
    if bias == 0:
        expression = f"-{value}"
    else:
        expression = f"{literal(bias, width)} {'+' if root.sign > 0 else '-'} {value}"
    w.count_adder(width)
    return w.wire(f"{base}_acc", low, high, expression)


# -- ops ----------------------------------------------------------------------------------------

def _mac_constants(op: dict, tensors: Mapping[str, torch.Tensor], channels: int):
    weight = tensors[op["weight"]].to(torch.int64)
    bias = tensors[op["bias"]].tolist() if op["bias"] is not None else [0] * channels
    return weight, [b << op["bias_shift"] for b in bias], op["product_shift"]


def linear(w: ModuleWriter, xs: Values, shape: list[int], op: dict, tensors, style: str):
    if len(shape) != 1:
        raise ConfigError(f"ch emit: node '{op['node']}' (linear) reads a {shape} tensor per "
                          "sample; the hardware emitter supports Linear on flat vectors only.")
    weight, bias, shift = _mac_constants(op, tensors, tensors[op["weight"]].shape[0])
    rows = weight.tolist()
    outs = [weighted_sum(w, xs, {i: c << shift for i, c in enumerate(row) if c},
                         bias[j], style, f"{op['node']}_{j}") for j, row in enumerate(rows)]
    return outs, [len(rows)]


def channel_affine(w: ModuleWriter, xs: Values, shape: list[int], op: dict, tensors, style):
    scale, bias, shift = _mac_constants(op, tensors, shape[0])
    scale = scale.tolist()
    per_channel = len(xs) // shape[0]
    outs = []
    for e, x in enumerate(xs):
        c = e // per_channel
        outs.append(weighted_sum(w, [x], {0: scale[c] << shift} if scale[c] else {}, bias[c],
                                 style, f"{op['node']}_{e}"))
    return outs, shape


def requantize(w: ModuleWriter, xs: Values, shape: list[int], op: dict, tensors, style):
    spec = IntegerFormat.from_dict(op["format"])
    shift = spec.frac_width - op["frac_in"]
    return [_requantize_one(w, x, shift, spec, f"{op['node']}_q{e}")
            for e, x in enumerate(xs)], shape


def _requantize_one(w: ModuleWriter, x: Signal, shift: int, spec: IntegerFormat,
                    base: str) -> Signal:
    low = shift_round(x.low, shift, spec.rounding)
    high = shift_round(x.high, shift, spec.rounding)
    if x.constant:
        return constant(min(max(low, spec.int_min), spec.int_max))
    if shift >= 0:
        rounded = _shifted(w, x, shift, f"{base}_sh")
    else:
        rounded = _round_right(w, x, -shift, spec.rounding, low, high, base)
    out_low, out_high = max(low, spec.int_min), min(high, spec.int_max)
    if out_low > out_high:  # the whole range saturates to one end
        return constant(spec.int_min if high < spec.int_min else spec.int_max)
    if (out_low, out_high) == (low, high):
        return rounded
    width = signed_width(out_low, out_high)
    value = w.resized(rounded, width)
    if high > spec.int_max:
        check = f"{rounded.name} > {literal(spec.int_max, rounded.width)}"
        value = f"({check}) ? {literal(spec.int_max, width)} : {value}"
    if low < spec.int_min:
        check = f"{rounded.name} < {literal(spec.int_min, rounded.width)}"
        value = f"({check}) ? {literal(spec.int_min, width)} : {value}"
    rounded.used.update(range(rounded.width))
    return w.wire(f"{base}_sat", out_low, out_high, value)


def _round_right(w: ModuleWriter, x: Signal, s: int, rounding: str, low: int, high: int,
                 base: str) -> Signal:
    if x.width < s + 2:  # room for the kept bits, the half bit and the parity bit
        x = w.wire(f"{base}_ext", x.low, x.high, w.resized(x, s + 2), width=s + 2)
    floor = w.wire(f"{base}_fl", x.low >> s, x.high >> s, w.bits(x, x.width - 1, s),
                   width=x.width - s)
    if rounding == "floor":
        return floor
    half = w.bits(x, s - 1, s - 1)
    parity = w.bits(floor, 0, 0)
    sticky = f"(|{w.bits(x, s - 2, 0)})" if s >= 2 else "1'b0"
    up = w.fresh(f"{base}_up")
    w.body.append(f"wire {up};")
    w.body.append(f"assign {up} = {half} & ({sticky} | {parity});")
    width = signed_width(low, high)
    w.count_adder(width)
    increment = up if width == 1 else f"{{{width - 1}'h0, {up}}}"
    return w.wire(f"{base}_rn", low, high, f"{w.resized(floor, width)} + {increment}")


def relu(w: ModuleWriter, xs: Values, shape: list[int], op: dict, tensors, style):
    outs = []
    for e, x in enumerate(xs):
        if x.constant or x.low >= 0:
            outs.append(constant(max(x.value, 0)) if x.constant else x)
        elif x.high <= 0:
            outs.append(constant(0))
        else:
            width = signed_width(0, x.high)
            sign = w.bits(x, x.width - 1, x.width - 1)
            outs.append(w.wire(f"{op['node']}_r{e}", 0, x.high,
                               f"{sign} ? {width}'sh0 : {w.resized(x, width)}"))
    return outs, shape


def flatten(w: ModuleWriter, xs: Values, shape: list[int], op: dict, tensors, style):
    start, end = op["start_dim"], op["end_dim"]
    full = [0] + shape  # with the batch axis
    end = end % len(full)
    if start < 1:
        raise ConfigError(f"ch emit: node '{op['node']}' flattens the batch axis; the hardware "
                          "emitter handles one sample at a time.")
    merged = 1
    for d in full[start:end + 1]:
        merged *= d
    return xs, full[1:start] + [merged] + full[end + 1:]


OPS: dict[str, Callable] = {"linear": linear, "channel_affine": channel_affine,
                            "requantize": requantize, "relu": relu, "flatten": flatten}
MAC_OPS = ("linear", "channel_affine")
