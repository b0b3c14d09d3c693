"""operand_bits: the bits of one element, from a quantized operand's format or its precision."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chop.nn.quantizers import IntegerFormat, MinifloatIEEEFormat, MXIntFormat
from chop.passes.graph.analysis.cost.bits import FALLBACK_BITS, operand_bits


def test_float32_record_is_32_bits():
    assert operand_bits({"type": "float", "precision": [32], "shape": [2, 3]}) == 32.0


def test_fixed_point_record_reads_the_width_not_the_fraction():
    assert operand_bits({"type": "fixed", "precision": [8, 4]}) == 8.0


def test_format_record_wins_over_precision():
    record = {"type": "float", "precision": [32], "format": IntegerFormat(width=4, frac_width=2).to_dict()}
    assert operand_bits(record) == 4.0


def test_minifloat_format_gives_its_width():
    spec = MinifloatIEEEFormat(width=8, exponent_width=4)
    assert operand_bits({"format": spec.to_dict()}) == float(spec.bits) == 8.0


def test_block_format_includes_the_amortised_scale():
    spec = MXIntFormat(width=8, block_size=32)
    bits = operand_bits({"format": spec.to_dict()})
    assert bits == pytest.approx(spec.bits)
    assert bits > 8.0  # the shared exponent costs a fraction of a bit per element


@pytest.mark.parametrize("record", [None, {}, {"type": "int", "precision": None, "value": 3}])
def test_records_without_a_format_fall_back_to_float32(record):
    assert operand_bits(record) == FALLBACK_BITS == 32.0


@given(width=st.integers(2, 32), data=st.data())
def test_integer_format_bits_equal_its_width(width, data):
    frac = data.draw(st.integers(0, width))
    assert operand_bits({"format": IntegerFormat(width=width, frac_width=frac).to_dict()}) == width
