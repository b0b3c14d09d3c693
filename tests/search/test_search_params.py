"""Searched parameters: reading choices/ranges from TOML values, grid enumeration, Optuna suggestions."""

import itertools

import optuna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.errors import ConfigError
from chop.search.params import Param, enumerate_grid, grid_of, grid_point, grid_size, named, read_value


def test_read_value_kinds():
    assert read_value("k", 8) == (8, None)
    assert read_value("k", "NA") == (None, None)
    assert read_value("k", ["integer"]) == ("integer", None)  # one choice: fixed
    fixed, p = read_value("k", [2, 4, "NA"])
    assert fixed is None and p.choices == (2, 4, None)
    _, r = read_value("k", {"low": 1e-4, "high": 1e-2, "log": True})
    assert (r.low, r.high, r.log, r.integer, r.discrete) == (1e-4, 1e-2, True, False, False)
    _, i = read_value("k", {"low": 1, "high": 5})
    assert i.integer


@pytest.mark.parametrize("bad, words", [
    ([], "empty"), ([2, 2], "repeat"), ({"low": 3, "high": 1}, "low < high"),
    ({"low": 0, "high": 1, "log": True}, "log range"), ({"lo": 1, "high": 2}, "Did you mean 'low'"),
    ([[1]], "a choice must be"),
])
def test_read_value_errors(bad, words):
    with pytest.raises(ConfigError, match=words):
        read_value("where", bad)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4))
def test_grid_is_the_product_of_the_choices(sizes):
    params = [named(Param("", choices=tuple(range(n))), f"p{i}") for i, n in enumerate(sizes)]
    points = list(enumerate_grid(params))
    searched = [f"p{i}" for i, n in enumerate(sizes) if n > 1]
    expected = [dict(zip(searched, v)) for v in itertools.product(*(range(n) for n in sizes if n > 1))]
    assert points == expected
    assert grid_size(params) == len(points) == len({tuple(p.items()) for p in points})
    assert [grid_point(params, i) for i in range(len(points))] == points  # decoded by index


def test_grid_needs_choices():
    with pytest.raises(ConfigError, match="range"):
        grid_of([Param("lr", low=0.1, high=1.0)])


def test_suggest_returns_values_also_with_index_encoding():
    p = Param("w", choices=(2, 4, 8))
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen_plain = {p.suggest(study.ask()) for _ in range(30)}
    trial = optuna.create_study().ask()  # a study holds one distribution per name
    value = p.suggest(trial, index_encoding=True)
    assert seen_plain == {2, 4, 8}
    assert value in (2, 4, 8) and trial.params["w"] == (2, 4, 8).index(value)
    assert Param("one", choices=("x",)).suggest(study.ask()) == "x"
    lr = Param("lr", low=1e-4, high=1e-2, log=True).suggest(study.ask())
    assert 1e-4 <= lr <= 1e-2
