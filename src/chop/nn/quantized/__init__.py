"""Quantized modules and functions, built by one generic mechanism (float op + operand specs).

    from chop.nn.quantized import from_float, quantized_function
    q = from_float(nn.Linear(16, 5), {"name": "integer", "data_in_width": 8,
                                      "data_in_frac_width": 4, "weight_width": 8,
                                      "weight_frac_width": 4, "bias_width": 8,
                                      "bias_frac_width": 4})
    q                       # LinearInteger(in_features=16, out_features=5, bias=True)
    q.w_quantizer(q.weight) # the quantized weight; also x_quantizer, b_quantizer, y_quantizer
    q.specs                 # {"data_in_0": IntegerFormat(...), "weight": ..., "bias": ...}
    add = quantized_function(torch.add, config)   # AddInteger(data_in_0=..., data_in_1=...)

Files: `ops.py` the table of quantizable float modules, `specs.py` config -> operand specs,
`factory.py` the generated classes and `from_float`, `functional.py` add/sub/mul/div/matmul/bmm,
`state.py` saving specs as JSON beside safetensors weights. Generated classes are attributes of
this package by name (`chop.nn.quantized.Conv2dMinifloatIEEE`).
"""

from __future__ import annotations

from chop.nn.quantized.factory import (
    FORMAT_SUFFIXES,
    QUANTIZED,
    QuantizedModule,
    class_by_name,
    from_float,
    no_quantization,
    quantized_class,
)
from chop.nn.quantized.functional import (
    FUNCTION_MODULES,
    FUNCTION_TARGETS,
    Add,
    Bmm,
    Div,
    FunctionModule,
    Matmul,
    Mul,
    Sub,
    function_module_class,
    quantized_function,
)
from chop.nn.quantized.ops import (
    QUANTIZABLE,
    QuantizableOp,
    op_for_class,
    register_quantizable,
)
from chop.nn.quantized.specs import operand_specs
from chop.nn.quantized.state import (
    load_quantized,
    quant_state,
    quant_states,
    rebuild,
    rebuild_model,
    save_quantized,
)


def __getattr__(name: str) -> type:
    """`chop.nn.quantized.LinearInteger` and friends: generated on first access."""
    if name.startswith("_"):
        raise AttributeError(name)
    try:
        return class_by_name(name)
    except KeyError:  # UnknownNameError
        raise AttributeError(f"module 'chop.nn.quantized' has no attribute '{name}'") from None


__all__ = [
    "FORMAT_SUFFIXES",
    "FUNCTION_MODULES",
    "FUNCTION_TARGETS",
    "QUANTIZABLE",
    "QUANTIZED",
    "Add",
    "Bmm",
    "Div",
    "FunctionModule",
    "Matmul",
    "Mul",
    "QuantizableOp",
    "QuantizedModule",
    "Sub",
    "class_by_name",
    "from_float",
    "function_module_class",
    "load_quantized",
    "no_quantization",
    "op_for_class",
    "operand_specs",
    "quant_state",
    "quant_states",
    "quantized_class",
    "quantized_function",
    "rebuild",
    "rebuild_model",
    "register_quantizable",
    "save_quantized",
]
