"""Export fuzz: random models (MLPs and CNNs, BatchNorms folded, ReLUs, max pooling) at random
fixed-point widths 2-12 export to integer programs that equal the fake-quantized model bit for
bit. Where 12-bit operands take float32 beyond its exact range the exporter says so; the
program is then compared with the model in float64, which holds those sums exactly."""

from __future__ import annotations

import torch
from export_graphs import fixed, quantized, random_inputs, traced
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from chop.errors import ConfigError
from chop.export import export_integer


@st.composite
def models(draw) -> tuple[str, nn.Module]:
    """("jsc-tiny", an MLP on 16 features) or ("digits-like", a CNN on 1x8x8 images)."""
    layers: list[nn.Module] = []
    if draw(st.booleans()):
        channels = 1
        for _ in range(draw(st.integers(1, 2))):
            out = draw(st.integers(1, 5))
            layers.append(nn.Conv2d(channels, out, 3, padding=draw(st.integers(0, 1)),
                                    bias=draw(st.booleans())))
            channels = out
            if draw(st.booleans()):
                layers.append(nn.BatchNorm2d(out))
            if draw(st.booleans()):
                layers.append(nn.ReLU())
        if draw(st.booleans()):
            layers.append(nn.MaxPool2d(2))
        layers.append(nn.Flatten())
        probe = nn.Sequential(*layers)(torch.zeros(1, 1, 8, 8))
        features, name = probe.shape[1], "digits-like"
    else:
        features, name = 16, "jsc-tiny"
        if draw(st.booleans()):
            layers.append(nn.BatchNorm1d(16))
    for _ in range(draw(st.integers(0, 2))):
        out = draw(st.integers(1, 12))
        layers.append(nn.Linear(features, out, bias=draw(st.booleans())))
        features = out
        if draw(st.booleans()):
            layers.append(nn.BatchNorm1d(out))
        layers.append(nn.ReLU())
    layers.append(nn.Linear(features, 4))
    return name, nn.Sequential(*layers)


@st.composite
def configs(draw) -> dict:
    width, weight_width, bias_width = (draw(st.integers(2, 12)) for _ in range(3))
    return fixed(width, draw(st.integers(-2, width + 2)),
                 weight_width, draw(st.integers(-1, weight_width + 2)),
                 bias_width, draw(st.integers(-2, bias_width + 4)))


@settings(max_examples=25, deadline=None)
@given(model=models(), config=configs(), seed=st.integers(0, 1000))
def test_random_models_at_random_widths_are_bit_exact(model, config, seed):
    name, module = model
    mg = quantized(traced(name, seed=seed, model=module), config)
    x = random_inputs(name, batch=64, seed=seed)
    try:
        program = export_integer(mg)
    except ConfigError as error:
        assert "beyond the 2^24" in str(error)
        program = export_integer(mg, on_inexact="warn")
        mg.model.double()
        x = x.double()
    with torch.no_grad():
        expected = mg.model.eval()(x)
    got = program(x)
    assert got.dtype == expected.dtype and torch.equal(got, expected)
