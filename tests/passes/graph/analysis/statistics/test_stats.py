"""Every statistic against its numpy definition on the same data, fed in several batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.errors import ConfigError
from chop.passes.graph.analysis.statistics import STATISTICS, make_statistics

RNG = np.random.default_rng(0)
DATA = (RNG.standard_normal((300, 6)) * RNG.uniform(0.1, 4, size=6) + RNG.uniform(-3, 3, size=6))
BATCHES = np.array_split(DATA, [17, 100, 101, 250])  # uneven batches, one of a single row


def run(name, batches=BATCHES, **options):
    stat = STATISTICS.get(name)(**options)
    for batch in batches:
        stat.update(torch.from_numpy(np.asarray(batch)).float())
    return stat.finalize()


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def test_registry_has_the_mase_statistics():
    assert set(STATISTICS.names()) >= {"variance_precise", "variance_online", "range_min_max",
                                       "range_quantile", "range_n_sigma", "abs_mean"}


@pytest.mark.parametrize("name", ["variance_precise", "variance_online"])
def test_variance_matches_numpy_over_all_values(name):
    result = run(name)
    data = f32(DATA)
    assert result["count"] == data.size
    assert result["mean"] == pytest.approx(np.mean(data), rel=1e-9)
    assert result["variance"] == pytest.approx(np.var(data), rel=1e-9)


@pytest.mark.parametrize("name", ["variance_precise", "variance_online"])
def test_per_feature_variance_with_dims(name):
    result = run(name, dims=[0])
    np.testing.assert_allclose(result["variance"], np.var(f32(DATA), axis=0), rtol=1e-9)
    np.testing.assert_allclose(result["mean"], np.mean(f32(DATA), axis=0), rtol=1e-9)


def test_range_min_max_and_abs():
    assert run("range_min_max") == {"min": pytest.approx(f32(DATA).min()), "max": pytest.approx(f32(DATA).max())}
    assert run("range_min_max", abs=True)["max"] == pytest.approx(np.abs(f32(DATA)).max())
    per = run("range_min_max", dims=[0])
    np.testing.assert_allclose(per["min"], f32(DATA).min(axis=0))


@pytest.mark.parametrize("q", [0.5, 0.9, 0.97, 1.0])
def test_range_quantile_matches_np_quantile(q):
    result = run("range_quantile", quantile=q)
    data = f32(DATA)
    assert result["max"] == pytest.approx(np.quantile(data, q), rel=1e-12, abs=1e-12)
    assert result["min"] == pytest.approx(np.quantile(data, 1 - q), rel=1e-12, abs=1e-12)
    per = run("range_quantile", quantile=q, dims=[0])
    np.testing.assert_allclose(per["max"], np.quantile(data, q, axis=0), rtol=1e-12)


def test_range_n_sigma_is_mean_plus_minus_n_std():
    result = run("range_n_sigma", num_sigma=2)
    data = f32(DATA)
    assert result["std"] == pytest.approx(np.std(data), rel=1e-9)
    assert result["max"] == pytest.approx(np.mean(data) + 2 * np.std(data), rel=1e-9)
    assert result["min"] == pytest.approx(np.mean(data) - 2 * np.std(data), rel=1e-9)


def test_abs_mean():
    assert run("abs_mean")["value"] == pytest.approx(np.mean(np.abs(f32(DATA))), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=6),
    scale=st.floats(1e-3, 1e3),
    shift=st.floats(-1e3, 1e3),
    seed=st.integers(0, 2**16),
)
def test_online_variance_equals_numpy_for_any_batching(sizes, scale, shift, seed):
    rng = np.random.default_rng(seed)
    batches = [rng.standard_normal((n, 3)) * scale + shift for n in sizes]
    data = f32(np.concatenate(batches))
    result = run("variance_online", batches, dims=[0])
    np.testing.assert_allclose(result["variance"], np.var(data, axis=0), rtol=1e-7, atol=1e-9 * scale**2)
    np.testing.assert_allclose(result["mean"], np.mean(data, axis=0), rtol=1e-9, atol=1e-9 * (scale + abs(shift)))


def test_statistics_over_a_middle_dimension():
    x = RNG.standard_normal((4, 3, 5))
    result = run("range_min_max", [x], dims=[0, 2])  # per channel of (N, C, L)
    np.testing.assert_allclose(result["max"], f32(x).max(axis=(0, 2)))


def test_bad_names_and_options_are_config_errors():
    with pytest.raises(ConfigError, match="Did you mean 'range_quantile'"):
        make_statistics({"range_quantil": {}})
    with pytest.raises(ConfigError, match="has no option 'quantle'"):
        make_statistics({"range_quantile": {"quantle": 0.9}})
    with pytest.raises(ConfigError, match="quantile must be in"):
        make_statistics({"range_quantile": {"quantile": 1.5}})
    with pytest.raises(ConfigError, match="dims"):
        make_statistics({"abs_mean": {"dims": "some"}})
    with pytest.raises(ConfigError, match="saw no data"):
        STATISTICS.get("variance_online")().finalize()
