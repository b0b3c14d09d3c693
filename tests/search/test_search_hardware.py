"""Hardware objectives in a search: `luts` etc. are the estimator's figures of each trial's
fixed-point design, a trial with no design is rejected with its reason, and a weighted sum
needs a scale the float base model cannot give."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from search_helpers import make_cfg

from chop.errors import ConfigError
from chop.export import export_integer
from chop.hardware import HardwareOptions
from chop.hardware.estimate import estimate_program
from chop.ir import MaseGraph
from chop.search import Pipeline, SpaceContext, run_search

FIXED_POINT = {
    "fold": {},
    "quantize": {"by": "type", "ops": ["linear"],
                 "linear": {"config": {"name": "integer", "data_in_width": [4, 8],
                                       "data_in_frac_width": 3, "weight_width": 6,
                                       "weight_frac_width": [2, 5], "bias_width": 8,
                                       "bias_frac_width": 3}},
                 "batch_norm1d": {"config": {"name": "integer", "data_in_width": 8,
                                             "data_in_frac_width": 3, "weight_width": 6,
                                             "weight_frac_width": 3, "bias_width": 8,
                                             "bias_frac_width": 3}}},
}


def test_luts_of_the_best_trial_are_the_estimate_of_its_rebuilt_design(tmp_path):
    cfg = make_cfg(tmp_path, {"name": "brute-force", "multi_objective": True}, space=FIXED_POINT,
                   objectives=["accuracy", "luts", "latency_ns"], hardware={"multiplier": "csd"})
    summary = run_search(cfg)
    records = json.loads(Path(summary["trials_json"]).read_text())
    assert [r["state"] for r in records] == ["COMPLETE"] * 4
    luts = {r["point"]["quantize/linear/weight_frac_width"]: r["metrics"]["luts"] for r in records
            if r["point"]["quantize/linear/data_in_width"] == 8}
    assert 0 < luts[2] < luts[5]  # finer weights: more non-zero digits to add
    best = json.loads(Path(summary["best_json"]).read_text())["best_trial"]
    assert best["reproduced"] and list(best["passes"])[:2] == ["fold_batchnorm", "quantize"]
    mg = MaseGraph.load(best["checkpoint"])
    estimate = estimate_program(export_integer(mg), HardwareOptions(multiplier="csd"), (16,))
    assert best["metrics"]["luts"] == estimate["total"]["luts"] > 0
    assert best["metrics"]["latency_ns"] == estimate["latency_ns_estimate"] > 0
    with pytest.raises(ConfigError, match=r"objectives or \[hardware\] changed"):
        run_search(make_cfg(tmp_path, {"name": "brute-force", "multi_objective": True},
                            space=FIXED_POINT, objectives=["accuracy", "luts", "latency_ns"],
                            hardware={"multiplier": "mul"}))  # the study's luts are csd's


def test_the_study_fingerprint_holds_the_hardware_choices_that_change_estimates():
    from types import SimpleNamespace

    from chop.search.storage import fingerprint

    def of(hardware):
        return fingerprint(SimpleNamespace(search_space={}, strategy=SimpleNamespace(name="tpe"),
                                           multi_objective=False, objectives=[], train={},
                                           hardware=hardware), [])

    plain = of(None)  # a study made before [hardware] was in the fingerprint
    assert of(HardwareOptions()) == of(HardwareOptions(synth_timeout=5, yosys="system")) == plain
    changed = {of(HardwareOptions(multiplier="mul")), of(HardwareOptions(pipeline="none")),
               of(HardwareOptions(ns_per_level=1.5))}
    assert len(changed) == 3 and plain not in changed


def test_a_trial_without_a_hardware_design_is_rejected_with_the_reason(tmp_path):
    space = {"quantize": FIXED_POINT["quantize"]}  # BatchNorm not folded: no integer program
    cfg = make_cfg(tmp_path, {"name": "random", "n_trials": 1, "multi_objective": True},
                   space=space, objectives=["accuracy", "luts"])
    summary = run_search(cfg)  # every point rejected: the search stops short, each trial naming the reason
    records = json.loads(Path(summary["trials_json"]).read_text())
    assert summary["trials"]["COMPLETE"] == 0 and summary["rejected"] >= 1
    assert all("no hardware design for this graph" in r["note"] for r in records if r["state"] == "PRUNED")


def test_a_weighted_sum_with_luts_needs_a_scale_and_yosys_checks_the_best(tmp_path):
    cfg = make_cfg(tmp_path, {"name": "random", "n_trials": 1}, space=FIXED_POINT,
                   objectives={"accuracy": {}, "luts": {"weight": 0.1}})
    with pytest.raises(ConfigError, match=r"\[search.objectives.luts\] needs a scale"):
        run_search(cfg)
    synth = shutil.which("yosys") is not None
    cfg = make_cfg(tmp_path / "scaled", {"name": "random", "n_trials": 1}, space=FIXED_POINT,
                   objectives={"accuracy": {}, "luts": {"weight": 0.1, "scale": 1000}},
                   hardware={"synth_pareto": synth})
    summary = run_search(cfg)
    assert summary["trials"]["COMPLETE"] == 1
    if synth:  # [hardware] synth_pareto: yosys on the best trial, beside its estimate
        best = json.loads(Path(summary["best_json"]).read_text())
        entry = best["synthesis"][0]
        assert entry["number"] == best["best_trial"]["number"]
        assert entry["estimate"]["luts"] == best["best_trial"]["metrics"]["luts"]
        assert entry["yosys"]["luts"] > 0 and entry["yosys"]["version"].startswith("Yosys")
        assert abs(entry["estimate"]["luts"] - entry["yosys"]["luts"]) <= 0.5 * entry["yosys"]["luts"]


def test_fold_runs_before_quantize_and_refuses_fine_tuning():
    pipeline = Pipeline(FIXED_POINT, SpaceContext(train_defaults={"fine_tune_epochs": 0}))
    assert [s.kind for s in pipeline.spaces] == ["train", "fold", "quantize"]
    point = {p.name: p.choices[0] for p in pipeline.params}
    assert pipeline.reject(point) is None
    assert list(pipeline.plan(point).passes())[:2] == ["fold_batchnorm", "quantize"]
    tuned = Pipeline(FIXED_POINT, SpaceContext(train_defaults={"fine_tune_epochs": 1}))
    assert "fine-tuning after fold_batchnorm" in tuned.reject(point)
    with pytest.raises(ConfigError, match=r"\[search.search_space.fold\] has no key 'sparsity'"):
        Pipeline({"fold": {"sparsity": 0.5}}, SpaceContext())
