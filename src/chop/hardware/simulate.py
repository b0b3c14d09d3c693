"""Run an emitted design in Verilator or iverilog and check every output against the integer
program (`IntegerProgram.run_integers`): `simulate_design`.

The testbench (`machop_tb`, written next to the build) reads one input vector per line (hex,
`in.hex`), presents one per cycle with a bubble every fifth cycle (so `in_valid` matters), and
writes every output seen with `out_valid` high, with the cycle it arrived and the cycle its
input was taken, to `out.hex`. Python then decodes both buses with the manifest alone (as a
testbench written by someone else would) and compares: any difference raises
`SimulationMismatch` naming the first mismatching sample and output; a missing output, an `x`
bit or a latency other than the manifest's is an error too.
"""

from __future__ import annotations

import hashlib
import logging
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from chop.errors import ChopError
from chop.hardware.files import design_sources

logger = logging.getLogger(__name__)

BUBBLE_EVERY = 5


class SimulationMismatch(ChopError):
    """The RTL computed something other than the integer program."""

    exit_code = 1


class ToolError(ChopError):
    """A simulator or synthesis tool is missing, failed or ran out of time."""


@dataclass
class SimulationRun:
    outputs: torch.Tensor  # (N, elements) int64
    latency: int
    build_seconds: float
    run_seconds: float
    simulator: str
    build_cpu_seconds: float = 0.0  # CPU time of the tools (the wall time depends on the load)
    run_cpu_seconds: float = 0.0


def children_cpu_seconds() -> float:
    """User + system CPU seconds of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tool_path(name: str, package: str | None = None) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"'{name}' is not installed; install it (Debian: apt-get install "
                        f"{package or name}) or choose another tool in [hardware].")
    return path


def encode(rows: torch.Tensor, width: int) -> list[str]:
    """Each row of integers as one line of hex elements (their `width`-bit codes), element 0
    first; the testbench places element i in bits [i*width, (i+1)*width) of `in_data`."""
    mask = (1 << width) - 1
    return [" ".join(f"{v & mask:x}" for v in row) for row in rows.tolist()]


def decode(value: int, elements: int, width: int, signed: bool) -> list[int]:
    mask = (1 << width) - 1
    out = []
    for j in range(elements):
        v = (value >> (j * width)) & mask
        if signed and v >> (width - 1):
            v -= 1 << width
        out.append(v)
    return out


def testbench(manifest: dict) -> str:
    """The Verilog testbench driving the manifest's ports (clock from outside)."""
    width, elements = manifest["input"]["width"], manifest["input"]["elements"]
    iw = width * elements
    # One read per element; every count is used, or Verilator drops the $fscanf calls.
    reads = "      got = 0;\n" + "\n".join(f'      got = got + $fscanf(fin, "%h", element);\n'
                      f"      next_data[{(i + 1) * width - 1}:{i * width}] = "
                      f"element[{width - 1}:0];" for i in range(elements))
    ow = manifest["output"]["width"] * manifest["output"]["elements"]
    return f"""// machop simulation testbench: drives {manifest['top']} from in.hex, writes out.hex.
module machop_tb (input wire clk);
  reg rst = 1'b1;
  reg in_valid = 1'b0;
  reg [{iw - 1}:0] in_data = {iw}'h0;
  reg [{iw - 1}:0] next_data;
  reg [31:0] element;
  wire out_valid;
  wire [{ow - 1}:0] out_data;
  integer cycle = 0, sent = 0, received = 0, total, fin, fout, got;
  integer sent_at [0:1023];
  {manifest['top']} dut (.clk(clk), .rst(rst), .in_valid(in_valid), .in_data(in_data),
    .out_valid(out_valid), .out_data(out_data));
  initial begin
    if (!$value$plusargs("vectors=%d", total)) total = 0;
    fin = $fopen("in.hex", "r");
    fout = $fopen("out.hex", "w");
  end
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (cycle == 2) rst <= 1'b0;
    if (cycle >= 2 && sent < total && cycle % {BUBBLE_EVERY} != 0) begin
{reads}
      if (got != {elements}) begin
        $display("machop_tb: read %0d of {elements} elements from in.hex (file %0d)", got, fin);
        $finish;
      end
      in_data <= next_data;
      in_valid <= 1'b1;
      sent_at[sent % 1024] = cycle;
      sent <= sent + 1;
    end else begin
      in_valid <= 1'b0;
    end
    if (!rst && out_valid) begin
      $fwrite(fout, "%0d %0d %h\\n", sent_at[received % 1024], cycle, out_data);
      received <= received + 1;
      if (received + 1 == total) begin
        $fclose(fout);
        $finish;
      end
    end
    if (cycle > 2 * total + {manifest['latency']} + 64) begin
      $fclose(fout);
      $finish;
    end
  end
endmodule
"""


VERILATOR_MAIN = """// machop: the clock of the Verilator build of machop_tb.
#include "Vmachop_tb.h"
#include "verilated.h"
int main(int argc, char** argv) {
  VerilatedContext* context = new VerilatedContext;
  context->commandArgs(argc, argv);
  Vmachop_tb* tb = new Vmachop_tb{context};
  tb->clk = 0;
  while (!context->gotFinish()) {
    tb->clk = !tb->clk;
    tb->eval();
    context->timeInc(1);
  }
  tb->final();
  delete tb;
  delete context;
  return 0;
}
"""

IVERILOG_CLOCK = """// machop: the clock of the iverilog run of machop_tb.
module machop_tb_clock;
  reg clk = 1'b0;
  always #1 clk = ~clk;
  machop_tb tb (.clk(clk));
endmodule
"""


