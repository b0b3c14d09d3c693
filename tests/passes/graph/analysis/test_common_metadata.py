"""Common metadata: mase_type/mase_op per node as in the seed tables, and operand records."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.errors import ConfigError
from chop.models import get_model
from chop.passes.graph import add_common_metadata_analysis_pass, init_metadata_analysis_pass
from chop.passes.graph.utils import get_mase_op, get_mase_type

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)


def annotated(model, dummy_in, **pass_args):
    mg = MaseGraph(model)
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, result = add_common_metadata_analysis_pass(mg, {"dummy_in": dummy_in, **pass_args})
    return mg, result


def type_table(mg):
    return [(n.name, get_mase_type(n), get_mase_op(n)) for n in mg.nodes]


def test_jsc_tiny_matches_the_seed_table():
    mg, result = annotated(get_model("jsc-tiny", JSC), {"x": torch.randn(8, 16)}, add_value=False)
    assert type_table(mg) == [
        ("x", "placeholder", "placeholder"),
        ("seq_blocks_0", "module", "batch_norm1d"),
        ("seq_blocks_1", "module_related_func", "relu"),
        ("seq_blocks_2", "module_related_func", "linear"),
        ("seq_blocks_3", "module_related_func", "relu"),
        ("output", "output", "output"),
    ]
    assert result == {"unknown_ops": []}


def test_jsc_s_has_eleven_nodes_with_the_expected_ops():
    mg, _ = annotated(get_model("jsc-s", JSC), {"x": torch.randn(4, 16)})
    ops = [get_mase_op(n) for n in mg.nodes]
    assert ops == ["placeholder", "batch_norm1d", "relu", "linear", "relu", "linear", "relu",
                   "linear", "batch_norm1d", "relu", "output"]


def test_cnn_ops_and_shapes_chain_through_conv_pool_flatten():
    info = DatasetInfo(name="fmnist", input_shape=(1, 28, 28), num_classes=10)
    mg, _ = annotated(get_model("cnn", info), {"x": torch.randn(2, 1, 28, 28)})
    assert type_table(mg)[1:5] == [
        ("features_0", "module_related_func", "conv2d"),
        ("features_1", "module", "batch_norm2d"),
        ("features_2", "module_related_func", "relu"),
        ("features_3", "module_related_func", "max_pool2d"),
    ]
    flatten = mg.node("classifier_0").meta["mase"]["common"]
    assert (flatten["mase_type"], flatten["mase_op"]) == ("implicit_func", "flatten")
    assert flatten["args"]["data_in_0"]["shape"] == [2, 32, 7, 7]
    assert flatten["results"]["data_out_0"]["shape"] == [2, 32 * 7 * 7]
    assert mg.node("features_0").meta["mase"]["common"]["args"]["weight"]["shape"] == [16, 1, 3, 3]
    mg.verify()


def test_linear_operands_have_shape_dtype_type_and_precision():
    mg, _ = annotated(get_model("jsc-tiny", JSC), {"x": torch.randn(8, 16)})
    common = mg.node("seq_blocks_2").meta["mase"]["common"]
    assert common["args"]["data_in_0"] == {
        "shape": [8, 16], "torch_dtype": torch.float32, "type": "float", "precision": [32],
        "from": "seq_blocks_1",
    }
    assert common["args"]["weight"]["shape"] == [5, 16] and common["args"]["bias"]["shape"] == [5]
    assert common["results"]["data_out_0"]["shape"] == [8, 5]
    assert "value" not in common["args"]["data_in_0"]
    assert mg.node("seq_blocks_2").meta["mase"].parameters["common"] is common


def test_values_are_kept_only_when_asked_and_before_in_place_ops():
    model = get_model("jsc-tiny", JSC).eval()
    x = torch.randn(8, 16)
    mg, _ = annotated(model, {"x": x}, add_value=True)
    relu_in = mg.node("seq_blocks_1").meta["mase"]["common"]["args"]["data_in_0"]["value"]
    assert torch.allclose(relu_in, model.seq_blocks[0](x))  # not the in-place ReLU's output
    assert (relu_in < 0).any()
    out = mg.node("seq_blocks_3").meta["mase"]["common"]["results"]["data_out_0"]["value"]
    assert torch.allclose(out, model(x))


def test_python_values_and_methods_are_recorded():
    class Reshape(nn.Module):
        def forward(self, x):
            return x.view(x.size(0), -1) + 1

    mg, _ = annotated(Reshape(), {"x": torch.randn(3, 2, 2)})
    view = next(n for n in mg.nodes if n.target == "view").meta["mase"]["common"]
    assert view["mase_op"] == "view" and view["args"]["data_in_1"]["value"] == 3
    assert view["args"]["data_in_2"] == {"type": "int", "precision": None, "shape": None,
                                         "torch_dtype": None, "value": -1}
    assert view["results"]["data_out_0"]["shape"] == [3, 4]
    size = next(n for n in mg.nodes if n.target == "size").meta["mase"]["common"]
    assert size["results"]["data_out_0"]["value"] == 3
    add = next(n for n in mg.nodes if n.op == "call_function").meta["mase"]["common"]
    assert (add["mase_type"], add["mase_op"]) == ("builtin_func", "add")


def test_unknown_op_is_marked_with_a_warning_not_a_crash(caplog):
    class Odd(nn.Module):
        def forward(self, x):
            return torch.cumsum(x, dim=1)

    with caplog.at_level(logging.WARNING):
        mg, result = annotated(Odd(), {"x": torch.randn(2, 3)})
    node = next(n for n in mg.nodes if n.op == "call_function")
    assert get_mase_op(node) == "unknown" and result["unknown_ops"] == [node.name]
    assert "cumsum" in caplog.text and "register_op" in caplog.text
    assert node.meta["mase"]["common"]["results"]["data_out_0"]["shape"] == [2, 3]


def test_without_dummy_in_only_ops_and_parameters_are_recorded():
    mg = MaseGraph(get_model("jsc-tiny", JSC))
    mg, _ = add_common_metadata_analysis_pass(mg)  # init is implied
    common = mg.node("seq_blocks_2").meta["mase"]["common"]
    assert common["mase_op"] == "linear" and list(common["args"]) == ["weight", "bias"]
    assert common["results"] == {}


def test_a_tensor_dummy_in_works_for_one_input_and_wrong_names_are_errors():
    mg, _ = annotated(get_model("jsc-tiny", JSC), torch.randn(2, 16))
    assert mg.node("x").meta["mase"]["common"]["results"]["data_out_0"]["shape"] == [2, 16]
    with pytest.raises(ConfigError, match=r"lacks the graph input\(s\) \['x'\]"):
        annotated(get_model("jsc-tiny", JSC), {"y": torch.randn(2, 16)})
    with pytest.raises(ConfigError, match="has no argument 'dumy_in'. Did you mean 'dummy_in'"):
        add_common_metadata_analysis_pass(MaseGraph(get_model("jsc-tiny", JSC)), {"dumy_in": None})


def test_batch_norm_statistics_are_not_changed_by_the_pass():
    model = get_model("jsc-tiny", JSC).train()
    before = model.seq_blocks[0].running_mean.clone()
    annotated(model, {"x": torch.randn(8, 16) + 5})
    assert torch.equal(model.seq_blocks[0].running_mean, before) and model.training


def test_pass_args_are_not_mutated():
    args = {"dummy_in": {"x": torch.randn(2, 16)}, "add_value": "NA"}
    snapshot = dict(args)
    add_common_metadata_analysis_pass(MaseGraph(get_model("jsc-tiny", JSC)), args)
    assert args == snapshot and args["dummy_in"] is snapshot["dummy_in"]
