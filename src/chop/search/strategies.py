"""Search strategies by name: Optuna's samplers and an exhaustive brute force.

`[search.strategy] name = "tpe"` picks one of `STRATEGIES`:

- `random`, `tpe`, `nsga2` (NSGA-II, for true multi-objective), `qmc` (scrambled Sobol points
  over the choices' indices): Optuna samplers seeded by the run seed (plus the worker index, so
  that parallel workers do not draw the same points);
- `grid`: grid points in random order without repeats, until `n_trials` or the grid is used up
  (drawn by index, so a grid of millions of points costs nothing; Optuna's GridSampler would
  list them all in memory);
- `brute-force`: every point of the (small, discrete) space exactly once, in order.

Grid and brute force put their points in the study's queue (`chop.search.session.queue_points`);
workers take points from it, so that no two take the same one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chop.registry import Registry
from chop.search.params import Param


@dataclass(frozen=True)
class Strategy:
    name: str
    make: Callable[[Sequence[Param], int, int], object]  # (params, seed, n_objectives) -> sampler
    index_encoding: bool = False  # sample choice indices (numeric samplers)
    exhaustive: bool = False      # every grid point is queued up front
    needs_grid: bool = False      # all parameters must be choices; points come from the queue


STRATEGIES: Registry[Strategy] = Registry("search strategy")


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
STRATEGIES.register("grid", Strategy("grid", _random, needs_grid=True))
STRATEGIES.register("brute-force", Strategy("brute-force", _random, exhaustive=True, needs_grid=True))
