"""`ch emit`, `ch simulate`, `ch synth`: a quantized model as verified Verilog, and its cost.

    ch transform --config fixed_point.toml ...            # fold_batchnorm + integer quantize
    ch emit MODEL DATASET --load .../transformed_ckpt --load-type mg [--config hw.toml]
    ch simulate (same arguments)                          # Verilator/iverilog vs the integer program
    ch synth (same arguments)                             # yosys: LUTs, FFs, depth per layer

The model is loaded exactly as `ch test` loads it, exported as an integer program
(`chop.export`), and the design goes to `<project>/hardware/rtl/` with `manifest.json`. The
`[hardware]` TOML section holds the design choices (see `chop.hardware.options`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

from chop.actions.common import prepare, project_of_checkpoint, require
from chop.config import RunConfig
from chop.errors import ConfigError

log = logging.getLogger("chop")


def _project_of_graph(path: str) -> Path | None:
    """`<project>` for a graph at `<project>/software/transform/transformed_ckpt`."""
    p = Path(path).resolve()
    if p.name == "transformed_ckpt" and p.parent.name == "transform" \
            and p.parent.parent.name == "software":
        return p.parent.parent.parent
    return None


def _with_project(cfg: RunConfig) -> RunConfig:
    if cfg.project is None and cfg.load_name:
        project = _project_of_graph(cfg.load_name) or project_of_checkpoint(cfg.load_name)
        if project is not None:
            cfg = dataclasses.replace(cfg, project=project.name, project_dir=str(project.parent))
    return cfg


def _fill_from_graph(cfg: RunConfig) -> RunConfig:
    """A saved graph knows its model and dataset; the command line may leave them out."""
    if cfg.load_name and cfg.load_type == "mg" and not (cfg.model and cfg.dataset):
        recipe_path = Path(cfg.load_name) / "recipe.json"
        try:
            recipe = json.loads(recipe_path.read_text())
        except (OSError, ValueError):
            return cfg
        fill = {}
        if not cfg.model and isinstance(recipe.get("model"), str):
            fill["model"] = recipe["model"]
        info = recipe.get("dataset_info")
        if not cfg.dataset and isinstance(info, dict) and isinstance(info.get("name"), str):
            fill["dataset"] = info["name"]
        cfg = dataclasses.replace(cfg, **fill)
    return cfg


def _program(cfg: RunConfig, action: str):
    """(cfg with project, prepared model and data, integer program, options, hardware dir)."""
    from chop.export import export_integer
    from chop.hardware import HardwareOptions
    from chop.ir import MaseGraph

    options = HardwareOptions.from_section(cfg.hardware)
    cfg = _with_project(_fill_from_graph(cfg))
    require(cfg, action, "model", "dataset")
    if not cfg.load_name:
        raise ConfigError(f"ch {action} needs a quantized model: --load DIR --load-type mg (the "
                          "transformed_ckpt of a 'ch transform' with fold_batchnorm and an "
                          "'integer' quantize pass).")
    prepared = prepare(cfg)
    mg = MaseGraph(prepared.model.eval(), model_name=prepared.model_name,
                   dataset_info=prepared.dataset.info)
    # The hardware is checked against the exact integer program, so a program that float32
    # cannot reproduce is still emitted (export_integer warns).
    program = export_integer(mg, on_inexact="warn")
    return cfg, prepared, program, options, cfg.project_path / "hardware"


def emit(cfg: RunConfig) -> dict:
    from chop.hardware import emit_design
    from chop.hardware.estimate import estimate_design
    from chop.hardware.files import write_design

    cfg, prepared, program, options, hardware_dir = _program(cfg, "emit")
    design = emit_design(program, options, prepared.dataset.info.input_shape)
    manifest_path = write_design(design, hardware_dir / "rtl")
    program.save(hardware_dir / "program.int.safetensors")
    m = design.manifest
    estimate = estimate_design(m, options)
    log.info("Wrote %d Verilog files and %s", len(m["files"]), manifest_path)
    return {"top": m["top"], "rtl_dir": str(manifest_path.parent), "manifest": str(manifest_path),
            "layers": len(m["layers"]), "latency_cycles": m["latency"],
            "initiation_interval": m["initiation_interval"],
            "input": f"{m['input']['elements']} x {m['input']['width']} bits",
            "output": f"{m['output']['elements']} x {m['output']['width']} bits",
            "pipeline": options.pipeline, "multiplier": options.multiplier,
            "estimated_luts": estimate["total"]["luts"], "estimated_ffs": estimate["total"]["ffs"],
            "estimated_latency_ns": estimate["latency_ns_estimate"]}


def simulate(cfg: RunConfig) -> dict:
    from chop.hardware.flow import simulate_program

    cfg, prepared, program, options, hardware_dir = _program(cfg, "simulate")
    return simulate_program(program, options, prepared.dataset, hardware_dir)


def synth(cfg: RunConfig) -> dict:
    from chop.hardware.flow import synthesize_program

    cfg, prepared, program, options, hardware_dir = _program(cfg, "synth")
    return synthesize_program(program, options, prepared.dataset, hardware_dir)
