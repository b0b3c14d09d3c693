"""Drawing a MaseGraph with graphviz: one box per node, an edge per data dependency.

Boxes show the node name, its fx kind and target, and (once common metadata exists) its
mase_type/mase_op and output shape. The `graphviz` Python package writes the DOT text; the
`dot` program (Debian/Ubuntu: `apt-get install graphviz`) lays it out as SVG, PNG or PDF.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from chop import atomic
from chop.errors import ChopError

if TYPE_CHECKING:
    from chop.ir.graph import MaseGraph

FORMATS = ("svg", "png", "pdf", "dot")
_FILL = {
    "placeholder": "#d9ead3", "output": "#d9ead3", "get_attr": "#eeeeee",
    "call_module": "#cfe2f3", "call_function": "#fff2cc", "call_method": "#fce5cd",
}


def _label(mg: MaseGraph, node) -> str:
    if node.op == "call_module":
        target = type(mg.model.get_submodule(node.target)).__name__
    elif node.op == "call_function":
        target = getattr(node.target, "__name__", str(node.target))
    else:
        target = str(node.target)
    lines = [node.name, f"{node.op}: {target}"]
    meta = node.meta.get("mase")
    common = meta["common"] if meta is not None else {}
    if "mase_op" in common:
        lines.append(f"{common['mase_type']}/{common['mase_op']}")
    out = common.get("results", {}).get("data_out_0", {})
    if out.get("shape") is not None:
        lines.append(f"{out['shape']} {out.get('type')}{out.get('precision')}")
    return "\n".join(lines)


def to_dot(mg: MaseGraph):
    """The graph as a `graphviz.Digraph`."""
    try:
        import graphviz
    except ImportError:
        raise ChopError(
            "Drawing needs the graphviz Python package: pip install 'machop[draw]'."
        ) from None
    dot = graphviz.Digraph(name=type(mg.model).__name__, node_attr={"shape": "box", "style": "filled,rounded", "fontname": "Helvetica"})
    for node in mg.fx_graph.nodes:
        dot.node(node.name, _label(mg, node), fillcolor=_FILL.get(node.op, "white"))
        for source in node.all_input_nodes:
            dot.edge(source.name, node.name)
    return dot


def draw_graph(mg: MaseGraph, path: str | Path) -> Path:
    """Write the drawing to `path`; its suffix picks the format."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "svg"
    if fmt not in FORMATS:
        raise ChopError(f"Cannot draw to '{path}': use one of the suffixes {', '.join('.' + f for f in FORMATS)}.")
    dot = to_dot(mg)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        atomic.write_text(path, dot.source)
        return path
    import graphviz

    try:
        data = dot.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise ChopError(
            "Drawing needs the graphviz 'dot' program, which is not on PATH: install it with "
            "'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) or "
            "'conda install graphviz', or draw to a .dot file."
        ) from None
    atomic.write_bytes(path, data)
    return path
