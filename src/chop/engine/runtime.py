"""Lightning Fabric from a run config: devices, precision, strategy, threads and loggers."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch
from lightning_fabric import Fabric

from chop.config import RunConfig
from chop.errors import ConfigError

log = logging.getLogger(__name__)


def make_loggers(cfg: RunConfig, run_dir: Path | None = None) -> list:
    """Fabric loggers for `report_to` (comma-separated), writing `run_dir/tensorboard/` and
    `run_dir/csv/` (one run's folder; without one, versioned folders under the software dir)."""
    loggers = []
    where = ({"root_dir": run_dir, "name": ""} if run_dir is not None else {"root_dir": cfg.software_dir})
    for name in (r.strip() for r in cfg.report_to.split(",")):
        if name == "tensorboard":
            from lightning_fabric.loggers import TensorBoardLogger

            loggers.append(TensorBoardLogger(**where, **_version(run_dir, name)))
        elif name == "csv":
            from lightning_fabric.loggers import CSVLogger

            loggers.append(CSVLogger(**where, **_version(run_dir, name)))
        elif name == "wandb":
            try:
                from lightning.pytorch.loggers import WandbLogger
                import wandb  # noqa: F401
            except ImportError:
                raise ConfigError(
                    "report_to=wandb needs the wandb and lightning packages: pip install wandb lightning."
                ) from None
            loggers.append(WandbLogger(project=cfg.project_name, save_dir=str(cfg.software_dir)))
    return loggers


def _version(run_dir: Path | None, name: str) -> dict:
    return {"version": name} if run_dir is not None else {"name": name}


def make_fabric(cfg: RunConfig, loggers: list | None = None) -> Fabric:
    """A launched Fabric for `cfg`; impossible device requests become one clear error."""
    accelerator = "cuda" if cfg.accelerator == "gpu" else cfg.accelerator
    try:
        fabric = Fabric(
            accelerator=accelerator,
            devices=cfg.num_devices,
            num_nodes=cfg.num_nodes,
            strategy=cfg.strategy,
            precision=cfg.precision,
            loggers=loggers or [],
        )
    except (ValueError, RuntimeError, TypeError) as exc:
        raise ConfigError(f"Cannot set up accelerator={cfg.accelerator!r} "
                          f"devices={cfg.num_devices} strategy={cfg.strategy!r}: {exc}") from None
    fabric.launch()
    if not fabric.is_global_zero:  # one voice: rank 0 logs for everyone
        logging.getLogger("chop").setLevel(logging.WARNING)
    if fabric.device.type == "cpu" and fabric.world_size > 1:
        # Several processes on one machine share its cores; more threads each only thrash.
        per_process = max(1, (os.cpu_count() or 1) // max(1, cfg.num_devices))
        torch.set_num_threads(per_process)
    return fabric
