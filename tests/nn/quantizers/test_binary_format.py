"""Binary (±1, deterministic or stochastic) and ternary (threshold + scale) formats."""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.nn.quantizers import BinaryFormat, TernaryFormat, binary_quantizer, ternary_quantizer

arrays = hnp.arrays(np.float32, st.integers(1, 64),
                    elements=st.floats(-10, 10, width=32, allow_nan=False))


def test_binary_sign_with_zero_to_plus_one():
    x = torch.tensor([-2.0, -1e-30, 0.0, 1e-30, 3.0])
    assert binary_quantizer(x).tolist() == [-1.0, -1.0, 1.0, 1.0, 1.0]


@settings(max_examples=60, deadline=None)
@given(arrays)
def test_binary_is_monotonic_idempotent_and_on_grid(x):
    xs = torch.from_numpy(np.sort(x))
    out = binary_quantizer(xs)
    assert set(out.tolist()) <= {-1.0, 1.0}
    assert torch.all(out[1:] >= out[:-1])
    assert torch.equal(binary_quantizer(out), out)


def test_stochastic_binary_frequency_follows_clipped_probability():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0]).repeat(20000, 1)
    out = binary_quantizer(x, stochastic=True, generator=torch.Generator().manual_seed(0))
    plus = (out == 1).float().mean(0)
    expected = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0])
    assert torch.allclose(plus, expected, atol=0.015)
    assert set(out.unique().tolist()) == {-1.0, 1.0}


def test_stochastic_binary_is_reproducible_with_a_seeded_generator():
    x = torch.randn(1000) * 0.5
    spec = BinaryFormat(stochastic=True)
    first = spec.quantize(x, generator=torch.Generator().manual_seed(7))
    again = spec.quantize(x, generator=torch.Generator().manual_seed(7))
    other = spec.quantize(x, generator=torch.Generator().manual_seed(8))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_binary_gradient_is_clipped_straight_through():
    x = torch.tensor([-2.0, -0.5, 0.3, 1.0, 1.5], requires_grad=True)
    binary_quantizer(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_ternary_threshold_and_mean_scale_by_definition():
    x = torch.tensor([0.1, -0.2, 0.9, -1.5, 0.05, 0.6])
    magnitude = x.abs()
    threshold = 0.7 * magnitude.mean()
    kept = magnitude > threshold
    alpha = magnitude[kept].mean()
    expected = torch.where(kept, torch.sign(x) * alpha, torch.zeros_like(x))
    assert torch.equal(ternary_quantizer(x), expected)
    assert kept.tolist() == [False, False, True, True, False, True]


def test_ternary_with_fixed_statistics_and_fixed_scale():
    x = torch.tensor([0.1, -0.2, 0.9, -1.5, 0.05, 0.3])
    out = ternary_quantizer(x, threshold=0.15, scale=0.5)
    assert out.tolist() == [0.0, -0.5, 0.5, -0.5, 0.0, 0.5]
    assert torch.equal(ternary_quantizer(torch.zeros(4)), torch.zeros(4))


@settings(max_examples=60, deadline=None)
@given(arrays, st.floats(0.1, 1.5))
def test_ternary_idempotent_symmetric_and_three_valued(x, factor):
    spec = TernaryFormat(threshold_factor=factor)
    t = torch.from_numpy(x)
    out = spec.quantize(t)
    assert len(set(out.abs().tolist()) - {0.0}) <= 1
    assert torch.allclose(spec.quantize(out), out, rtol=1e-6)
    assert torch.equal(spec.quantize(-t), -out)


def test_ternary_gradient_is_straight_through_everywhere():
    x = torch.tensor([0.1, -3.0, 4.0], requires_grad=True)
    ternary_quantizer(x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("spec, bits, text", [
    (BinaryFormat(), 1, "binary"),
    (BinaryFormat(True), 1, "binary(stochastic)"),
    (TernaryFormat(), 2, "ternary(factor=0.7, scale=mean)"),
    (TernaryFormat(threshold=0.1, scale=0.5), 2, "ternary(threshold=0.1, scale=0.5)"),
])
def test_metadata_and_text(spec, bits, text):
    assert spec.bits == bits and str(spec) == text
    assert spec.type == spec.name and spec.precision == [bits]
