"""Op coverage of the exporter: Conv2d settings, float ops before the first quantizer,
functional forms, and the op sequence that the program records."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from export_graphs import fixed, quantized, random_inputs, traced
from torch import nn

from chop.export import export_integer
from chop.passes.graph import quantize_transform_pass


def assert_bit_exact(mg, name: str) -> None:
    x = random_inputs(name)
    with torch.no_grad():
        expected = mg.model.eval()(x)
    assert torch.equal(export_integer(mg)(x), expected)
    assert (expected != 0).sum() >= 50


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
@pytest.mark.parametrize("conv", [
    lambda: nn.Conv2d(1, 4, 3, stride=2, padding=1),
    lambda: nn.Conv2d(1, 4, (3, 2), padding="same", dilation=(2, 1)),
    lambda: nn.Conv2d(1, 4, 2, padding="valid", bias=False),
    lambda: nn.Conv2d(1, 4, 3, stride=(1, 2), padding=(2, 0), dilation=2),
], ids=["stride-pad", "same-dilated", "valid-no-bias", "asymmetric"])
def test_conv2d_settings(conv):
    torch.manual_seed(0)
    features = nn.Sequential(
        conv(), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Conv2d(4, 6, 3, padding=1, groups=2), nn.ReLU(),
        nn.MaxPool2d(2, padding=1), nn.Flatten(),
    )
    width = features(torch.zeros(1, 1, 8, 8)).shape[1]
    model = nn.Sequential(*features, nn.Linear(width, 3))
    mg = quantized(traced("digits-like", model=model))
    assert_bit_exact(mg, "digits-like")


def test_float_ops_before_the_first_quantizer_commute_with_it():
    """relu, max-pool and flatten on the float input, then the Linear's input quantizer: the
    program quantizes first and runs them on integers (q(relu(x)) == relu(q(x)))."""
    model = nn.Sequential(nn.ReLU(), nn.MaxPool1d(2), nn.Flatten(), nn.Linear(8, 4), nn.ReLU())
    mg = traced("sequence", model=model)
    mg, _ = quantize_transform_pass(mg, {"by": "type", "linear": {"config": fixed()}})
    mg.model.eval()
    program = export_integer(mg)
    assert [op["op"] for op in program.ops] == ["relu", "max_pool1d", "flatten", "linear", "relu"]
    assert program.input_format.precision == [8, 4]
    assert_bit_exact(mg, "sequence")


def test_functional_relu_and_flatten():
    class Functional(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(16, 8)

        def forward(self, x):
            x = torch.flatten(x, 1)
            return F.relu(self.linear(x)).relu()

    mg = quantized(traced("sequence", model=Functional()))
    assert [op["op"] for op in export_integer(mg).ops] == ["flatten", "linear", "relu", "relu"]
    assert_bit_exact(mg, "sequence")


def test_program_records_shifts_and_formats():
    mg = quantized(traced("jsc-tiny"), fixed(6, 2, 5, 3, 10, 9))
    program = export_integer(mg)
    linear = next(op for op in program.ops if op["op"] == "linear")
    # products have frac 2 + 3 = 5; the bias frac 9 is larger: products << 4, bias << 0
    assert (linear["product_shift"], linear["bias_shift"]) == (4, 0)
    assert program.document["tensors"]["seq_blocks_2.weight"] == {
        "shape": [5, 16], "width": 5, "signed": True, "frac": 3}
    requant = [op for op in program.ops if op["op"] == "requantize"]
    assert requant[0]["format"]["width"] == 6 and requant[0]["format"]["frac_width"] == 2
