"""Reading a quantized module's operand specs from the flat config users write.

    {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
     "weight_width": 8, "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}

Config keys -> operands (the result is keyed by the metadata names of the operands):
    data_in_*    every input: data_in_0 (and data_in_1 of two-input ops such as add)
    data_in_0_*, data_in_1_*   override data_in_* for one input of a two-input op
    weight_*, bias_*           the op's parameters of those names (skipped when the module has
                               none, e.g. Linear(bias=False))
    data_out_*   the output, data_out_0; optional: no data_out_* key leaves it unquantized

Inputs and parameters are required: a missing key is a ConfigError naming it. A key that no
operand of any op could use (a typo such as "weigth_width") is a ConfigError too; keys for an
operand this op lacks (weight_* on a ReLU) are ignored, so one config can serve several ops.
Operands named in the resolved key `learned` get a `LearnedFixedPoint` (chop.nn.learned).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from chop.errors import ConfigError, did_you_mean
from chop.nn.learned import LEARN_KEYS, learner
from chop.nn.quantizers import NumberFormat, get_format, spec_from_config
from chop.nn.quantized.blocking import along_reduction
from chop.nn.quantized.ops import QuantizableOp

#: Config key prefixes, most specific first.
CONFIG_OPERANDS = ("data_in_0", "data_in_1", "data_in", "data_out", "weight", "bias")


def check_config_keys(config: Mapping[str, Any]) -> None:
    """Every key is "name", a shared field of the format, `<operand>_<field>`, or a key of
    learned quantization (`chop.nn.learned.options`)."""
    fields = get_format(config["name"]).field_names()
    valid = {"name", *fields, *LEARN_KEYS}
    valid.update(f"{operand}_{field}" for operand in CONFIG_OPERANDS for field in fields)
    for key in config:
        if key not in valid:
            raise ConfigError(
                f"Unknown quantization config key '{key}' for format '{config['name']}'."
                f"{did_you_mean(str(key), valid)}"
            )


def input_config(config: Mapping[str, Any], index: int) -> dict[str, Any]:
    """The config of input `index` as plain data_in_* keys: data_in_<index>_* override."""
    own, others = f"data_in_{index}_", ("data_in_0_", "data_in_1_")
    merged = {key: value for key, value in config.items() if not key.startswith(others)}
    merged.update({"data_in_" + key[len(own):]: value
                   for key, value in config.items() if key.startswith(own)})
    return merged


def operand_specs(op: QuantizableOp, module: nn.Module,
                  config: Mapping[str, Any]) -> dict[str, NumberFormat]:
    """{operand: spec} for every quantized operand of `module` (an instance of op's class).

    `config["name"]` must name a format (the caller handles None / "NA": no quantization).
    """
    if not isinstance(config, Mapping):
        raise ConfigError(f"A quantization config must be a dict, got {type(config).__name__}.")
    check_config_keys(config)
    specs: dict[str, NumberFormat] = {}
    for index, operand in enumerate(op.inputs):
        spec = spec_from_config(input_config(config, index), "data_in")
        spec = None if spec is None else along_reduction(spec, module, operand)
        specs[operand] = learner(spec, config, operand)
    for name in op.parameters:
        if getattr(module, name, None) is not None:
            spec = spec_from_config(config, name)
            spec = None if spec is None else along_reduction(spec, module, name)
            specs[name] = learner(spec, config, name)
    output = spec_from_config(config, "data_out", optional=True)
    if output is not None:
        specs["data_out_0"] = learner(output, config, "data_out_0")
    return specs
