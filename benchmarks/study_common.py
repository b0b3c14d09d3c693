"""What the study scripts share: train with the engine, test accuracy, CSV and pyplot."""

from __future__ import annotations

import csv
from pathlib import Path

from chop.engine.batches import TensorBatches
from chop.engine.epoch import eval_batch_size
from chop.engine.optim import make_optimizer
from chop.engine.schedule import resolve_schedule
from chop.engine.trainer import FitOptions, evaluate, fit
from chop.tools.logger import set_logging_verbosity

set_logging_verbosity("warning")  # the studies print their own rows; no per-epoch log lines


def train(fabric, model, data, epochs: int, lr: float, batch_size: int, max_steps: int = -1):
    """`model` set up with `fabric` and trained `epochs` epochs (or `max_steps` steps) with Adam at
    `lr`, on `ch train`'s default schedule for the kind of model (text: warm-up, linear decay,
    clipping)."""
    opt = make_optimizer("adamw" if data.info.is_text else "adam", model, lr, 0.0)
    model, opt = fabric.setup(model, opt)
    schedule = resolve_schedule("auto", None, None, data.info.is_text)
    fit(fabric, model, opt, data, FitOptions(max_epochs=epochs, max_steps=max_steps, batch_size=batch_size,
                                             show_progress=False, schedule=schedule,
                                             eval_batch_size=eval_batch_size(data.val)))
    return model


def base_model(fabric, args, data):
    """The float model the study starts from: `--load CKPT` (a `ch train` checkpoint) set up with
    `fabric`, or `args.model` trained `--base-epochs` epochs."""
    from chop.engine.checkpoint import check_fits, load_weights, read_checkpoint, weights_of
    from chop.models import get_model
    from chop.models.weights_follow import weights_follow

    if not getattr(args, "load", None):
        return train(fabric, get_model(args.model, data.info), data, args.base_epochs, args.lr, args.batch_size)
    ckpt = read_checkpoint(args.load)
    check_fits(ckpt, args.model, data.info, args.load)
    with weights_follow():
        model = get_model(args.model, data.info)
    load_weights(model, weights_of(ckpt, "pl", args.load), args.load)
    return fabric.setup_module(model)


def graph_with_metadata(model, model_name: str, data):
    """`model` traced into a MaseGraph with its common metadata (from 8 training rows)."""
    from chop import MaseGraph
    from chop.passes.graph import add_common_metadata_analysis_pass, init_metadata_analysis_pass

    graph = MaseGraph(model, model_name=model_name, dataset_info=data.info)
    graph, _ = init_metadata_analysis_pass(graph, None)
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": data.train.inputs(8)})
    return graph


def test_acc(fabric, model, data) -> float:
    return evaluate(fabric, model, TensorBatches(data.test, eval_batch_size(data.test)))["acc"]


def dataset_options(args) -> dict:
    """Options a text dataset takes from the study's flags (none for the others)."""
    return {"max_token_len": args.max_token_len} if getattr(args, "max_token_len", None) else {}


def write_csv(rows: list[dict], path: Path) -> Path:
    """`rows` (dicts with the same keys) as CSV, the keys as the header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def pyplot():
    """matplotlib.pyplot on the Agg backend, or None (with a hint) when it is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot (pip install 'machop[plot]')")
        return None
    return plt


def describe_base(args) -> str:
    """How the float model came about, for the study's printed summary."""
    return f"loaded from {args.load}" if getattr(args, "load", None) else f"after {args.base_epochs} epochs"


def describe_tuning(epochs: int, steps: int) -> str:
    """'1 epoch', or '40 steps' when a step cap shortens it."""
    return f"{steps} steps" if steps and steps > 0 else f"{epochs} epoch{'s' if epochs != 1 else ''}"
