"""A new transform pass becomes searchable by declaring its space alone (here, in this file):
the space names the pass and its place in the pipeline, and a search runs it like a built-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from search_helpers import make_cfg

from chop.errors import ConfigError
from chop.search import SEARCH_SPACES, PassSpace, Pipeline, SpaceContext, register_space, run_search


class ActivationSparsitySpace(PassSpace):
    """The prune pass's `activation` section, its sparsity searched (0 skips the pass)."""

    kind, pass_name, order, takes_seed = "activation_sparsity", "prune", 40, True

    def pass_args(self, point):
        args = super().pass_args(point)
        if args["sparsity"] == 0:
            return None
        return {"activation": {"method": "l1-norm", "sparsity": args["sparsity"], "num_batches": 1}}


@pytest.fixture
def declared_space():
    register_space(ActivationSparsitySpace)
    yield
    SEARCH_SPACES.unregister(ActivationSparsitySpace.kind)


def test_a_declared_space_takes_its_place_in_the_pipeline(declared_space):
    tables = {"activation_sparsity": {"sparsity": [0.0, 0.5]}, "quantize": {"default": {"config": {
        "name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
        "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}}}}
    pipeline = Pipeline(tables, SpaceContext())
    assert [s.kind for s in pipeline.spaces] == ["train", "quantize", "activation_sparsity"]
    assert [p.name for p in pipeline.params] == ["activation_sparsity/sparsity"]
    plan = pipeline.plan({"activation_sparsity/sparsity": 0.5})
    assert list(plan.passes()) == ["quantize", "prune"] and plan.seeded == {"prune"}
    assert list(pipeline.plan({"activation_sparsity/sparsity": 0.0}).passes()) == ["quantize"]
    with pytest.raises(ConfigError, match="two spaces make the 'prune' pass"):
        Pipeline({"activation_sparsity": {"sparsity": 0.5}, "prune": {"sparsity": 0.5}}, SpaceContext())


def test_a_search_over_a_declared_space_runs_and_reproduces(tmp_path, declared_space):
    space = {"activation_sparsity": {"sparsity": [0.0, 0.5]}}
    summary = run_search(make_cfg(tmp_path, {"name": "brute-force", "n_trials": 2}, space=space,
                                  objectives=["accuracy", "params"]))
    records = json.loads(Path(summary["trials_json"]).read_text())
    assert sorted(r["point"]["activation_sparsity/sparsity"] for r in records) == [0.0, 0.5]
    assert all(r["state"] == "COMPLETE" for r in records)
    best = json.loads(Path(summary["best_json"]).read_text())["best_trial"]
    assert best["reproduced"]
    if best["point"]["activation_sparsity/sparsity"] == 0.5:
        assert best["passes"]["prune"]["activation"]["sparsity"] == 0.5
        assert best["passes"]["prune"]["seed"] == best["seed"]
    else:
        assert best["passes"] == {}
