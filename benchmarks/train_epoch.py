"""Seconds per training epoch of `ch train`'s engine against two baselines, side by side.

On a 630,000 x 16 JSC-shaped synthetic set at batch 256 with jsc-tiny:
  floor     a plain PyTorch loop slicing shuffled tensors (nothing can be much faster);
  engine    chop.engine.trainer.fit on Lightning Fabric (what `ch train` runs);
  mase-like a Lightning Trainer over a default DataLoader(TensorDataset) (what MASE does).
Targets: engine/floor <= 1.2 and mase-like/engine >= 3.

Run: make bench   (or: python benchmarks/train_epoch.py --epochs 3)
"""

from __future__ import annotations

import argparse
import logging
import statistics
import warnings
import time

import torch
import torch.nn.functional as F

from chop.dataset import Dataset, DatasetInfo, TensorSplit
from chop.engine.optim import make_optimizer
from chop.engine.trainer import FitOptions, fit
from chop.models import get_model

ROWS, FEATURES, CLASSES, BATCH = 630_000, 16, 5, 256
INFO = DatasetInfo("jsc-synthetic", input_shape=(FEATURES,), num_classes=CLASSES)


def synthetic(rows: int) -> Dataset:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(rows, FEATURES, generator=g)
    y = torch.randint(0, CLASSES, (rows,), generator=g)
    small = TensorSplit(x[:2048], y[:2048])
    return Dataset(INFO, TensorSplit(x, y), small, small)


def fresh_model():
    torch.manual_seed(0)
    model = get_model("jsc-tiny", INFO)
    return model, make_optimizer("adam", model, 1e-3, 0.0)


def floor(data: Dataset, epochs: int) -> list[float]:
    model, opt = fresh_model()
    model.train()
    x, y = data.train.x, data.train.y
    times = []
    for epoch in range(epochs):
        t = time.perf_counter()
        perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(epoch))
        xs, ys = x[perm], y[perm]
        for i in range(0, len(xs), BATCH):
            loss = F.cross_entropy(model(xs[i : i + BATCH]), ys[i : i + BATCH])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t)
    return times


def engine(data: Dataset, epochs: int) -> list[float]:
    from lightning_fabric import Fabric

    fabric = Fabric(accelerator="cpu", devices=1)
    model, opt = fresh_model()
    model, opt = fabric.setup(model, opt)
    opts = FitOptions(max_epochs=epochs, batch_size=BATCH, show_progress=False,
                      log_every_n_steps=50)
    result = fit(fabric, model, opt, data, opts)
    return [row["train_seconds"] for row in result.history]


def mase_like(data: Dataset, epochs: int) -> list[float] | None:
    try:
        import lightning as L
    except ImportError:
        return None
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    from torch.utils.data import DataLoader, TensorDataset

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.model, _ = fresh_model()

        def training_step(self, batch, _):
            x, y = batch
            loss = F.cross_entropy(self.model(x), y)
            self.log("train_loss", loss, prog_bar=True)
            return loss

        def configure_optimizers(self):
            return torch.optim.Adam(self.model.parameters(), lr=1e-3)

    times: list[float] = []

    class Timer(L.Callback):
        def on_train_epoch_start(self, *_):
            self.t = time.perf_counter()

        def on_train_epoch_end(self, *_):
            times.append(time.perf_counter() - self.t)

    loader = DataLoader(TensorDataset(data.train.x, data.train.y), batch_size=BATCH, shuffle=True)
    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, callbacks=[Timer()])
    trainer.fit(Module(), loader)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per contender, interleaved")
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args()
    data = synthetic(args.rows)
    contenders = {"floor": floor, "engine": engine, "mase-like": mase_like}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    # Interleaved single epochs, so that a noisy neighbour slows every contender alike.
    for _ in range(args.epochs):
        for name, fn in contenders.items():
            measured = fn(data, 1)
            if measured is None:
                times.pop(name, None)
            elif name in times:
                times[name] += measured
    print(f"{args.rows:,} x {FEATURES}, batch {BATCH}, jsc-tiny, {args.epochs} interleaved epochs each, "
          f"{torch.get_num_threads()} threads (median / min s per epoch)")
    results = {}
    for name, ts in times.items():
        results[name] = statistics.median(ts)
        print(f"  {name:10s} {statistics.median(ts):7.3f} / {min(ts):7.3f}")
    ratio = results["engine"] / results["floor"]
    print(f"  engine / floor      = {ratio:5.2f}  (target <= 1.20) {'OK' if ratio <= 1.2 else 'MISSED'}")
    if "mase-like" in results:
        speedup = results["mase-like"] / results["engine"]
        print(f"  mase-like / engine  = {speedup:5.2f}  (target >= 3.00) {'OK' if speedup >= 3 else 'MISSED'}")
    else:
        print("  mase-like: skipped (pip install 'machop[bench]' for the Lightning Trainer baseline)")


if __name__ == "__main__":
    main()
