"""Hardware from integer programs: Verilog emission, simulation against the integer runner, and
synthesis figures.

    from chop.export import export_integer
    from chop.hardware import HardwareOptions, emit_design, write_design
    program = export_integer(mg)                       # the exact integer program
    design = emit_design(program, HardwareOptions(), input_shape=(16,))
    write_design(design, "out/hardware/rtl")           # <top>.v, one file per layer, manifest.json

Files: `ranges.py` exact widths and constant digits, `verilog.py` the module writer, `layers.py`
ops as logic, `emit.py` layers + top + manifest, `files.py` writing/reading an RTL folder,
`simulate.py` Verilator/iverilog runs checked against `IntegerProgram.run_integers`,
`vectors.py` test and directed vectors, `synth.py` yosys figures, `estimate.py` the fast
LUT/FF/latency estimate (no tools) that `ch search` scores trials with.
"""

from chop.hardware.emit import Design, emit_design, program_digest
from chop.hardware.estimate import estimate_design, estimate_program
from chop.hardware.options import HardwareOptions

__all__ = ["Design", "HardwareOptions", "emit_design", "estimate_design", "estimate_program",
           "program_digest"]
