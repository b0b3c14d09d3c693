"""quantize_transform_pass: the seed flows, metadata, no mutation, errors, calibration, save/load."""

import copy

import pytest
import torch
from torch import nn

from chop import MaseGraph
from chop.dataset import DatasetInfo
from chop.errors import ChopError, ConfigError
from chop.models import get_model
from chop.nn.quantizers import integer_quantizer
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
    summarize_quantization_analysis_pass,
)

JSC = DatasetInfo("jsc", input_shape=(16,), num_classes=5)
INT8 = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
        "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}
BY_TYPE = {"by": "type", "default": {"config": {"name": None}}, "linear": {"config": INT8}}


def graph(name="jsc-tiny", batch=8):
    torch.manual_seed(0)
    mg = MaseGraph(get_model(name, JSC), model_name=name, dataset_info=JSC)
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(batch, 16)}})
    return mg


def test_seed_flow_changes_only_the_linear():
    ori = graph()
    mg, result = quantize_transform_pass(ori, BY_TYPE)
    assert result["changed"] == ["seq_blocks_2"]
    assert repr(mg.modules["seq_blocks"][2]) == "LinearInteger(in_features=16, out_features=5, bias=True)"
    _, summary = summarize_quantization_analysis_pass(ori, mg, save_dir=None)
    changed = {r["Node name"]: r["Changed"] for r in summary["table"].records()}
    assert changed == {"x": False, "seq_blocks_0": False, "seq_blocks_1": False, "seq_blocks_2": True,
                       "seq_blocks_3": False, "output": False}
    rows = {r["Original type"]: (r["OP"], r["Total"], r["Changed"], r["Unchanged"])
            for r in summary["histogram"].records()}
    assert rows["Linear"] == ("linear", 1, 1, 0) and rows["ReLU"] == ("relu", 2, 0, 2)


def test_quantized_output_is_the_float_op_on_quantized_operands():
    mg, _ = quantize_transform_pass(graph(), BY_TYPE)
    layer = mg.modules["seq_blocks"][2]
    x = torch.randn(32, 16)
    q = lambda t: integer_quantizer(t, width=8, frac_width=4)  # noqa: E731
    expected = nn.functional.linear(q(x), q(layer.weight), q(layer.bias))
    assert torch.equal(layer(x), expected)


def test_two_bit_weights_are_on_the_seed_grid():
    mg, _ = quantize_transform_pass(graph(), {"by": "type", "linear": {"config": {
        **INT8, "weight_width": 2, "weight_frac_width": 2}}})
    layer = mg.modules["seq_blocks"][2]
    values = set(layer.w_quantizer(layer.weight).flatten().tolist())
    assert values <= {-0.5, -0.25, 0.0, 0.25}


def test_input_graph_and_args_are_not_mutated_and_args_reusable():
    ori = graph()
    before = copy.deepcopy(BY_TYPE)
    weights = {k: v.clone() for k, v in ori.model.state_dict().items()}
    a, _ = quantize_transform_pass(ori, BY_TYPE)
    b, _ = quantize_transform_pass(ori, BY_TYPE)
    assert BY_TYPE == before
    assert type(ori.modules["seq_blocks"][2]) is nn.Linear
    assert all(torch.equal(weights[k], v) for k, v in ori.model.state_dict().items())
    assert a.modules["seq_blocks"][2] is not b.modules["seq_blocks"][2]
    meta = next(n for n in ori.fx_graph.nodes if n.name == "seq_blocks_2").meta["mase"]["common"]
    assert meta["args"]["weight"]["type"] == "float"


def test_metadata_describes_the_real_format():
    mg, _ = quantize_transform_pass(graph(), {"by": "type", "linear": {"config": {
        "name": "minifloat_ieee", "data_in_width": 8, "data_in_exponent_width": 4,
        "weight_width": 6, "weight_exponent_width": 3, "bias_width": 8, "bias_exponent_width": 4}}})
    args = next(n for n in mg.fx_graph.nodes if n.name == "seq_blocks_2").meta["mase"]["common"]["args"]
    assert args["weight"]["type"] == "minifloat_ieee" and args["weight"]["precision"][:2] == [6, 3]
    assert args["data_in_0"]["precision"][0] == 8 and args["weight"]["format"]["width"] == 6
    assert type(mg.modules["seq_blocks"][2]).__name__ == "LinearMinifloatIEEE"


