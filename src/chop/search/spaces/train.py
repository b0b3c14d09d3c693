"""The training space: learning rate, batch size, epochs and optimizer of a trial's short training.

    [search.search_space.train]
    learning_rate = { low = 1e-4, high = 1e-2, log = true }
    batch_size = [64, 256]
    optimizer = ["adam", "sgd"]
    epochs = [1, 2]            # training before compression (architecture trials train from scratch)
    fine_tune_epochs = [0, 1]  # training after quantize/prune (QAT when quantized)

Keys not given come from `[search.train]`, then from the run config (`learning_rate`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chop.config import OPTIMIZERS
from chop.errors import ConfigError, did_you_mean
from chop.search.space import SearchSpace, SpaceContext, TrialPlan, check_keys, register_space, resolve

KEYS = ("learning_rate", "batch_size", "optimizer", "weight_decay", "epochs", "fine_tune_epochs")
DEFAULTS = {"learning_rate": 1e-3, "batch_size": 128, "optimizer": "adam", "weight_decay": 0.0,
            "epochs": 0, "fine_tune_epochs": 0}


@register_space
class TrainSpace(SearchSpace):
    kind, order = "train", 10

    def __init__(self, table: Mapping[str, Any], ctx: SpaceContext):
        super().__init__(table, ctx)
        check_keys("train", table, KEYS)
        self.settings = {**DEFAULTS, **ctx.train_defaults}
        for key, raw in table.items():
            self.settings[key] = self.value("", key, raw)
        for param in self.searched:
            if param.name == "train/optimizer":
                for name in param.choices:
                    if name not in OPTIMIZERS:
                        raise ConfigError(f"[search.search_space.train] optimizer '{name}' is unknown."
                                          f"{did_you_mean(str(name), OPTIMIZERS.names())}")

    def reject(self, point: Mapping[str, Any]) -> str | None:
        s = resolve(self.settings, point)
        for key in ("batch_size",):
            if not isinstance(s[key], int) or s[key] < 1:
                return f"{key}={s[key]!r} must be a positive integer"
        for key in ("epochs", "fine_tune_epochs"):
            if not isinstance(s[key], int) or s[key] < 0:
                return f"{key}={s[key]!r} must be a non-negative integer"
        if not isinstance(s["learning_rate"], (int, float)) or not s["learning_rate"] > 0:
            return f"learning_rate={s['learning_rate']!r} must be positive"
        return None

    def apply(self, point: Mapping[str, Any], plan: TrialPlan) -> None:
        plan.train = resolve(self.settings, point)
