"""The graph IR: `MaseGraph`, its per-node `MaseMetadata`, and the op taxonomy."""

from chop.ir.graph import MaseGraph
from chop.ir.metadata import MaseMetadata
from chop.ir.taxonomy import MASE_TYPES, OPS, classify, known_ops, register_op

__all__ = ["MASE_TYPES", "OPS", "MaseGraph", "MaseMetadata", "classify", "known_ops", "register_op"]
