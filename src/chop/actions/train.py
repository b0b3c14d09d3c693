"""`ch train`: train a model on a dataset and keep best/last checkpoints in the project."""

from __future__ import annotations

import dataclasses
import json

from chop import atomic
from chop.actions.lock import project_lock
from chop.actions.common import archive_previous, log, prepare, require
from chop.actions.runs import CONFIG, SUMMARY, next_run_dir
from chop.config import RunConfig, write_run_config
from chop.engine.checkpoint import check_resumable, read_checkpoint
from chop.engine.epoch import eval_batch_size
from chop.engine.optim import make_optimizer
from chop.engine.schedule import resolve_schedule
from chop.engine.runtime import make_fabric, make_loggers
from chop.engine.trainer import FitOptions, fit
from chop.errors import CheckpointError


def _written(path) -> str | None:
    """The checkpoint's path if it exists (none is written when no epoch runs)."""
    return str(path) if path is not None and path.is_file() else None


def train(cfg: RunConfig) -> dict:
    require(cfg, "train", "model", "dataset")
    with project_lock(cfg.software_dir, "train", cfg.project_name):  # one ch train per project at a time
        return _train(cfg)


def _train(cfg: RunConfig) -> dict:
    resume_state = None
    if cfg.resume:
        last = cfg.ckpt_dir / "last.ckpt"
        if not last.exists():
            raise CheckpointError(f"--resume: no '{last}' to resume from; train without --resume first.")
        resume_state = read_checkpoint(last)
        cfg = dataclasses.replace(cfg, load_name=str(last), load_type="pl")
    run_dir = next_run_dir(cfg.software_dir)
    fabric = make_fabric(cfg, make_loggers(cfg, run_dir))
    prepared = prepare(cfg, checkpoint=resume_state)
    if fabric.is_global_zero and resume_state is None:
        archive_previous(cfg.ckpt_dir)
    fabric.barrier()
    optimizer = make_optimizer(cfg.optimizer, prepared.model, cfg.learning_rate, cfg.weight_decay)
    model, optimizer = fabric.setup(prepared.model, optimizer)
    if resume_state is not None:
        check_resumable(resume_state, optimizer, cfg.load_name)
        optimizer.load_state_dict(resume_state["optimizer"])
        log.info("Resuming from '%s' after epoch %d.", cfg.load_name, resume_state["epoch"])
    hparams = {k: v for k, v in cfg.to_dict().items() if isinstance(v, (int, float, str, bool))}
    for logger in fabric.loggers:
        try:
            logger.log_hyperparams(hparams)
        except NotImplementedError:  # CSVLogger: the run's config file below records them
            pass
    if fabric.is_global_zero:  # the run's hyper-parameters beside its logs; the latest also in software/
        write_run_config(cfg, run_dir / CONFIG)
        atomic.write_bytes(cfg.software_dir / CONFIG, (run_dir / CONFIG).read_bytes())
    opts = FitOptions(
        max_epochs=cfg.max_epochs, max_steps=cfg.max_steps, max_time=cfg.max_time_seconds,
        early_stop=cfg.early_stop, batch_size=cfg.batch_size, seed=cfg.seed,
        log_every_n_steps=cfg.log_every_n_steps, ckpt_dir=cfg.ckpt_dir,
        model_name=prepared.model_name, recipe=prepared.recipe,
        schedule=resolve_schedule(cfg.lr_scheduler, cfg.warmup_ratio, cfg.gradient_clip, prepared.dataset.info.is_text),
        eval_batch_size=eval_batch_size(prepared.dataset.val),
    )
    result = fit(fabric, model, optimizer, prepared.dataset, opts, resume_state)
    for logger in fabric.loggers:
        logger.finalize("success")
    timed = [row["train_seconds"] for row in result.history if "train_seconds" in row]
    if result.epochs_run == 0:
        log.warning("No epoch ran (max_epochs=%d), so no checkpoint was written.", cfg.max_epochs)
    summary = {
        "model": prepared.model_name,
        "dataset": cfg.dataset,
        "epochs": result.epochs_run,
        "steps": result.global_step,
        "stopped_by": result.stop_reason,
        "lr_schedule": dataclasses.asdict(opts.schedule),
        "best_epoch": result.best_epoch,
        "best_val_acc": result.best_val_acc,
        "last": result.history[-1] if result.history else {},
        "train_seconds_total": sum(timed),
        "epochs_timed": len(timed),
        "best_ckpt": _written(result.best_path),
        "last_ckpt": _written(result.last_path),
        "run_dir": str(run_dir),
        "log_dirs": [str(lg.log_dir) for lg in fabric.loggers],
        "history": result.history,
        "is_global_zero": fabric.is_global_zero,
    }
    if fabric.is_global_zero:
        text = json.dumps(summary, indent=2)
        atomic.write_text(run_dir / SUMMARY, text)
        atomic.write_text(cfg.software_dir / SUMMARY, text)
    return summary
