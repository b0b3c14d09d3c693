"""Pruning: exact-k weight and activation masks, kept in the graph, optionally shrunk away.

`prune_transform_pass` (TOML `[passes.prune]`) prunes into a new graph;
`add_pruning_metadata_analysis_pass` (`[passes.add_pruning_metadata]`) measures sparsity.
One idea per file: `masks` (exact-k numbers), `select` (settings and layers), `modules` (masked
layers, ActivationMask), `weight`, `activation`, `channels` (following channels to consumers),
`shrink` (removing channels), `metadata`, `pass_`.
"""

from chop.passes.graph.transforms.prune.metadata import add_pruning_metadata_analysis_pass
from chop.passes.graph.transforms.prune.modules import ActivationMask, MaskedConv1d, MaskedConv2d, MaskedLinear
from chop.passes.graph.transforms.prune.pass_ import prune_transform_pass

__all__ = [
    "ActivationMask",
    "MaskedConv1d",
    "MaskedConv2d",
    "MaskedLinear",
    "add_pruning_metadata_analysis_pass",
    "prune_transform_pass",
]
