"""`fold_batchnorm_transform_pass` (TOML `[passes.fold_batchnorm]`): `chop.export.fold_batchnorm` as a pass.

Returns a new graph whose BatchNorms are folded into their Linear/Conv or normalised, and
{"folded": {bn: layer}, "normalised": [bn, ...]}; see `chop.export.fold` for the arithmetic.
"""

from __future__ import annotations

from chop.export.fold import PASS, fold_batchnorm_in_place
from chop.passes.registry import register_pass


@register_pass(PASS, {}, kind="transform")
def fold_batchnorm_transform_pass(graph, args):
    """Fold or normalise every BatchNorm of the working copy."""
    return graph, fold_batchnorm_in_place(graph.model)
