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
from chop.hardware.ranges import (
    csd_digits,
    linear_range,
    shift_round,
    signed_width,
    trailing_zeros,
    varying_bits,
)
from chop.hardware.verilog import ModuleWriter, Signal, constant, literal
from chop.nn.quantizers import IntegerFormat

Values = list[Signal]


#: Inputs of one LUT (`synth -lut 6`, Xilinx LUT6): a result that depends on at most this many
#: input bits is one LUT per output bit, whatever additions compute it.
LUT_INPUTS = 6


class _Node:
    """An adder-tree node: `sign * signal`, the signal holding sum(form[i] * x_i), which
    depends on `support` input bits; `logic`: whether it is computed (not a shifted input)."""

    def __init__(self, sign: int, signal: Signal, form: dict[int, int], support: int,
                 logic: bool = False):
        self.sign, self.signal, self.form = sign, signal, form
        self.support, self.logic = support, logic


def _input_bits(x: Signal) -> int:
    return varying_bits(x.low, x.high, x.zeros)


def _small_cone(w: ModuleWriter, node: _Node) -> None:
    """Price a computed node of few input bits as what synthesis makes of it: a LUT per bit
    (its additions vanish into them), once something wider reads it."""
    if node.logic and node.support <= LUT_INPUTS:
        w.count("cone_bits", _input_bits(node.signal))


def _combine(w: ModuleWriter, a: _Node, b: _Node, xs: Values, base: str) -> _Node:
    if a.sign < 0 < b.sign:
        a, b = b, a
    op = "+" if a.sign == b.sign else "-"
    factor = 1 if op == "+" else -1
    x, y = a.signal, b.signal
    disjoint = a.form.keys().isdisjoint(b.form.keys())
    if disjoint:
        # Independent inputs: the range of the sum is the sum of the ranges.
        form = {**a.form, **({i: -c for i, c in b.form.items()} if factor < 0 else b.form)}
        low, high = (x.low + y.low, x.high + y.high) if factor > 0 else \
            (x.low - y.high, x.high - y.low)
        zeros = min(x.zeros, y.zeros)
    else:  # shifted copies of one input (its signed digits): exact range of the merged form
        form = dict(a.form)
        for i, c in b.form.items():
            form[i] = form.get(i, 0) + factor * c
        low, high = linear_range(form, [(v.low, v.high) for v in xs])
        zeros = min((trailing_zeros(c) + xs[i].zeros for i, c in form.items() if c),
                    default=0)
    width = signed_width(low, high)
    expression = f"{w.resized(x, width)} {op} {w.resized(y, width)}"
    support = a.support + b.support if disjoint else \
        sum(_input_bits(xs[i]) for i, c in form.items() if c)
    if support > LUT_INPUTS:
        # Below the operand with more known-zero low bits, the sum copies the other operand.
        w.count_adder(width, varying_bits(low, high, max(x.zeros, y.zeros)))
        _small_cone(w, a)
        _small_cone(w, b)
    else:
        w.count_adder(width, 0)  # part of a small cone, priced where it is read
    levels = max(x.levels, y.levels) + 1
    return _Node(a.sign, w.wire(base, low, high, expression, levels=levels, zeros=zeros), form,
                 support, logic=True)


def _shifted(w: ModuleWriter, x: Signal, shift: int, base: str) -> Signal:
    if shift == 0:
        return x
    expression = f"{{{w.bits(x)}, {shift}'h0}}"
    return w.wire(base, x.low << shift, x.high << shift, expression, width=x.width + shift,
                  levels=x.levels, zeros=x.zeros + shift)


def _leaves(w: ModuleWriter, index: int, x: Signal, coef: int, style: str,
            base: str) -> list[_Node]:
    """The tree leaves whose signed sum is coef * x."""
    magnitude, sign = abs(coef), (1 if coef > 0 else -1)
    support = _input_bits(x)
    if style == "csd" or magnitude & (magnitude - 1) == 0:
        return [_Node(s, _shifted(w, x, k, f"{base}_s{k}"), {index: 1 << k}, support)
                for s, k in csd_digits(coef)]
    low, high = sorted((magnitude * x.low, magnitude * x.high))
    width = signed_width(low, high)
    product = f"{w.resized(x, width)} * {literal(magnitude, width)}"
    w.multipliers += 1
    # What a constant multiplier costs once synthesis drops its zero partial products: one
    # addition of the product's width per further one-bit of the constant.
    zeros = x.zeros + trailing_zeros(magnitude)
    if support > LUT_INPUTS:
        w.count("multiplier_bits", varying_bits(low, high, zeros) * (bin(magnitude).count("1") - 1))
    return [_Node(sign, w.wire(f"{base}_m", low, high, product, levels=x.levels + 1,
                               zeros=zeros), {index: magnitude}, support, logic=True)]


