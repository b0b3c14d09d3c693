"""Search strategies by name: Optuna's samplers and an exhaustive brute force.

`[search.strategy] name = "tpe"` picks one of `STRATEGIES`:

- `random`, `tpe`, `nsga2` (NSGA-II, for true multi-objective), `qmc` (scrambled Sobol points
  over the choices' indices): Optuna samplers, each worker process seeded by its own stream
  (`stream_seed`: the run seed, host, process and worker index), so that commands sharing a study,
  or resuming it, never draw the same sequence; a point another trial holds is not run again
  (`chop.search.claims`);
- `grid`: grid points in random order without repeats, until `n_trials` or the grid is used up
  (drawn by index, so a grid of millions of points costs nothing; Optuna's GridSampler would
  list them all in memory);
- `brute-force`: every point of the (small, discrete) space exactly once, in order.

Grid and brute force claim one uncovered point per trial (`chop.search.claims`); their sampler
(`ChosenPoints`) only hands Optuna the point the worker chose.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chop.registry import Registry
from chop.search.params import Param


@dataclass(frozen=True)
class Strategy:
    name: str
    make: Callable[[Sequence[Param], int, int], object]  # (params, seed, n_objectives) -> sampler
    index_encoding: bool = False  # sample choice indices (numeric samplers)
    exhaustive: bool = False      # every grid point, not n_trials of them
    needs_grid: bool = False      # all parameters must be choices; the worker picks each point


STRATEGIES: Registry[Strategy] = Registry("search strategy")


def stream_seed(seed: int, worker: str, index: int = 0) -> int:
    """A 32-bit seed of its own for each worker process (`worker` is `host:pid`)."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{worker}:{index}".encode()).digest()[:4], "big")


def _chosen(params, seed, n_objectives):
    import optuna

    class ChosenPoints(optuna.samplers.RandomSampler):
        """Hands Optuna the point the worker chose for the trial (`point`), parameter by parameter."""

        point: dict | None = None

        def sample_independent(self, study, trial, param_name, param_distribution):
            if self.point is not None and param_name in self.point:
                return self.point[param_name]
            return super().sample_independent(study, trial, param_name, param_distribution)

    return ChosenPoints(seed=seed)


def _random(params, seed, n_objectives):
    import optuna

    return optuna.samplers.RandomSampler(seed=seed)


def _tpe(params, seed, n_objectives):
    import optuna

    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(2, len(params) + 1)))


def _nsga2(params, seed, n_objectives):
    import optuna

    return optuna.samplers.NSGAIISampler(seed=seed, population_size=20)


def _qmc(params, seed, n_objectives):
    import warnings

    import optuna

    with warnings.catch_warnings():  # optuna marks QMC experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=seed,
                                          warn_independent_sampling=False, warn_asynchronous_seeding=False)


STRATEGIES.register("random", Strategy("random", _random))
STRATEGIES.register("tpe", Strategy("tpe", _tpe))
STRATEGIES.register("nsga2", Strategy("nsga2", _nsga2))
STRATEGIES.register("qmc", Strategy("qmc", _qmc, index_encoding=True))
STRATEGIES.register("grid", Strategy("grid", _chosen, needs_grid=True))
STRATEGIES.register("brute-force", Strategy("brute-force", _chosen, exhaustive=True, needs_grid=True))
