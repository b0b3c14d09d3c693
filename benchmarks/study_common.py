"""What the study scripts share: train a model with the engine, measure test accuracy."""

from __future__ import annotations

from chop.engine.batches import TensorBatches
from chop.engine.optim import make_optimizer
from chop.engine.trainer import FitOptions, evaluate, fit


def train(fabric, model, data, epochs: int, lr: float, batch_size: int):
    """`model` set up with `fabric` and trained `epochs` epochs with Adam at `lr`."""
    opt = make_optimizer("adam", model, lr, 0.0)
    model, opt = fabric.setup(model, opt)
    fit(fabric, model, opt, data, FitOptions(max_epochs=epochs, batch_size=batch_size, show_progress=False))
    return model


def test_acc(fabric, model, data) -> float:
    return evaluate(fabric, model, TensorBatches(data.test, 2048))["acc"]
