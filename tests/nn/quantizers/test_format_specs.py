"""The spec protocol: registry names, checks at config time, configs -> specs, saving."""

import dataclasses
import json

import pytest

from chop.errors import ConfigError, UnknownNameError
from chop.nn.quantizers import (
    FORMATS,
    BinaryFormat,
    BlockFPFormat,
    IntegerFormat,
    LogFormat,
    MinifloatDenormFormat,
    MinifloatIEEEFormat,
    MXFPFormat,
    MXIntFormat,
    NumberFormat,
    TernaryFormat,
    get_format,
    spec_from_config,
    spec_from_dict,
)

ONE_OF_EACH = [
    IntegerFormat(8, 4),
    IntegerFormat(4, 1, is_signed=False, rounding="floor"),
    MinifloatIEEEFormat(8, 4),
    MinifloatDenormFormat(8, 3, 5),
    LogFormat(5),
    BlockFPFormat(6, 5, block_size=8),
    BinaryFormat(stochastic=True),
    TernaryFormat(threshold=0.05, scale="mean"),
    MXIntFormat(8, 16),
    MXFPFormat(6, 2),
]

# seed 004: the linear and relu configs of the by-type quantize pass
LINEAR_CONFIG = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
                 "weight_width": 8, "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}


def test_registry_holds_every_format_and_the_fixed_alias():
    assert FORMATS.names() == ["binary", "block_fp", "block_log", "block_minifloat", "fixed", "integer", "log",
                               "minifloat_denorm", "minifloat_ieee", "mxfp", "mxint", "ternary"]
    assert get_format("fixed") is get_format("integer") is IntegerFormat
    for name in FORMATS:
        assert issubclass(get_format(name), NumberFormat)


def test_unknown_format_name_suggests_the_closest():
    with pytest.raises(UnknownNameError, match="Did you mean 'minifloat_ieee'"):
        get_format("minifloat_iee")


@pytest.mark.parametrize("spec", ONE_OF_EACH, ids=str)
def test_to_dict_round_trips_through_json(spec):
    data = json.loads(json.dumps(spec.to_dict()))
    assert data["name"] == spec.name
    assert spec_from_dict(data) == spec
    assert type(spec).from_dict(data) == spec


def test_from_dict_rejects_unknown_fields_and_wrong_names():
    with pytest.raises(ConfigError, match="unknown field 'widht'.*'width'"):
        spec_from_dict({"name": "integer", "widht": 8, "frac_width": 4})
    with pytest.raises(ConfigError, match="for format 'log'"):
        IntegerFormat.from_dict({"name": "log", "width": 4})
    with pytest.raises(ConfigError, match="needs a 'name'"):
        spec_from_dict({"width": 8})


@pytest.mark.parametrize("spec", ONE_OF_EACH, ids=str)
def test_specs_are_frozen_and_hashable(spec):
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.width = 3  # type: ignore[misc]
    assert hash(spec) == hash(spec_from_dict(spec.to_dict()))


INVALID = [
    (IntegerFormat, dict(width=0, frac_width=0), "width=0"),
    (IntegerFormat, dict(width=8.5, frac_width=4), "width=8.5"),
    (IntegerFormat, dict(width=True, frac_width=4), "width=True"),
    (IntegerFormat, dict(width=8, frac_width=127), "frac_width=127 must be at most 126"),
    (IntegerFormat, dict(width=8, frac_width=-65), "frac_width=-65 must be at least -64"),
    (IntegerFormat, dict(width=8, frac_width="4"), "frac_width='4'"),
    (IntegerFormat, dict(width=8, frac_width=4, rounding="nearest"), "rounding='nearest'"),
    (IntegerFormat, dict(width=8, frac_width=4, is_signed="yes"), "is_signed='yes'"),
    (MinifloatIEEEFormat, dict(width=1, exponent_width=1), "width=1"),
    (MinifloatIEEEFormat, dict(width=8, exponent_width=8), "exponent_width=8"),
    (MinifloatIEEEFormat, dict(width=8, exponent_width=0), "exponent_width=0"),
    (MinifloatIEEEFormat, dict(width=8, exponent_width=4, exponent_bias=-200),
     "exponent_bias=-200"),
    (MinifloatIEEEFormat, dict(width=8, exponent_width=4, exponent_bias=130), "exponent_bias=130"),
    (MinifloatDenormFormat, dict(width=5, exponent_width=4), "exponent_width=4"),
    (LogFormat, dict(width=1), "width=1"),
    (LogFormat, dict(width=8, exponent_bias=300), "exponent_bias=300"),
    (BlockFPFormat, dict(width=1), "width=1"),
    (BlockFPFormat, dict(width=8, block_size=0), "block_size=0"),
    (BlockFPFormat, dict(width=8, exponent_width=9), "exponent_width=9"),
    (BinaryFormat, dict(stochastic=1), "stochastic=1"),
    (TernaryFormat, dict(threshold_factor=0), "threshold_factor=0"),
    (TernaryFormat, dict(threshold=-1.0), "threshold=-1.0"),
    (TernaryFormat, dict(scale="max"), "scale='max'"),
    (MXFPFormat, dict(width=8, exponent_width=3), "exponent_width=3"),
    (MXFPFormat, dict(block_size=-1), "block_size=-1"),
    (MXIntFormat, dict(width=1), "width=1"),
]


