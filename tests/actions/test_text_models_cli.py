"""Text models through `ch`: train, transform (quantize / prune / statistics / cost), test a
transformed graph (`--load-type mg`) and search (BERT architecture, compression pipeline), on a
tiny registered token dataset so that each step takes seconds."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import tomli_w
import torch

pytest.importorskip("transformers", reason="transformers (extra 'nlp') is not installed")

from chop.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "token_data.py"
QUANTIZE = {"by": "type", "default": {"config": {"name": "NA"}},
            "linear": {"config": {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
                                  "weight_frac_width": 6, "bias_width": 8, "bias_frac_width": 6}}}


@pytest.fixture(scope="module")
def tokens():
    spec = importlib.util.spec_from_file_location("token_data", FIXTURE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.register()


def write(path: Path, table: dict) -> Path:
    path.write_bytes(tomli_w.dumps(table).encode())
    return path


def run(tmp_path, *argv):
    return main([*argv, "--project-dir", str(tmp_path), "--log-level", "warning"])


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tokens):
    """bert-tiny trained two epochs on the token rule: its best checkpoint."""
    out = tmp_path_factory.mktemp("trained")
    assert run(out, "train", "bert-tiny", tokens, "--max-epochs", "2", "--batch-size", "32", "--learning-rate",
               "2e-3", "--project", "t", "--report-to", "none") == 0
    return out / "t" / "software" / "training_ckpts" / "best.ckpt"


def test_transform_quantize_of_a_trained_bert_then_test_the_graph(tmp_path, tokens, trained, capsys):
    config = write(tmp_path / "q.toml", {"model": "bert-tiny", "dataset": tokens, "batch_size": 32,
                                          "passes": {"quantize": QUANTIZE, "flops": {}}})
    assert run(tmp_path, "transform", "--config", str(config), "--load", str(trained), "--load-type", "pl",
               "--project", "q") == 0
    out = tmp_path / "q" / "software" / "transform"
    recipe = json.loads((out / "transformed_ckpt" / "recipe.json").read_text())
    assert recipe["hf_input_names"] == ["input_ids", "attention_mask"]  # the dataset's inputs
    assert "bert_encoder_layer_0_attention_self_query" in (out / "flops.txt").read_text()

    from chop.dataset import get_dataset
    from chop.ir import MaseGraph

    mg = MaseGraph.load(out / "transformed_ckpt")
    query = mg.modules["bert"].encoder.layer[0].attention.self.query
    assert type(query).__name__ == "LinearInteger"
    trained_state = torch.load(trained, weights_only=True)["state_dict"]
    assert torch.equal(query.weight, trained_state["model.bert.encoder.layer.0.attention.self.query.weight"])
    capsys.readouterr()
    assert run(tmp_path, "test", "--load", str(out / "transformed_ckpt"), "--load-type", "mg") == 0
    metrics = json.loads((tmp_path / "q" / "software" / "test_metrics.json").read_text())
    test = get_dataset(tokens).test
    with torch.no_grad():
        logits = mg.model(**test.inputs())["logits"]
    assert metrics["test_acc"] == pytest.approx((logits.argmax(-1) == test.y).float().mean().item(), abs=1e-6)
    assert metrics["test_acc"] > 0.8  # the 8-bit graph keeps what training learnt


def test_prune_statistics_and_cost_passes_on_a_bert_graph(tmp_path, tokens):
    passes = {"prune": {"seed": 0, "weight": {"method": "l1-norm", "sparsity": 0.5, "exclude": ["classifier"]}},
              "add_pruning_metadata": {},
              "profile_statistics": {"by": "type", "target_weight_nodes": ["linear"],
                                     "target_activation_nodes": ["linear"], "num_samples": 4,
                                     "weight_statistics": {"variance_precise": {"device": "cpu", "dims": "all"}},
                                     "activation_statistics": {"range_quantile": {"device": "cpu", "dims": "all",
                                                                                  "quantile": 0.97}}},
              "cost": {}}
    config = write(tmp_path / "p.toml", {"model": "bert-tiny", "dataset": tokens, "batch_size": 16, "passes": passes})
    assert run(tmp_path, "transform", "--config", str(config), "--project", "p") == 0

    from chop.ir import MaseGraph

    mg = MaseGraph.load(tmp_path / "p" / "software" / "transform" / "transformed_ckpt")
    dense = mg.modules["bert"].encoder.layer[1].intermediate.dense
    assert (dense.weight == 0).float().mean().item() == pytest.approx(0.5, abs=0.01)
    assert (mg.modules["classifier"].weight != 0).all()
    stats = mg.node("bert_encoder_layer_1_intermediate_dense").meta["mase"]["software"]["args"]
    assert stats["weight"]["stat"]["variance_precise"]["count"] == 512 * 128  # of the pruned weights
    assert stats["data_in_0"]["stat"]["range_quantile"]["max"] > stats["data_in_0"]["stat"]["range_quantile"]["min"]


def search_config(tmp_path, tokens, space: dict, epochs: int) -> Path:
    table = {"model": "bert-tiny", "dataset": tokens, "batch_size": 32, "seed": 0,
             "search": {"strategy": {"name": "tpe", "n_trials": 2},
                        "objectives": {"accuracy": {"weight": 1.0}, "bitops": {"weight": 0.1}},
                        "train": {"epochs": epochs, "learning_rate": 2e-3},
                        "search_space": space}}
    return write(tmp_path / "s.toml", table)


@pytest.mark.slow
def test_search_the_bert_architecture_for_real(tmp_path, tokens):
    space = {"architecture": {"family": "bert", "num_layers": [1, 2], "hidden_size": [32, 64], "num_heads": [2],
                              "intermediate_size": [64, 128], "linear_layer_choices": ["linear", "identity"]}}
    config = search_config(tmp_path, tokens, space, epochs=1)
    assert run(tmp_path, "search", "--config", str(config), "--project", "a") == 0
    out = tmp_path / "a" / "software" / "search_ckpts"
    records = [r for r in json.loads((out / "trials.json").read_text()) if r["state"] == "COMPLETE"]
    assert len(records) == 2 and all(0.0 <= r["metrics"]["accuracy"] <= 1.0 for r in records)
    assert len({r["metrics"]["bitops"] for r in records}) == 2  # two different architectures were built
    assert json.loads((out / "best.json").read_text())["best_trial"]["reproduced"]


@pytest.mark.slow
def test_compression_pipeline_search_on_a_trained_bert(tmp_path, tokens, trained):
    space = {"quantize": {"by": "type", "linear": {"config": {**QUANTIZE["linear"]["config"], "weight_width": [4, 8],
                                                              "weight_frac_width": 3}}},
             "prune": {"sparsity": [0.0, 0.5], "method": ["l1-norm"]},
             "train": {"fine_tune_epochs": [1]}}
    config = search_config(tmp_path, tokens, space, epochs=0)
    assert run(tmp_path, "search", "--config", str(config), "--load", str(trained), "--load-type", "pl",
               "--project", "c") == 0
    out = tmp_path / "c" / "software" / "search_ckpts"
    best = json.loads((out / "best.json").read_text())["best_trial"]
    assert best["reproduced"]
    from chop.ir import MaseGraph

    mg = MaseGraph.load(out / "best_ckpt")
    names = [name for name, _ in mg.recipe()["passes"]]
    assert names[0] == "quantize" and mg.recipe()["hf_model"]["class"] == "BertForSequenceClassification"


USER_MODEL = '''
from transformers import BertConfig, BertForSequenceClassification

from chop.models import register_model


@register_model("my-bert", source="user", default_dataset="tiny-tokens")
def my_bert(info):
    return BertForSequenceClassification(BertConfig(
        vocab_size=info.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=info.input_shape[0], num_labels=info.num_classes))
'''


def test_a_users_own_text_model_trains_and_transforms(tmp_path, tokens, capsys):
    (tmp_path / "my_models.py").write_text(USER_MODEL)
    model_file = str(tmp_path / "my_models.py")
    assert run(tmp_path, "train", "my-bert", tokens, "--model-file", model_file, "--max-epochs", "1",
               "--project", "u", "--report-to", "none") == 0
    config = write(tmp_path / "q.toml", {"model": "my-bert", "dataset": tokens, "model_files": [model_file],
                                          "hf_input_names": ["input_ids", "attention_mask", "labels"],
                                          "passes": {"quantize": QUANTIZE}})
    best = tmp_path / "u" / "software" / "training_ckpts" / "best.ckpt"
    assert run(tmp_path, "transform", "--config", str(config), "--load", str(best), "--project", "u") == 0
    out = tmp_path / "u" / "software" / "transform" / "transformed_ckpt"
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["model"] == "my-bert" and recipe["hf_input_names"] == ["input_ids", "attention_mask", "labels"]
    capsys.readouterr()
    assert run(tmp_path, "test", "--load", str(out), "--load-type", "mg", "--model-file", model_file) == 0
    assert "test_acc" in capsys.readouterr().out
