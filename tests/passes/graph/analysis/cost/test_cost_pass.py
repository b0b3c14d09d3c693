"""flops_analysis_pass on the built-in models, against counts worked out by hand from the
definitions (FLOPs = 2 x MACs + bias adds, BN 2 per element, backward 2x with parameters)."""

from __future__ import annotations

import copy
import json

import pytest
import torch

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.errors import ChopError, ConfigError
from chop.models import get_model
from chop.passes import PASSES
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    analyse_flops_pass,
    flops_analysis_pass,
    init_metadata_analysis_pass,
)
from chop.passes.runner import run_passes

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)
IMAGES = DatasetInfo(name="images", input_shape=(1, 28, 28), num_classes=10)


def graph_of(model, x):
    mg, _ = init_metadata_analysis_pass(MaseGraph(model), None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": x}})
    return mg


def cost(model, x, **pass_args):
    return flops_analysis_pass(graph_of(model, x), {"silent": True, **pass_args})[1]


def linear(i, o):
    """(params, macs, flops, backward flops) of Linear(i, o) per sample."""
    return i * o + o, i * o, 2 * i * o + o, 2 * (2 * i * o + o)


def test_jsc_tiny_per_sample_counts_by_hand():
    result = cost(get_model("jsc-tiny", JSC), torch.randn(8, 16))
    nodes = result["nodes"]
    assert nodes["seq_blocks_0"]["flops_forward"] == 2 * 16  # BN: scale + shift per element
    assert nodes["seq_blocks_0"]["flops_backward"] == 2 * 2 * 16  # has parameters: 2x
    assert nodes["seq_blocks_0"]["params"] == 32
    assert nodes["seq_blocks_1"]["flops_forward"] == nodes["seq_blocks_1"]["flops_backward"] == 16
    params, macs, flops, backward = linear(16, 5)
    lin = nodes["seq_blocks_2"]
    assert (lin["params"], lin["macs_forward"], lin["flops_forward"], lin["flops_backward"]) == (params, macs, flops, backward)
    assert lin["bitops_forward"] == macs * 32 * 32 and lin["bitops_backward"] == 2 * macs * 32 * 32
    assert nodes["seq_blocks_1"]["bitops_forward"] == 16 * 32  # elementwise: FLOPs x data bits
    total = result["total"]
    assert total["params"] == 117
    assert total["flops_forward"] == 32 + 16 + flops + 5
    assert total["flops_backward"] == 64 + 16 + backward + 5
    assert total["weight_memory_bits"] == 117 * 32
    assert total["activation_memory_bits"] == 32 * (16 + 16 + 16 + 5 + 5)  # x, BN, ReLU, Linear, ReLU
    assert result["uncounted"] == [] and result["batch_size"] == 8 and result["per_sample"] is True


def test_jsc_s_total_by_hand():
    total = cost(get_model("jsc-s", JSC), torch.randn(4, 16))["total"]
    layers = [linear(16, 64), linear(64, 64), linear(64, 5)]
    flops = 2 * 16 + 16 + layers[0][2] + 64 + layers[1][2] + 64 + layers[2][2] + 2 * 5 + 5
    backward = 2 * 2 * 16 + 16 + layers[0][3] + 64 + layers[1][3] + 64 + layers[2][3] + 2 * 2 * 5 + 5
    assert total["params"] == 32 + sum(layer[0] for layer in layers) + 10
    assert total["macs_forward"] == sum(layer[1] for layer in layers)
    assert (total["flops_forward"], total["flops_backward"]) == (flops, backward)


def test_cnn_counts_by_hand():
    result = cost(get_model("cnn", IMAGES), torch.randn(2, 1, 28, 28))
    conv1_out, conv2_out = 16 * 28 * 28, 32 * 14 * 14
    conv1_macs, conv2_macs, fc_macs = conv1_out * 1 * 9, conv2_out * 16 * 9, 32 * 7 * 7 * 10
    flops = {
        "features_0": 2 * conv1_macs + conv1_out, "features_1": 2 * conv1_out, "features_2": conv1_out,
        "features_3": 16 * 14 * 14 * (4 - 1),  # 2x2 max pool: 3 comparisons per output
        "features_4": 2 * conv2_macs + conv2_out, "features_5": 2 * conv2_out, "features_6": conv2_out,
        "features_7": 32 * 7 * 7 * 3, "classifier_0": 0, "classifier_1": 2 * fc_macs + 10,
    }
    assert {n: r["flops_forward"] for n, r in result["nodes"].items() if n in flops} == flops
    assert result["total"]["macs_forward"] == conv1_macs + conv2_macs + fc_macs
    assert result["nodes"]["features_4"]["params"] == 32 * 16 * 9 + 32


@pytest.mark.parametrize("name,info,shape", [("jsc-s", JSC, (3, 16)), ("cnn", IMAGES, (2, 1, 28, 28)),
                                             ("jsc-toy", JSC, (5, 16))])
def test_params_and_weight_memory_cover_every_parameter_once(name, info, shape):
    model = get_model(name, info)
    total = cost(model, torch.randn(*shape))["total"]
    n = sum(p.numel() for p in model.parameters())
    assert total["params"] == n and total["weight_memory_bits"] == 32 * n


def test_per_batch_is_batch_size_times_per_sample():
    mg = graph_of(get_model("jsc-s", JSC), torch.randn(6, 16))
    _, per_sample = flops_analysis_pass(mg, {"silent": True})
    _, per_batch = flops_analysis_pass(mg, {"per_sample": False, "silent": True})
    for key in ("macs_forward", "flops_forward", "flops_backward", "bitops_forward", "activation_memory_bits"):
        assert per_batch["total"][key] == 6 * per_sample["total"][key]
    for key in ("params", "weight_memory_bits"):
        assert per_batch["total"][key] == per_sample["total"][key]
    assert per_batch["total"] == per_sample["total_per_batch"] and per_sample["total"] == per_batch["total_per_sample"]
    assert "per batch of 6" in per_batch["text"] and "per sample" in per_sample["text"]


def test_unknown_op_is_listed_uncounted_not_zero():
    class Strange(torch.nn.Module):  # a leaf module the taxonomy does not know
        def forward(self, x):
            return x * 2

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.odd = torch.nn.Linear(4, 4), Strange()

        def forward(self, x):
            return torch.cumsum(self.odd(self.fc(x)), dim=1)

    mg, _ = init_metadata_analysis_pass(MaseGraph(Net(), custom_leaf_modules=[Strange]), None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(2, 4)}})
    _, result = flops_analysis_pass(mg, {"silent": True})
    assert result["uncounted"] == ["odd", "cumsum"]
    assert result["nodes"]["odd"]["flops_forward"] is None and "no cost formula" in result["reasons"]["odd"]
    assert result["total"]["flops_forward"] == result["nodes"]["fc"]["flops_forward"]
    row = result["table"].records()[2]
    assert row["Node name"] == "odd" and row["Forward FLOPs"] == "uncounted"


