"""Quantization: the transform pass, PTQ calibration, and the summaries users read."""

from chop.passes.graph.transforms.quantize.freeze import freeze_learned_transform_pass
from chop.passes.graph.transforms.quantize.quantize import quantize_transform_pass
from chop.passes.graph.transforms.quantize.summary import (
    graph_iterator_compare_nodes,
    summarize_quantization_analysis_pass,
)

__all__ = ["freeze_learned_transform_pass", "graph_iterator_compare_nodes", "quantize_transform_pass", "summarize_quantization_analysis_pass"]
