"""BatchNorm folding as a pipeline stage: `[search.search_space.fold]` (an empty table).

    [search.search_space.fold]        # fold_batchnorm before quantize (order 15 < 20)

Each trial folds its BatchNorms into the preceding Linear (or normalises an input BatchNorm into
a per-channel affine) before it is quantized: the fold -> quantize order of `chop.export`, which
the hardware objectives (`luts`, `latency_ns`, ...) need, since only a folded fixed-point graph
has an integer program. Nothing is searched. A folded graph is an inference graph (a normalised
BatchNorm trained again would normalise by batch statistics), so a point that fine-tunes after
folding is rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chop.search.space import PassSpace, SearchSpace, SpaceContext, check_keys, register_space


@register_space
class FoldSpace(PassSpace):
    kind, pass_name, order = "fold", "fold_batchnorm", 15

    def __init__(self, table: Mapping[str, Any], ctx: SpaceContext):
        SearchSpace.__init__(self, table, ctx)
        check_keys("fold", table, ())
        self.args = {}
        self.fine_tune_default = ctx.train_defaults.get("fine_tune_epochs", 0)

    def reject(self, point: Mapping[str, Any]) -> str | None:
        if point.get("train/fine_tune_epochs", self.fine_tune_default):
            return ("fine-tuning after fold_batchnorm would train the folded (inference) graph; "
                    "set fine_tune_epochs = 0 (train before folding with epochs)")
        return None