def test_by_name_and_regex_and_seed_004_linear_plus_relu():
    mg, r = quantize_transform_pass(graph("jsc-s"), {"by": "name", "seq_blocks_4": {"config": INT8}})
    assert r["changed"] == ["seq_blocks_4"]
    mg, r = quantize_transform_pass(graph("jsc-s"), {"by": "regex_name", r"seq_blocks_[0-4]": {"config": INT8}})
    assert set(r["changed"]) == {"seq_blocks_0", "seq_blocks_1", "seq_blocks_2", "seq_blocks_3", "seq_blocks_4"}
    relu = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4}
    two_bit = {k: 2 for k in INT8 if k != "name"} | {"name": "integer"}
    ori = graph("jsc-s")
    mg, r = quantize_transform_pass(ori, {"by": "type", "default": {"config": {"name": "NA"}},
                                          "linear": {"config": two_bit}, "relu": {"config": relu}})
    _, summary = summarize_quantization_analysis_pass(mg, {"original_graph": ori})
    rows = {r["Original type"]: (r["Total"], r["Changed"]) for r in summary["histogram"].records()}
    assert rows["Linear"] == (3, 3) and rows["ReLU"] == (4, 4) and rows["BatchNorm1d"] == (2, 0)


@pytest.mark.parametrize(
    "args,message",
    [
        ({"by": "kind"}, "'by' must be one of"),
        ({"by": "type", "lnear": {"config": INT8}}, "'lnear' is not an op type. Did you mean 'linear'"),
        ({"by": "name", "seq_block_2": {"config": INT8}}, "no node 'seq_block_2'"),
        ({"by": "type", "linear": {"config": {k: v for k, v in INT8.items() if k != "weight_frac_width"}}},
         "weight_frac_width"),
        ({"by": "type", "linear": {"config": {**INT8, "wieght_width": 8}}}, "wieght_width"),
        ({"by": "type", "linear": {"config": {**INT8, "name": "intger"}}}, "intger"),
        ({"by": "type", "output": {"config": INT8}}, "cannot be quantized"),
    ],
)
def test_bad_args_are_user_errors_naming_the_problem(args, message):
    with pytest.raises(ChopError, match=message):
        quantize_transform_pass(graph(), args)


def test_ptq_calibration_picks_frac_widths_from_data():
    ori = graph()
    batches = iter([{"x": torch.randn(64, 16) * 3} for _ in range(4)])
    auto = {**INT8, "data_in_frac_width": "auto", "weight_frac_width": "auto", "bias_frac_width": "auto"}
    mg, r = quantize_transform_pass(ori, {"by": "type", "linear": {"config": auto}, "input_generator": batches})
    cfg = r["configs"]["seq_blocks_2"]
    layer = ori.modules["seq_blocks"][2]
    w_max = layer.weight.abs().max().item()
    # The weight's largest magnitude fits, and one more fractional bit would saturate it.
    step = 2.0 ** -cfg["weight_frac_width"]
    assert w_max <= (2**7 - 1) * step + step / 2
    assert w_max > (2**7 - 1) * step / 2
    recorded = dict(mg.recipe()["passes"][-1][1]["recorded"])  # the pass's replay state
    assert recorded["seq_blocks_2"]["config"]["weight_frac_width"] == cfg["weight_frac_width"]


def test_auto_inputs_without_data_is_an_error():
    with pytest.raises(ConfigError, match="needs calibration data"):
        quantize_transform_pass(graph(), {"by": "type", "linear": {"config": {**INT8, "data_in_frac_width": "auto"}}})


def test_save_and_load_rebuild_the_quantized_graph(tmp_path):
    mg, _ = quantize_transform_pass(graph("jsc-s"), {"by": "type", "linear": {"config": INT8}})
    mg.save(tmp_path / "q")
    back = MaseGraph.load(tmp_path / "q")
    assert type(back.modules["seq_blocks"][2]).__name__ == "LinearInteger"
    x = torch.randn(16, 16)
    mg.model.eval(), back.model.eval()
    assert torch.equal(mg.model(x), back.model(x))
    node = next(n for n in back.fx_graph.nodes if n.name == "seq_blocks_2")
    assert node.meta["mase"]["common"]["args"]["weight"]["type"] == "fixed"


def test_functions_are_quantized_into_modules():
    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(16, 16)

        def forward(self, x):
            return torch.add(self.fc(x), x) @ torch.ones(16, 4)

    mg = MaseGraph(Residual())
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
    cfg = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4}
    q, r = quantize_transform_pass(mg, {"by": "type", "add": {"config": cfg}, "matmul": {"config": cfg}})
    assert len(r["changed"]) == 2
    kinds = {type(m).__name__ for m in q.model.modules()}
    assert {"AddInteger", "MatmulInteger"} <= kinds
    x = torch.randn(4, 16)
    q8 = lambda t: integer_quantizer(t, 8, 4)  # noqa: E731
    expected = q8(q8(mg.modules["fc"](x)) + q8(x)) @ q8(torch.ones(16, 4))
    assert torch.allclose(q.model(x), expected)


def test_graph_without_metadata_is_quantized_and_left_bare():
    bare = MaseGraph(get_model("jsc-tiny", JSC), model_name="jsc-tiny", dataset_info=JSC)
    mg, r = quantize_transform_pass(bare, BY_TYPE)
    assert r["changed"] == ["seq_blocks_2"]
    assert not any("mase" in n.meta for n in bare.fx_graph.nodes)
