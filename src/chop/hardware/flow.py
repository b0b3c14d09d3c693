"""The steps behind `ch simulate` and `ch synth`, given an integer program and a dataset.

Both use the design already in `<hardware>/rtl/` when its manifest says it was emitted from
this very program (same integers, same formats); they emit it first when the folder is empty,
and refuse an RTL folder emitted from another model rather than check the wrong thing.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import torch

from chop.errors import ConfigError
from chop.export.runner import IntegerProgram
from chop.hardware.emit import emit_design, program_digest
from chop.hardware.files import MANIFEST, read_manifest, write_design
from chop.hardware.options import HardwareOptions

logger = logging.getLogger(__name__)


def design_for(program: IntegerProgram, options: HardwareOptions, input_shape,
               hardware_dir: Path) -> tuple[Path, dict]:
    """(rtl folder, manifest) of `program`'s design, emitting it if the folder has none."""
    rtl_dir = Path(hardware_dir) / "rtl"
    if not (rtl_dir / MANIFEST).exists():
        logger.info("No design in %s yet: emitting it.", rtl_dir)
        write_design(emit_design(program, options, input_shape), rtl_dir)
    manifest = read_manifest(rtl_dir)
    if manifest.get("program_sha256") != program_digest(program):
        raise ConfigError(f"The design in '{rtl_dir}' was emitted from another model or "
                          "quantization than the one loaded; run 'ch emit' with these "
                          "arguments again.")
    return rtl_dir, manifest


def simulate_program(program: IntegerProgram, options: HardwareOptions, dataset,
                     hardware_dir: Path) -> dict[str, Any]:
    """Simulate the test split (or `options.vectors` of it) plus directed vectors; raise
    SimulationMismatch on the first difference from `program.run_integers`."""
    from chop.hardware.simulate import compare, run_design
    from chop.hardware.vectors import directed_vectors, test_split_vectors

    shape = tuple(dataset.info.input_shape)
    rtl_dir, manifest = design_for(program, options, shape, hardware_dir)
    test = test_split_vectors(program, dataset.test.x, options.vectors)
    directed, directed_labels = directed_vectors(program, manifest["input"]["elements"])
    inputs = torch.cat([test, directed])
    labels = [f"test sample {i}" for i in range(len(test))] + \
             [f"directed: {label}" for label in directed_labels]
    simulator = options.simulator
    if simulator == "verilator" and not shutil.which("verilator") and shutil.which("iverilog"):
        logger.warning("Verilator is not installed; simulating with iverilog instead.")
        simulator = "iverilog"
    run = run_design(rtl_dir, manifest, inputs, Path(hardware_dir) / "sim", simulator)
    expected = program.run_integers(inputs.reshape(len(inputs), *shape))
    compare(run.outputs, expected, labels, program.output_frac)
    report = {"top": manifest["top"], "simulator": run.simulator, "vectors": len(inputs),
              "test_vectors": len(test), "directed_vectors": len(directed),
              "latency_cycles": run.latency, "build_seconds": round(run.build_seconds, 2),
              "build_cpu_seconds": round(run.build_cpu_seconds, 2),
              "run_seconds": round(run.run_seconds, 3),
              "run_cpu_seconds": round(run.run_cpu_seconds, 3), "bit_exact": True,
              "rtl_dir": str(rtl_dir)}
    path = Path(hardware_dir) / "simulation.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    report["report"] = str(path)
    logger.info("Simulated %d vectors in %s: every output equals the integer program.",
                len(inputs), run.simulator)
    return report


def estimate_of(program: IntegerProgram, manifest: dict, options: HardwareOptions,
                input_shape) -> dict[str, Any]:
    """The fast estimate (`chop.hardware.estimate`) of the design in the RTL folder: the
    program emitted again in memory with the choices the folder's manifest records."""
    from chop.hardware.estimate import estimate_program

    chosen = dataclasses.replace(options, **{k: manifest["options"][k]
                                             for k in ("pipeline", "multiplier")})
    return estimate_program(program, chosen, input_shape)


def synthesize_program(program: IntegerProgram, options: HardwareOptions, dataset,
                       hardware_dir: Path) -> dict[str, Any]:
    """yosys figures of the design (see `chop.hardware.synth`), written to synthesis.json."""
    from chop.hardware.synth import synthesize

    rtl_dir, manifest = design_for(program, options, tuple(dataset.info.input_shape),
                                   hardware_dir)
    report = synthesize(rtl_dir, manifest, options, Path(hardware_dir) / "synth")
    report["estimate"] = estimate_of(program, manifest, options, tuple(dataset.info.input_shape))
    path = Path(hardware_dir) / "synthesis.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    total = report["total"]
    return {"top": manifest["top"], "target": report["target"],
            "yosys": f"{report['yosys']} ({report['yosys_kind']})", "luts": total["luts"],
            "ffs": total["ffs"], "dsps": total["dsps"], "carry_cells": total["carry_cells"],
            "logic_depth": report["critical_depth"],
            "estimated_luts": report["estimate"]["total"]["luts"],
            "latency_ns_estimate": report["latency_ns_estimate"],
            "assumption": report["assumption"], "yosys_seconds": report["seconds"],
            "yosys_cpu_seconds": report["cpu_seconds"],
            "report": str(path)}
