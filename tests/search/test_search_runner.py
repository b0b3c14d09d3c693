"""run_search end to end on the toy dataset: samplers, brute force, Pareto output, resume, rebuilds."""

import csv
import itertools
import json
from pathlib import Path

import pytest
from search_helpers import GRID_SIZE, make_cfg

from chop.errors import ConfigError
from chop.search import run_search
from chop.search.objectives import combine, read_objectives
from chop.search.plots import pareto_mask

CHOICES = {"quantize/linear/data_in_width": (4, 8), "quantize/linear/data_in_frac_width": (2, 4),
           "quantize/linear/weight_width": (2, 4, 8), "quantize/linear/weight_frac_width": (2, 4)}


def float_bitops():
    from chop.dataset import get_dataset
    from chop.models import get_model
    from chop.search.objectives import Measurement
    from chop.search.trial import lift

    data = get_dataset("toy")
    return Measurement(lift(get_model("jsc-tiny", data.info), "jsc-tiny", data), dict).cost["bitops_forward"]


def trials(summary):
    return json.loads(Path(summary["trials_json"]).read_text())


def key(point):
    return tuple(sorted(point.items()))


@pytest.mark.parametrize("sampler", ["random", "grid", "tpe", "nsga2", "qmc"])
def test_each_sampler_completes_n_trials_inside_the_space(tmp_path, sampler):
    cfg = make_cfg(tmp_path, {"name": sampler, "n_trials": 4},
                   objectives={"accuracy": {"weight": 1.0}, "bitops": {"weight": 0.1}})
    summary = run_search(cfg)
    records = trials(summary)
    done = [r for r in records if r["state"] == "COMPLETE"]
    assert summary["trials"]["COMPLETE"] == len(done) == 4
    objs = read_objectives({"accuracy": {"weight": 1.0}, "bitops": {"weight": 0.1}})
    for r in records:
        assert set(r["point"]) == set(CHOICES) and all(v in CHOICES[k] for k, v in r["point"].items())
        if r["note"].startswith("rejected"):
            assert r["point"]["quantize/linear/weight_frac_width"] > r["point"]["quantize/linear/weight_width"]
    for r in done:  # the weighted sum, bitops scaled by the float model's
        assert r["values"][0] == pytest.approx(combine(r["metrics"], objs, False, {"bitops": float_bitops()})[0])
    if sampler == "grid":
        assert len({key(r["point"]) for r in records}) == len(records)
    with Path(summary["trials_csv"]).open() as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["number"]) for r in rows] == [r["number"] for r in records]
    assert float(rows[done[0]["number"]]["accuracy"]) == done[0]["metrics"]["accuracy"]


def test_brute_force_runs_every_point_exactly_once(tmp_path):
    summary = run_search(make_cfg(tmp_path, {"name": "brute-force"}))
    records = trials(summary)
    seen = [key(r["point"]) for r in records]
    grid = {key(dict(zip(CHOICES, values))) for values in itertools.product(*CHOICES.values())}
    assert len(seen) == len(set(seen)) == GRID_SIZE and set(seen) == grid
    rejected = [r for r in records if r["note"].startswith("rejected")]
    assert len(rejected) == 2 * 2 * 1 * 1  # weight_width 2 with weight_frac_width 4
    assert summary["trials"]["COMPLETE"] == GRID_SIZE - len(rejected)
    assert [r["seed"] for r in records] == [r["number"] for r in records]  # seed 0 + trial number


def test_grid_stops_when_the_grid_is_used_up(tmp_path):
    summary = run_search(make_cfg(tmp_path, {"name": "grid", "n_trials": 100}))
    seen = [key(r["point"]) for r in trials(summary)]
    assert len(seen) == len(set(seen)) == GRID_SIZE


def test_grid_draws_from_a_huge_grid_without_listing_it(tmp_path):
    widths = {"data_in_width": list(range(4, 14)), "weight_width": list(range(4, 14)),
              "data_in_frac_width": list(range(0, 4)), "weight_frac_width": list(range(0, 4))}
    space = {"quantize": {"by": "name", "default": {"config": {"name": "integer", **widths, "bias_width": 8,
                                                                "bias_frac_width": 4}}}}
    summary = run_search(make_cfg(tmp_path, {"name": "grid", "n_trials": 5}, space=space, model="jsc-s"))
    points = [key(r["point"]) for r in trials(summary)]  # (10*10*4*4)**3 = 4e15 points
    assert summary["trials"]["COMPLETE"] == 5 and len(set(points)) == len(points) == 5
    with pytest.raises(ConfigError, match="too many"):
        run_search(make_cfg(tmp_path, {"name": "brute-force"}, space=space, model="jsc-s", project="b"))


