"""Number formats: a frozen spec dataclass per format plus the plain quantize functions.

    from chop.nn.quantizers import integer_quantizer
    integer_quantizer(x, width=8, frac_width=4, is_signed=True)

    spec = spec_from_config({"name": "integer", "weight_width": 8, "weight_frac_width": 4},
                            "weight")
    spec(x), spec.bits, spec.type, spec.precision, spec.to_dict()

Every quantizer returns the input's dtype and device and has a straight-through gradient (see
`base.py` for the exact rule). Formats are looked up by name in `FORMATS`.
"""

from chop.nn.quantizers.base import NumberFormat
from chop.nn.quantizers.binary import (
    BinaryFormat,
    TernaryFormat,
    binary_quantizer,
    ternary_quantizer,
)
from chop.nn.quantizers.block_fp import BlockFPFormat, block_fp_quantizer
from chop.nn.quantizers.block_log import BlockLogFormat, block_log_quantizer
from chop.nn.quantizers.block_minifloat import BlockMinifloatFormat, block_minifloat_quantizer
from chop.nn.quantizers.config import spec_from_config
from chop.nn.quantizers.integer import IntegerFormat, integer_quantizer
from chop.nn.quantizers.log import LogFormat, log_quantizer
from chop.nn.quantizers.minifloat import (
    MinifloatDenormFormat,
    MinifloatIEEEFormat,
    minifloat_denorm_quantizer,
    minifloat_ieee_quantizer,
)
from chop.nn.quantizers.mx import (
    MX_ELEMENTS,
    MXFPFormat,
    MXIntFormat,
    mxfp_quantizer,
    mxint_quantizer,
)
from chop.nn.quantizers.registry import FORMATS, format_names, get_format, register_format


def spec_from_dict(data: dict) -> NumberFormat:
    """Rebuild any spec from its `to_dict()` output (dispatches on "name")."""
    return NumberFormat.from_dict(data)


__all__ = [
    "FORMATS",
    "MX_ELEMENTS",
    "BinaryFormat",
    "BlockFPFormat",
    "BlockLogFormat",
    "BlockMinifloatFormat",
    "IntegerFormat",
    "LogFormat",
    "MXFPFormat",
    "MXIntFormat",
    "MinifloatDenormFormat",
    "MinifloatIEEEFormat",
    "NumberFormat",
    "TernaryFormat",
    "binary_quantizer",
    "block_fp_quantizer",
    "block_log_quantizer",
    "block_minifloat_quantizer",
    "format_names",
    "get_format",
    "integer_quantizer",
    "log_quantizer",
    "minifloat_denorm_quantizer",
    "minifloat_ieee_quantizer",
    "mxfp_quantizer",
    "mxint_quantizer",
    "register_format",
    "spec_from_config",
    "spec_from_dict",
    "ternary_quantizer",
]
