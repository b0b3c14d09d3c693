"""Exported integer programs equal the fake-quantized models bit for bit, and their files are
about w/32 of the float weights."""

from __future__ import annotations

import functools
import json
import struct

import pytest
import torch
from export_graphs import fixed, quantized, random_inputs, traced
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from safetensors.torch import save_model

from chop.errors import ConfigError
from chop.export import IntegerProgram, export_integer, fold_batchnorm, packed_size


def fake_quantized_output(mg, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return mg.model.eval()(x)


def assert_bit_exact(program, mg, name: str, tmp_path=None) -> IntegerProgram:
    x = random_inputs(name)
    expected = fake_quantized_output(mg, x)
    if tmp_path is not None:  # through the file, as a user would
        program = IntegerProgram.load(program.save(tmp_path / "model.int.safetensors"))
    got = program(x)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert torch.equal(got, expected)
    assert (expected != 0).sum() >= 50  # a real comparison, not of two zero tensors
    return program


@pytest.mark.parametrize("name", ["jsc-tiny", "jsc-s", "jsc-toy", "mlp", "cnn"])
def test_exported_models_are_bit_exact(name, tmp_path):
    mg = quantized(traced(name))
    program = assert_bit_exact(export_integer(mg), mg, name, tmp_path)
    kinds = {op["op"] for op in program.ops}
    assert "requantize" in kinds and ("linear" in kinds)
    if name.startswith("jsc"):
        assert "channel_affine" in kinds  # the input BatchNorm, normalised and quantized


@pytest.mark.parametrize("config", [
    fixed(width=6, frac=2, weight_width=5, weight_frac=2, bias_width=16, bias_frac=12),
    fixed(width=8, frac=2, weight_width=4, weight_frac=5, bias_width=4, bias_frac=-1),
    fixed(data_out_width=6, data_out_frac_width=3),
    fixed(rounding="floor"),
    fixed(data_in_is_signed=False),
], ids=["bias-frac-above-products", "coarse-data", "data-out", "floor", "unsigned-inputs"])
def test_format_variants_are_bit_exact(config):
    mg = quantized(traced("jsc-s"), config)
    assert_bit_exact(export_integer(mg), mg, "jsc-s")


@functools.cache
def folded_jsc_tiny():
    return fold_batchnorm(traced("jsc-tiny", seed=3))


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 9), st.integers(-2, 8), st.integers(2, 8), st.integers(0, 8),
       st.integers(2, 12), st.integers(-2, 12))
def test_random_widths_are_bit_exact(width, frac, weight_width, weight_frac, bias_width, bias_frac):
    assume(bias_frac <= bias_width + 8)  # the format's own limit
    config = fixed(width, frac, weight_width, weight_frac, bias_width, bias_frac)
    mg = quantized(folded_jsc_tiny(), config, fold=False)
    x = random_inputs("jsc-tiny", 128)
    assert torch.equal(export_integer(mg)(x), fake_quantized_output(mg, x))


def test_integer_program_is_exact_where_float32_is_not(caplog):
    """16-bit operands overflow float32's exact range: the exporter refuses by default; with
    on_inexact="warn" the program still computes the exact result (= the float64 model)."""
    mg = quantized(traced("jsc-s"), fixed(16, 8, 16, 12, 16, 12))
    with pytest.raises(ConfigError, match=r"node 'seq_blocks_0'.*beyond the 2\^24.*on_inexact"):
        export_integer(mg)
    with caplog.at_level("WARNING"):
        program = export_integer(mg, on_inexact="warn")
    assert "beyond the 2^24" in caplog.text
    mg.model.double()  # float64 holds these accumulations exactly
    x = random_inputs("jsc-s").double()
    assert torch.equal(program(x), fake_quantized_output(mg, x))


def float_bytes(mg, tmp_path) -> int:
    save_model(mg.model, str(tmp_path / "float.safetensors"))
    return (tmp_path / "float.safetensors").stat().st_size


def header_and_data(path) -> tuple[dict, int]:
    """The safetensors header (JSON) and the size of the data section."""
    raw = path.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + header_len]), len(raw) - 8 - header_len


@pytest.mark.parametrize("weight_width", [4, 8])
def test_file_is_about_w_over_32_of_the_float_weights(weight_width, tmp_path):
    mg = traced("mlp")  # 64-256-128-10: 50,432 weights, 394 biases
    reference = float_bytes(mg, tmp_path)
    q = quantized(mg, fixed(weight_width=weight_width, weight_frac=weight_width - 1))
    path = export_integer(q).save(tmp_path / "int.safetensors")
    size = path.stat().st_size
    assert abs(size / reference - weight_width / 32) < 0.015

    # Exact accounting: the data section is the packed integers and nothing else.
    header, data_bytes = header_and_data(path)
    program = json.loads(header["__metadata__"]["program"])
    expected = sum(packed_size(torch.Size(info["shape"]).numel(), info["width"])
                   for info in program["tensors"].values())
    assert data_bytes == expected == 50432 * weight_width // 8 + 394  # 8-bit biases
    assert all(entry["dtype"] == "U8" for key, entry in header.items() if key != "__metadata__")
    assert size - data_bytes < 2500  # the JSON program and the safetensors header
