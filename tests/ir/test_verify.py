"""verify(): consistent metadata passes; a broken shape chain or format is reported by name."""

from __future__ import annotations

import pytest
import torch

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.errors import ChopError
from chop.ir.verify import find_problems
from chop.models import get_model
from chop.passes.graph import add_common_metadata_analysis_pass, verify_metadata_analysis_pass

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)


def jsc_s_graph():
    mg = MaseGraph(get_model("jsc-s", JSC))
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
    return mg


def test_fresh_metadata_is_consistent():
    mg = jsc_s_graph()
    assert find_problems(mg) == []
    mg.verify()
    assert verify_metadata_analysis_pass(mg, None)[1] == {"problems": []}


def test_a_broken_shape_chain_is_found():
    mg = jsc_s_graph()
    mg.node("seq_blocks_2").meta["mase"]["common"]["results"]["data_out_0"]["shape"] = [4, 63]
    problems = find_problems(mg)
    assert problems == ["seq_blocks_3.data_in_0 has shape [4, 64] but 'seq_blocks_2' produces [4, 63]"]
    with pytest.raises(ChopError, match="seq_blocks_3.data_in_0"):
        mg.verify()
    assert verify_metadata_analysis_pass(mg, {"raise_on_error": False})[1]["problems"] == problems


def test_parameter_shape_and_number_format_are_checked():
    mg = jsc_s_graph()
    common = mg.node("seq_blocks_4").meta["mase"]["common"]
    common["args"]["weight"]["shape"] = [64, 65]
    common["args"]["bias"]["precision"] = [16]
    problems = find_problems(mg)
    assert "seq_blocks_4.weight has shape [64, 65] but the module's weight is [64, 64]" in problems
    assert "seq_blocks_4.bias says float[16] but holds torch.float32" in problems


def test_missing_metadata_is_reported():
    mg = MaseGraph(get_model("jsc-tiny", JSC))
    assert find_problems(mg)[0] == "x has no common metadata (run add_common_metadata)"
