"""The training loop on Lightning Fabric: train, validate, checkpoint, stop early, resume.

Each epoch is `epoch.run_epoch` (the floor PyTorch step plus metric sums kept as tensors, so that
nothing synchronises with the device until the epoch ends), the one loop search trials run too.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from lightning_fabric import Fabric
from torch import nn

from chop import atomic
from chop.dataset.info import Dataset
from chop.engine.batches import TensorBatches
from chop.engine.checkpoint import make_checkpoint
from chop.engine.early_stop import BestTracker
from chop.engine.epoch import evaluate_batches, learned_penalty, run_epoch
from chop.nn.learned.penalty import describe as describe_learners
from chop.engine.progress import EpochProgress
from chop.engine.schedule import TrainingSchedule, make_scheduler, scheduled_step

log = logging.getLogger(__name__)


@dataclass
class FitOptions:
    max_epochs: int = 20
    max_steps: int = -1
    max_time: float | None = None
    early_stop: int = 0
    batch_size: int = 128
    seed: int = 0
    log_every_n_steps: int = 50
    ckpt_dir: Path | None = None
    model_name: str = "model"
    show_progress: bool = True
    recipe: dict | None = None  # a transformed graph's recipe, kept in its checkpoints
    schedule: TrainingSchedule = field(default_factory=TrainingSchedule)
    eval_batch_size: int = 1024


@dataclass
class FitResult:
    history: list[dict] = field(default_factory=list)
    best_val_acc: float = float("nan")
    best_epoch: int = -1
    epochs_run: int = 0
    global_step: int = 0
    stop_reason: str = "max_epochs"
    best_path: Path | None = None
    last_path: Path | None = None


def to_device(fabric: Fabric, dataset_split):
    return dataset_split.to(fabric.device)


def evaluate(fabric: Fabric, model: nn.Module, batches: TensorBatches) -> dict[str, float]:
    """Mean cross-entropy loss and accuracy over `batches`, reduced across ranks."""
    reduce = (lambda sums: fabric.all_reduce(sums, reduce_op="sum")) if fabric.world_size > 1 else None
    return evaluate_batches(model, batches, fabric.device, reduce)


def hot_path(fabric: Fabric, model: nn.Module, optimizer: torch.optim.Optimizer):
    """The callables of one training step: forward, backward(loss), optimizer step.

    Fabric's wrappers cost ~20% of a jsc-tiny step in Python bookkeeping. At full precision they
    only forward to the module and the optimizer (DDP's gradient sync lives in the wrapped
    module's own hooks), so we call those directly; other precisions keep Fabric's path, which
    handles casting and loss scaling.
    """
    plain_precision = fabric.strategy.precision.__class__.__name__ == "Precision" and (
        getattr(fabric.strategy.precision, "precision", "32-true") == "32-true"
    )
    if plain_precision and hasattr(model, "_forward_module") and hasattr(optimizer, "optimizer"):
        return model._forward_module, (lambda loss: loss.backward()), optimizer.optimizer.step
    return model, fabric.backward, optimizer.step


def step_hook(fabric: Fabric, opts: FitOptions, result: FitResult, bar: EpochProgress, started: float):
    """What `fit` does after each step: count it, log the loss every n steps, move the progress
    bar, and stop at `max_steps` or `max_time`."""

    def after_step(loss: torch.Tensor, logits: torch.Tensor, y: torch.Tensor) -> str | None:
        result.global_step += 1
        if result.global_step % opts.log_every_n_steps == 0:
            step_acc = (logits.detach().argmax(dim=1) == y).float().mean()
            fabric.log_dict({"train_loss_step": loss.item(), "train_acc_step": step_acc.item()},
                            step=result.global_step)
        bar.step()
        if opts.max_steps > 0 and result.global_step >= opts.max_steps:
            return "max_steps"
        if opts.max_time is not None and time.monotonic() - started >= opts.max_time:
            return "max_time"
        return None

    return after_step


def _save(fabric: Fabric, ckpt: dict, last: Path, best: Path | None) -> None:
    """Rank 0 writes the checkpoints atomically (not fabric.save: it moves a temp file from
    $TMPDIR, a copy over the target across filesystems); the others wait."""
    if fabric.is_global_zero:
        atomic.torch_save(ckpt, last)
        if best is not None:
            atomic.torch_save(ckpt, best)
    fabric.barrier()


def _scheduler(optimizer, opts: FitOptions, steps_per_epoch: int, resume_state: dict | None):
    """The run's LambdaLR over all its steps (None for a constant rate), resumed where it was."""
    total = opts.max_epochs * steps_per_epoch
    if opts.max_steps > 0:
        total = min(total, opts.max_steps)
    scheduler = make_scheduler(getattr(optimizer, "optimizer", optimizer), opts.schedule, max(total, 1))
    if scheduler is not None and resume_state and "scheduler" in resume_state:
        scheduler.load_state_dict(resume_state["scheduler"])
    return scheduler


def _clipper(fabric: Fabric, model: nn.Module, optimizer, max_norm: float):
    """Gradient-norm clipping before each step (through Fabric, which unscales mixed-precision
    gradients first), or None."""
    if not max_norm:
        return None
    return lambda: fabric.clip_gradients(model, optimizer, max_norm=max_norm)


def fit(
    fabric: Fabric,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    dataset: Dataset,
    opts: FitOptions,
    resume_state: dict | None = None,
) -> FitResult:
    """Train `model` (already set up with `fabric`) and keep best/last checkpoints."""
    raw_model = model.module if hasattr(model, "module") else model
    train = TensorBatches(to_device(fabric, dataset.train), opts.batch_size, shuffle=True,
                          seed=opts.seed, rank=fabric.global_rank, world_size=fabric.world_size)
    val = TensorBatches(to_device(fabric, dataset.val), max(opts.batch_size, opts.eval_batch_size),
                        rank=fabric.global_rank, world_size=fabric.world_size)
    tracker = BestTracker(patience=opts.early_stop)
    result = FitResult()
    start_epoch = 0
    if resume_state:
        start_epoch = int(resume_state["epoch"])
        result.global_step = int(resume_state["global_step"])
        tracker.load_state_dict(resume_state["tracker"])
        result.history = list(resume_state.get("history", []))
        result.best_val_acc, result.best_epoch = tracker.best, tracker.best_epoch
    if opts.ckpt_dir is not None:
        result.best_path, result.last_path = opts.ckpt_dir / "best.ckpt", opts.ckpt_dir / "last.ckpt"

    scheduler = _scheduler(optimizer, opts, len(train), resume_state)  # before the step is taken
    forward, backward, step = hot_path(fabric, model, optimizer)
    penalty = learned_penalty(raw_model)
    step = scheduled_step(step, scheduler, _clipper(fabric, model, optimizer, opts.schedule.gradient_clip))
    started = time.monotonic()
    stop = None
    with EpochProgress(opts.show_progress and fabric.is_global_zero, opts.max_epochs) as bar:
        for epoch in range(start_epoch, opts.max_epochs):
            train.set_epoch(epoch)
            bar.start_epoch(epoch + 1, len(train))
            model.train()
            epoch_started = time.perf_counter()
            after_step = step_hook(fabric, opts, result, bar, started)
            epoch_sums = run_epoch(forward, backward, step, optimizer, train, fabric.device, after_step,
                                   penalty=penalty)
            stop = epoch_sums.stop
            train_seconds = time.perf_counter() - epoch_started
            sums = torch.stack([epoch_sums.loss.double(), epoch_sums.correct.double(),
                                torch.tensor(float(epoch_sums.seen), device=fabric.device, dtype=torch.float64)])
            if fabric.world_size > 1:
                sums = fabric.all_reduce(sums, reduce_op="sum")
            n = max(sums[2].item(), 1.0)
            val_metrics = evaluate(fabric, model, val)
            row = {
                "epoch": epoch + 1,
                "step": result.global_step,
                "train_loss": sums[0].item() / n,
                "train_acc": sums[1].item() / n,
                "val_loss": val_metrics["loss"],
                "val_acc": val_metrics["acc"],
                "train_seconds": train_seconds,
            }
            result.history.append(row)
            result.epochs_run = epoch + 1
            fabric.log_dict({k: v for k, v in row.items() if k not in ("epoch", "step")} | {"epoch": epoch + 1},
                            step=result.global_step)
            improved = tracker.update(row["val_acc"], epoch + 1)
            bar.end_epoch({k: row[k] for k in ("train_loss", "val_loss", "val_acc")})
            log.info("epoch %d: train loss %.4f acc %.4f | val loss %.4f acc %.4f",
                     epoch + 1, row["train_loss"], row["train_acc"], row["val_loss"], row["val_acc"])
            if penalty is not None:
                log.info("learned widths: %s", "; ".join(f"{name.replace('.learned.', ' ')} {spec}"
                                                          for name, spec in describe_learners(raw_model)))
            if opts.ckpt_dir is not None:
                ckpt = make_checkpoint(
                    raw_model, opts.model_name, dataset.info,
                    optimizer=optimizer.state_dict(), epoch=epoch + 1, global_step=result.global_step,
                    tracker=tracker.state_dict(), history=result.history, metrics=row,
                    **({"scheduler": scheduler.state_dict()} if scheduler is not None else {}),
                    **({"recipe": opts.recipe} if opts.recipe else {}),
                )
                _save(fabric, ckpt, result.last_path, result.best_path if improved else None)
            if stop is None and tracker.should_stop:
                stop = "early_stop"
            if stop is not None:
                break
    result.best_val_acc, result.best_epoch = tracker.best, tracker.best_epoch
    result.stop_reason = stop or "max_epochs"
    fabric.barrier()
    return result
