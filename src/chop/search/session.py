"""Opening a search in one process: data, model, trial runner, sampler and the shared study.

`open_session` is what the `ch search` process and every spawned worker do first; they differ
only in the worker index, which offsets the sampler's seed so that workers draw different points.
`queue_points` puts
grid points in the study's queue, for the grid and brute-force strategies.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from typing import Any

from chop.config import RunConfig
from chop.engine.prepare import prepare
from chop.errors import ConfigError
from chop.search.params import enumerate_grid, grid_of, grid_point, grid_size
from chop.search.settings import SearchSettings, read_settings
from chop.search.storage import fingerprint, load_or_create_study, storage_spec
from chop.search.trial import TrialRunner

log = logging.getLogger(__name__)
MAX_BRUTE_FORCE = 200_000


@dataclass
class Session:
    cfg: RunConfig
    settings: SearchSettings
    runner: TrialRunner
    study: Any
    storage: str


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
    prepared = prepare(cfg)
    runner = TrialRunner(settings, prepared.dataset, prepared.model, prepared.model_name, cfg.batch_size, cfg.seed,
                         hf_input_names=cfg.hf_input_names)
    if settings.strategy.needs_grid:
        grid_of(runner.params)  # a range is an error here, before any trial
    dirs = directions(settings.objectives, settings.multi_objective)
    sampler = settings.strategy.make(runner.params, cfg.seed + index, len(dirs))
    spec = storage_spec(settings.storage, search_dir(cfg))
    study = load_or_create_study(spec, study_name(cfg, settings), dirs, sampler, _pruner(settings),
                                 fingerprint(settings, runner.params))
    return Session(cfg, settings, runner, study, spec)


def _key(point: dict) -> str:
    return json.dumps(point, sort_keys=True, default=str)


def _covered(study) -> set[str]:
    """Points that a trial has done, is doing, has queued or rejected."""
    from optuna.trial import TrialState

    covered = set()
    for t in study.get_trials(deepcopy=False):
        if t.state == TrialState.WAITING:
            covered.add(_key(t.system_attrs.get("fixed_params", {})))
        elif t.state in (TrialState.COMPLETE, TrialState.RUNNING) or "rejected" in t.user_attrs:
            covered.add(_key({k: v for k, v in t.user_attrs.get("point", {}).items() if k in t.params}))
    return covered


def queue_points(study, settings: SearchSettings, params, seed: int) -> int:
    """Queue grid points for the workers; returns how many.

    Brute force queues every point not yet covered, in order. Grid tops the study up to
    `n_trials` trials done, running or queued, with uncovered points drawn at random.
    """
    import random

    from chop.search.worker import counts

    covered, size = _covered(study), grid_size(params)
    if settings.strategy.exhaustive:
        if size > MAX_BRUTE_FORCE:
            raise ConfigError(f"Brute force over {size:,} points is too many (at most {MAX_BRUTE_FORCE:,}); "
                              f"use name = \"grid\" with n_trials, or fewer choices.")
        wanted = [p for p in enumerate_grid(params) if _key(p) not in covered]
    else:
        n = counts(study)
        need = settings.n_trials - n["COMPLETE"] - n["RUNNING"] - n["WAITING"]
        rng, wanted, tries = random.Random(seed + len(covered)), [], 0
        while len(wanted) < need and len(covered) < size and tries < 100 * max(need, 1):
            tries += 1
            point = grid_point(params, rng.randrange(size))
            if _key(point) not in covered:
                covered.add(_key(point))
                wanted.append(point)
    for point in wanted:
        study.enqueue_trial(point, skip_if_exists=False)
    return len(wanted)


def config_dict(cfg: RunConfig) -> dict:
    return dataclasses.asdict(cfg)

