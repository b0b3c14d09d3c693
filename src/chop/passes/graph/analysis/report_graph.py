"""`report_graph_analysis_pass`: the fx graph, how many nodes of each fx kind, and the layers.

The fx kinds: `placeholder` (a graph input), `get_attr` (a parameter or buffer read directly),
`call_function` (a free function such as `operator.add`), `call_method` (a tensor method such as
`view`), `call_module` (a submodule's forward) and `output` (what the graph returns).
"""

from __future__ import annotations

import logging
from pathlib import Path

from chop.passes.graph.table import Table
from chop.passes.registry import register_pass

logger = logging.getLogger(__name__)

FX_OPS = ("placeholder", "get_attr", "call_function", "call_method", "call_module", "output")
REPORT_GRAPH_DEFAULTS = {"file_name": None}


@register_pass("report_graph", REPORT_GRAPH_DEFAULTS, paths={"file_name": "file"})
def report_graph_analysis_pass(graph, args):
    """Report the graph; returns the same graph and {"counts", "layers", "text"}.

    The text is logged at INFO and written to `file_name` when given.
    """
    counts = dict.fromkeys(FX_OPS, 0)
    layers = {}
    for node in graph.fx_graph.nodes:
        counts[node.op] = counts.get(node.op, 0) + 1
        if node.op == "call_module":
            layers[node.name] = repr(graph.model.get_submodule(node.target))
    overview = Table(["Fx node op", "Count"], [[op, n] for op, n in counts.items()])
    layer_table = Table(["Node name", "Layer"], [[name, text] for name, text in layers.items()])
    text = "\n\n".join([
        f"Graph of {type(graph.model).__name__}:\n{str(graph.fx_graph).strip()}",
        f"Network overview:\n{overview.render()}",
        f"Layer types:\n{layer_table.render()}",
    ])
    if args["file_name"] is not None:
        from chop import atomic

        atomic.write_text(Path(args["file_name"]), text + "\n")
    logger.info("%s", text)
    return graph, {"counts": counts, "layers": layers, "text": text}
