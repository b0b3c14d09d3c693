"""Small search configs on the `toy` dataset (no files), shared by the search tests."""

from __future__ import annotations

import copy

from chop.config import merge

QUANT_SPACE = {
    "quantize": {
        "by": "type",
        "ops": ["linear"],
        "default": {"config": {"name": ["integer"], "data_in_width": [4, 8], "data_in_frac_width": [2, 4],
                               "weight_width": [2, 4, 8], "weight_frac_width": [2, 4],
                               "bias_width": 8, "bias_frac_width": 4}},
    }
}
GRID_SIZE = 2 * 2 * 3 * 2


def make_cfg(tmp_path, strategy: dict | None = None, space: dict | None = None, objectives=None,
             train: dict | None = None, model: str = "jsc-tiny", **top):
    search = {"strategy": {"name": "random", "n_trials": 4, **(strategy or {})},
              "search_space": copy.deepcopy(space if space is not None else QUANT_SPACE)}
    if objectives is not None:
        search["objectives"] = objectives
    if train is not None:
        search["train"] = train
    toml = {"model": model, "dataset": "toy", "project": "s", "project_dir": str(tmp_path),
            "batch_size": 64, "seed": 0, "search": search, **top}
    return merge(toml)
