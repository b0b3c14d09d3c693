"""`ch search` from the command line: the example configs, outputs, the exported transform, errors."""

import json
from pathlib import Path

import pytest
import tomli_w

from chop.cli import main, parse_config
from conftest import small_text_slice

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "configs" / "examples").glob("*search*.toml"))
PNG = b"\x89PNG\r\n\x1a\n"


def search(tmp_path, config, *extra):
    return main(["search", "--config", str(config), "--project-dir", str(tmp_path), "--log-level", "warning", *extra])


@pytest.mark.parametrize("config", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_search_example_runs(tmp_path, jsc_data_dir, config):
    assert search(tmp_path, small_text_slice(config, tmp_path), "--project", "ex") == 0
    out = tmp_path / "ex" / "software" / "search_ckpts"
    best = json.loads((out / "best.json").read_text())
    records = json.loads((out / "trials.json").read_text())
    complete = [r for r in records if r["state"] == "COMPLETE"]
    assert len(complete) >= 1 and (out / "trials.csv").read_text().count("\n") == len(records) + 1
    assert (out / "history.png").read_bytes().startswith(PNG)
    assert (out / "best_ckpt" / "recipe.json").exists()
    assert best["best_trial"]["reproduced"]
    if best["multi_objective"]:
        assert best["pareto"] and (out / "pareto.png").read_bytes().startswith(PNG)


def test_best_transform_toml_reproduces_the_best_trial(tmp_path, jsc_data_dir):
    config = ROOT / "configs" / "examples" / "jsc_s_ptq_search.toml"
    assert search(tmp_path, config, "--project", "s") == 0
    out = tmp_path / "s" / "software" / "search_ckpts"
    best = json.loads((out / "best.json").read_text())["best_trial"]
    assert main(["transform", "--config", str(out / "best_transform.toml"), "--project-dir", str(tmp_path),
                 "--project", "t", "--log-level", "warning"]) == 0

    from chop.dataset import get_dataset
    from chop.ir import MaseGraph
    from chop.engine.epoch import evaluate_split

    mg = MaseGraph.load(tmp_path / "t" / "software" / "transform" / "transformed_ckpt")
    searched = MaseGraph.load(out / "best_ckpt")
    val = get_dataset("jsc").val
    assert mg.recipe()["passes"] == searched.recipe()["passes"]
    assert evaluate_split(mg.model, val)["acc"] == pytest.approx(best["metrics"]["accuracy"], abs=0)


def test_workers_flag_and_rerun_resumes(tmp_path):
    _, cfg = parse_config(["search", "--workers", "3", "--config", str(EXAMPLES[0])])
    assert cfg.workers == 3
    config = tmp_path / "toy.toml"
    config.write_text(tomli_w.dumps({
        "model": "jsc-tiny", "dataset": "toy", "project": "r",
        "search": {"strategy": {"name": "random", "n_trials": 3},
                   "search_space": {"quantize": {"default": {"config": {
                       "name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
                       "weight_width": [2, 4, 8], "weight_frac_width": 2, "bias_width": 8,
                       "bias_frac_width": 4}}}}}}))
    assert search(tmp_path, config) == 0
    text = config.read_text().replace("n_trials = 3", "n_trials = 5")
    config.write_text(text)
    assert search(tmp_path, config) == 0
    records = json.loads((tmp_path / "r" / "software" / "search_ckpts" / "trials.json").read_text())
    done = [v for r in records if r["state"] == "COMPLETE" for k, v in r["point"].items() if k.endswith("weight_width")]
    assert sorted(done) == [2, 4, 8]  # the space has 3 points: each runs once, then the search stops


@pytest.mark.parametrize("change, words", [
    ({"strategy": {"name": "tpee"}}, "Did you mean 'tpe'"),
    ({"objectives": {"acuracy": {}}}, "Did you mean 'accuracy'"),
    ({"search_space": {"quantise": {}}}, "Did you mean 'quantize'"),
    ({"strategy": {"name": "grid"}, "search_space": {"train": {"learning_rate": {"low": 1e-4, "high": 1e-2}}}},
     "grid and brute-force search need a list"),
    ({"stratgy": {}}, "Did you mean 'strategy'"),
])
def test_bad_search_sections_exit_2_naming_the_mistake(tmp_path, capsys, change, words):
    search_table = {"strategy": {"name": "random", "n_trials": 2},
                    "search_space": {"train": {"learning_rate": [1e-3, 1e-2]}}}
    search_table.update(change)
    config = tmp_path / "bad.toml"
    config.write_text(tomli_w.dumps({"model": "jsc-tiny", "dataset": "toy", "search": search_table}))
    assert search(tmp_path, config) == 2
    assert words in capsys.readouterr().err


def test_search_needs_a_search_section(tmp_path, capsys):
    assert main(["search", "jsc-tiny", "toy", "--project-dir", str(tmp_path)]) == 2
    assert "needs a [search] section" in capsys.readouterr().err


def test_trials_that_keep_failing_stop_the_search_with_their_error(tmp_path, capsys):
    config = tmp_path / "fails.toml"
    config.write_text(tomli_w.dumps({
        "model": "jsc-tiny", "dataset": "toy",
        "search": {"strategy": {"name": "random", "n_trials": 5},
                   "search_space": {"quantize": {"default": {"config": {  # no bias_* keys
                       "name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
                       "weight_width": [4, 8], "weight_frac_width": 2}}}}}}))
    assert search(tmp_path, config) == 2
    err = capsys.readouterr().err
    assert "3 trials in a row failed" in err and "bias_width" in err
