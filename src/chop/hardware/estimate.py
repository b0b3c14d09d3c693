"""A fast estimate of the LUTs, flip-flops, logic depth and latency of the design `ch emit`
writes: no files, no tools, milliseconds to a tenth of a second, so that a search can score
every trial with it (`luts`, `latency_ns` and `logic_depth` objectives).

    from chop.hardware.estimate import estimate_program
    report = estimate_program(program, HardwareOptions(), input_shape=(16,))
    report["total"]["luts"], report["latency_ns_estimate"]

The estimate follows the design itself, not a formula of the model's shape: `emit_design`
builds the very modules `ch emit` writes (adder trees as wide as their exact ranges, canonical
signed digits or `*` by constants, rounding, saturation, ReLU, registers) and tallies, per layer,
the bits of each kind of logic (`ModuleWriter.tally`). Then

- LUTs = sum over kinds of coefficient x bits (`ESTIMATOR.luts`), per layer. Adders between
  two signals are priced by `adder_carry_cost` (n log2 n for an adder with n bits of logic):
  in yosys 0.23 a wide adder costs more LUTs per bit than a narrow one, and n log2 n fits the
  calibration designs better than n. A sum that depends on at most 6 input bits (a product of
  a narrow input, the sum of two 3-bit inputs) is one LUT per output bit whatever additions
  compute it (`cone_bits`), once something wider reads it;
- FFs = the register bits that can change (a sign bit of a non-negative value, the common high
  bits of a narrow range and known-zero low bits are constants yosys removes) plus one valid
  bit per pipeline stage: counted, not fitted;
- logic depth of a layer = a + b x adder levels on its deepest path (`ESTIMATOR.depth`),
  in LUT levels; the critical depth is the deepest register-to-register stage (or, for a
  combinational design, the sum over layers), and the latency in ns is
  `latency_cycles x critical depth x ns_per_level` (`ns_per_level` from `[hardware]`, default
  0.9 ns for one LUT and its routing: an assumption, the same as `ch synth`'s).

The coefficients are fitted against yosys 0.23 (`synth -lut 6`, the `ch synth` flow) by
`benchmarks/lut_estimator.py` on random layers and small programs; `ESTIMATOR.source` says on
what, with the error measured. Other yosys versions (or Vivado) map the same design to other
counts: the estimate ranks designs the way yosys 0.23 would, it is not a vendor's figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chop.export.runner import IntegerProgram
from chop.hardware.emit import emit_design
from chop.hardware.options import HardwareOptions

#: The tallies a layer's LUTs are priced on (bits of each kind of logic).
LUT_FEATURES = ("adder_carry_cost", "cone_bits", "constant_adder_bits", "increment_bits",
                "multiplier_bits", "compare_bits", "mux_bits", "round_bits")
#: The depth model's terms: a constant, then tallies.
DEPTH_FEATURES = ("intercept", "levels")


@dataclass(frozen=True)
class Estimator:
    luts: dict[str, float]  # LUTs per bit of each kind (LUT_FEATURES)
    depth: dict[str, float]  # LUT levels: intercept + coefficient x tally (DEPTH_FEATURES)
    source: str  # what the coefficients were fitted on, and the error measured


ESTIMATOR = Estimator(
    luts={"adder_carry_cost": 0.484, "cone_bits": 0.944, "constant_adder_bits": 0.996,
          "increment_bits": 0.078, "multiplier_bits": 0.349, "compare_bits": 0.0, "mux_bits": 0.119,
          "round_bits": 0.0},
    depth={"intercept": -1.586, "levels": 1.636},
    source="fitted by benchmarks/lut_estimator.py (seed 0) on 60 designs, 125 layers: random "
           "1-3 layer MLPs with 2-8 bit data and weights, 0-80% zero weights, csd and mul, plus "
           "jsc-tiny at 8 and 4 bits; yosys 0.23 synth -lut 6. Total LUTs within 9.7% (median) "
           "of yosys out-of-fold, 11.3% mean and 53% worst on designs of 500 LUTs or more",
)


def _layer_estimate(info: dict[str, Any], estimator: Estimator) -> dict[str, Any]:
    tally = info["logic"]
    luts = sum(estimator.luts[f] * tally.get(f, 0) for f in LUT_FEATURES)
    depth = max(0.0, estimator.depth["intercept"] + sum(estimator.depth[f] * tally.get(f, 0)
                                                        for f in DEPTH_FEATURES[1:]))
    return {"module": info["module"], "nodes": info["nodes"], "luts": round(luts),
            "ffs": tally["ff_bits"], "logic_depth": round(depth, 1),
            "adder_levels": tally["levels"], "adder_bits": info["adder_bits"]}


def estimate_design(manifest: dict[str, Any], options: HardwareOptions,
                    estimator: Estimator = ESTIMATOR) -> dict[str, Any]:
    """The estimate of an emitted design from its manifest (`Design.manifest`)."""
    layers = [_layer_estimate(info, estimator) for info in manifest["layers"]]
    latency = manifest["latency"]
    depths = [layer["logic_depth"] for layer in layers]
    if latency == 0:
        critical = sum(depths)
        latency_ns = critical * options.ns_per_level
    else:
        critical = max(depths)
        latency_ns = latency * critical * options.ns_per_level
    total = {"luts": sum(layer["luts"] for layer in layers),
             "ffs": sum(layer["ffs"] for layer in layers) + latency}  # + the valid pipeline
    return {"layers": layers, "total": total, "critical_depth": round(critical, 1),
            "latency_cycles": latency, "latency_ns_estimate": round(latency_ns, 2),
            "assumption": f"{options.ns_per_level:g} ns per logic level (one LUT and its "
                          "routing), register overhead ignored; LUTs and depth estimated from "
                          "the design's logic, calibrated against yosys 0.23 synth -lut 6",
            "calibration": estimator.source}


def estimate_program(program: IntegerProgram, options: HardwareOptions,
                     input_shape: list[int] | tuple[int, ...],
                     estimator: Estimator = ESTIMATOR) -> dict[str, Any]:
    """The estimate of the design `emit_design(program, options, input_shape)` would write."""
    design = emit_design(program, options, input_shape)
    return estimate_design(design.manifest, options, estimator)
