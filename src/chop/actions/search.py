"""`ch search`: search quantization, pruning, training and architecture choices with Optuna.

    ch search --config configs/examples/jsc_s_ptq_search.toml [MODEL DATASET --load CKPT] [--workers N] [--report]

The `[search]` TOML section says what to search (see `chop.search`); outputs go to
`<project>/software/search_ckpts/`. Rerunning the same command resumes the study; the same command
on other machines, with a shared `storage`, joins it; `--report` writes the outputs from the study
as it is, running nothing.
"""

from __future__ import annotations

import dataclasses

from chop.actions.common import project_of_checkpoint, require
from chop.config import RunConfig
from chop.errors import ConfigError


def search(cfg: RunConfig) -> dict:
    from chop.search import run_search

    require(cfg, "search", "model", "dataset")
    if not cfg.search:
        raise ConfigError("ch search needs a [search] section in the --config TOML "
                          "(see configs/examples/*search*.toml).")
    if cfg.project is None and cfg.load_name and project_of_checkpoint(cfg.load_name):
        project = project_of_checkpoint(cfg.load_name)
        cfg = dataclasses.replace(cfg, project=project.name, project_dir=str(project.parent))
    return run_search(cfg, report_only=cfg.report)
