"""How many bits one element of an operand takes, read from its metadata record.

Every operand record of the common metadata says its real number format: `type` and
`precision` (float32 is `("float", [32])`, fixed point `("fixed", [width, frac_width])`), and a
quantized operand also carries `format`, the spec's `to_dict()`. The cost pass multiplies these
bits into BitOPs and memory, so they come from one function.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from chop.nn.quantizers import spec_from_dict

logger = logging.getLogger(__name__)

#: Bits assumed for an operand whose record names no format at all (a float32 tensor).
FALLBACK_BITS = 32.0

#: Metadata types whose `precision[0]` is the full storage width of one element.
WIDTH_FIRST_TYPES = ("float", "bfloat", "fixed", "integer", "unsigned_integer", "bool", "complex")


def operand_bits(operand: Mapping[str, Any] | None) -> float:
    """Storage bits per element of the operand described by `operand`.

    - with a `format` record (set by the quantize pass): that spec's `storage_bits(shape)`,
      which for block formats (MX, block floating point) counts the shared scales a tensor of
      the record's shape really stores (a [64, 3, 3, 3] MXINT4 weight, blocked along its 27
      reduction elements: one 8-bit scale per 27, 4.30 bits per element);
    - otherwise `precision[0]`: the width for every type the metadata uses (float [32],
      fixed [width, frac], integer [64], bool [1]); an unknown type with a precision list is read
      the same way, since the first entry is the width by the metadata's convention;
    - with no precision at all (a record made by hand, a Python value): 32 bits, the float32
      the model runs in when nothing says otherwise.
    """
    if not operand:
        return FALLBACK_BITS
    if operand.get("format"):
        shape = operand.get("shape")
        shape = shape if isinstance(shape, (list, tuple)) else None
        return float(spec_from_dict(operand["format"]).storage_bits(shape))
    precision = operand.get("precision")
    if isinstance(precision, (list, tuple)) and precision and precision[0] is not None:
        if operand.get("type") not in WIDTH_FIRST_TYPES:
            logger.debug("Operand type %r: reading precision[0] as its width.", operand.get("type"))
        return float(precision[0])
    return FALLBACK_BITS
