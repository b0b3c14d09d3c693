"""MaseGraph: tracing, the names users type (model, fx_graph, nodes, modules), and trace errors."""

from __future__ import annotations

import pytest
import torch
from torch import fx, nn

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.errors import ChopError
from chop.models import get_model

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)


def test_jsc_tiny_graph_has_the_seed_nodes_and_runs_like_the_model():
    model = get_model("jsc-tiny", JSC).eval()
    mg = MaseGraph(model)
    assert [n.name for n in mg.nodes] == ["x", "seq_blocks_0", "seq_blocks_1", "seq_blocks_2", "seq_blocks_3", "output"]
    assert isinstance(mg.model, fx.GraphModule) and mg.fx_graph is mg.model.graph
    assert isinstance(mg.modules["seq_blocks"], nn.Sequential)
    assert mg.modules["seq_blocks"][2] is model.seq_blocks[2]
    assert repr(mg.modules["seq_blocks"][2]) == "Linear(in_features=16, out_features=5, bias=True)"
    x = torch.randn(7, 16)
    assert torch.equal(mg.model(x), model(x))


def test_repr_lists_nodes_and_their_targets():
    text = repr(MaseGraph(get_model("jsc-tiny", JSC), model_name="jsc-tiny"))
    assert text.splitlines()[0] == "MaseGraph 'jsc-tiny': 6 nodes"
    assert "seq_blocks_2" in text and "Linear" in text


class DataDependent(nn.Module):
    def forward(self, x):
        if x.sum() > 0:  # control flow on a tensor value: fx cannot trace it
            return x * 2
        return x


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.odd = DataDependent()

    def forward(self, x):
        return self.odd(self.lin(x))


def test_untraceable_module_error_names_it_and_the_way_out():
    with pytest.raises(ChopError) as info:
        MaseGraph(Net())
    message = str(info.value)
    assert "'odd'" in message and "DataDependent" in message and "custom_leaf_modules" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.parametrize("leaf", [DataDependent, "odd"])
def test_declaring_the_module_a_leaf_traces_it_whole(leaf):
    net = Net()
    mg = MaseGraph(net, custom_leaf_modules=[leaf])
    call_modules = [n.target for n in mg.nodes if n.op == "call_module"]
    assert call_modules == ["lin", "odd"]
    x = torch.randn(3, 4)
    assert torch.equal(mg.model(x), net(x))


def test_cf_args_fix_a_python_argument_that_steers_control_flow():
    class Scaled(nn.Module):
        def forward(self, x, double=False):
            return x * 2 if double else x

    mg = MaseGraph(Scaled(), cf_args={"double": True})
    x = torch.randn(2)
    assert torch.equal(mg.model(x, True), x * 2)
    assert any(n.op == "call_function" and n.target.__name__ == "mul" for n in mg.nodes)


def test_bad_leaf_spec_is_a_config_error():
    from chop.errors import ConfigError

    with pytest.raises(ConfigError, match="custom_leaf_modules"):
        MaseGraph(Net(), custom_leaf_modules=[3])


def test_node_lookup_suggests_close_names():
    mg = MaseGraph(get_model("jsc-tiny", JSC))
    assert mg.node("seq_blocks_2").target == "seq_blocks.2"
    with pytest.raises(ChopError, match="seq_blocks_2"):
        mg.node("seq_block_2")


def test_cnn_graph_traces_conv_layers():
    info = DatasetInfo(name="fmnist", input_shape=(1, 28, 28), num_classes=10)
    model = get_model("cnn", info).eval()
    mg = MaseGraph(model)
    x = torch.randn(2, 1, 28, 28)
    assert torch.equal(mg.model(x), model(x))
    assert isinstance(mg.modules["features"][0], nn.Conv2d)


def test_mase_graph_is_importable_from_chop_and_chop_ir():
    import chop
    import chop.ir

    assert chop.MaseGraph is chop.ir.MaseGraph is MaseGraph