@pytest.mark.parametrize("cls, kwargs, named", INVALID, ids=lambda v: str(v)[:40])
def test_invalid_specs_fail_at_config_time_naming_the_field(cls, kwargs, named):
    with pytest.raises(ConfigError) as error:
        cls(**kwargs)
    message = str(error.value)
    assert message.startswith(f"{cls.name}:")
    assert named in message


def test_seed_004_linear_config_gives_all_three_operands():
    for operand in ("data_in", "weight", "bias"):
        assert spec_from_config(LINEAR_CONFIG, operand) == IntegerFormat(8, 4)
    assert spec_from_config(LINEAR_CONFIG, "data_out", optional=True) is None


def test_missing_width_key_is_named():
    config = {"name": "integer", "weight_width": 8}
    with pytest.raises(ConfigError, match="missing 'weight_frac_width' for format 'integer'"):
        spec_from_config(config, "weight")
    relu = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4}
    with pytest.raises(ConfigError, match="missing 'weight_width'"):
        spec_from_config(relu, "weight")
    assert spec_from_config(relu, "weight", optional=True) is None


@pytest.mark.parametrize("name", [None, "NA"])
def test_no_format_means_no_quantization(name):
    assert spec_from_config({"name": name, "weight_width": 8}, "weight") is None


def test_misspelled_operand_key_is_an_error_with_a_suggestion():
    config = dict(LINEAR_CONFIG, weight_frac_widht=4)
    with pytest.raises(ConfigError, match="Unknown key 'weight_frac_widht'.*'weight_frac_width'"):
        spec_from_config(config, "weight")


def test_unknown_format_name_in_config():
    with pytest.raises(UnknownNameError, match="Did you mean 'integer'"):
        spec_from_config({"name": "integr", "weight_width": 8}, "weight")


def test_minifloat_and_block_keys():
    config = {"name": "minifloat_ieee", "weight_width": 8, "weight_exponent_width": 4,
              "weight_exponent_bias": 6, "data_in_width": 8, "data_in_exponent_width": 5,
              "data_in_exponent_bias": "NA"}
    assert spec_from_config(config, "weight") == MinifloatIEEEFormat(8, 4, 6)
    assert spec_from_config(config, "data_in") == MinifloatIEEEFormat(8, 5, 15)
    block = {"name": "block_fp", "weight_width": 6, "weight_block_size": 8, "block_size": 4,
             "data_in_width": 6}
    assert spec_from_config(block, "weight") == BlockFPFormat(6, block_size=8)
    assert spec_from_config(block, "data_in") == BlockFPFormat(6, block_size=4)
    assert spec_from_config({"name": "mxfp", "weight_width": 4, "weight_exponent_width": 2},
                            "weight") == MXFPFormat(4, 2)


def test_shared_optional_keys_and_alias_name():
    config = {"name": "fixed", "rounding": "floor", "weight_width": 4, "weight_frac_width": 2,
              "bias_width": 4, "bias_frac_width": 2, "bias_rounding": "nearest_even"}
    assert spec_from_config(config, "weight") == IntegerFormat(4, 2, rounding="floor")
    assert spec_from_config(config, "bias") == IntegerFormat(4, 2)


def test_invalid_values_in_a_config_name_the_field():
    with pytest.raises(ConfigError, match="frac_width=130 must be at most 126"):
        spec_from_config(dict(LINEAR_CONFIG, weight_frac_width=130), "weight")


def test_formats_without_required_fields_build_from_the_name_alone():
    assert spec_from_config({"name": "binary"}, "weight") == BinaryFormat()
    assert spec_from_config({"name": "mxint"}, "weight") == MXIntFormat()
    assert spec_from_config({"name": "ternary", "weight_threshold": 0.1}, "weight") == \
        TernaryFormat(threshold=0.1)
