"""The architecture space: a model family's sizes, e.g. MLP depth and widths.

    [search.search_space.architecture]
    family = "mlp"
    depth = [1, 2, 3]
    width = [16, 32, 64]
    batch_norm = true

Each trial builds a fresh model of the family (see `chop.search.architectures`) and trains it
for `epochs` (from `[search.train]` or the train space) before any compression.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chop.errors import ConfigError, did_you_mean
from chop.search.architectures import ARCHITECTURES
from chop.search.space import SearchSpace, SpaceContext, TrialPlan, register_space, resolve


@register_space
class ArchitectureSpace(SearchSpace):
    kind, order = "architecture", 0

    def __init__(self, table: Mapping[str, Any], ctx: SpaceContext):
        super().__init__(table, ctx)
        if "family" not in table:
            raise ConfigError("[search.search_space.architecture] needs 'family', one of "
                              f"{', '.join(ARCHITECTURES.names())}.")
        self.family = ARCHITECTURES.get(table["family"])
        info = ctx.dataset_info
        if self.family.needs_text and info is not None and not getattr(info, "input_names", ()):
            raise ConfigError(f"[search.search_space.architecture] family '{self.family.name}' takes token "
                              f"inputs, but dataset '{info.name}' has feature tensors; choose a text dataset "
                              f"(e.g. tweets) or the 'mlp' family.")
        values: dict[str, Any] = dict(self.family.defaults)
        for key, raw in self.family.expand(table).items():
            if key == "family":
                continue
            if key not in self.family.defaults and not key.startswith(self.family.open_keys or ("\0",)):
                raise ConfigError(f"[search.search_space.architecture] family '{self.family.name}' has no key "
                                  f"'{key}'.{did_you_mean(key, self.family.defaults)}")
            values[key] = self.value("", key, raw)
        self.values = values

    def reject(self, point: Mapping[str, Any]) -> str | None:
        return self.family.check(resolve(self.values, point))

    def apply(self, point: Mapping[str, Any], plan: TrialPlan) -> None:
        plan.architecture = {"family": self.family.name, **resolve(self.values, point)}
