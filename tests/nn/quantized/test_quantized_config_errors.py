"""User mistakes in quantization configs are ChopErrors naming what is wrong."""

from __future__ import annotations

import pytest
import torch
from quantized_reference import FORMATS
from torch import nn

from chop.errors import ConfigError, UnknownNameError
from chop.nn.quantized import from_float, quantized_class

INTEGER, _ = FORMATS["integer"]


@pytest.mark.parametrize("missing", ["data_in_width", "weight_frac_width", "bias_width"])
def test_missing_required_key_is_named(missing):
    config = {k: v for k, v in INTEGER.items() if k != missing}
    with pytest.raises(ConfigError, match=f"'{missing}'"):
        from_float(nn.Linear(4, 3), config)


def test_misspelt_key_is_named_with_a_suggestion():
    config = {**INTEGER, "weigth_width": 8}
    with pytest.raises(ConfigError, match="'weigth_width'.*Did you mean 'weight_width'"):
        from_float(nn.Linear(4, 3), config)


def test_key_of_a_field_the_format_lacks_is_an_error():
    with pytest.raises(ConfigError, match="'weight_exponent_width'"):
        from_float(nn.Linear(4, 3), {**INTEGER, "weight_exponent_width": 4})


def test_keys_for_operands_the_op_lacks_are_ignored():
    relu = from_float(nn.ReLU(), INTEGER)  # weight_* / bias_* keys are for other ops
    assert set(relu.specs) == {"data_in_0"}


@pytest.mark.parametrize("module", [nn.Embedding(10, 4), nn.Dropout(), nn.LSTM(3, 3)])
def test_unsupported_module_is_a_config_error(module):
    with pytest.raises(ConfigError, match=f"{type(module).__name__} cannot be quantized"):
        from_float(module, INTEGER)


def test_subclass_of_a_supported_module_is_not_silently_treated_as_it():
    class MyLinear(nn.Linear):
        def forward(self, x):
            return super().forward(x) * 2

    with pytest.raises(ConfigError, match="MyLinear cannot be quantized"):
        from_float(MyLinear(4, 3), INTEGER)


def test_unknown_format_suggests_the_closest_name():
    with pytest.raises(UnknownNameError, match="Did you mean 'integer'"):
        quantized_class(nn.Linear, "integr")
    with pytest.raises(UnknownNameError, match="minifloat_ieee"):
        from_float(nn.Linear(4, 3), {"name": "minifloat_iee", "data_in_width": 8})


@pytest.mark.parametrize("name", [None, "NA"])
def test_no_format_name_is_a_config_error(name):
    with pytest.raises(ConfigError, match="no format 'name'"):
        from_float(nn.Linear(4, 3), {"name": name})


def test_invalid_field_value_is_a_config_error():
    with pytest.raises(ConfigError, match="width"):
        from_float(nn.Linear(4, 3), {**INTEGER, "weight_width": 0})


def test_config_must_be_a_dict():
    with pytest.raises(ConfigError, match="must be a dict"):
        from_float(nn.Linear(4, 3), [("name", "integer")])


def test_wrong_number_of_inputs_is_reported():
    quantized = from_float(nn.Linear(4, 3), INTEGER)
    with pytest.raises(TypeError, match="LinearInteger takes 1 input"):
        quantized(torch.randn(2, 4), torch.randn(2, 4))
