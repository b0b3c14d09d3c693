"""Calibration of "auto" fractional widths: per-operand signedness, no cap on small data."""

import pytest
import torch

from chop.nn.quantizers import IntegerFormat
from chop.passes.graph import (
    quantize_transform_pass,
)
from chop.errors import ConfigError
from two_layers import calibration_batches, two_layer_graph
from chop.passes.graph.transforms.quantize.calibrate import (
    frac_width_for,
    mse_frac_width,
    operand_field,
)


def graph():
    return two_layer_graph()


def batches():
    return calibration_batches()


AUTO = {"name": "integer", "data_in_width": 4, "data_in_frac_width": "auto",
        "weight_width": 8, "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}


def test_non_negative_inputs_after_relu_get_the_sign_bit_as_a_fraction_bit():
    signed, _ = quantize_transform_pass(graph(), {"by": "name", "fc2": {"config": AUTO},
                                                  "input_generator": batches()})
    unsigned_config = {**AUTO, "data_in_is_signed": False}
    unsigned, result = quantize_transform_pass(graph(), {"by": "name", "fc2": {"config": unsigned_config},
                                                         "input_generator": batches()})
    s_spec = signed.modules["fc2"].x_quantizer
    u_spec = unsigned.modules["fc2"].x_quantizer
    assert u_spec.is_signed is False and s_spec.is_signed is True
    assert u_spec.frac_width == s_spec.frac_width + 1
    # The measured maximum still fits the unsigned range (within half a step), but not with
    # one more fraction bit: the extra bit is earned, not a lost sign bit.
    hidden = torch.relu(graph().modules["fc1"](torch.cat([b["x"] for b in batches()])))
    top = hidden.max().item()
    assert top <= u_spec.max_value + 2.0 ** -u_spec.frac_width / 2
    assert top > IntegerFormat(4, u_spec.frac_width + 1, is_signed=False).max_value
    assert result["configs"]["fc2"]["data_in_frac_width"] == u_spec.frac_width


def test_signedness_and_width_are_read_most_specific_first():
    config = {"is_signed": True, "data_in_is_signed": False, "data_in_1_is_signed": True,
              "width": 6, "weight_width": 8}
    assert operand_field(config, "data_in_0", "is_signed", True) is False
    assert operand_field(config, "data_in_1", "is_signed", True) is True
    assert operand_field(config, "weight", "is_signed", True) is True
    assert operand_field(config, "weight", "width", None) == 8
    assert operand_field(config, "bias", "width", None) == 6
    assert operand_field({"is_signed": "NA"}, "bias", "is_signed", True) is True


@pytest.mark.parametrize("signed", [True, False])
def test_tiny_ranges_are_not_capped(signed):
    assert frac_width_for(4.1e-4, 8, signed) == (18 if signed else 19)
    weight = torch.linspace(-4.1e-4, 4.1e-4, 1001)
    if not signed:
        weight = weight.abs()
    fitted = IntegerFormat(8, frac_width_for(4.1e-4, 8, signed), is_signed=signed)
    capped = IntegerFormat(8, 16, is_signed=signed)
    assert fitted(weight).abs().max() == pytest.approx(4.1e-4, abs=2.0 ** -19)
    assert fitted(weight).unique().numel() > 3 * capped(weight).unique().numel()


def test_auto_weight_frac_width_follows_a_tiny_weight():
    mg = graph()
    with torch.no_grad():
        mg.modules["fc2"].weight.mul_(4.1e-4 / mg.modules["fc2"].weight.abs().max())
    config = {**AUTO, "data_in_frac_width": 4, "weight_frac_width": "auto"}
    q, _ = quantize_transform_pass(mg, {"by": "name", "fc2": {"config": config}})
    assert q.modules["fc2"].w_quantizer.frac_width == 18


def test_zero_range_and_frac_width_limits():
    assert frac_width_for(0.0, 8) == 8
    assert frac_width_for(float("nan"), 8) == 8
    assert frac_width_for(2.0**-200, 8) == 126
    assert frac_width_for(2.0**100, 8) == -64


def test_mse_statistic_picks_the_frac_width_with_the_least_error():
    """Gaussian weights at 2 bits: fitting the max (frac f0) rounds nearly all to 0; the chosen
    width clips the tails for a finer step, and is the exhaustive argmin over f0 .. f0 + 4."""
    w = torch.randn(4096, generator=torch.Generator().manual_seed(0))
    start = frac_width_for(w.abs().max().item(), 2)
    errors = {f: (IntegerFormat(2, f)(w) - w).square().sum().item() for f in range(start, start + 5)}
    chosen = mse_frac_width(w, 2)
    assert chosen == min(errors, key=errors.get) and chosen > start
    assert mse_frac_width(torch.zeros(8), 4) == frac_width_for(0.0, 4)


def test_mse_calibration_of_weights_and_inputs_in_the_pass():
    config = {**AUTO, "data_in_width": 2, "data_in_is_signed": False, "weight_width": 2,
              "weight_frac_width": "auto"}
    mg = graph()
    q, _ = quantize_transform_pass(mg, {"by": "name", "fc2": {"config": config},
                                        "input_generator": batches(),
                                        "calibration": {"statistic": "mse", "num_batches": 4}})
    weight = mg.modules["fc2"].weight
    assert q.modules["fc2"].w_quantizer.frac_width == mse_frac_width(weight, 2)
    hidden = torch.relu(mg.modules["fc1"](torch.cat([b["x"] for b in batches()])))
    assert q.modules["fc2"].x_quantizer.frac_width == mse_frac_width(hidden, 2, signed=False)


def test_unknown_statistic_is_an_error_naming_the_choices():
    with pytest.raises(ConfigError, match="'max', 'quantile' or 'mse', got 'mean'"):
        quantize_transform_pass(graph(), {"by": "name", "fc2": {"config": AUTO},
                                          "input_generator": batches(),
                                          "calibration": {"statistic": "mean"}})
