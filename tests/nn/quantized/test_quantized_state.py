"""Saving quantized models as safetensors weights + JSON specs, and rebuilding them."""

from __future__ import annotations

import json

import pytest
import torch
from quantized_reference import FORMATS
from torch import nn

from chop.errors import CheckpointError, ConfigError
from chop.nn.quantized import (
    from_float,
    load_quantized,
    quant_state,
    quant_states,
    quantized_function,
    rebuild,
    rebuild_model,
    save_quantized,
)

INTEGER, _ = FORMATS["integer"]
MINIFLOAT, _ = FORMATS["minifloat_ieee"]
BLOCK, _ = FORMATS["block_fp"]


def jsc_like() -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(),
                         nn.Linear(8, 5))


def quantized_jsc_like(float_model: nn.Sequential) -> nn.Sequential:
    configs = {0: MINIFLOAT, 1: INTEGER, 2: INTEGER, 4: BLOCK}
    return nn.Sequential(*(from_float(m, configs[i]) if i in configs else m
                           for i, m in enumerate(float_model)))


def test_quant_state_is_json_and_rebuilds_the_same_module():
    float_module = nn.Linear(16, 5)
    quantized = from_float(float_module, {**INTEGER, "data_out_width": 12,
                                          "data_out_frac_width": 6})
    state = json.loads(json.dumps(quant_state(quantized)))
    assert state["float_class"] == "torch.nn.modules.linear.Linear"
    assert state["format"] == "integer"
    assert set(state["specs"]) == {"data_in_0", "weight", "bias", "data_out_0"}

    rebuilt = rebuild(float_module, state)
    assert type(rebuilt) is type(quantized)
    assert rebuilt.specs == quantized.specs and rebuilt.q_config == quantized.q_config
    x = torch.randn(3, 16)
    torch.testing.assert_close(rebuilt(x), quantized(x), rtol=0, atol=0)


def test_rebuild_without_a_float_module_for_argument_free_ops():
    add = quantized_function("add", INTEGER)
    rebuilt = rebuild(None, json.loads(json.dumps(add.quant_state())))
    assert repr(rebuilt) == repr(add)
    with pytest.raises(ConfigError, match="needs the float module"):
        rebuild(None, from_float(nn.Linear(2, 2), INTEGER).quant_state())


def test_rebuild_refuses_a_different_float_class():
    state = from_float(nn.Linear(2, 2), INTEGER).quant_state()
    with pytest.raises(CheckpointError, match="Linear.*Conv1d"):
        rebuild(nn.Conv1d(2, 2, 1), state)


def test_rebuild_refuses_classes_outside_the_op_table():
    state = {**from_float(nn.ReLU(), INTEGER).quant_state(), "float_class": "os.system"}
    with pytest.raises(ConfigError, match="os.system"):
        rebuild(None, state)


def test_save_and_load_round_trip_gives_identical_outputs(tmp_path):
    torch.manual_seed(0)
    trained = quantized_jsc_like(jsc_like())
    optimizer = torch.optim.SGD(trained.parameters(), lr=0.1)
    for _ in range(3):  # move weights and BatchNorm statistics away from their initial values
        optimizer.zero_grad()
        trained(torch.randn(64, 16)).square().mean().backward()
        optimizer.step()
    trained.eval()

    save_quantized(trained, tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    document = json.loads((tmp_path / "quantization.json").read_text())
    assert set(document["modules"]) == {"0", "1", "2", "4"}

    fresh_float = jsc_like()
    loaded = load_quantized(fresh_float, tmp_path).eval()
    assert [type(m).__name__ for m in loaded] == [
        "BatchNorm1dMinifloatIEEE", "ReLUInteger", "LinearInteger", "ReLU", "LinearBlockFP"]
    assert type(fresh_float[2]) is nn.Linear  # the float model was copied, not changed
    x = torch.randn(32, 16)
    torch.testing.assert_close(loaded(x), trained(x), rtol=0, atol=0)


def test_rebuild_model_adds_function_modules_missing_from_the_float_model():
    model = nn.Module()
    model.linear = nn.Linear(2, 2)
    states = {"linear": from_float(nn.Linear(2, 2), INTEGER).quant_state(),
              "add_1": quantized_function("add", INTEGER).quant_state()}
    rebuilt = rebuild_model(model, states)
    assert type(rebuilt.add_1).__name__ == "AddInteger"
    assert set(quant_states(rebuilt)) == {"linear", "add_1"}
    assert not hasattr(model, "add_1")


def test_loading_a_missing_checkpoint_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="quantization.json|model.safetensors"):
        load_quantized(jsc_like(), tmp_path)


def test_weights_that_do_not_fit_are_a_checkpoint_error(tmp_path):
    save_quantized(quantized_jsc_like(jsc_like()), tmp_path)
    smaller = nn.Sequential(nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU())
    with pytest.raises(CheckpointError):
        load_quantized(smaller, tmp_path)
