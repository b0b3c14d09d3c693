"""Saving and loading a MaseGraph: weights + JSON recipe + JSON metadata, replaying transforms."""

from __future__ import annotations

import copy
import json

import pytest
import torch
from torch import nn

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.errors import CheckpointError
from chop.models import get_model
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    add_software_metadata_analysis_pass,
    init_metadata_analysis_pass,
    profile_statistics_analysis_pass,
)
from chop.passes.registry import PASSES, register_pass

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)


def analysed_jsc_tiny():
    torch.manual_seed(3)
    model = get_model("jsc-tiny", JSC)
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-1, 1)
        model.seq_blocks[0].running_var.uniform_(0.5, 2)
    mg = MaseGraph(model, model_name="jsc-tiny", dataset_info=JSC)
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
    mg, _ = add_software_metadata_analysis_pass(mg, None)
    mg, _ = profile_statistics_analysis_pass(mg, {"target_weight_nodes": ["linear"],
                                                  "weight_statistics": {"range_min_max": {"dims": [1]}}})
    return mg


def params(mg):
    return {n.name: n.meta["mase"].parameters for n in mg.nodes}


def test_round_trip_restores_weights_and_metadata(tmp_path):
    mg = analysed_jsc_tiny()
    mg.save(tmp_path / "g")
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["metadata.json", "model.safetensors", "recipe.json"]
    recipe = json.loads((tmp_path / "g" / "recipe.json").read_text())
    assert recipe["model"] == "jsc-tiny" and recipe["passes"] == [] and recipe["dataset_info"]["input_shape"] == [16]
    loaded = MaseGraph.load(tmp_path / "g")
    x = torch.randn(9, 16)
    mg.model.eval(), loaded.model.eval()
    assert torch.equal(loaded.model(x), mg.model(x))
    assert params(loaded) == params(mg)
    assert loaded.node("seq_blocks_2").meta["mase"]["common"]["args"]["weight"]["torch_dtype"] is torch.float32
    loaded.verify()


def test_tensor_values_survive_as_tensors(tmp_path):
    mg = MaseGraph(get_model("jsc-tiny", JSC), model_name="jsc-tiny", dataset_info=JSC)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(2, 16)}, "add_value": True})
    mg.save(tmp_path / "g")
    loaded = MaseGraph.load(tmp_path / "g")
    value = loaded.node("seq_blocks_2").meta["mase"]["common"]["args"]["weight"]["value"]
    assert torch.equal(value, mg.modules["seq_blocks"][2].weight.detach())


@pytest.fixture
def leaky_pass():
    @register_pass("test_leaky_relu", {"slope": 0.1}, kind="transform")
    def leaky(graph, pass_args=None):
        model = copy.deepcopy(graph.model)
        model.seq_blocks[1] = nn.LeakyReLU(pass_args["slope"])
        return graph.derive(model, "test_leaky_relu", pass_args), {}

    yield leaky
    PASSES.unregister("test_leaky_relu")


def test_load_replays_the_recorded_transform(tmp_path, leaky_pass):
    mg = analysed_jsc_tiny()
    new, _ = leaky_pass(mg, {"slope": 0.25})
    assert new is not mg and isinstance(mg.modules["seq_blocks"][1], nn.ReLU)
    assert new.recipe()["passes"] == [["test_leaky_relu", {"slope": 0.25}]]
    new.save(tmp_path / "g")
    loaded = MaseGraph.load(tmp_path / "g")
    assert isinstance(loaded.modules["seq_blocks"][1], nn.LeakyReLU)
    assert loaded.modules["seq_blocks"][1].negative_slope == 0.25
    x = torch.randn(5, 16)
    new.model.eval(), loaded.model.eval()
    assert torch.equal(loaded.model(x), new.model(x))
    assert params(loaded) == params(new)


def test_unregistered_model_needs_the_model_given(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2))
    mg = MaseGraph(model)
    mg.save(tmp_path / "g")
    with pytest.raises(CheckpointError, match="model="):
        MaseGraph.load(tmp_path / "g")
    loaded = MaseGraph.load(tmp_path / "g", model=nn.Sequential(nn.Linear(3, 2)))
    assert torch.equal(loaded.modules["0"].weight, model[0].weight)


def test_missing_or_foreign_files_are_checkpoint_errors(tmp_path):
    with pytest.raises(CheckpointError, match="recipe.json"):
        MaseGraph.load(tmp_path)
    (tmp_path / "recipe.json").write_text('{"format": "other"}')
    with pytest.raises(CheckpointError, match="not a machop.MaseGraph recipe"):
        MaseGraph.load(tmp_path)
    mg = MaseGraph(nn.Sequential(nn.Linear(3, 2)))
    mg.save(tmp_path / "g")
    with pytest.raises(CheckpointError, match="do not fit"):
        MaseGraph.load(tmp_path / "g", model=nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2)))