def test_multi_objective_writes_the_pareto_set(tmp_path):
    summary = run_search(make_cfg(tmp_path, {"name": "tpe", "n_trials": 8, "multi_objective": True},
                                  objectives=["accuracy", "bitops"]))
    best = json.loads(Path(summary["best_json"]).read_text())
    done = [r for r in trials(summary) if r["state"] == "COMPLETE"]
    mask = pareto_mask([(r["metrics"]["accuracy"], r["metrics"]["bitops"]) for r in done], ["maximize", "minimize"])
    front = {r["number"] for r, keep in zip(done, mask) if keep}
    assert {r["number"] for r in best["pareto"]} == front
    assert summary["pareto_size"] == len(front)
    assert best["best_trial"]["number"] in front
    assert any(p.endswith("pareto.png") for p in summary["plots"])


def test_trials_rebuild_from_point_and_seed_and_resume_to_n_trials(tmp_path):
    space = {"prune": {"method": ["random", "l1-norm"], "sparsity": [0.0, 0.5, 0.9]}}
    train = {"fine_tune_epochs": 1, "batch_size": 256}
    first = run_search(make_cfg(tmp_path, {"name": "random", "n_trials": 3}, space=space, model="jsc-s",
                                objectives=["accuracy", "flops"], train=train))
    best = json.loads(Path(first["best_json"]).read_text())["best_trial"]
    assert best["reproduced"] and best["rebuilt_metrics"] == best["metrics"]
    assert set(best["test"]) == {"test_acc", "test_loss"}
    before = trials(first)
    more = run_search(make_cfg(tmp_path, {"name": "random", "n_trials": 6}, space=space, model="jsc-s",
                               objectives=["accuracy", "flops"], train=train))
    after = trials(more)
    assert more["trials"]["COMPLETE"] == 6
    assert after[: len(before)] == before  # the earlier trials are kept as they were
    done = [r for r in after if r["state"] == "COMPLETE"]
    assert len({key(r["point"]) for r in done}) == 6  # a point already run is never drawn and run again
    dense = {r["metrics"]["flops"] for r in done if r["point"]["prune/sparsity"] == 0.0}
    for r in done:  # pruned weights stay zero through fine-tuning: fewer sparse FLOPs
        if r["point"]["prune/sparsity"] > 0 and dense:
            assert r["metrics"]["flops"] < min(dense)
    with pytest.raises(ConfigError, match="different search"):
        run_search(make_cfg(tmp_path, {"name": "random", "n_trials": 7}, model="jsc-s", space=space,
                            objectives=["accuracy"], train=train))


def test_pruner_sees_every_training_epoch(tmp_path):
    summary = run_search(make_cfg(tmp_path, {"name": "random", "n_trials": 3, "pruner": "median"},
                                  train={"epochs": 1, "fine_tune_epochs": 2, "batch_size": 512}))
    import optuna

    from chop.search.storage import open_storage

    study = optuna.load_study(study_name=summary["study"], storage=open_storage(summary["storage"]))
    for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        assert sorted(t.intermediate_values) == [1, 2, 3]
        assert t.intermediate_values[3] == pytest.approx(t.user_attrs["metrics"]["accuracy"])


def test_architecture_search_builds_and_trains_each_choice(tmp_path):
    space = {"architecture": {"family": "mlp", "depth": [0, 1], "width": [4, 8], "batch_norm": False}}
    summary = run_search(make_cfg(tmp_path, {"name": "brute-force"}, space=space, objectives=["accuracy", "params"],
                                  train={"epochs": 1, "batch_size": 256}))
    records = trials(summary)
    assert len(records) == 4
    for r in records:
        depth, width = r["point"]["architecture/depth"], r["point"]["architecture/width"]
        expected = 16 * 5 + 5 if depth == 0 else 16 * width + width + width * 5 + 5
        assert r["metrics"]["params"] == expected
    assert summary["best_transform_toml"] is None  # an unregistered model: no ch transform config
