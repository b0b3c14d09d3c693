"""The quantize pass with "learned" frac widths, and `freeze_learned`: the frozen graph computes
exactly what the learned one does, its metadata states the frozen formats, and a saved graph
replays to the trained widths."""

import pytest
import torch

from chop import MaseGraph
from chop.nn.learned import LearnedFixedPoint
from chop.nn.quantizers import IntegerFormat
from chop.passes.graph import (
    freeze_learned_transform_pass,
    quantize_transform_pass,
)
from chop.passes.graph.transforms.quantize.calibrate import frac_width_for
from two_layers import TwoLayers, calibration_batches, two_layer_graph


LEARNED = {"name": "integer", "data_in_width": 6, "data_in_frac_width": "learned",
           "weight_width": 6, "weight_frac_width": "learned", "bias_width": 8, "bias_frac_width": 4,
           "learn_widths": True, "bitops_penalty": 0.01}


def learned_graph():
    mg, result = quantize_transform_pass(two_layer_graph(), {
        "by": "type", "linear": {"config": LEARNED}, "input_generator": calibration_batches()})
    return mg, result


def test_learned_widths_start_where_auto_calibration_puts_them():
    mg, result = learned_graph()
    fc1 = mg.model.fc1
    assert isinstance(fc1.specs["weight"], LearnedFixedPoint)
    expected = frac_width_for(float(fc1.weight.detach().abs().max()), 6)
    assert fc1.specs["weight"].frozen() == IntegerFormat(6, expected)
    assert result["configs"]["fc1"]["learned"] == ["data_in", "weight"]
    assert result["configs"]["fc1"]["weight_frac_width"] == expected


def test_freeze_gives_the_same_function_as_plain_fixed_point():
    mg, _ = learned_graph()
    with torch.no_grad():  # as if training had moved the widths
        mg.model.fc1.specs["weight"].frac.add_(1.3)
        mg.model.fc2.specs["data_in_0"].int_bits.sub_(2.2)
    expected = {name: mg.model.get_submodule(name).specs[op].frozen()
                for name, op in (("fc1", "weight"), ("fc2", "data_in_0"))}
    frozen, result = freeze_learned_transform_pass(mg, {})
    x = torch.randn(32, 16) * 3
    assert torch.equal(frozen.model(x), mg.model(x))
    assert frozen.model.fc1.specs["weight"] == expected["fc1"]
    assert frozen.model.fc2.specs["data_in_0"] == expected["fc2"]
    assert not any(isinstance(m, LearnedFixedPoint) for m in frozen.model.modules())
    assert not any("learned" in n for n, _ in frozen.model.named_parameters())
    assert isinstance(mg.model.fc1.specs["weight"], LearnedFixedPoint)  # the input graph is untouched
    meta = frozen.node("fc2").meta["mase"]["common"]["args"]["data_in_0"]
    assert meta["precision"] == [expected["fc2"].width, expected["fc2"].frac_width]
    assert "fc1" in result["frozen"] and "integer(" in result["text"]


def test_saved_frozen_graph_replays_to_the_trained_widths(tmp_path):
    mg, _ = learned_graph()
    with torch.no_grad():
        mg.model.fc1.specs["weight"].frac.add_(2.0)
    frozen, _ = freeze_learned_transform_pass(mg, {})
    frozen.save(tmp_path / "g")
    # Replay rebuilds TwoLayers from the given model: quantize (learners at their start), then
    # freeze_learned replays the recorded (trained) formats.
    loaded = MaseGraph.load(tmp_path / "g", model=TwoLayers())
    assert loaded.model.fc1.specs["weight"] == frozen.model.fc1.specs["weight"]
    x = torch.randn(8, 16)
    assert torch.equal(loaded.model(x), frozen.model(x))


def test_freeze_without_learned_operands_changes_nothing():
    mg, _ = learned_graph()
    frozen, _ = freeze_learned_transform_pass(mg, {})
    again, result = freeze_learned_transform_pass(frozen, {})
    assert result["frozen"] == {} and result["text"] == "no learned operands"


@pytest.mark.parametrize("bad, message", [({"bitops_penalty": -0.1}, "bitops_penalty"),
                                          ({"learned_lr": "fast"}, "learned_lr")])
def test_bad_learning_keys_fail_before_anything_runs(bad, message):
    from chop.errors import ConfigError

    mg, _ = learned_graph()
    with pytest.raises(ConfigError, match=message):
        quantize_transform_pass(mg, {"by": "type", "linear": {"config": {**LEARNED, **bad}}})


def test_cost_reports_follow_the_frozen_widths():
    from chop.passes.graph import flops_analysis_pass

    mg, _ = learned_graph()
    _, before = flops_analysis_pass(mg, {})
    with torch.no_grad():
        mg.model.fc1.specs["weight"].int_bits.sub_(2.0)  # fc1's weight: 6 -> 4 bits
    frozen, _ = freeze_learned_transform_pass(mg, {})
    _, after = flops_analysis_pass(frozen, {})
    fc1_macs = 16 * 16
    data_in_bits = frozen.model.fc1.specs["data_in_0"].width
    saved = before["total_per_sample"]["bitops_forward"] - after["total_per_sample"]["bitops_forward"]
    assert saved == fc1_macs * data_in_bits * 2
    # the widths are no weights of the model: the same parameters before and after freezing
    assert before["total_per_sample"]["params"] == after["total_per_sample"]["params"] == 16 * 16 + 16 + 16 * 4 + 4
