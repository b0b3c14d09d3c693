"""profile_statistics_analysis_pass: which nodes, which data, and where the results land."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.errors import ConfigError
from chop.models import get_model
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    add_software_metadata_analysis_pass,
    init_metadata_analysis_pass,
    profile_statistics_analysis_pass,
)

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)


@pytest.fixture
def jsc_tiny():
    torch.manual_seed(0)
    model = get_model("jsc-tiny", JSC).eval()
    with torch.no_grad():  # non-trivial batch-norm state so that its output differs from its input
        model.seq_blocks[0].running_mean.uniform_(-1, 1)
        model.seq_blocks[0].running_var.uniform_(0.5, 2)
    mg = MaseGraph(model)
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
    mg, _ = add_software_metadata_analysis_pass(mg, None)
    return model, mg


def batches(n, rows=32):
    g = torch.Generator().manual_seed(1)
    return [{"x": torch.randn(rows, 16, generator=g)} for _ in range(n)]


def test_weight_and_activation_statistics_match_numpy(jsc_tiny):
    model, mg = jsc_tiny
    data = batches(5)
    mg2, result = profile_statistics_analysis_pass(mg, {
        "by": "type",
        "target_weight_nodes": ["linear"],
        "target_activation_nodes": ["relu"],
        "weight_statistics": {"variance_precise": {"device": "cpu", "dims": "all"}},
        "activation_statistics": {"range_quantile": {"device": "cpu", "dims": "all", "quantile": 0.97}},
        "input_generator": iter(data),
        "num_samples": 3,
    })
    assert mg2 is mg
    weight = model.seq_blocks[2].weight.detach().double().numpy()
    stat = mg.node("seq_blocks_2").meta["mase"]["software"]["args"]["weight"]["stat"]["variance_precise"]
    assert stat["variance"] == pytest.approx(np.var(weight), rel=1e-9)
    assert stat is result["weights"]["seq_blocks_2"]["weight"]["variance_precise"]
    # the first ReLU sees the batch-norm output of the first 3 batches (eval mode)
    with torch.no_grad():
        seen = torch.cat([model.seq_blocks[0](b["x"]) for b in data[:3]]).double().numpy()
    relu = mg.node("seq_blocks_1").meta["mase"]["software"]["args"]["data_in_0"]["stat"]["range_quantile"]
    assert relu["max"] == pytest.approx(np.quantile(seen, 0.97), rel=1e-6)
    assert relu["min"] == pytest.approx(np.quantile(seen, 0.03), rel=1e-6)
    assert set(result["activations"]) == {"seq_blocks_1", "seq_blocks_3"}
    assert "data_in_0" not in result["activations"].get("seq_blocks_2", {})


def test_by_name_tuple_batches_and_output_activation(jsc_tiny):
    model, mg = jsc_tiny
    data = [(b["x"], torch.zeros(len(b["x"]), dtype=torch.long)) for b in batches(2)]
    _, result = profile_statistics_analysis_pass(mg, {
        "by": "name",
        "target_activation_nodes": ["seq_blocks_2"],
        "activation_statistics": {"variance_online": {}, "range_min_max": {}},
        "input_generator": data,
        "num_samples": 10,  # more than there are: uses what there is
        "profile_output_activation": True,
    })
    with torch.no_grad():
        relu_out = torch.cat([model.seq_blocks[1](model.seq_blocks[0](x)) for x, _ in data])
        linear = model.seq_blocks[2](relu_out).double().numpy()
        relu_out = relu_out.double().numpy()
    found = result["activations"]["seq_blocks_2"]
    assert found["data_in_0"]["variance_online"]["count"] == relu_out.size
    assert found["data_in_0"]["variance_online"]["variance"] == pytest.approx(np.var(relu_out), rel=1e-6)
    linear_out = found["data_out_0"]["range_min_max"]
    # seen before the final in-place ReLU overwrites the linear's output
    assert linear_out == {"min": pytest.approx(linear.min(), rel=1e-6), "max": pytest.approx(linear.max(), rel=1e-6)}
    assert linear_out["min"] < 0
    assert mg.node("seq_blocks_2").meta["mase"]["software"]["results"]["data_out_0"]["stat"]["range_min_max"] == linear_out


def test_argument_errors_name_what_is_wrong(jsc_tiny):
    _, mg = jsc_tiny
    with pytest.raises(ConfigError, match="unknown mase op 'lienar'. Did you mean 'linear'"):
        profile_statistics_analysis_pass(mg, {"target_weight_nodes": ["lienar"], "weight_statistics": {"abs_mean": {}}})
    with pytest.raises(ConfigError, match="unknown node 'seq_blocks_9'"):
        profile_statistics_analysis_pass(mg, {"by": "name", "target_weight_nodes": ["seq_blocks_9"]})
    with pytest.raises(ConfigError, match="'by' must be one of"):
        profile_statistics_analysis_pass(mg, {"by": "kind"})
    with pytest.raises(ConfigError, match="input_generator"):
        profile_statistics_analysis_pass(mg, {"target_activation_nodes": ["relu"], "activation_statistics": {"abs_mean": {}}})
    with pytest.raises(ConfigError, match="gave no batch"):
        profile_statistics_analysis_pass(mg, {"target_activation_nodes": ["relu"], "activation_statistics": {"abs_mean": {}},
                                              "input_generator": []})