def test_table_has_the_seed_columns_and_a_total_row():
    result = cost(get_model("jsc-tiny", JSC), torch.randn(8, 16))
    table = result["table"]
    assert table.headers == ["Node name", "Node type", "Parameters", "Forward FLOPs", "Backward FLOPs",
                             "Forward bitops", "Backward bitops"]
    assert table.column("Node type")[:3] == ["placeholder", "batch_norm1d", "relu"]
    assert table.rows[0][2:] == [None] * 5  # placeholders compute nothing: blank, as in the seed
    assert table.rows[-1][0] == "total" and table.rows[-1][3] == result["total"]["flops_forward"]
    assert "| seq_blocks_2 | linear" in result["text"]


def test_save_path_writes_text_csv_and_json(tmp_path):
    mg = graph_of(get_model("jsc-tiny", JSC), torch.randn(8, 16))
    for suffix in ("txt", "csv", "json"):
        _, result = flops_analysis_pass(mg, {"silent": True, "save_path": str(tmp_path / f"cost.{suffix}")})
    assert (tmp_path / "cost.txt").read_text().strip() == result["text"].strip()
    lines = (tmp_path / "cost.csv").read_text().splitlines()
    assert lines[0].startswith("node,op,mase_type,params") and lines[-1].startswith("total,,,117")
    saved = json.loads((tmp_path / "cost.json").read_text())
    assert saved["total"] == result["total"] and saved["nodes"]["seq_blocks_2"]["macs_forward"] == 80


def test_names_arguments_and_preconditions():
    assert analyse_flops_pass is flops_analysis_pass
    assert PASSES.get("flops").fn is flops_analysis_pass and PASSES.get("cost").fn is flops_analysis_pass
    mg = graph_of(get_model("jsc-tiny", JSC), torch.randn(8, 16))
    _, results = run_passes(mg, {"flops": {"silent": True, "per_sample": False}})
    assert results["flops"]["total"]["macs_forward"] == 8 * 80
    with pytest.raises(ConfigError, match="per_sampel"):
        flops_analysis_pass(mg, {"per_sampel": True})
    with pytest.raises(ChopError, match="add_common_metadata_analysis_pass"):
        flops_analysis_pass(MaseGraph(get_model("jsc-tiny", JSC)), None)
    bare, _ = init_metadata_analysis_pass(MaseGraph(get_model("jsc-tiny", JSC)), None)
    bare, _ = add_common_metadata_analysis_pass(bare, None)
    with pytest.raises(ChopError, match="dummy_in"):
        flops_analysis_pass(bare, None)


def test_logs_the_table_and_leaves_its_inputs_alone(caplog):
    mg = graph_of(get_model("jsc-tiny", JSC), torch.randn(8, 16))
    before = [copy.deepcopy(node.meta["mase"]["common"]) for node in mg.fx_graph.nodes]
    pass_args = {"per_sample": True}
    with caplog.at_level("INFO", logger="chop.passes.graph.analysis.cost"):
        same, result = flops_analysis_pass(mg, pass_args)
    assert same is mg and pass_args == {"per_sample": True}
    assert [dict(node.meta["mase"]["common"]) for node in mg.fx_graph.nodes] == before
    assert result["text"] in caplog.text
