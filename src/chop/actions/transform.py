"""`ch transform`: lift a (trained) model into a MaseGraph, run the TOML's passes, save it all.

The graph is built from the model of `--load` (or freshly initialised; a Hugging Face model is
traced with the dataset's inputs or the TOML's `hf_input_names`), metadata comes from a real
training batch (token ids for a text model), and `[passes.<name>]` sections run in file order. Outputs go to
`<project>/software/transform/`: one report file per pass that produced text, the graph drawn as
SVG, and the transformed graph (`transformed_ckpt/`: weights + recipe + metadata) that
`ch train/test --load DIR --load-type mg` reads back.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from pathlib import Path

from chop import atomic
from chop.actions.common import log, prepare, project_of_checkpoint, require
from chop.config import RunConfig
from chop.ir.inputs import example_batches, example_inputs, trace_input_names
from chop.errors import ChopError, ConfigError

METADATA_PASSES = ("init_metadata", "add_common_metadata")


def _with_metadata_passes(passes: dict) -> dict:
    """The user's passes, preceded by the metadata passes every graph pass relies on."""
    first = {name: {} for name in METADATA_PASSES if name not in passes}
    return {**first, **passes}


def _keep_previous(path: Path) -> None:
    if path.exists():
        dest = path.parent / "previous" / time.strftime("%Y%m%d-%H%M%S") / path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), dest)
        log.warning("An earlier transform's output %s was moved to %s.", path, dest)


def transform(cfg: RunConfig) -> dict:
    from chop.ir import MaseGraph
    from chop.passes.runner import plan_passes, run_passes

    require(cfg, "transform", "model", "dataset")
    if not cfg.passes:
        raise ConfigError("ch transform needs passes: add [passes.<name>] sections to the --config TOML.")
    passes = _with_metadata_passes(cfg.passes)
    plan_passes(passes)  # a misspelled pass or argument fails before any loading
    if cfg.project is None and cfg.load_name and project_of_checkpoint(cfg.load_name):
        cfg = dataclasses.replace(cfg, project=project_of_checkpoint(cfg.load_name).name,
                                  project_dir=str(project_of_checkpoint(cfg.load_name).parent))
    prepared = prepare(cfg)
    data = prepared.dataset
    mg = MaseGraph(prepared.model, hf_input_names=trace_input_names(prepared.model, data.info, cfg.hf_input_names),
                   model_name=prepared.model_name, dataset_info=data.info)
    if prepared.recipe:  # a transformed graph (or a checkpoint of one): keep its transforms
        mg.continue_recipe(prepared.recipe)
    context = {
        "dummy_in": example_inputs(mg.model, data.train, cfg.batch_size),
        "input_generator": example_batches(mg.model, data.train, cfg.batch_size, cfg.seed),
    }
    log.info("Transforming model '%s'...", prepared.model_name)
    mg, results = run_passes(mg, passes, context)

    out = cfg.software_dir / "transform"
    out.mkdir(parents=True, exist_ok=True)
    reports = []
    for name, result in results.items():
        text = result.get("text") if isinstance(result, dict) else None
        if text:
            path = out / f"{name}.txt"
            atomic.write_text(path, text if text.endswith("\n") else text + "\n")
            reports.append(str(path))
    drawing = None
    try:
        drawing = str(mg.draw(out / "graph.svg"))
    except ChopError as exc:  # graphviz missing: the rest of the transform still stands
        log.warning("Graph not drawn: %s", exc)
    ckpt = out / "transformed_ckpt"
    atomic.replace_dir(ckpt, mg.save, keep_old=_keep_previous)
    log.info("Saved mase graph to %s", ckpt)
    summary = {
        "model": prepared.model_name,
        "dataset": cfg.dataset,
        "passes": list(results),
        "nodes": len(list(mg.fx_graph.nodes)),
        "reports": reports,
        "graph_svg": drawing,
        "transformed_ckpt": str(ckpt),
    }
    atomic.write_text(out / "transform_summary.json", json.dumps(summary, indent=2))
    log.info("Transformation is completed")
    return summary
