"""Bit packing: round trips for every width, the documented little-endian layout, sizes."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.export import pack_bits, packed_size, unpack_bits


def reference_pack(values: list[int], width: int) -> bytes:
    """The documented layout written out bit by bit: element i at stream bits [i*w, (i+1)*w),
    LSB first; stream bit k is bit k % 8 of byte k // 8."""
    stream = []
    for value in values:
        code = value & ((1 << width) - 1)
        stream += [(code >> bit) & 1 for bit in range(width)]
    stream += [0] * (-len(stream) % 8)
    return bytes(sum(stream[i + j] << j for j in range(8)) for i in range(0, len(stream), 8))


def extremes_and_random(width: int, signed: bool, n: int = 61) -> torch.Tensor:
    lo, hi = (-(2 ** (width - 1)), 2 ** (width - 1) - 1) if signed else (0, 2**width - 1)
    middle = torch.randint(lo, hi + 1, (n,), generator=torch.Generator().manual_seed(width))
    return torch.cat([torch.tensor([lo, hi, 0 if signed else lo, -1 if signed else hi]), middle])


@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("width", range(1, 17))
def test_round_trip_every_width(width, signed):
    values = extremes_and_random(width, signed).reshape(5, 13)
    packed = pack_bits(values, width, signed)
    assert packed.dtype == torch.uint8 and packed.numel() == packed_size(65, width)
    assert packed.numel() == (65 * width + 7) // 8
    assert bytes(packed.tolist()) == reference_pack(values.flatten().tolist(), width)
    restored = unpack_bits(packed, (5, 13), width, signed)
    assert restored.dtype == torch.int64 and torch.equal(restored, values)


def test_documented_example_and_negative_values():
    assert pack_bits(torch.tensor([1, -1]), 3).tolist() == [0b00111001]
    assert pack_bits(torch.tensor([-8, 7, -1]), 4).tolist() == [0x78, 0x0F]
    packed = torch.tensor([0x78, 0x0F], dtype=torch.uint8)
    assert unpack_bits(packed, (3,), 4).tolist() == [-8, 7, -1]
    # the same bytes read as unsigned 4-bit numbers
    assert unpack_bits(packed, (3,), 4, signed=False).tolist() == [8, 7, 15]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 32).flatmap(lambda w: st.tuples(
    st.just(w), st.lists(st.integers(-(2 ** (w - 1)), 2 ** (w - 1) - 1), max_size=40))))
def test_hypothesis_signed_round_trip_and_layout(case):
    width, values = case
    packed = pack_bits(torch.tensor(values, dtype=torch.int64), width)
    assert bytes(packed.tolist()) == reference_pack(values, width)
    assert unpack_bits(packed, (len(values),), width).tolist() == values


def test_values_outside_the_width_are_refused():
    with pytest.raises(ValueError, match="do not fit 4 signed bits"):
        pack_bits(torch.tensor([8]), 4)
    with pytest.raises(ValueError, match="unsigned"):
        pack_bits(torch.tensor([-1]), 4, signed=False)
    with pytest.raises(ValueError, match="integer tensors"):
        pack_bits(torch.tensor([1.0]), 4)
    with pytest.raises(ValueError, match="width"):
        pack_bits(torch.tensor([1]), 0)


def test_unpack_checks_the_byte_count():
    with pytest.raises(ValueError, match="cannot hold 5 values of 4 bits"):
        unpack_bits(torch.zeros(2, dtype=torch.uint8), (5,), 4)
