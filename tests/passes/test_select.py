"""The one node selector: by type, name, regex or name-or-type, with exclusions, on (name, op) pairs."""

import pytest

from chop.errors import ConfigError
from chop.passes.select import NodeSelector
from chop.search.space import Pipeline, SpaceContext

NODES = [("x", "placeholder"), ("seq_blocks_0", "batch_norm1d"), ("seq_blocks_2", "linear"),
         ("seq_blocks_3", "relu"), ("seq_blocks_4", "linear"), ("output", "output")]


def names(selector):
    return [name for name, _ in selector.select(NODES)]


def test_each_way_of_choosing_nodes():
    assert names(NodeSelector("type", ["linear"])) == ["seq_blocks_2", "seq_blocks_4"]
    assert names(NodeSelector("name", ["seq_blocks_3", "x"])) == ["x", "seq_blocks_3"]
    assert names(NodeSelector("regex_name", [r"seq_blocks_[02]"])) == ["seq_blocks_0", "seq_blocks_2"]
    assert names(NodeSelector("name_or_type", ["relu", "seq_blocks_4"], exclude=["seq_blocks_3"])) == ["seq_blocks_4"]
    assert names(NodeSelector("type", None, exclude=["linear", "placeholder", "output"])) == ["seq_blocks_0", "seq_blocks_3"]
    assert names(NodeSelector("type", [])) == []


def test_the_key_that_picks_a_node():
    regex = NodeSelector("regex_name", [r"seq_blocks_\d", r"seq_blocks_2"])
    assert regex.key("seq_blocks_2", "linear") == r"seq_blocks_\d"  # first pattern wins
    both = NodeSelector("name_or_type", ["linear", "seq_blocks_2"])
    assert both.key("seq_blocks_2", "linear") == "seq_blocks_2"  # a name wins over an op
    assert both.key("seq_blocks_4", "linear") == "linear" and both.key("x", "placeholder") is None


def test_bad_selectors_are_config_errors():
    with pytest.raises(ConfigError, match=r"'seq_blocks_\[' is not a valid regex"):
        NodeSelector("regex_name", ["seq_blocks_["])
    with pytest.raises(ConfigError, match="'by' is one of"):
        NodeSelector("names", ["x"])
    with pytest.raises(ConfigError, match="must be a list of strings"):
        NodeSelector("name", "x")
    assert NodeSelector("name_or_type", ["linaer", "seq_blocks_2"]).unknown([n for n, _ in NODES], ["linear"]) == ["linaer"]


def test_the_prune_search_space_selects_layers_as_the_prune_pass_does():
    ctx = SpaceContext(nodes=NODES, prunable=["seq_blocks_2", "seq_blocks_4"])
    space = Pipeline({"prune": {"sparsity": [0.1, 0.5], "per_layer": True, "layers": ["linear"],
                                "exclude": ["seq_blocks_4"]}}, ctx)
    assert {p.name for p in space.params} == {"prune/seq_blocks_2/sparsity"}
