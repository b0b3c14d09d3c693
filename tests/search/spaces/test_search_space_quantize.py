"""The quantization space: targets by type or layer, parameter names, constraints, pass arguments."""

import pytest

from chop.errors import ConfigError
from chop.search.space import Pipeline, SpaceContext

NODES = [("x", "placeholder"), ("seq_blocks_0", "batch_norm1d"), ("seq_blocks_2", "linear"),
         ("seq_blocks_3", "relu"), ("seq_blocks_4", "linear"), ("output", "output")]
CONFIG = {"name": ["integer"], "data_in_width": [4, 8], "data_in_frac_width": [2, 6],
          "weight_width": [4, 8], "weight_frac_width": 3, "bias_width": 8, "bias_frac_width": 4}


def pipeline(table, **ctx):
    return Pipeline({"quantize": table}, SpaceContext(nodes=NODES, **ctx))


def test_by_name_gives_each_layer_its_own_choices():
    p = pipeline({"by": "name", "default": {"config": CONFIG},
                  "seq_blocks_4": {"config": {**CONFIG, "weight_width": [2, 3]}}})
    names = {q.name for q in p.params}
    assert names == {f"quantize/{n}/{k}" for n in ("seq_blocks_2", "seq_blocks_4")
                     for k in ("data_in_width", "data_in_frac_width", "weight_width")}
    assert {q.name: q.choices for q in p.params}["quantize/seq_blocks_4/weight_width"] == (2, 3)
    point = {q.name: q.choices[-1] for q in p.params}
    point["quantize/seq_blocks_2/data_in_frac_width"] = 2
    args = p.plan(point).quantize
    assert args["by"] == "name" and args["default"] == {"config": {"name": None}}
    assert args["seq_blocks_2"]["config"] == {**CONFIG, "name": "integer", "data_in_width": 8,
                                              "data_in_frac_width": 2, "weight_width": 8}
    assert args["seq_blocks_4"]["config"]["weight_width"] == 3


def test_by_type_searches_one_config_per_op():
    p = pipeline({"default": {"config": CONFIG}})
    assert {q.name for q in p.params} == {"quantize/linear/data_in_width", "quantize/linear/data_in_frac_width",
                                          "quantize/linear/weight_width"}


def test_frac_above_width_is_rejected_before_running():
    p = pipeline({"default": {"config": CONFIG}})
    ok = {"quantize/linear/data_in_width": 8, "quantize/linear/data_in_frac_width": 6,
          "quantize/linear/weight_width": 4}
    assert p.reject(ok) is None
    bad = {**ok, "quantize/linear/data_in_width": 4}
    assert "data_in_frac_width=6 exceeds data_in_width=4" in p.reject(bad)
    loose = pipeline({"default": {"config": CONFIG}, "frac_le_width": False})
    assert loose.reject(bad) is None


def test_the_number_format_validates_values():
    p = pipeline({"default": {"config": {**CONFIG, "weight_width": [0, 4]}}})
    point = {"quantize/linear/data_in_width": 8, "quantize/linear/data_in_frac_width": 2,
             "quantize/linear/weight_width": 0}
    assert "width" in p.reject(point)


@pytest.mark.parametrize("table, words", [
    ({"default": {"config": {**CONFIG, "weigth_width": [2]}}}, "weigth_width"),
    ({"default": {"config": {**CONFIG, "name": ["integr"]}}}, "integr"),
    ({"by": "name", "seq_blocks_9": {"config": CONFIG}}, "seq_blocks_9"),
    ({"by": "nme", "default": {"config": CONFIG}}, "by must be"),
    ({"lineer": {"config": CONFIG}}, "Did you mean 'linear'"),
    ({"by": "type"}, "needs choices"),
])
def test_bad_tables_name_the_mistake(table, words):
    with pytest.raises(ConfigError, match=words):
        pipeline(table)


def test_unknown_space_kind_is_an_error_with_a_suggestion():
    with pytest.raises(ConfigError, match="Did you mean 'quantize'"):
        Pipeline({"quantise": {}}, SpaceContext(nodes=NODES))
