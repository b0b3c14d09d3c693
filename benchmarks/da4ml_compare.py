"""machop's Verilog side by side with da4ml's on the same quantized JSC models.

For each model and width: one integer program (`chop.export`: random weights drawn across the
whole weight format, BatchNorm statistics randomised, fixed point with floor rounding, the
only rounding both tools share: da4ml rounds down or half up, machop down or half to even) is
turned into hardware twice:

- machop: `chop.hardware.emit_design`, constants as canonical-signed-digit shift-adds ("csd")
  and as `*` by constants ("mul"), a register stage per layer;
- da4ml (0.6, `make bench-da4ml`): the same integer ops traced with `da4ml.trace` (the
  matrix products become da4ml's constant-matrix adder graphs), pipelined by da4ml into the
  same number of register levels, written by `da4ml.codegen.VerilogModel`, inside a small
  shell written here that gives it machop's ports (clk/rst/in_valid/in_data/out_valid/out_data).
  Two lint pragmas Debian's Verilator 5.006 does not know (`WIDTHTRUNC`) are removed from
  da4ml's files (comments only), and only the library modules the core instantiates are read.

Both are simulated in Verilator against `IntegerProgram.run_integers` on N random vectors plus
machop's directed vectors (zeros, extremes, rounding ties, saturation): a single differing
output stops the script with the first mismatching sample. Both are then synthesized by the
same yosys script (`synth -flatten -lut 6`, `stat`, `ltp -noff`; `chop.hardware.synth.
synthesize_flat`) and printed side by side: LUTs, FFs, logic depth (LUT levels of the slowest
register-to-register path), and machop/da4ml ratios.

`jsc-s:K` names the first K layers of jsc-s (a full 8-bit jsc-s takes yosys 0.23 longer than
half an hour on a loaded machine; `--synth-timeout` stops it with a line in the table).

Run: make bench-da4ml   (or: .venv-da4ml/bin/python benchmarks/da4ml_compare.py
     [--models jsc-tiny jsc-s:2 jsc-s] [--bits 8 4] [--vectors 1000] [--synth-timeout 1800]
     [--yosys auto|pinned|system] [--json out.json])
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "export"))
from export_graphs import fixed, quantized, random_inputs, traced  # noqa: E402

from chop.export import export_integer  # noqa: E402
from chop.export.runner import IntegerProgram  # noqa: E402
from chop.hardware import HardwareOptions, emit_design  # noqa: E402
from chop.hardware.emit import split_layers  # noqa: E402
from chop.hardware.estimate import estimate_design  # noqa: E402
from chop.hardware.files import design_sources, read_manifest, write_design  # noqa: E402
from chop.hardware.simulate import ToolError, compare, run_design  # noqa: E402
from chop.hardware.synth import synthesize_flat  # noqa: E402
from chop.hardware.vectors import directed_vectors  # noqa: E402

try:
    from da4ml.codegen import VerilogModel
    from da4ml.trace import FixedVariableArrayInput, comb_trace, to_pipeline
    from da4ml.trace.ops import quantize, relu
except ImportError:  # pragma: no cover - the benchmark's own venv has it
    sys.exit("benchmarks/da4ml_compare.py needs da4ml: run `make bench-da4ml` (its own venv).")

SHELL_TOP = "da4ml_top"
CORE = "da4ml_core"


# ---------------------------------------------------------------------------------------------
# The integer program both tools implement


def make_program(model: str, bits: int, seed: int) -> IntegerProgram:
    """`model` ("jsc-s", or "jsc-s:K" for its first K layers) at `bits`-bit fixed point with
    floor rounding: data frac bits = bits // 2, weights and biases in [-1, 1)."""
    name, _, layers = model.partition(":")
    mg = traced(name, seed)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # weights across the whole format, bell-shaped like trained ones
        for module in mg.model.modules():
            if isinstance(module, torch.nn.Linear):
                w = torch.randn(module.weight.shape, generator=generator) * 0.4
                module.weight.copy_(w.clamp(-1, 0.99))
                module.bias.copy_((torch.rand(module.bias.shape, generator=generator) - 0.5))
    config = fixed(bits, bits // 2, bits, bits - 1, bits, bits - 1, rounding="floor")
    program = export_integer(quantized(mg, config), on_inexact="warn")
    if not layers:
        return program
    kept = [op for layer in split_layers(program.ops)[:int(layers)] for op in layer]
    last = next(op for op in reversed(kept) if op["op"] == "requantize")
    document = {**program.document, "ops": kept, "output_frac": last["format"]["frac_width"]}
    names = {op[key] for op in kept for key in ("weight", "bias") if op.get(key)}
    return IntegerProgram(document, {n: t for n, t in program.tensors.items() if n in names})


def da4ml_logic(program: IntegerProgram, elements: int):
    """The program's ops traced with da4ml on integers (every value scaled to an integer, so
    shifts are exact and the result is the program's output integers)."""
    fmt = program.input_format
    sign = int(fmt.is_signed)
    inputs = FixedVariableArrayInput((elements,))
    x = quantize(inputs, sign, fmt.width - sign, 0)
    for op in program.ops:
        kind = op["op"]
        if kind in ("linear", "channel_affine"):
            weight = program.tensors[op["weight"]].double().numpy()
            x = x @ weight.T if kind == "linear" else x * weight
            if op["product_shift"]:
                x = x * 2.0 ** op["product_shift"]
            if op["bias"] is not None:
                x = x + program.tensors[op["bias"]].double().numpy() * 2.0 ** op["bias_shift"]
        elif kind == "requantize":
            spec = op["format"]
            if spec["rounding"] != "floor":
                raise SystemExit(f"da4ml has no {spec['rounding']} rounding; use floor.")
            x = x * 2.0 ** (spec["frac_width"] - op["frac_in"])
            k = int(spec["is_signed"])
            x = quantize(x, k, spec["width"] - k, 0, "SAT", "TRN")
        elif kind == "relu":
            x = relu(x)
        elif kind != "flatten":
            raise SystemExit(f"op {kind!r} is not translated to da4ml here.")
    return inputs, comb_trace(inputs, x)


# ---------------------------------------------------------------------------------------------
# da4ml's design inside machop's ports


def _kifs(qints) -> list[tuple[int, int, int]]:
    """(signed, integer bits, fractional bits) of each element, as da4ml lays out its buses."""
    from da4ml.types import minimal_kif

    return [tuple(int(v) for v in minimal_kif(q)) for q in qints]


def shell(comb, manifest: dict, latency: int) -> str:
    """`da4ml_top`: machop's ports around da4ml's core (packed buses, element 0 lowest)."""
    iw, ow = manifest["input"]["width"], manifest["output"]["width"]
    out_signed = manifest["output"]["signed"]
    ins, offset = [], 0
    for j, (k, i, f) in enumerate(_kifs(comb.inp_qint)):
        width = k + i + f
        if width == 0:
            continue
        if f != 0 or width > iw:
            raise SystemExit(f"input {j}: da4ml asks for format k={k} i={i} f={f}.")
        ins.append(f"  assign core_in[{offset + width - 1}:{offset}] = "
                   f"in_data[{j * iw + width - 1}:{j * iw}];")
        offset += width
    in_bits = offset
    outs, offset = [], 0
    for j, (k, i, f) in enumerate(_kifs(comb.out_qint)):
        width = k + i + f
        lo = j * ow
        if width == 0:
            outs.append(f"  assign out_data[{lo + ow - 1}:{lo}] = {ow}'d0;")
            continue
        if f > 0:
            raise SystemExit(f"output {j} has {f} fractional bits; expected integers.")
        bits = f"core_out[{offset + width - 1}:{offset}]"
        body = f"{{{bits}, {-f}'d0}}" if f < 0 else bits
        full = width - f
        if full < ow:
            fill = f"core_out[{offset + width - 1}]" if k and out_signed else "1'b0"
            body = f"{{{{{ow - full}{{{fill}}}}}, {body}}}"
        outs.append(f"  assign wide{j} = {body};")
        outs.append(f"  assign out_data[{lo + ow - 1}:{lo}] = wide{j}[{ow - 1}:0];")
        outs.insert(0, f"  wire [{max(full, ow) - 1}:0] wide{j};")
        offset += width
    clock = ".clk(clk), " if latency else ""
    if latency:
        valid = [f"  reg [{latency - 1}:0] valid_q;",
                 "  always @(posedge clk) begin",
                 f"    if (rst) valid_q <= {latency}'d0;",
                 "    else valid_q <= " + ("in_valid;" if latency == 1 else
                                           f"{{valid_q[{latency - 2}:0], in_valid}};"),
                 "  end", f"  assign out_valid = valid_q[{latency - 1}];"]
    else:
        valid = ["  assign out_valid = in_valid;"]
    n_in, n_out = manifest["input"]["elements"], manifest["output"]["elements"]
    return "\n".join([
        "// benchmarks/da4ml_compare.py: machop's ports around da4ml's generated core.",
        f"module {SHELL_TOP} (input clk, input rst, input in_valid,",
        f"  input [{n_in * iw - 1}:0] in_data, output out_valid,",
        f"  output [{n_out * ow - 1}:0] out_data);",
        f"  wire [{in_bits - 1}:0] core_in;",
        f"  wire [{offset - 1}:0] core_out;",
        *ins,
        f"  {CORE} core ({clock}.model_inp(core_in), .model_out(core_out));",
        *outs, *valid, "endmodule", ""])


def write_da4ml_design(program: IntegerProgram, machop_manifest: dict, folder: Path,
                       latency: int) -> tuple[dict, dict]:
    """da4ml's Verilog for `program`, pipelined into `latency` register levels (0: none), with
    a machop-style manifest; returns (manifest, da4ml figures)."""
    start = time.perf_counter()
    _, comb = da4ml_logic(program, machop_manifest["input"]["elements"])
    trace_seconds = time.perf_counter() - start
    solution, stages = comb, 0
    if latency > 0:
        stages = latency - 1  # da4ml registers each stage's input and the output
        if stages == 0:
            raise SystemExit("a 1-cycle design has no da4ml counterpart (input + output registers).")
        total = comb.latency[1]
        solution = to_pipeline(comb, total / stages * (1 + 1e-6), retiming=True, verbose=False)
        if len(solution.solutions) != stages:
            raise SystemExit(f"da4ml made {len(solution.solutions)} stages, wanted {stages}.")
    VerilogModel(solution, CORE, folder, print_latency=False).write()
    for path in (folder / "src").rglob("*.v"):  # lint codes newer than Debian's Verilator 5.006
        path.write_text(re.sub(r"/\*\s*verilator lint_o(n|ff) WIDTH(TRUNC|EXPAND)\s*\*/", "",
                               path.read_text()))
    (folder / f"{SHELL_TOP}.v").write_text(shell(comb, machop_manifest, latency))
    core = [p for p in (folder / "src").glob("*.v") if not p.name.endswith("_wrapper.v")]
    text = "".join(p.read_text() for p in core)
    used = [p for p in (folder / "src" / "static").glob("*.v")  # the library modules it uses
            if re.search(rf"\b{p.stem}\s*#?\s*\(", text)]
    files = [f"{SHELL_TOP}.v"] + sorted(str(p.relative_to(folder)) for p in core + used)
    manifest = {**machop_manifest, "top": SHELL_TOP, "files": files, "latency": latency,
                "layers": []}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest, {"da4ml_cost": round(comb.cost, 1), "trace_seconds": round(trace_seconds, 2),
                      "stages": stages}


# ---------------------------------------------------------------------------------------------
# Measuring


def check(folder: Path, manifest: dict, program: IntegerProgram, inputs: torch.Tensor,
          labels: list[str], what: str) -> float:
    """Simulate in Verilator and compare with the integer runner (stops on a mismatch);
    returns the build's CPU seconds."""
    run = run_design(folder, manifest, inputs, folder / "sim", "verilator")
    try:
        compare(run.outputs, program.run_integers(inputs), labels, program.output_frac)
    except Exception as error:
        raise SystemExit(f"{what}: NOT bit-exact: {error}") from None
    return run.build_cpu_seconds


def synth(folder: Path, manifest: dict, options: HardwareOptions) -> dict:
    try:
        return synthesize_flat(design_sources(folder, manifest), manifest["top"], options,
                               folder / "synth")
    except ToolError as error:
        return {"error": str(error)}


def measure(model: str, bits: int, args) -> list[dict]:
    program = make_program(model, bits, args.seed)
    rows = []
    with tempfile.TemporaryDirectory(prefix="da4ml_compare_") as tmp:
        tmp = Path(tmp)
        elements = 16
        x = program.quantize_input(random_inputs("jsc-s", args.vectors)).reshape(args.vectors, -1)
        designs = []
        for multiplier in args.multipliers:
            options = HardwareOptions(multiplier=multiplier, pipeline=args.pipeline)
            folder = tmp / f"machop_{multiplier}"
            write_design(emit_design(program, options, (elements,)), folder)
            estimate = estimate_design(read_manifest(folder), options)
            designs.append((f"machop-{multiplier}", folder, read_manifest(folder),
                            {"estimated_luts": estimate["total"]["luts"],
                             "estimated_ffs": estimate["total"]["ffs"],
                             "estimated_depth": estimate["critical_depth"]}))
        machop_manifest = designs[0][2]
        folder = tmp / "da4ml"
        folder.mkdir()
        manifest, extra = write_da4ml_design(program, machop_manifest, folder,
                                             machop_manifest["latency"])
        designs.append(("da4ml", folder, manifest, extra))
        directed, labels = directed_vectors(program, elements)
        inputs = torch.cat([x, directed])
        labels = [f"random {i}" for i in range(len(x))] + labels
        options = HardwareOptions(synth_timeout=args.synth_timeout, yosys=args.yosys)
        for name, folder, manifest, extra in designs:
            build_cpu = check(folder, manifest, program, inputs, labels, f"{model} {bits}b {name}")
            figures = synth(folder, manifest, options)
            row = {"model": model, "bits": bits, "design": name, "latency": manifest["latency"],
                   "vectors": len(inputs), "bit_exact": True,
                   "verilator_build_cpu_s": round(build_cpu, 1), **extra, **figures}
            rows.append(row)
            _print_row(row)
    return rows


def _print_row(row: dict) -> None:
    if "error" in row:
        figures = f"synthesis stopped: {row['error']}"
    else:
        figures = (f"{row['luts']:>7} {row['ffs']:>6} {row['logic_depth']:>6} "
                   f"{row['cpu_seconds']:>8.1f}")
    if "estimated_luts" in row:  # machop's fast estimate of its own design (no tools)
        figures += (f"   estimate {row['estimated_luts']} LUTs, {row['estimated_ffs']} FFs, "
                    f"depth {row['estimated_depth']}")
    elif "da4ml_cost" in row:
        figures += f"   da4ml's cost {row['da4ml_cost']:.0f}"
    print(f"{row['model']:<9} {row['bits']:>4} {row['design']:<12} {row['latency']:>3} "
          f"{'yes' if row['bit_exact'] else 'NO':>9} {figures}", flush=True)


def _ratios(rows: list[dict]) -> None:
    print("\nratios machop/da4ml (LUTs, FFs, depth):")
    keyed = {(r["model"], r["bits"], r["design"]): r for r in rows if "luts" in r}
    for (model, bits, design), row in keyed.items():
        ref = keyed.get((model, bits, "da4ml"))
        if design == "da4ml" or ref is None:
            continue
        parts = [f"{row[k] / ref[k]:.2f}" if ref[k] else "-" for k in ("luts", "ffs", "logic_depth")]
        print(f"  {model:<9} {bits:>2}b {design:<12} {'  '.join(parts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["jsc-tiny", "jsc-s:2"])
    parser.add_argument("--bits", nargs="+", type=int, default=[8, 4])
    parser.add_argument("--multipliers", nargs="+", default=["csd", "mul"])
    parser.add_argument("--pipeline", default="layer", choices=["layer", "none"])
    parser.add_argument("--vectors", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--synth-timeout", type=float, default=1800)
    parser.add_argument("--yosys", default="auto", choices=["auto", "pinned", "system"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    np.random.seed(args.seed)
    print("yosys `synth -flatten -lut 6` on both; depth = LUT levels of the slowest stage; "
          "CPU seconds of yosys")
    print("model     bits design       lat bit_exact    LUTs    FFs  depth  yosys_s")
    rows = []
    for model in args.models:
        for bits in args.bits:
            rows += measure(model, bits, args)
    _ratios(rows)
    print("yosys:", ", ".join(sorted({f"{r['yosys']} ({r['yosys_kind']})" for r in rows
                                      if "yosys" in r})))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
