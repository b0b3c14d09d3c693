"""Report passes: counts, node tables, text that can be saved."""

from __future__ import annotations

import pytest
import torch

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.errors import ConfigError
from chop.models import get_model
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    add_hardware_metadata_analysis_pass,
    add_software_metadata_analysis_pass,
    init_metadata_analysis_pass,
    profile_statistics_analysis_pass,
    report_graph_analysis_pass,
    report_node_meta_param_analysis_pass,
    report_node_shape_analysis_pass,
    report_node_type_analysis_pass,
)

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)


@pytest.fixture
def mg():
    mg = MaseGraph(get_model("jsc-tiny", JSC))
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(8, 16)}})
    mg, _ = add_software_metadata_analysis_pass(mg, None)
    mg, _ = add_hardware_metadata_analysis_pass(mg, None)
    return mg


def test_report_graph_counts_each_fx_kind_and_lists_layers(mg, tmp_path):
    path = tmp_path / "graph.txt"
    same, result = report_graph_analysis_pass(mg, {"file_name": str(path)})
    assert same is mg
    assert result["counts"] == {"placeholder": 1, "get_attr": 0, "call_function": 0, "call_method": 0,
                                "call_module": 4, "output": 1}
    assert result["layers"]["seq_blocks_2"] == "Linear(in_features=16, out_features=5, bias=True)"
    assert path.read_text().strip() == result["text"].strip()
    assert "| call_module   | 4     |" in result["text"]


def test_report_graph_counts_functions_and_methods():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(3))

        def forward(self, x):
            return torch.relu(x * self.scale).view(-1)

    _, result = report_graph_analysis_pass(MaseGraph(Net()))
    assert result["counts"] == {"placeholder": 1, "get_attr": 1, "call_function": 2, "call_method": 1,
                                "call_module": 0, "output": 1}


def test_meta_param_report_shows_chosen_sections(mg, tmp_path):
    profile_statistics_analysis_pass(mg, {"target_weight_nodes": ["linear"], "weight_statistics": {"abs_mean": {}}})
    _, result = report_node_meta_param_analysis_pass(mg, {"which": ["common", "software"], "save_path": str(tmp_path / "m.md")})
    table = result["table"]
    assert table.headers == ["Node name", "Fx node op", "Mase type", "Mase op", "Common param", "Software param"]
    row = table.records()[3]
    assert row["Node name"] == "seq_blocks_2" and "weight: [5, 16] float[32]" in row["Common param"]
    assert "weight abs_mean: value=" in row["Software param"]
    assert (tmp_path / "m.md").read_text().startswith("| Node name")
    _, only = report_node_meta_param_analysis_pass(mg, {"which": "hardware"})
    assert only["table"].headers[-1] == "Hardware param"
    assert "verilog parameters" in only["table"].records()[3]["Hardware param"]
    with pytest.raises(ConfigError, match="Did you mean 'software'"):
        report_node_meta_param_analysis_pass(mg, {"which": ["sofware"]})


def test_type_and_shape_reports(mg):
    _, types = report_node_type_analysis_pass(mg, None)
    assert types["table"].column("Target") == ["x", "BatchNorm1d", "ReLU", "Linear", "ReLU", "output"]
    assert types["table"].column("Mase op")[1] == "batch_norm1d"
    _, shapes = report_node_shape_analysis_pass(mg, None)
    row = shapes["table"].records()[3]
    assert row["Outputs"] == "data_out_0: [8, 5] float[32]" and "data_in_0: [8, 16] float[32]" in row["Inputs"]
