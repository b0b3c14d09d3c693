"""Opening a search in one process: data, model, trial runner, sampler and the shared study.

`open_session` is what the `ch search` process and every spawned worker do first; they differ
only in the worker index, which (with the host and process) gives each its own sampler seed
stream (`chop.search.strategies.stream_seed`), so that no two draw the same points.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from chop.config import RunConfig
from chop.engine.prepare import prepare
from chop.search.liveness import this_worker
from chop.errors import ConfigError
from chop.search.params import grid_of, grid_size
from chop.search.settings import SearchSettings, read_settings
from chop.search.storage import describe, fingerprint, load_or_create_study, open_storage, redact, storage_spec
from chop.search.strategies import stream_seed
from chop.search.trial import TrialRunner

log = logging.getLogger(__name__)
MAX_BRUTE_FORCE = 200_000


@dataclass
class Session:
    cfg: RunConfig
    settings: SearchSettings
    runner: TrialRunner
    study: Any
    storage: str  # where the study is (a URL's password hidden)


def search_dir(cfg: RunConfig):
    return cfg.software_dir / "search_ckpts"


def study_name(cfg: RunConfig, settings: SearchSettings) -> str:
    return settings.study_name or cfg.project_name


def _pruner(settings: SearchSettings):
    import optuna

    if settings.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=0)
    return optuna.pruners.NopPruner()


def open_session(cfg: RunConfig, index: int = 0) -> Session:
    import optuna

    from chop.search.objectives import directions

    # ERROR: Optuna's failed-trial warnings carry tracebacks; the worker logs one line instead.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    settings = read_settings(cfg.search, cfg.to_dict())
    spec = storage_spec(settings.storage, search_dir(cfg))
    storage = open_storage(spec, settings.heartbeat)  # before the data: a wrong URL fails at once
    prepared = prepare(cfg)
    runner = TrialRunner(settings, prepared.dataset, prepared.model, prepared.model_name, cfg.batch_size, cfg.seed,
                         hf_input_names=cfg.hf_input_names)
    if settings.strategy.needs_grid:
        grid_of(runner.params)  # a range is an error here, before any trial
        size = grid_size(runner.params)
        if settings.strategy.exhaustive and size > MAX_BRUTE_FORCE:
            raise ConfigError(f"Brute force over {size:,} points is too many (at most {MAX_BRUTE_FORCE:,}); "
                              f"use name = \"grid\" with n_trials, or fewer choices.")
    dirs = directions(settings.objectives, settings.multi_objective)
    sampler = settings.strategy.make(runner.params, stream_seed(cfg.seed, this_worker(), index), len(dirs))
    name = study_name(cfg, settings)
    study = load_or_create_study(storage, name, dirs, sampler, _pruner(settings), fingerprint(settings, runner.params), spec)
    if index == 0:
        log.info("Study '%s' in %s", name, describe(spec))
    return Session(cfg, settings, runner, study, redact(spec))


def config_dict(cfg: RunConfig) -> dict:
    return dataclasses.asdict(cfg)
