"""Software slots and hardware metadata (parallelism, Verilog-style parameters)."""

from __future__ import annotations

import pytest
import torch

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.errors import ChopError, ConfigError
from chop.models import get_model
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    add_hardware_metadata_analysis_pass,
    add_software_metadata_analysis_pass,
    init_metadata_analysis_pass,
)
from chop.passes.graph.analysis.hardware_metadata import dim_parallelism

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)


def jsc_tiny_graph():
    mg = MaseGraph(get_model("jsc-tiny", JSC))
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(8, 16)}})
    return mg


def test_software_slots_for_every_tensor_operand():
    mg, result = add_software_metadata_analysis_pass(jsc_tiny_graph(), None)
    software = mg.node("seq_blocks_2").meta["mase"]["software"]
    assert software == {"args": {"data_in_0": {"stat": {}}, "weight": {"stat": {}}, "bias": {"stat": {}}},
                        "results": {"data_out_0": {"stat": {}}}}
    assert result["num_slots"] == sum(
        len(n.meta["mase"]["common"]["args"]) + len(n.meta["mase"]["common"]["results"]) for n in mg.nodes)


def test_software_needs_common_metadata_first():
    mg = MaseGraph(get_model("jsc-tiny", JSC))
    with pytest.raises(ChopError, match="add_common_metadata"):
        add_software_metadata_analysis_pass(mg, None)


@pytest.mark.parametrize(("size", "limit", "expected"), [(16, 4, 4), (5, 4, 1), (6, 4, 3), (3, 8, 3), (7, 1, 1)])
def test_parallelism_is_the_largest_divisor_within_the_limit(size, limit, expected):
    assert dim_parallelism(size, limit) == expected


def test_linear_hardware_parameters():
    mg, _ = add_hardware_metadata_analysis_pass(jsc_tiny_graph(), {"max_parallelism": 4})
    hw = mg.node("seq_blocks_2").meta["mase"]["hardware"]
    params = hw["verilog_param"]
    assert hw["is_implicit"] is False and mg.node("x").meta["mase"]["hardware"]["is_implicit"] is True
    assert params["DATA_IN_0_PRECISION_0"] == 32
    assert (params["DATA_IN_0_TENSOR_SIZE_DIM_0"], params["DATA_IN_0_TENSOR_SIZE_DIM_1"]) == (16, 8)
    assert (params["WEIGHT_TENSOR_SIZE_DIM_0"], params["WEIGHT_TENSOR_SIZE_DIM_1"]) == (16, 5)
    assert (params["WEIGHT_PARALLELISM_DIM_0"], params["WEIGHT_PARALLELISM_DIM_1"]) == (4, 1)
    assert params["DATA_OUT_0_TENSOR_SIZE_DIM_0"] == 5 and params["DATA_OUT_0_PARALLELISM_DIM_0"] == 1
    assert hw["interface"]["weight"] == {"storage": "BRAM", "transpose": False}
    with pytest.raises(ConfigError, match="max_parallelism"):
        add_hardware_metadata_analysis_pass(mg, {"max_parallelism": 0})
