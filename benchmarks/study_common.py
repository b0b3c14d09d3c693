"""What the study scripts share: train with the engine, test accuracy, CSV and pyplot."""

from __future__ import annotations

import csv
from pathlib import Path

from chop.engine.batches import TensorBatches
from chop.engine.optim import make_optimizer
from chop.engine.trainer import FitOptions, evaluate, fit
from chop.tools.logger import set_logging_verbosity

set_logging_verbosity("warning")  # the studies print their own rows; no per-epoch log lines


def train(fabric, model, data, epochs: int, lr: float, batch_size: int):
    """`model` set up with `fabric` and trained `epochs` epochs with Adam at `lr`."""
    opt = make_optimizer("adam", model, lr, 0.0)
    model, opt = fabric.setup(model, opt)
    fit(fabric, model, opt, data, FitOptions(max_epochs=epochs, batch_size=batch_size, show_progress=False))
    return model


def test_acc(fabric, model, data) -> float:
    return evaluate(fabric, model, TensorBatches(data.test, 2048))["acc"]


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
