"""Reading the `[search]` TOML section into checked settings, before any work starts.

    [search.strategy]
    name = "tpe"             # random, grid, tpe, nsga2, qmc, brute-force
    n_trials = 20            # COMPLETE trials the study should hold (rerunning resumes to this)
    timeout = "NA"           # seconds per run, "NA": none
    multi_objective = false  # true: one value per objective, Pareto front
    pruner = "NA"            # "median": stop bad trials during their training epochs
    eval_samples = 0         # validation samples per evaluation, drawn once at random (0: the whole split)
    study_name = "NA"        # default: the project name
    storage = "NA"           # default: a journal file in search_ckpts/; or a path or storage URL
                             # (sqlite:///, postgresql://, mysql://, redis://, grpc://; chop.search.storage)
    heartbeat = 10           # seconds between a worker's signs of life; dead after 3 missed
    [search.objectives]      # see chop.search.objectives
    accuracy = { weight = 1.0 }
    [search.train]           # short training per trial: epochs (before compression),
    fine_tune_epochs = 1     # fine_tune_epochs (after), learning_rate, batch_size, optimizer
    [search.search_space.quantize] ...   # see chop.search.spaces

The run's `[hardware]` table (`chop.hardware.options`) sets the design the hardware objectives
(`luts`, `latency_ns`, ...) estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chop.config import is_na
from chop.errors import ConfigError, did_you_mean
from chop.hardware.options import HardwareOptions
from chop.search.objectives import WeightedObjective, read_objectives
from chop.search.strategies import STRATEGIES, Strategy

SECTIONS = ("search_space", "strategy", "objectives", "train")
STRATEGY_KEYS = ("name", "sampler", "n_trials", "timeout", "multi_objective", "pruner", "eval_samples",
                 "study_name", "storage", "heartbeat")
TRAIN_KEYS = ("epochs", "fine_tune_epochs", "learning_rate", "batch_size", "optimizer", "weight_decay")
PRUNERS = ("median", "none")


@dataclass
class SearchSettings:
    strategy: Strategy
    n_trials: int = 20
    timeout: float | None = None
    multi_objective: bool = False
    pruner: str | None = None
    eval_samples: int = 0
    study_name: str | None = None
    storage: str | None = None
    heartbeat: int = 10
    objectives: list[WeightedObjective] = field(default_factory=list)
    train: dict[str, Any] = field(default_factory=dict)
    search_space: dict[str, Any] = field(default_factory=dict)
    hardware: Any = None  # chop.hardware.HardwareOptions from [hardware]: what luts etc. estimate


def _na(value: Any) -> Any:
    return None if is_na(value) else value


def _check_keys(where: str, table: Mapping, allowed) -> None:
    if not isinstance(table, Mapping):
        raise ConfigError(f"[{where}] must be a table.")
    for key in table:
        if key not in allowed:
            raise ConfigError(f"[{where}] has no key '{key}'.{did_you_mean(key, allowed)}")


def _int(where: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{where} must be an integer >= {low}, got {value!r}.")
    return value


def read_settings(search: Mapping[str, Any], run_defaults: Mapping[str, Any]) -> SearchSettings:
    """Check `search` (the raw `[search]` table); `run_defaults` fill in [search.train]."""
    _check_keys("search", search, SECTIONS)
    strategy = dict(search.get("strategy") or {})
    _check_keys("search.strategy", strategy, STRATEGY_KEYS)
    name = strategy.get("name", strategy.get("sampler", "tpe"))
    try:
        chosen = STRATEGIES.get(name)
    except ConfigError as exc:
        raise ConfigError(f"[search.strategy] name: {exc}") from None
    timeout = _na(strategy.get("timeout"))
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ConfigError(f"[search.strategy] timeout must be a positive number of seconds, got {timeout!r}.")
    pruner = _na(strategy.get("pruner"))
    if pruner is not None and pruner not in PRUNERS:
        raise ConfigError(f"[search.strategy] pruner {pruner!r} is unknown.{did_you_mean(str(pruner), PRUNERS)}")
    multi = strategy.get("multi_objective", False)
    if not isinstance(multi, bool):
        raise ConfigError(f"[search.strategy] multi_objective must be true or false, got {multi!r}.")
    train = dict(search.get("train") or {})
    _check_keys("search.train", train, TRAIN_KEYS)
    defaults = {"epochs": 0, "fine_tune_epochs": 0,
                **{k: run_defaults[k] for k in ("learning_rate", "batch_size", "optimizer", "weight_decay")}}
    settings = SearchSettings(
        strategy=chosen,
        n_trials=_int("[search.strategy] n_trials", strategy.get("n_trials", 20), 1),
        timeout=float(timeout) if timeout is not None else None,
        multi_objective=multi,
        pruner=None if pruner in (None, "none") else pruner,
        eval_samples=_int("[search.strategy] eval_samples", strategy.get("eval_samples", 0), 0),
        study_name=_na(strategy.get("study_name")),
        storage=_na(strategy.get("storage")),
        heartbeat=_int("[search.strategy] heartbeat", strategy.get("heartbeat", 10), 1),
        objectives=read_objectives(search.get("objectives")),
        train={**defaults, **train},
        search_space=dict(search.get("search_space") or {}),
        hardware=HardwareOptions.from_section(run_defaults.get("hardware")),
    )
    if settings.storage is not None and not isinstance(settings.storage, str):
        raise ConfigError(f"[search.strategy] storage must be a path or a URL string, got {settings.storage!r}.")
    if settings.multi_objective and settings.pruner:
        raise ConfigError("[search.strategy] Optuna cannot prune multi-objective trials; set pruner = \"NA\".")
    return settings
