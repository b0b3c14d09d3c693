"""Replaying a saved recipe: only registered transform passes, checked like TOML, no paths, and a
tampered recipe is one line that writes nothing."""

from __future__ import annotations

import json

import pytest
import torch

from chop import MaseGraph
from chop.cli import main
from chop.dataset.info import DatasetInfo
from chop.errors import CheckpointError
from chop.models import get_model
from chop.passes import PASSES, register_pass
from chop.passes.graph import quantize_transform_pass
from chop.passes.replay import graph_from_recipe

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)
INT8 = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
        "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}


def saved(tmp_path):
    mg = MaseGraph(get_model("jsc-tiny", JSC), model_name="jsc-tiny", dataset_info=JSC)
    q, _ = quantize_transform_pass(mg, {"by": "type", "linear": {"config": INT8}})
    return q.save(tmp_path / "g")


def tamper(directory, change):
    recipe = json.loads((directory / "recipe.json").read_text())
    change(recipe)
    (directory / "recipe.json").write_text(json.dumps(recipe))
    return recipe


def refused(directory, *words):
    with pytest.raises(CheckpointError) as exc:
        MaseGraph.load(directory)
    text = str(exc.value)
    assert "\n" not in text and "recipe.json" in text, text
    for word in words:
        assert word in text
    return text


def test_a_recipe_cannot_run_an_analysis_pass_that_writes_a_file(tmp_path):
    directory = saved(tmp_path)
    notes = tmp_path / "users_notes.txt"
    notes.write_text("mine")
    fresh = tmp_path / "new_file.txt"
    for target in (notes, fresh):
        tamper(directory, lambda r, t=target: r["passes"].append(["report_graph", {"file_name": str(t.resolve())}]))
        refused(directory, "step 2", "'report_graph' is an analysis pass; a recipe may replay only transform passes")
        tamper(directory, lambda r: r["passes"].pop())
    assert notes.read_text() == "mine" and not fresh.exists()
    assert type(MaseGraph.load(directory).modules["seq_blocks"][2]).__name__ == "LinearInteger"


@pytest.mark.parametrize("change, words", [
    (lambda r: r.update(passes={"quantize": {}}), ["'passes' must be a list of [pass_name, {arguments}] pairs, got dict"]),
    (lambda r: r["passes"][0].append("extra"), ["step 1 must be [pass_name, {arguments}], got 3 items"]),
    (lambda r: r["passes"].append(["quantise", {}]), ["step 2", "Unknown pass 'quantise'. Did you mean 'quantize'"]),
    (lambda r: r["passes"][0][1]["linear"]["config"].update(weight_width=0),
     ["step 1", "[passes.quantize.linear.config] weight_width=0 must be at least 1"]),
    (lambda r: r["passes"].append([3, []]), ["step 2 must be [pass_name, {arguments}], got [int, list]"]),
])
def test_tampered_recipes_are_one_line(tmp_path, change, words):
    directory = saved(tmp_path)
    tamper(directory, change)
    refused(directory, *words)


@pytest.fixture
def writing_transform():
    @register_pass("test_writing_transform", {"out": None}, kind="transform", paths={"out": "file"})
    def writing(graph, args):
        if args["out"] is not None:
            with open(args["out"], "w") as handle:
                handle.write("written")
        return graph, {}

    yield writing
    PASSES.unregister("test_writing_transform")


def test_a_recipe_may_not_set_a_path_even_of_a_transform(tmp_path, writing_transform):
    target = tmp_path / "written.txt"
    mg = MaseGraph(get_model("jsc-tiny", JSC), model_name="jsc-tiny", dataset_info=JSC)
    new, _ = writing_transform(mg, {"out": str(target)})
    assert target.read_text() == "written"
    target.unlink()
    recipe = {**new.recipe(), "format": "machop.MaseGraph"}
    with pytest.raises(CheckpointError, match="sets the path 'out'; a recipe may not name files"):
        graph_from_recipe(recipe)
    assert not target.exists()


def test_ch_train_refuses_a_tampered_graph_and_writes_nothing(tmp_path, jsc_data_dir, capsys):
    directory = saved(tmp_path)
    notes = tmp_path / "users_notes.txt"
    notes.write_text("mine")
    tamper(directory, lambda r: r["passes"].append(["report_graph", {"file_name": str(notes.resolve())}]))
    code = main(["train", "jsc-tiny", "jsc", "--load", str(directory), "--load-type", "mg", "--max-epochs", "1",
                 "--project-dir", str(tmp_path / "out"), "--project", "p", "--report-to", "none"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "analysis pass" in err
    assert notes.read_text() == "mine"
    assert not (tmp_path / "out" / "p" / "software" / "training_ckpts").exists()


def test_replay_runs_under_the_contract_without_metadata_passes(tmp_path):
    directory = saved(tmp_path)
    rebuilt = graph_from_recipe(json.loads((directory / "recipe.json").read_text()))
    assert [name for name, _ in rebuilt.recipe()["passes"]] == ["quantize"]
    x = torch.randn(4, 16)
    loaded = MaseGraph.load(directory)
    loaded.model.eval(), rebuilt.model.eval()
    assert type(rebuilt.modules["seq_blocks"][2]).__name__ == "LinearInteger"
    assert rebuilt.model(x).shape == loaded.model(x).shape
