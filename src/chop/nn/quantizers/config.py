"""Building operand specs from the flat configs that users write for the quantize pass.

    {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
     "weight_width": 8, "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}

`spec_from_config(config, "weight")` reads the key `weight_<field>` for every field of the
format named by `config["name"]` (e.g. `weight_width`, `weight_exponent_bias`,
`weight_block_size`). An optional field may also be given once for all operands without the
prefix (e.g. "rounding": "floor", "block_size": 32); the prefixed key wins. "NA" as a value means
the field's default. A name of None or "NA" means no quantization (None is returned).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chop.config import is_na
from chop.errors import ConfigError, did_you_mean
from chop.nn.quantizers.base import NumberFormat
from chop.nn.quantizers.registry import get_format


def spec_from_config(config: Mapping[str, Any], operand: str, *,
                     optional: bool = False) -> NumberFormat | None:
    """The spec of `operand` ("data_in", "weight", "bias", "data_out", ...) in `config`.

    Returns None when the format name is None/"NA", or, with `optional=True`, when the config
    has no `<operand>_` key at all (e.g. an unquantized data_out). A missing required key, or an
    `<operand>_` key that the format does not have, is a ConfigError naming the key.
    """
    if not isinstance(config, Mapping):
        raise ConfigError(f"A quantization config must be a dict, got {type(config).__name__}.")
    name = config.get("name")
    if is_na(name):
        return None
    spec_class = get_format(name)
    prefix = f"{operand}_"
    fields = spec_class.field_names()
    required = set(spec_class.required_fields())

    operand_keys = [key for key in config if isinstance(key, str) and key.startswith(prefix)]
    if optional and not operand_keys:
        return None
    for key in operand_keys:
        if key[len(prefix):] not in fields:
            valid = [prefix + field for field in fields]
            raise ConfigError(
                f"Unknown key '{key}' for format '{name}'.{did_you_mean(key, valid)}"
            )

    values: dict[str, Any] = {}
    for field in fields:
        if prefix + field in config:
            value = config[prefix + field]
        elif field not in required and field in config:
            value = config[field]
        else:
            continue
        if not is_na(value):
            values[field] = value
    needed = [prefix + field for field in spec_class.required_fields()]
    for field in spec_class.required_fields():
        if field not in values:
            raise ConfigError(
                f"missing '{prefix + field}' for format '{name}'; add it to the quantize config "
                f"(this format needs {', '.join(needed)})."
            )
    return spec_class.from_fields(values)
