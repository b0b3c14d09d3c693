"""Hardware figures of the emitted Verilog: yosys resources beside the estimate, simulation times.

For each model (jsc-tiny, jsc-s by default), 8- or 4-bit fixed point, each constant-
multiplication style: emit, simulate the vectors plus the directed ones in Verilator and/or
iverilog (bit-exact against the integer program, or it stops), synthesize with yosys
(`synth -lut 6`; hierarchy kept, or `--flat`) and print one row per design: LUTs, FFs, logic
depth (LUT levels of the slowest stage) from yosys, the fast estimate of each beside them and
the estimate's error on LUTs, yosys CPU seconds, the emitter's total adder width, and the
simulators' build and run CPU seconds, from one run.

Two kinds of program:
- default: random-weight models (BatchNorm statistics randomised so that no layer is an
  identity), data 8/4, weights and biases of `--bits` with 4 fractional bits, run on
  `--vectors` random inputs at several scales;
- `--trained`: the model trained on the `jsc` data (the real file when it is there, else the
  test suite's schema fixture), BatchNorm folded, `--sparsity` of each Linear's weights pruned
  by L1 magnitude, data and weights quantized to `--bits` ("auto" fractions), fine-tuned with
  quantization (`benchmarks/trained_program.py`); simulated on the whole test split (or its first
  `--vectors` rows). The row also gives the float, fake-quantized and integer test accuracies.

Run: python benchmarks/hardware_resources.py [--models jsc-tiny jsc-s] [--bits 8]
     [--multipliers csd mul] [--simulators verilator iverilog] [--vectors 1000]
     [--synth-timeout 1800] [--flat] [--yosys auto|pinned|system]
     [--trained --sparsity 0.75 --epochs 10 --qat-epochs 6]
The README's measured jsc-s rows:
     python benchmarks/hardware_resources.py --trained --models jsc-s --bits 4 --sparsity 0.75 \
         --multipliers csd mul --flat --yosys system --vectors 0
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "export"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from export_graphs import fixed, quantized, random_inputs, traced  # noqa: E402

from chop.export import export_integer  # noqa: E402
from chop.hardware import HardwareOptions, emit_design  # noqa: E402
from chop.hardware.estimate import estimate_design  # noqa: E402
from chop.hardware.files import design_sources, read_manifest, write_design  # noqa: E402
from chop.hardware.simulate import ToolError, compare, run_design  # noqa: E402
from chop.hardware.synth import synthesize, synthesize_flat  # noqa: E402
from chop.hardware.vectors import directed_vectors  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["jsc-tiny", "jsc-s"])
    parser.add_argument("--bits", nargs="+", type=int, default=[8])
    parser.add_argument("--multipliers", nargs="+", default=["csd", "mul"])
    parser.add_argument("--simulators", nargs="+", default=["verilator"])
    parser.add_argument("--vectors", type=int, default=1000,
                        help="random vectors (or, with --trained, test rows; 0: all of them)")
    parser.add_argument("--synth-timeout", type=float, default=1800)
    parser.add_argument("--flat", action="store_true", help="synthesize flattened (totals only)")
    parser.add_argument("--yosys", default="system", choices=["auto", "pinned", "system"])
    parser.add_argument("--trained", action="store_true", help="a trained, pruned program on jsc")
    parser.add_argument("--sparsity", type=float, default=0.75)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--qat-epochs", type=int, default=6)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = None
    if args.trained:
        from quantization_sweep import load_data

        data, kind = load_data("jsc")
        print(f"jsc data: {kind} ({len(data.train.x)} train / {len(data.test.x)} test rows)")
    print("CPU seconds (user + system of the tools; wall time depends on the machine's load)")
    print("model     bits mult  layers  LUTs (est, err)         FFs (est)     depth (est)  "
          "yosys_cpu_s  adder_bits  " + "  ".join(f"{s}_build_s {s}_run_s" for s in args.simulators))
    for name in args.models:
        for bits in args.bits:
            if args.trained:
                built = trained_program_for(name, data, bits, args)
                program, inputs = built.program, data.test.x
                if args.vectors:
                    inputs = inputs[:args.vectors]
            else:
                program = export_integer(quantized(traced(name), fixed(8, 4, bits, 4, bits, 4)))
                inputs = random_inputs(name, args.vectors)
            for multiplier in args.multipliers:
                options = HardwareOptions(multiplier=multiplier, synth_timeout=args.synth_timeout,
                                          yosys=args.yosys)
                row = _measure(program, inputs, options, args)
                print(f"{name:<9} {bits:>4} {multiplier:<5} {row}", flush=True)


def trained_program_for(name: str, data, bits: int, args):
    from trained_program import trained_program

    built = trained_program(name, data, bits, bits, args.sparsity, args.epochs, args.qat_epochs)
    print(f"{name} {bits}-bit, {100 * args.sparsity:.0f}% pruned ({100 * built.sparsity:.1f}% of "
          f"Linear weights zero after quantization): test accuracy float {built.float_acc:.4f}, "
          f"fake-quantized {built.qat_acc:.4f}, integer program {built.integer_acc:.4f}; "
          f"training and export {built.cpu_seconds:.0f} CPU-s", flush=True)
    return built


def _measure(program, x, options, args) -> str:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write_design(emit_design(program, options, (16,)), folder / "rtl")
        manifest = read_manifest(folder / "rtl")
        x = program.quantize_input(x).reshape(len(x), -1)
        directed, labels = directed_vectors(program, manifest["input"]["elements"])
        inputs = torch.cat([x, directed])
        labels = [f"vector {i}" for i in range(len(x))] + labels
        expected = program.run_integers(inputs)
        times = []
        for simulator in args.simulators:
            run = run_design(folder / "rtl", manifest, inputs, folder / simulator, simulator)
            compare(run.outputs, expected, labels, program.output_frac)
            times.append(f"{run.build_cpu_seconds:>9.1f} {run.run_cpu_seconds:>8.2f}")
        times.append(f"(bit-exact on {len(inputs)} vectors)")
        estimate = estimate_design(manifest, options)
        start = time.perf_counter()
        try:
            if args.flat:
                total = synthesize_flat(design_sources(folder / "rtl", manifest), manifest["top"],
                                        options, folder / "synth")
                depth, cpu = total["logic_depth"], total["cpu_seconds"]
            else:
                report = synthesize(folder / "rtl", manifest, options, folder / "synth")
                total, depth, cpu = report["total"], report["critical_depth"], report["cpu_seconds"]
            est = estimate["total"]
            lut_error = 100 * (est["luts"] - total["luts"]) / max(total["luts"], 1)
            bits = sum(layer["adder_bits"] for layer in manifest["layers"])
            synth = (f"{len(manifest['layers']):>6} {total['luts']:>7} ({est['luts']:>7}, "
                     f"{lut_error:+5.1f}%)  {total['ffs']:>5} ({est['ffs']:>5})  {depth:>3} "
                     f"({estimate['critical_depth']:>4})  {cpu:>11.1f} {bits:>11}")
        except ToolError as error:
            synth = f"synthesis stopped after {time.perf_counter() - start:.0f} s: {error}"
        return f"{synth}  {'  '.join(times)}"


if __name__ == "__main__":
    main()
