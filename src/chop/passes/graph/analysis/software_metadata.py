"""`add_software_metadata_analysis_pass`: per-operand slots where software analyses put results.

Every tensor operand in the common metadata gets `software["args" | "results"][name] = {"stat": {}}`;
`profile_statistics_analysis_pass` fills the `stat` dicts, and later passes (quantization ranges,
pruning masks) read them.
"""

from __future__ import annotations

from chop.passes.graph.utils import common_metadata
from chop.passes.registry import register_pass

SOFTWARE_DEFAULTS: dict = {}


def software_slot(node, section: str, name: str) -> dict:
    """The `stat` dict of one operand, created if missing."""
    software = node.meta["mase"]["software"]
    return software.setdefault(section, {}).setdefault(name, {}).setdefault("stat", {})


@register_pass("add_software_metadata", SOFTWARE_DEFAULTS)
def add_software_metadata_analysis_pass(graph, args):
    """Create the software slots of every tensor operand; returns the same graph."""
    slots = 0
    for node in graph.fx_graph.nodes:
        common = common_metadata(node)
        for section in ("args", "results"):
            for name, operand in common.get(section, {}).items():
                if operand.get("shape") is not None:
                    software_slot(node, section, name)
                    slots += 1
    return graph, {"num_slots": slots}
