"""Real integer models: fixed-point quantized graphs exported as integers and run as integers.

    from chop.export import fold_batchnorm, export_integer, IntegerProgram
    mg = fold_batchnorm(mg)                        # BatchNorm folded in float (new graph)
    mg, _ = quantize_transform_pass(mg, {...})     # fixed-point ("integer") formats
    program = export_integer(mg)                   # ConfigError naming any unsupported node
    program.save("model.int.safetensors")          # packed integers + JSON program, no pickle
    IntegerProgram.load("model.int.safetensors")(x)  # == mg.model.eval()(x), bit for bit

Files: `fold.py` BatchNorm folding, `arith.py` fixed-point arithmetic on int64 (rounding right
shift, requantize), `pack.py` bit packing, `program.py` the program builder and the float32
exactness condition, `lower.py` + `lower_ops.py` graph -> program, `format.py` the file format,
`runner.py` the integer executor. The passes `export_integer` and `fold_batchnorm` live with the
other passes (`chop.passes.graph`), above this package.
"""

from __future__ import annotations

from chop.export.arith import (
    dequantize,
    requantize,
    rounding_right_shift,
    to_integers,
)
from chop.export.fold import fold_batchnorm, fold_batchnorm_in_place
from chop.export.format import float_weights_bytes, load_program, read_document, save_program
from chop.export.lower import export_integer
from chop.export.pack import pack_bits, packed_size, unpack_bits
from chop.export.runner import KERNELS, IntegerProgram

__all__ = [
    "KERNELS",
    "IntegerProgram",
    "dequantize",
    "export_integer",
    "float_weights_bytes",
    "fold_batchnorm",
    "fold_batchnorm_in_place",
    "load_program",
    "pack_bits",
    "packed_size",
    "read_document",
    "requantize",
    "rounding_right_shift",
    "save_program",
    "to_integers",
    "unpack_bits",
]
