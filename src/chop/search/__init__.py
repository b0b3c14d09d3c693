"""Search over quantization, pruning, training and architecture choices (Optuna).

    from chop.search import run_search, SEARCH_SPACES, STRATEGIES, OBJECTIVES
    summary = run_search(cfg)          # cfg: a RunConfig whose `search` holds the [search] table

One idea per file: `params` (a searched value), `space` + `spaces/` (what is searched),
`architectures` (model families built from numbers), `strategies` (samplers), `objectives`
(metrics and how they combine), `settings` (the [search] table), `trial` (one trial, trained
by the engine's `train_epochs`), `storage` (the shared study, by URL) with `journal` (the default
file), `claims` (each point run once), `liveness` (dead workers' trials failed), `worker` (the
trial loop), `session` (one process's setup), `process` (worker processes), `runner` (the whole
search), `report` + `outputs` + `plots` (the outputs, from the study), `progress`, and `serve`
(Optuna's gRPC storage proxy).
"""

from chop.search.architectures import ARCHITECTURES, Architecture
from chop.search.objectives import OBJECTIVES, Objective
from chop.search.params import Param, enumerate_grid, grid_size
from chop.search.runner import run_search
from chop.search.settings import SearchSettings, read_settings
from chop.search.space import (
    SEARCH_SPACES,
    PassSpace,
    Pipeline,
    SearchSpace,
    SpaceContext,
    TrialPlan,
    register_space,
)
from chop.search.strategies import STRATEGIES, Strategy

__all__ = [
    "ARCHITECTURES", "OBJECTIVES", "SEARCH_SPACES", "STRATEGIES", "Architecture", "Objective", "Param",
    "PassSpace", "Pipeline", "SearchSettings", "SearchSpace", "SpaceContext", "Strategy", "TrialPlan",
    "enumerate_grid", "grid_size", "read_settings", "register_space", "run_search",
]
