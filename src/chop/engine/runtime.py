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
    user_threads = _users_omp_num_threads()
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
        local = processes_on_this_host(fabric.world_size)
        threads = cpu_threads(user_threads, os.cpu_count() or 1, local)
        torch.set_num_threads(threads)
        log.info("CPU DDP: %d of %d processes on this host, %d torch thread(s) each.", local, fabric.world_size, threads)
    return fabric


_LIGHTNINGS_OMP = "MACHOP_OMP_NUM_THREADS_UNSET"


def _users_omp_num_threads() -> str | None:
    """OMP_NUM_THREADS as the user set it, or None. Read before Fabric launches: Lightning sets it
    when absent (to the cores over the processes of this node alone), and the ranks it spawns
    inherit that value, so they are told by a marker that it was not the user's."""
    if os.environ.get(_LIGHTNINGS_OMP) == "1":
        return None
    value = os.environ.get("OMP_NUM_THREADS")
    if value is None:
        os.environ[_LIGHTNINGS_OMP] = "1"
    return value


def cpu_threads(users_value: str | None, cpu_count: int, local_processes: int) -> int:
    """Threads per process: OMP_NUM_THREADS when the user set it, else this host's cores shared out."""
    value = (users_value or "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return max(1, cpu_count // max(1, local_processes))


def processes_on_this_host(world_size: int) -> int:
    """How many of the job's processes run on this host, whichever node each belongs to (hostnames
    gathered over the process group: two "nodes" started on one machine share its cores too)."""
    import socket

    import torch.distributed as dist

    if world_size <= 1 or not (dist.is_available() and dist.is_initialized()):
        return 1
    names: list = [None] * world_size
    dist.all_gather_object(names, socket.gethostname())
    return max(1, names.count(socket.gethostname()))
