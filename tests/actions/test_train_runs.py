"""Gaps a student hits: testing a transformed graph, a user model's file, zero epochs, train time."""

from __future__ import annotations

import json
import sys

import pytest
import torch

from chop.cli import main


def train(tmp_path, model="jsc-s", *extra, project="p"):
    assert main(["train", model, "toy", "--max-epochs", "2", "--project-dir", str(tmp_path),
                 "--project", project, "--report-to", "none", *extra]) == 0
    return tmp_path / project / "software"


QUANTIZE = """
[passes.quantize]
by = "type"
[passes.quantize.default.config]
name = "NA"
[passes.quantize.linear.config]
name = "integer"
data_in_width = 4
data_in_frac_width = 2
weight_width = 3
weight_frac_width = 2
bias_width = 4
bias_frac_width = 2
"""
PRUNE = """
[passes.prune]
seed = 0
[passes.prune.weight]
method = "l1-norm"
scope = "local"
granularity = "elementwise"
sparsity = 0.6
"""


@pytest.mark.parametrize("passes", [QUANTIZE, PRUNE], ids=["quantized", "pruned"])
def test_test_evaluates_the_transformed_graph(tmp_path, capsys, passes):
    from chop.dataset import get_dataset
    from chop.ir import MaseGraph

    sw = train(tmp_path)
    toml = tmp_path / "t.toml"
    toml.write_text(f'model = "jsc-s"\ndataset = "toy"\n{passes}')
    assert main(["transform", "--config", str(toml), "--load", str(sw / "training_ckpts" / "best.ckpt"),
                 "--load-type", "pl"]) == 0
    graph_dir = sw / "transform" / "transformed_ckpt"
    capsys.readouterr()
    assert main(["test", "--load", str(graph_dir), "--load-type", "mg"]) == 0  # model and data from the recipe
    metrics = json.loads((sw / "test_metrics.json").read_text())
    mg = MaseGraph.load(graph_dir)
    test = get_dataset("toy").test
    with torch.no_grad():
        mg.model.eval()
        expected = (mg.model(test.x).argmax(dim=1) == test.y).double().mean().item()
    assert metrics["test_acc"] == pytest.approx(expected) and metrics["load_type"] == "mg"
    float_model = MaseGraph.load(graph_dir).model  # the graph really is transformed
    kinds = {type(m).__name__ for m in float_model.modules()}
    assert ("LinearInteger" in kinds) if passes is QUANTIZE else any("Masked" in k for k in kinds)
    assert f"{metrics['test_acc']:.4f}" in capsys.readouterr().out


def test_user_model_name_without_its_file_says_how_to_give_it(tmp_path, capsys):
    from chop.models import MODELS

    name = "jsc-mine-labs"
    model_file = tmp_path / "mine.py"
    model_file.write_text(
        "from torch import nn\nfrom chop.models import register_model\n"
        f"@register_model({name!r}, source='user', default_dataset='toy')\n"
        "def build(info):\n    return nn.Sequential(nn.Linear(info.num_features, 8), nn.ReLU(), nn.Linear(8, info.num_classes))\n")
    sw = train(tmp_path, f"{model_file}:{name}")
    best = sw / "training_ckpts" / "best.ckpt"
    MODELS.unregister(name)  # a new session: the file is not imported
    for key in [k for k, m in sys.modules.items() if k.startswith("chop_user_models_")
                and getattr(m, "__file__", "") == str(model_file)]:
        del sys.modules[key]
    capsys.readouterr()

    assert main(["test", "--load", str(best)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"--model-file {model_file}" in err and len(err.splitlines()) == 1
    assert name not in MODELS  # suggested, never imported on the checkpoint's word

    assert main(["train", name, "toy", "--max-epochs", "1", "--project-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"FILE.py:{name}" in err and "--model-file FILE.py" in err and "model_files" in err

    assert main(["test", "--load", str(best), "--model-file", str(model_file)]) == 0


def test_zero_epochs_claims_no_checkpoint(tmp_path, capsys):
    assert main(["train", "jsc-tiny", "toy", "--max-epochs", "0", "--project-dir", str(tmp_path),
                 "--project", "z", "--report-to", "none"]) == 0
    summary = json.loads((tmp_path / "z" / "software" / "train_summary.json").read_text())
    assert summary["best_ckpt"] is None and summary["last_ckpt"] is None
    assert not (tmp_path / "z" / "software" / "training_ckpts" / "best.ckpt").exists()
    assert "no epoch ran" in capsys.readouterr().out


def test_final_table_shows_total_and_per_epoch_time(tmp_path, capsys):
    sw = train(tmp_path, "jsc-tiny")
    summary = json.loads((sw / "train_summary.json").read_text())
    total = sum(row["train_seconds"] for row in summary["history"])
    assert summary["train_seconds_total"] == pytest.approx(total) and summary["epochs_timed"] == 2
    assert f"{total:.2f} s ({total / 2:.3f} s per epoch, 2 epochs)" in capsys.readouterr().out
