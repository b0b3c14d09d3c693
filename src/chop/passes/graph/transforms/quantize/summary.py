"""Summaries of a quantized graph against its original (MASE's import path)."""

from chop.passes.graph.utils import graph_iterator_compare_nodes

__all__ = ["graph_iterator_compare_nodes"]
