"""Node helpers and the node-by-node comparison of two graphs (seed 001's table)."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import fx, nn

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.errors import ChopError
from chop.models import get_model
from chop.passes.graph import add_common_metadata_analysis_pass, init_metadata_analysis_pass
from chop.passes.graph.transforms.quantize.summary import graph_iterator_compare_nodes
from chop.passes.graph.utils import get_mase_op, get_mase_type, get_node_actual_target
from chop.passes.graph.utils import graph_iterator_compare_nodes as from_utils

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)


def jsc_tiny_graph():
    mg = MaseGraph(get_model("jsc-tiny", JSC))
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(2, 16)}})
    return mg


class LinearStandIn(nn.Linear):
    """A different Linear class, as a quantize pass would put in."""


def test_actual_target_is_the_module_function_or_name():
    mg = jsc_tiny_graph()
    nodes = {n.name: n for n in mg.nodes}
    assert get_node_actual_target(nodes["seq_blocks_2"]) is mg.modules["seq_blocks"][2]
    assert get_node_actual_target(nodes["x"]) == "x" and get_node_actual_target(nodes["output"]) == "output"
    assert (get_mase_type(nodes["seq_blocks_0"]), get_mase_op(nodes["seq_blocks_0"])) == ("module", "batch_norm1d")


def test_helpers_without_metadata_say_which_pass_to_run():
    mg = MaseGraph(get_model("jsc-tiny", JSC))
    with pytest.raises(ChopError, match="init_metadata_analysis_pass"):
        get_mase_op(next(iter(mg.nodes)))


def test_compare_nodes_marks_exactly_the_replaced_linear(tmp_path):
    ori = jsc_tiny_graph()
    new_model = copy.deepcopy(ori.model)
    old = new_model.seq_blocks[2]
    replacement = LinearStandIn(16, 5)
    replacement.load_state_dict(old.state_dict())
    new_model.seq_blocks[2] = replacement
    new = ori.derive(new_model, "swap", {})
    table = graph_iterator_compare_nodes(ori, new, save_path=tmp_path / "cmp.md", silent=True)
    assert table.headers == ["Node name", "Mase type", "Mase op", "Original type", "New type", "Changed"]
    assert table.rows[3] == ["seq_blocks_2", "module_related_func", "linear", "Linear", "LinearStandIn", True]
    assert table.column("Changed") == [False, False, False, True, False, False]
    assert table.rows[0][:5] == ["x", "placeholder", "placeholder", "x", "x"]
    assert "| seq_blocks_2 | module_related_func | linear " in (tmp_path / "cmp.md").read_text()
    assert from_utils is graph_iterator_compare_nodes


def test_compare_accepts_fx_graphs_and_spots_a_changed_function():
    def f(x):
        return torch.relu(x)

    def g(x):
        return torch.sigmoid(x)

    a, b = fx.symbolic_trace(f), fx.symbolic_trace(g)
    sigmoid = next(n for n in b.graph.nodes if n.op == "call_function")
    sigmoid.name = "relu"  # same name, other function
    table = graph_iterator_compare_nodes(a.graph, b, silent=True)
    assert table.column("Changed") == [False, True, False]
