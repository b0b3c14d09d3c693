"""The pass contract: arguments checked before anything loads, one-line errors for API misuse,
the kind of a pass enforced, replay state recorded in one place."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import torch

from chop import MaseGraph
from chop.cli import main
from chop.dataset.info import DatasetInfo
from chop.errors import ChopError, ConfigError
from chop.models import get_model
from chop.passes import PASSES, register_pass, run_passes
from chop.passes.contract import PassContractError
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    flops_analysis_pass,
    prune_transform_pass,
    quantize_transform_pass,
    summarize_quantization_analysis_pass,
)

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)
INT8 = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
        "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}


def graph() -> MaseGraph:
    return MaseGraph(get_model("jsc-tiny", JSC), model_name="jsc-tiny", dataset_info=JSC)


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and text.endswith((".", "?")), text
    return text


@pytest.mark.parametrize("call, words", [
    (lambda mg: quantize_transform_pass(mg, "integer"), "quantize_transform_pass (pass 'quantize') takes a dict of arguments, as in [passes.quantize], got str 'integer'"),
    (lambda mg: quantize_transform_pass(mg, 42), "takes a dict of arguments, as in [passes.quantize], got int 42"),
    (lambda mg: quantize_transform_pass(mg, {"by": "type", "linear": {"config": {**INT8, "weight_width": "8"}}}),
     "[passes.quantize.linear.config] weight_width='8' must be an integer"),
    (lambda mg: quantize_transform_pass(mg, {"by": "type", "linear": {"config": {**INT8, "weight_width": 0}}}),
     "[passes.quantize.linear.config] weight_width=0 must be at least 1"),
    (lambda mg: quantize_transform_pass(mg, {"by": "type", "default": {"config": {**INT8, "data_in_0_frac_width": 1.5}}}),
     "[passes.quantize.default.config] data_in_0_frac_width=1.5 must be an integer"),
    (lambda mg: flops_analysis_pass(None), "flops_analysis_pass (pass 'flops') takes a MaseGraph as its first argument, got None"),
    (lambda mg: prune_transform_pass(get_model("jsc-tiny", JSC), {"weight": {"sparsity": 0.5}}), "got SeqBlocks. Wrap the model first: mg = MaseGraph(model)"),
    (lambda mg: add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 8)}}),
     "dummy_in does not fit the model at node 'seq_blocks_0' (running_mean should contain 8 elements not 16)"),
    (lambda mg: flops_analysis_pass(mg, {"per_sample": True}, True), "flops_analysis_pass takes (graph, pass_args)"),
])
def test_python_api_misuse_is_one_actionable_line(call, words):
    with pytest.raises(ChopError) as exc:
        call(graph())
    assert words in one_line(exc)


def test_save_dir_that_is_a_file_is_refused_before_writing(tmp_path):
    mg = graph()
    q, _ = quantize_transform_pass(mg, {"by": "type", "linear": {"config": INT8}})
    existing = tmp_path / "notes.txt"
    existing.write_text("mine")
    with pytest.raises(ConfigError, match="save_dir='.*notes.txt' is an existing file") as exc:
        summarize_quantization_analysis_pass(mg, q, save_dir=existing)
    one_line(exc)
    with pytest.raises(ConfigError, match="is an existing file"):
        summarize_quantization_analysis_pass(q, {"save_dir": str(existing), "original_graph": mg})
    assert existing.read_text() == "mine"
    _, result = summarize_quantization_analysis_pass(mg, q, save_dir=tmp_path / "out")  # older form works
    assert (tmp_path / "out" / "quantize_table.csv").exists() and result["histogram"].rows


@pytest.fixture
def temporary_passes():
    names = []

    def register(name, **kw):
        names.append(name)
        return register_pass(name, **kw)

    yield register
    for name in names:
        PASSES.unregister(name)


def test_the_declared_kind_is_enforced(temporary_passes):
    @temporary_passes("test_bad_analysis")
    def bad_analysis(graph, args):
        return MaseGraph(graph.model), {}

    @temporary_passes("test_bad_transform", kind="transform")
    def bad_transform(graph, args):
        return "not a graph", {}

    with pytest.raises(PassContractError, match="must return the graph it was given"):
        bad_analysis(graph())
    with pytest.raises(PassContractError, match="must return its edited working copy"):
        bad_transform(graph())


def test_a_pass_gets_only_what_it_declares_and_its_needs_are_ensured(temporary_passes):
    seen = {}

    @temporary_passes("test_peek", defaults={"k": 1}, needs=("ops",), context=("dummy_in",))
    def peek(graph, args):
        seen.update(args)
        seen["op"] = graph.node("seq_blocks_2").meta["mase"]["common"]["mase_op"]
        return graph, {}

    mg = graph()
    batches = [torch.randn(2, 16)]
    run_passes(mg, {"test_peek": {"k": 2}}, context={"dummy_in": "D", "input_generator": batches})
    assert seen == {"k": 2, "dummy_in": "D", "op": "linear"}
    with pytest.raises(ConfigError, match="'test_peek' has no argument 'dumy_in'. Did you mean 'dummy_in'"):
        peek(mg, {"dumy_in": 1})


def test_transform_replay_state_goes_to_the_recipe_not_the_result():
    mg = graph()
    q, result = quantize_transform_pass(mg, {"by": "type", "linear": {"config": INT8}})
    assert "recorded" not in result and result["changed"] == ["seq_blocks_2"]
    name, args = q.recipe()["passes"][-1]
    assert name == "quantize" and args["by"] == "type" and args["linear"] == {"config": INT8}
    assert args["recorded"] == {"seq_blocks_2": {"config": INT8}}
    assert "recorded" not in PASSES.get("prune").defaults and "dummy_in" not in PASSES.get("prune").defaults
    with pytest.raises(ConfigError, match="has no argument 'input_generator'"):
        run_passes(mg, {"report_graph": {"input_generator": 1}})


TYPO_TOML = """
model = "jsc-tiny"
dataset = "jsc"
[passes.quantize]
by = "type"
[passes.quantize.default.config]
name = "NA"
[passes.quantize.linear.config]
name = "integer"
data_in_width = 8
data_in_frac_width = 4
weight_width = {width}
weight_frac_width = 4
bias_width = 8
bias_frac_width = 4
{extra}
"""


@pytest.mark.parametrize("width, extra, words", [
    (8, "wieght_width = 8", "Unknown quantization config key 'wieght_width' for format 'integer'. Did you mean 'weight_width'"),
    (0, "", "[passes.quantize.linear.config] weight_width=0 must be at least 1."),
])
def test_ch_transform_fails_on_a_format_key_before_the_model_loads(tmp_path, capsys, monkeypatch, width, extra, words):
    transform_action = importlib.import_module("chop.actions.transform")

    def no_loading(*args, **kwargs):
        raise AssertionError("the model or data was loaded before the passes were checked")

    monkeypatch.setattr(transform_action, "prepare", no_loading)
    config = tmp_path / "t.toml"
    config.write_text(TYPO_TOML.format(width=width, extra=extra))
    assert main(["transform", "--config", str(config), "--project-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err
    assert not any(Path(tmp_path).glob("*/software"))
