"""What every action needs: required keys, the prepared run (`chop.engine.prepare`), earlier outputs kept."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from chop.config import RunConfig
from chop.engine.model_hint import project_of_checkpoint
from chop.engine.prepare import Prepared, prepare, resolve_names
from chop.errors import ConfigError

log = logging.getLogger("chop")
__all__ = ["Prepared", "archive_previous", "log", "prepare", "project_of_checkpoint", "require", "resolve_names"]


def require(cfg: RunConfig, action: str, *keys: str) -> None:
    for key in keys:
        if getattr(cfg, key) in (None, ""):
            hint = {"model": "MODEL", "dataset": "DATASET", "load_name": "--load CKPT"}[key]
            raise ConfigError(f"ch {action} needs {hint} (on the command line or as '{key}' in the TOML).")


def archive_previous(ckpt_dir: Path) -> Path | None:
    """Move an earlier run's checkpoints aside (never overwrite them silently)."""
    old = [p for p in (ckpt_dir / "best.ckpt", ckpt_dir / "last.ckpt") if p.exists()]
    if not old:
        return None
    dest = ckpt_dir / "previous" / time.strftime("%Y%m%d-%H%M%S")
    n = 1
    while dest.exists():
        dest = dest.with_name(f"{dest.name.split('.')[0]}.{n}")
        n += 1
    dest.mkdir(parents=True)
    for p in old:
        shutil.move(str(p), dest / p.name)
    log.warning("An earlier run's checkpoints were in %s; moved them to %s.", ckpt_dir, dest)
    return dest
