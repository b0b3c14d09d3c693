"""Prune settings are checked up front; layers are chosen by name or op, sparsity by table."""

from __future__ import annotations

import pytest
from prune_helpers import graph

from chop.errors import ConfigError
from chop.passes.graph import prune_transform_pass
from chop.passes.graph.transforms.prune.select import check_section, select_layers, sparsity_of


@pytest.mark.parametrize(
    "args,message",
    [
        ({"weight": {"method": "l3-norm", "sparsity": 0.5}}, "'l3-norm'"),
        ({"weight": {"scope": "globl", "sparsity": 0.5}}, "Did you mean 'global'"),
        ({"weight": {"granularity": "block", "sparsity": 0.5}}, "'block'"),
        ({"weight": {"sparsity": 1.5}}, r"weight.sparsity must be a number in \[0, 1\], got 1.5"),
        ({"weight": {"sparsity": -0.1}}, r"must be a number in \[0, 1\]"),
        ({"weight": {"sparsity": {"seq_blocks_2": 2}}}, r"weight.sparsity.seq_blocks_2 must be"),
        ({"weight": {"sparsity": True}}, "got True"),
        ({"weight": {}}, "needs a 'sparsity'"),
        ({"weight": {"sparsty": 0.5}}, "no setting 'sparsty'. Did you mean 'sparsity'"),
        ({"weight": {"sparsity": {"linear": 0.5}, "scope": "global"}}, "one number"),
        ({"weight": {"sparsity": 0.5, "layers": ["seq_blocks_9"]}}, "'seq_blocks_9'"),
        ({"weight": {"sparsity": 0.5, "exclude": ["seq_blocks_0"]}}, "not a prunable layer"),
        ({"weight": {"sparsity": {"lineer": 0.5}}}, "Did you mean 'linear'"),
        ({"weight": {"sparsity": 0.5}, "shrink": True}, "needs weight.granularity"),
        ({"weight": {"sparsity": 0.5}, "shrink": "yes"}, "'shrink' must be true or false"),
        ({"weight": {"sparsity": 0.5}, "seed": 1.5}, "'seed' must be an int"),
        ({"activation": {"sparsity": 0.5, "num_batches": 0}}, "num_batches must be a positive int"),
        ({"weight": "all"}, "'weight' must be a table"),
        ({}, "needs a 'weight' or an 'activation' section"),
        ({"wieght": {"sparsity": 0.5}}, "no argument 'wieght'"),
    ],
)
def test_bad_arguments_are_config_errors_naming_the_problem(args, message):
    mg = graph()
    with pytest.raises(ConfigError, match=message):
        prune_transform_pass(mg, args)


def test_aliases_and_defaults():
    cfg = check_section("weight", {"method": "l2", "granularity": "neuron", "sparsity": 0.25})
    assert cfg["method"] == "l2-norm" and cfg["granularity"] == "channel" and cfg["scope"] == "local"
    assert cfg["layers"] is None and cfg["exclude"] == []
    assert check_section("activation", {"sparsity": 0})["num_batches"] == 4
    assert check_section("weight", None) is None


def test_layers_by_name_or_op_and_exclusions():
    mg = graph()
    pick = lambda **kw: [n.name for n in select_layers("weight", check_section("weight", {"sparsity": 0.5, **kw}), mg.model)]  # noqa: E731
    assert pick() == ["seq_blocks_2", "seq_blocks_4", "seq_blocks_6"]
    assert pick(layers=["linear"], exclude=["seq_blocks_6"]) == ["seq_blocks_2", "seq_blocks_4"]
    assert pick(layers="seq_blocks_4") == ["seq_blocks_4"]
    assert pick(exclude=["linear"]) == []


def test_sparsity_table_name_before_op_before_default():
    mg = graph()
    table = {"seq_blocks_2": 0.1, "linear": 0.3}
    assert sparsity_of(mg.node("seq_blocks_2"), table) == 0.1
    assert sparsity_of(mg.node("seq_blocks_4"), table) == 0.3
    assert sparsity_of(mg.node("seq_blocks_4"), {"default": 0.7}) == 0.7
    assert sparsity_of(mg.node("seq_blocks_4"), {"seq_blocks_2": 0.1}) == 0.0
    assert sparsity_of(mg.node("seq_blocks_4"), 0.4) == 0.4
