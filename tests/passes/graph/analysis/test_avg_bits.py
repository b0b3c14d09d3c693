import math

import torch

from chop import MaseGraph
from chop.dataset import DatasetInfo
from chop.models import get_model
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    calculate_avg_bits_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)

JSC = DatasetInfo("jsc", input_shape=(16,), num_classes=5)


def jsc_s():
    mg = MaseGraph(get_model("jsc-s", JSC), model_name="jsc-s", dataset_info=JSC)
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
    return mg


def test_float_graph_averages_32_bits():
    _, r = calculate_avg_bits_analysis_pass(jsc_s(), {"silent": True})
    assert r["w_avg_bit"] == 32 and r["a_avg_bit"] == 32
    # weights of 2 BNs (16 + 5) and 3 Linears (16*64 + 64*64 + 64*5)
    assert r["weight_elements"] == 16 + 5 + 16 * 64 + 64 * 64 + 64 * 5


def test_mixed_precision_average_is_element_weighted_width():
    cfg = lambda w: {"name": "integer", "data_in_width": w, "data_in_frac_width": 2,  # noqa: E731
                     "weight_width": w, "weight_frac_width": 2, "bias_width": 8, "bias_frac_width": 4}
    mg, _ = quantize_transform_pass(jsc_s(), {"by": "name", "seq_blocks_2": {"config": cfg(4)},
                                              "seq_blocks_4": {"config": cfg(6)}})
    _, r = calculate_avg_bits_analysis_pass(mg, {"silent": True})
    w = {"bn": 16 + 5, "l2": 16 * 64, "l4": 64 * 64, "l6": 64 * 5}
    expected = (32 * w["bn"] + 4 * w["l2"] + 6 * w["l4"] + 32 * w["l6"]) / sum(w.values())
    assert math.isclose(r["w_avg_bit"], expected)
    # inputs (batch 4): BN0 16, L2 16, L4 64, L6 64, BN7 5 features
    a = {"bn0": 16, "l2": 16, "l4": 64, "l6": 64, "bn7": 5}
    expected_a = (32 * a["bn0"] + 4 * a["l2"] + 6 * a["l4"] + 32 * a["l6"] + 32 * a["bn7"]) / sum(a.values())
    assert math.isclose(r["a_avg_bit"], expected_a)
