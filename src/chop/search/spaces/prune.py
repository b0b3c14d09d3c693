"""The pruning space: weight sparsity (global, or one choice per layer), method, scope, granularity.

    [search.search_space.prune]
    method = ["l1-norm", "random"]
    scope = "local"
    granularity = "elementwise"
    sparsity = [0.0, 0.25, 0.5, 0.75]
    per_layer = false          # true: a separate sparsity choice for every prunable layer
    exclude = ["seq_blocks_6"] # layers left dense (the prune pass's `layers`/`exclude`)

A trial's choices become one `prune` pass with a `weight` section; a point whose sparsity is 0
everywhere skips the pass. The prune pass's own check rejects an invalid combination (e.g. global
scope with per-layer sparsities) before the trial runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chop.errors import ConfigError
from chop.passes.graph.transforms.prune.select import check_section
from chop.passes.select import NodeSelector
from chop.search.space import PassSpace, SearchSpace, SpaceContext, check_keys, register_space, resolve

KEYS = ("method", "scope", "granularity", "sparsity", "per_layer", "layers", "exclude")


@register_space
class PruneSpace(PassSpace):
    kind, pass_name, order, takes_seed = "prune", "prune", 30, True

    def __init__(self, table: Mapping[str, Any], ctx: SpaceContext):
        SearchSpace.__init__(self, table, ctx)  # its own table reading, not PassSpace's
        check_keys("prune", table, KEYS)
        if "sparsity" not in table:
            raise ConfigError("[search.search_space.prune] needs 'sparsity' (a number in [0, 1] or choices).")
        self.per_layer = bool(table.get("per_layer", False))
        if self.per_layer and ctx.searches_architecture:
            raise ConfigError("[search.search_space.prune] per_layer needs fixed layer names; it cannot be "
                              "combined with an architecture search.")
        section: dict[str, Any] = {}
        for key in ("method", "scope", "granularity"):
            if key in table:
                section[key] = self.value("", key, table[key])
        for key in ("layers", "exclude"):
            if key in table:
                section[key] = table[key]
        if self.per_layer:
            ops = dict(ctx.nodes)  # the same selection as the prune pass's layers/exclude
            chosen = NodeSelector("name_or_type", tuple(table["layers"]) if table.get("layers") else None,
                                  tuple(table.get("exclude") or ()))
            layers = chosen.select(ctx.prunable, lambda name: (name, ops.get(name)))
            section["sparsity"] = {n: self.value(n, "sparsity", table["sparsity"]) for n in layers}
        else:
            section["sparsity"] = self.value("", "sparsity", table["sparsity"])
        self.section = section

    def _weight(self, point: Mapping[str, Any]) -> dict[str, Any]:
        return resolve(self.section, point)

    def reject(self, point: Mapping[str, Any]) -> str | None:
        try:
            check_section("weight", self._weight(point))
        except ConfigError as exc:
            return str(exc)
        return None

    def pass_args(self, point: Mapping[str, Any]) -> dict | None:
        weight = self._weight(point)
        sparsity = weight["sparsity"]
        values = sparsity.values() if isinstance(sparsity, dict) else [sparsity]
        return {"weight": weight} if any(v > 0 for v in values) else None
