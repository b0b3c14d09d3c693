"""`init_metadata_analysis_pass`: give every node an empty MaseMetadata (common/software/hardware)."""

from __future__ import annotations

from chop.ir.metadata import MaseMetadata
from chop.passes.registry import register_pass

INIT_DEFAULTS: dict = {}


@register_pass("init_metadata", INIT_DEFAULTS)
def init_metadata_analysis_pass(graph, args):
    """Attach a fresh `MaseMetadata` to `node.meta["mase"]` of every node; returns the same graph."""
    for node in graph.fx_graph.nodes:
        node.meta["mase"] = MaseMetadata()
    return graph, {"num_nodes": len(graph.fx_graph.nodes)}
