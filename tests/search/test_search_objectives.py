"""Objectives: each metric against its definition, the weighted sum, the Pareto front."""


import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.dataset import get_dataset
from chop.errors import ConfigError
from chop.models import get_model
from chop.search.objectives import OBJECTIVES, Measurement, combine, directions, read_objectives
from chop.search.plots import best_so_far, pareto_mask
from chop.engine.epoch import evaluate_split
from chop.search.trial import lift


@pytest.fixture(scope="module")
def graph_and_data():
    torch.manual_seed(0)
    data = get_dataset("toy")
    mg = lift(get_model("jsc-tiny", data.info).eval(), "jsc-tiny", data)
    return mg, data


def test_accuracy_and_loss_match_their_definitions(graph_and_data):
    mg, data = graph_and_data
    m = Measurement(mg, lambda: evaluate_split(mg.model, data.val, batch_size=300))
    with torch.no_grad():
        logits = mg.model(data.val.x).double().numpy()
    y = data.val.y.numpy()
    shifted = logits - logits.max(axis=1, keepdims=True)
    nll = -(shifted[np.arange(len(y)), y] - np.log(np.exp(shifted).sum(axis=1)))
    assert OBJECTIVES.get("accuracy").measure(m) == pytest.approx((logits.argmax(1) == y).mean(), abs=1e-12)
    assert OBJECTIVES.get("loss").measure(m) == pytest.approx(nll.mean(), rel=1e-5)


def test_cost_objectives_count_the_graph(graph_and_data):
    mg, _ = graph_and_data
    m = Measurement(mg, lambda: {})
    linear = mg.modules["seq_blocks"][2]
    bn = mg.modules["seq_blocks"][0]
    params = sum(p.numel() for p in (linear.weight, linear.bias, bn.weight, bn.bias))
    assert OBJECTIVES.get("params").measure(m) == params
    assert OBJECTIVES.get("memory").measure(m) == 32 * params  # float32 weights
    assert OBJECTIVES.get("bitops").measure(m) > OBJECTIVES.get("flops").measure(m) > 0
    assert OBJECTIVES.get("weight_memory_bits") is OBJECTIVES.get("memory")


def test_latency_is_a_positive_median(graph_and_data):
    mg, data = graph_and_data
    m = Measurement(mg, lambda: {}, data.val.x[:64])
    assert 0 < m.latency_ms(repeats=3) < 1e4


def test_weighted_sum_and_multi_objective_values():
    objs = read_objectives({"accuracy": {"weight": 2.0}, "bitops": {"weight": 0.5}, "loss": {"scale": 4}})
    metrics = {"accuracy": 0.8, "bitops": 300.0, "loss": 2.0}
    value = combine(metrics, objs, multi=False, reference={"bitops": 1200.0})
    assert value == [pytest.approx(2.0 * 0.8 - 0.5 * 300 / 1200 - 2.0 / 4)]
    assert combine(metrics, objs, multi=True, reference={}) == [0.8, 300.0, 2.0]
    assert directions(objs, True) == ["maximize", "minimize", "minimize"]
    assert directions(objs, False) == ["maximize"]
    assert [o.objective.name for o in read_objectives(["accuracy", "params"])] == ["accuracy", "params"]
    assert [o.objective.name for o in read_objectives(None)] == ["accuracy"]


@pytest.mark.parametrize("table, words", [
    ({"acuracy": {}}, "Did you mean 'accuracy'"), ({"accuracy": {"wieght": 1}}, "Did you mean 'weight'"),
    ({"bitops": {"scale": 0}}, "positive"), ({}, "at least one"), ({"loss": {"weight": "x"}}, "number"),
])
def test_bad_objectives(table, words):
    with pytest.raises(ConfigError, match=words):
        read_objectives(table)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=12),
       st.sampled_from(["maximize", "minimize"]), st.sampled_from(["maximize", "minimize"]))
def test_pareto_mask_is_the_set_of_non_dominated_points(points, d0, d1):
    mask = pareto_mask(points, [d0, d1])
    s = (1 if d0 == "maximize" else -1, 1 if d1 == "maximize" else -1)
    for p, keep in zip(points, mask):
        better = [q for q in points if s[0] * q[0] >= s[0] * p[0] and s[1] * q[1] >= s[1] * p[1] and q != p]
        assert keep == (not better)


def test_best_so_far():
    assert best_so_far([1, 3, 2, 5]) == [1, 3, 3, 5]
    assert best_so_far([4, 5, 1, 2], maximize=False) == [4, 4, 1, 1]
