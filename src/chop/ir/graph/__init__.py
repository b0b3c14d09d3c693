"""`MaseGraph`, also by MASE's path `chop.ir.graph.mase_graph.MaseGraph`."""

from chop.ir.graph.mase_graph import MaseGraph

__all__ = ["MaseGraph"]
