"""Summaries of a quantized graph against its original (MASE's import path and both call forms).

    summarize_quantization_analysis_pass(ori_mg, mg, save_dir="out")              # older form
    summarize_quantization_analysis_pass(mg, {"save_dir": "out", "original_graph": ori_mg})

Both log and return a per-node table (node, mase type, mase op, original type, quantized type,
changed) and a histogram per original type (op, total, changed, unchanged), and write both as CSV
(`quantize_table.csv`, `quantize_histogram.csv`) into `save_dir` when one is given.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

from chop.errors import ConfigError
from chop.ir.graph import MaseGraph
from chop.passes.graph.table import Table
from chop.passes.graph.utils import graph_iterator_compare_nodes
from chop.passes.registry import register_pass

logger = logging.getLogger(__name__)
PASS = "summarize_quantization"
DEFAULTS = {"save_dir": None, "silent": False}


def quantization_histogram(node_table: Table) -> Table:
    """Per (original type, op): how many nodes, how many changed."""
    totals: Counter = Counter()
    changed: Counter = Counter()
    for row in node_table.records():
        key = (row["Original type"], row["Mase op"])
        totals[key] += 1
        changed[key] += bool(row["Changed"])
    table = Table(["Original type", "OP", "Total", "Changed", "Unchanged"])
    for key in sorted(totals):
        table.rows.append([*key, totals[key], changed[key], totals[key] - changed[key]])
    return table


def _call_forms(graph, pass_args: Any = None, save_dir: str | Path | None = None):
    """(graph, pass_args) from either call form; the older one is (ori_mg, mg, save_dir=...)."""
    if isinstance(pass_args, MaseGraph):
        return pass_args, {"original_graph": graph, "save_dir": save_dir}
    if save_dir is not None:
        if pass_args is not None and not isinstance(pass_args, dict):
            return graph, pass_args  # the contract names the wrong type
        return graph, {**(pass_args or {}), "save_dir": save_dir}
    return graph, pass_args


@register_pass(PASS, DEFAULTS, context=("original_graph",), paths={"save_dir": "dir"}, adapt=_call_forms)
def summarize_quantization_analysis_pass(graph, args):
    """Compare a quantized graph with its original; returns (graph, {"table", "histogram", "text"})."""
    original = args["original_graph"]
    if original is None:
        raise ConfigError(f"Pass '{PASS}' needs the graph before quantization: pass "
                          "{'original_graph': ori_mg} (ch transform gives it when the pass follows quantize).")
    table = graph_iterator_compare_nodes(original, graph, silent=True)
    table.title = "Quantization summary:"
    histogram = quantization_histogram(table)
    histogram.title = "Quantized graph histogram:"
    text = f"{table.render()}\n\n{histogram.render()}"
    if args["save_dir"] is not None:
        out = Path(args["save_dir"])
        table.save_csv(out / "quantize_table.csv")
        histogram.save_csv(out / "quantize_histogram.csv")
    if not args["silent"]:
        logger.info("%s", text)
    return graph, {"table": table, "histogram": histogram, "text": text}


__all__ = ["graph_iterator_compare_nodes", "quantization_histogram", "summarize_quantization_analysis_pass"]
