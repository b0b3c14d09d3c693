"""`calculate_avg_bits_analysis_pass`: the average storage width of weights and activations.

Averages are weighted by element count, over the nodes that carry a `weight` operand (Linear,
Conv, norms, matmul against a parameter): weight bits over their `weight` tensors, activation
bits over their `data_in_*` inputs. Bits are storage widths (`width`, never `width + frac`;
block formats include their shared scale), read from each operand's metadata record.
"""

from __future__ import annotations

import logging
import math

from chop.passes.graph.analysis.cost.bits import operand_bits
from chop.passes.registry import register_pass

logger = logging.getLogger(__name__)
PASS = "avg_bits"
DEFAULTS = {"silent": False}


def _numel(record: dict) -> int:
    shape = record.get("shape")
    return math.prod(shape) if isinstance(shape, (list, tuple)) else 1


@register_pass(PASS, DEFAULTS)
def calculate_avg_bits_analysis_pass(graph, args):
    """Returns the graph and {"w_avg_bit", "a_avg_bit", "weight_elements", "activation_elements"}."""
    sums = {"w": [0.0, 0], "a": [0.0, 0]}
    for node in graph.fx_graph.nodes:
        if "mase" not in node.meta:
            continue
        operands = node.meta["mase"]["common"].get("args", {})
        if not isinstance(operands.get("weight"), dict):
            continue
        for name, record in operands.items():
            if not isinstance(record, dict):
                continue
            kind = "w" if name == "weight" else "a" if name.startswith("data_in") else None
            if kind is not None:
                n = _numel(record)
                sums[kind][0] += operand_bits(record) * n
                sums[kind][1] += n
    result = {
        "w_avg_bit": sums["w"][0] / sums["w"][1] if sums["w"][1] else float("nan"),
        "a_avg_bit": sums["a"][0] / sums["a"][1] if sums["a"][1] else float("nan"),
        "weight_elements": sums["w"][1],
        "activation_elements": sums["a"][1],
    }
    result["text"] = (f"Average weight bits: {result['w_avg_bit']:.3f} over {result['weight_elements']} "
                      f"elements; average activation bits: {result['a_avg_bit']:.3f} over "
                      f"{result['activation_elements']} elements")
    if not args["silent"]:
        logger.info("%s", result["text"])
    return graph, result