def _fingerprint(paths: list[Path], extra: str) -> str:
    digest = hashlib.sha256(extra.encode())
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _run(command: list[str], cwd: Path, what: str, timeout: float) -> float:
    """Run a tool; returns the CPU seconds it took."""
    cpu = children_cpu_seconds()
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{what} did not finish within {timeout:.0f} s.") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise ToolError(f"{what} failed (exit {done.returncode}): {' | '.join(tail)}")
    return children_cpu_seconds() - cpu


def build(rtl_dir: Path, manifest: dict, work_dir: Path, simulator: str,
          timeout: float = 1800) -> tuple[Path, float, float]:
    """Compile the design with its testbench (reused when sources are unchanged); returns the
    binary and the wall and CPU seconds of the build."""
    sources = design_sources(rtl_dir, manifest)
    bench = testbench(manifest)
    key = _fingerprint(sources, bench + simulator)
    build_dir = work_dir / f"{simulator}-{key}"
    binary = build_dir / ("Vmachop_tb" if simulator == "verilator" else "machop_tb.vvp")
    if binary.exists():
        return binary, 0.0, 0.0
    build_dir.mkdir(parents=True, exist_ok=True)
    (build_dir / "machop_tb.v").write_text(bench)
    start = time.perf_counter()
    if simulator == "verilator":
        (build_dir / "main.cpp").write_text(VERILATOR_MAIN)
        command = [tool_path("verilator"), "--cc", "--exe", "--build", "-j", "1", "-Wno-fatal",
                   "-Wno-lint", "-Wno-style", "--top-module", "machop_tb", "-Mdir", "obj",
                   "-o", str(binary), "-MAKEFLAGS", "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0",
                   "machop_tb.v", "main.cpp", *map(str, sources)]
        cpu = _run(command, build_dir, "Verilator build", timeout)
    else:
        (build_dir / "machop_tb_clock.v").write_text(IVERILOG_CLOCK)
        command = [tool_path("iverilog"), "-g2005", "-o", str(binary), "-s", "machop_tb_clock",
                   "machop_tb_clock.v", "machop_tb.v", *map(str, sources)]
        cpu = _run(command, build_dir, "iverilog build", timeout)
    return binary, time.perf_counter() - start, cpu


def run_design(rtl_dir: Path, manifest: dict, inputs: torch.Tensor, work_dir: Path,
               simulator: str = "verilator", timeout: float = 1800) -> SimulationRun:
    """Simulate `inputs` (N x elements integers) and return the decoded outputs."""
    # Absolute paths: the tools run inside the build and run folders, so a relative project
    # folder (the default ./mase_output) would not resolve from there.
    work_dir = Path(work_dir).resolve()
    binary, build_seconds, build_cpu = build(Path(rtl_dir).resolve(), manifest, work_dir, simulator, timeout)
    run_dir = work_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    in_fmt, out_fmt = manifest["input"], manifest["output"]
    (run_dir / "in.hex").write_text("\n".join(encode(inputs, in_fmt["width"])) + "\n")
    (run_dir / "out.hex").unlink(missing_ok=True)
    start = time.perf_counter()
    plusarg = f"+vectors={len(inputs)}"
    if simulator == "verilator":
        command = [str(binary), plusarg]
    else:
        command = [tool_path("vvp", "iverilog"), "-n", str(binary), plusarg]
    run_cpu = _run(command, run_dir, f"{simulator} simulation", timeout)
    run_seconds = time.perf_counter() - start
    lines = (run_dir / "out.hex").read_text().split() if (run_dir / "out.hex").exists() else []
    triples = [lines[k:k + 3] for k in range(0, len(lines), 3)]
    if len(triples) != len(inputs):
        raise SimulationMismatch(f"ch simulate: the design gave {len(triples)} outputs for "
                                 f"{len(inputs)} inputs (out_valid never rose for the rest).")
    rows, latencies = [], set()
    for k, (taken, seen, value) in enumerate(triples):
        if any(c in value.lower() for c in "xz"):
            raise SimulationMismatch(f"ch simulate: output of sample {k} has unknown bits "
                                     f"({value}); some register or wire is never driven.")
        latencies.add(int(seen) - int(taken) - 1)
        rows.append(decode(int(value, 16), out_fmt["elements"], out_fmt["width"],
                           out_fmt["signed"]))
    if latencies != {manifest["latency"]}:
        raise SimulationMismatch(f"ch simulate: outputs arrived after {sorted(latencies)} cycles; "
                                 f"the manifest says {manifest['latency']}.")
    return SimulationRun(torch.tensor(rows, dtype=torch.int64).reshape(len(rows), -1),
                         manifest["latency"], build_seconds, run_seconds, simulator,
                         build_cpu, run_cpu)


def compare(got: torch.Tensor, expected: torch.Tensor, labels: list[str], frac: int) -> None:
    """Raise SimulationMismatch naming the first sample and output that differ."""
    expected = expected.reshape(len(expected), -1)
    if got.shape != expected.shape:
        raise SimulationMismatch(f"ch simulate: the design gave outputs of shape "
                                 f"{tuple(got.shape)}, the program {tuple(expected.shape)}.")
    wrong = (got != expected)
    if not wrong.any():
        return
    rows = wrong.any(dim=1).nonzero().flatten()
    first = int(rows[0])
    column = int(wrong[first].nonzero()[0])
    raise SimulationMismatch(
        f"ch simulate: RTL output differs from the integer program at sample {first} "
        f"({labels[first]}), output {column}: RTL {int(got[first, column])}, program "
        f"{int(expected[first, column])} (units of 2^-{frac}); {len(rows)} of {len(got)} "
        "samples differ.")
