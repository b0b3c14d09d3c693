"""Input vectors for simulation: the test split's samples and directed corner cases.

Directed vectors: all zeros; every element at its format's maximum, at its minimum, alternating;
each element alone at its maximum and at its minimum (the others zero); and, picked from random
integer inputs by running the program op by op, inputs that make a requantization round
exactly at a tie (half way, where round-half-to-even decides) and inputs that saturate one.
"""

from __future__ import annotations

import torch

from chop.export.arith import shift_left_or_right
from chop.export.runner import KERNELS, IntegerProgram
from chop.nn.quantizers import IntegerFormat

PICKED_PER_KIND = 8
CANDIDATES = 4096


def test_split_vectors(program: IntegerProgram, x: torch.Tensor, count: int) -> torch.Tensor:
    """The input integers of the first `count` test samples (all of them for count 0)."""
    if count:
        x = x[:count]
    return program.quantize_input(x).reshape(len(x), -1)


def _corner_vectors(low: int, high: int, n: int) -> tuple[list[list[int]], list[str]]:
    rows = [[0] * n, [high] * n, [low] * n, [high if i % 2 else low for i in range(n)]]
    labels = ["zeros", "all maximum", "all minimum", "alternating minimum/maximum"]
    for i in range(n):
        for value, what in ((high, "maximum"), (low, "minimum")):
            row = [0] * n
            row[i] = value
            rows.append(row)
            labels.append(f"element {i} at its {what}")
    return rows, labels


def _events(program: IntegerProgram, integers: torch.Tensor):
    """Per requantize op: (node, tie mask, saturation mask) over the rows of `integers`."""
    value = integers
    found = []
    for op in program.ops:
        if op["op"] == "requantize":
            fmt = op["format"]
            shift = op["frac_in"] - fmt["frac_width"]
            flat = value.reshape(len(value), -1)
            if shift > 0 and fmt["rounding"] == "nearest_even":
                remainder = flat - ((flat >> shift) << shift)
                ties = (remainder == (1 << (shift - 1))).any(dim=1)
            else:
                ties = torch.zeros(len(flat), dtype=torch.bool)
            spec = IntegerFormat.from_dict(fmt)
            unclamped = shift_left_or_right(flat, -shift, spec.rounding)
            saturated = ((unclamped > spec.int_max) | (unclamped < spec.int_min)).any(dim=1)
            found.append((op["node"], ties, saturated))
        value = KERNELS.get(op["op"])(op, program.tensors)(value)
    return found


def directed_vectors(program: IntegerProgram, n: int,
                     seed: int = 0) -> tuple[torch.Tensor, list[str]]:
    """(integers, one label per row) of the directed vectors above, for `n` input elements."""
    fmt = program.input_format
    rows, labels = _corner_vectors(fmt.int_min, fmt.int_max, n)
    generator = torch.Generator().manual_seed(seed)
    candidates = torch.randint(fmt.int_min, fmt.int_max + 1, (CANDIDATES, n), generator=generator)
    # Narrow inputs too: small values exercise rounding near zero.
    candidates[CANDIDATES // 2:] >>= torch.randint(0, max(fmt.width - 1, 1), (CANDIDATES // 2, 1),
                                                   generator=generator)
    for node, ties, saturated in _events(program, candidates):
        for mask, what in ((ties, "a rounding tie"), (saturated, "saturation")):
            for index in mask.nonzero().flatten()[:PICKED_PER_KIND].tolist():
                rows.append(candidates[index].tolist())
                labels.append(f"{what} at node '{node}'")
    return torch.tensor(rows, dtype=torch.int64), labels