def weighted_sum(w: ModuleWriter, xs: Values, coefs: Mapping[int, int], bias: int,
                 style: str, base: str) -> Signal:
    """bias + sum(coefs[i] * xs[i]) as an adder tree of exact widths."""
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
        paired = [_combine(w, nodes[k], nodes[k + 1], xs, f"{base}_t{level}")
                  for k in range(0, len(nodes) - 1, 2)]
        nodes = paired + ([nodes[-1]] if len(nodes) % 2 else [])
        level += 1
    root = nodes[0]
    if bias == 0 and root.sign > 0:
        _small_cone(w, root)
        return root.signal
    total = {i: root.sign * c for i, c in root.form.items()}
    low, high = linear_range(total, [(x.low, x.high) for x in xs], bias)
    width = signed_width(low, high)
    value = w.resized(root.signal, width)
    if bias == 0:
        expression = f"-{value}"
    else:
        expression = f"{literal(bias, width)} {'+' if root.sign > 0 else '-'} {value}"
    zeros = min(root.signal.zeros, trailing_zeros(bias))
    acc = w.wire(f"{base}_acc", low, high, expression, levels=root.signal.levels + 1,
                 zeros=zeros)
    if root.support > LUT_INPUTS:
        w.count_adder(width, varying_bits(low, high, max(root.signal.zeros, trailing_zeros(bias))
                                          if bias else root.signal.zeros), "constant_adder_bits")
    else:  # the constant joins the small cone
        w.count_adder(width, 0, "constant_adder_bits")
        _small_cone(w, _Node(root.sign, acc, total, root.support, logic=True))
    return acc


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
    zeros = rounded.zeros
    compared = varying_bits(rounded.low, rounded.high, rounded.zeros)
    for limit, beyond, test in ((spec.int_max, high > spec.int_max, ">"),
                                (spec.int_min, low < spec.int_min, "<")):
        if beyond:
            check = f"{rounded.name} {test} {literal(limit, rounded.width)}"
            value = f"({check}) ? {literal(limit, width)} : {value}"
            zeros = min(zeros, trailing_zeros(limit))
            w.count("compare_bits", compared)
            w.count("mux_bits", varying_bits(out_low, out_high, zeros))
    rounded.used.update(range(rounded.width))
    return w.wire(f"{base}_sat", out_low, out_high, value, levels=rounded.levels, zeros=zeros)


def _round_right(w: ModuleWriter, x: Signal, s: int, rounding: str, low: int, high: int,
                 base: str) -> Signal:
    if x.width < s + 2:  # room for the kept bits, the half bit and the parity bit
        x = w.wire(f"{base}_ext", x.low, x.high, w.resized(x, s + 2), width=s + 2,
                   levels=x.levels, zeros=x.zeros)
    floor = w.wire(f"{base}_fl", x.low >> s, x.high >> s, w.bits(x, x.width - 1, s),
                   width=x.width - s, levels=x.levels, zeros=max(0, x.zeros - s))
    if rounding == "floor":
        return floor
    half = w.bits(x, s - 1, s - 1)
    parity = w.bits(floor, 0, 0)
    sticky = f"(|{w.bits(x, s - 2, 0)})" if s >= 2 else "1'b0"
    up = w.fresh(f"{base}_up")
    w.body.append(f"wire {up};")
    w.body.append(f"assign {up} = {half} & ({sticky} | {parity});")
    width = signed_width(low, high)
    w.count_adder(width, varying_bits(low, high), "increment_bits")
    w.count("round_bits", s + 1)  # the half, sticky and parity bits deciding the increment
    increment = up if width == 1 else f"{{{width - 1}'h0, {up}}}"
    return w.wire(f"{base}_rn", low, high, f"{w.resized(floor, width)} + {increment}",
                  levels=floor.levels + 1)


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
            w.count("mux_bits", varying_bits(0, x.high, x.zeros))
            outs.append(w.wire(f"{op['node']}_r{e}", 0, x.high,
                               f"{sign} ? {width}'sh0 : {w.resized(x, width)}",
                               levels=x.levels, zeros=x.zeros))
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
