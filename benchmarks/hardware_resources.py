"""Hardware figures of the emitted Verilog: yosys resources and simulation times.

For each model (jsc-tiny, jsc-s by default; BatchNorm statistics randomised so that no layer is
an identity), 8- or 4-bit fixed point (data 8/4, weights and biases of the same width with 4
fractional bits), each constant-multiplication style: emit, simulate N random vectors plus the
directed ones in Verilator and/or iverilog (bit-exact against the integer program, or it
stops), and synthesize with the installed yosys (`synth -lut 6`, hierarchy kept). Prints one
row per design: LUTs, FFs, logic depth (LUT levels of the slowest stage), yosys seconds, the
emitter's total adder width (`adder_bits`, the raw figure of a resource estimate) and LUTs per
adder bit, and the simulators' build and run CPU seconds, from one run.

Run: python benchmarks/hardware_resources.py [--models jsc-tiny jsc-s] [--bits 8]
     [--multipliers csd mul] [--simulators verilator iverilog] [--vectors 1000]
     [--synth-timeout 1800]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "export"))
from export_graphs import fixed, quantized, random_inputs, traced  # noqa: E402

from chop.export import export_integer  # noqa: E402
from chop.hardware import HardwareOptions, emit_design  # noqa: E402
from chop.hardware.files import read_manifest, write_design  # noqa: E402
from chop.hardware.simulate import ToolError, compare, run_design  # noqa: E402
from chop.hardware.synth import synthesize  # noqa: E402
from chop.hardware.vectors import directed_vectors  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["jsc-tiny", "jsc-s"])
    parser.add_argument("--bits", nargs="+", type=int, default=[8])
    parser.add_argument("--multipliers", nargs="+", default=["csd", "mul"])
    parser.add_argument("--simulators", nargs="+", default=["verilator"])
    parser.add_argument("--vectors", type=int, default=1000)
    parser.add_argument("--synth-timeout", type=float, default=1800)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("CPU seconds (user + system of the tools; wall time depends on the machine's load)")
    print("model     bits mult  layers  LUTs    FFs  depth  yosys_s  adder_bits  LUT/bit  "
          + "  ".join(f"{s}_build_s {s}_run_s" for s in args.simulators))
    for name in args.models:
        for bits in args.bits:
            config = fixed(8, 4, bits, 4, bits, 4)
            program = export_integer(quantized(traced(name), config))
            for multiplier in args.multipliers:
                options = HardwareOptions(multiplier=multiplier, synth_timeout=args.synth_timeout)
                row = _measure(name, program, options, args)
                print(f"{name:<9} {bits:>4} {multiplier:<5} {row}", flush=True)


def _measure(name, program, options, args) -> str:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write_design(emit_design(program, options, (16,)), folder / "rtl")
        manifest = read_manifest(folder / "rtl")
        x = program.quantize_input(random_inputs(name, args.vectors)).reshape(args.vectors, -1)
        directed, labels = directed_vectors(program, manifest["input"]["elements"])
        inputs = torch.cat([x, directed])
        labels = [f"random {i}" for i in range(len(x))] + labels
        expected = program.run_integers(inputs)
        times = []
        for simulator in args.simulators:
            run = run_design(folder / "rtl", manifest, inputs, folder / simulator, simulator)
            compare(run.outputs, expected, labels, program.output_frac)
            times.append(f"{run.build_cpu_seconds:>9.1f} {run.run_cpu_seconds:>8.2f}")
        start = time.perf_counter()
        try:
            report = synthesize(folder / "rtl", manifest, options, folder / "synth")
            total = report["total"]
            bits = sum(layer["adder_bits"] for layer in manifest["layers"])
            synth = (f"{len(manifest['layers']):>6} {total['luts']:>6} {total['ffs']:>6} "
                     f"{report['critical_depth']:>6} {report['cpu_seconds']:>8.1f} {bits:>11} "
                     f"{total['luts'] / max(bits, 1):>8.2f}")
        except ToolError as error:
            synth = f"synthesis stopped after {time.perf_counter() - start:.0f} s: {error}"
        return f"{synth}  {'  '.join(times)}"


if __name__ == "__main__":
    main()
