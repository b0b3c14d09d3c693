"""The pass registry and run_passes: TOML-style configs, names checked before anything runs."""

from __future__ import annotations

import pytest
import torch

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.errors import ConfigError
from chop.models import get_model
from chop.passes import PASSES, plan_passes, run_passes
from chop.passes.args import na_to_none, resolve_args
from chop.passes.graph.utils import get_mase_op

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)


def test_every_graph_pass_is_registered_under_a_short_name():
    import chop.passes.graph as graph_passes

    names = set(PASSES.names())
    assert {"init_metadata", "add_common_metadata", "add_software_metadata", "add_hardware_metadata",
            "profile_statistics", "report_graph", "report_node_meta_param", "report_node_type",
            "report_node_shape", "verify_metadata"} <= names
    for name in names:
        fn = PASSES.get(name).fn
        assert getattr(graph_passes, fn.__name__) is fn


def test_quantize_and_prune_are_exported():
    import chop.passes.graph as graph_passes

    assert graph_passes.quantize_transform_pass is PASSES.get("quantize").fn
    assert graph_passes.prune_transform_pass is PASSES.get("prune").fn
    assert graph_passes.add_pruning_metadata_analysis_pass is PASSES.get("add_pruning_metadata").fn


def test_run_passes_in_order_with_context_and_na():
    mg = MaseGraph(get_model("jsc-tiny", JSC))
    batches = [{"x": torch.randn(8, 16)} for _ in range(2)]
    passes = {
        "init_metadata": {},
        "add_common_metadata": {"add_value": False},
        "profile_statistics": {"by": "type", "target_activation_nodes": ["relu"],
                               "activation_statistics": {"range_min_max": {"abs": False}}, "num_samples": 2},
        "report_graph": {"file_name": "NA"},
    }
    before = repr(passes)
    out, results = run_passes(mg, passes, context={"dummy_in": {"x": torch.randn(4, 16)}, "input_generator": batches})
    assert out is mg and list(results) == list(passes)
    assert get_mase_op(mg.node("seq_blocks_2")) == "linear"
    assert "seq_blocks_1" in results["profile_statistics"]["activations"]
    assert results["report_graph"]["counts"]["call_module"] == 4
    assert repr(passes) == before


def test_misspelled_pass_or_argument_fails_before_any_pass_runs():
    mg = MaseGraph(get_model("jsc-tiny", JSC))
    with pytest.raises(ConfigError, match=r"\[passes.report_grph\]: Unknown pass 'report_grph'. Did you mean 'report_graph'"):
        run_passes(mg, {"init_metadata": {}, "report_grph": {}})
    assert all("mase" not in n.meta for n in mg.nodes)
    with pytest.raises(ConfigError, match="Pass 'report_graph' has no argument 'filename'. Did you mean 'file_name'"):
        plan_passes({"report_graph": {"filename": "x"}})


def test_na_means_none_at_any_depth_and_args_are_copied():
    given = {"default": {"config": {"name": "NA"}}, "xs": ["NA", 1]}
    assert na_to_none(given) == {"default": {"config": {"name": None}}, "xs": [None, 1]}
    assert given["default"]["config"]["name"] == "NA"
    defaults = {"a": 1, "b": None}
    args = resolve_args("p", {"b": "NA"}, defaults)
    assert args == {"a": 1, "b": None} and defaults == {"a": 1, "b": None}
    with pytest.raises(ConfigError, match="takes a dict"):
        resolve_args("p", ["a"], defaults)
