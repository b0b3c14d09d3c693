"""`ch train` -> `ch test` through the CLI entry point, in-process, on datasets needing no file."""

import csv
import json
from pathlib import Path


from chop.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def train(tmp_path, *extra):
    argv = ["train", "jsc-s", "toy", "--max-epochs", "3", "--project-dir", str(tmp_path),
            "--project", "p", "--report-to", "csv", *extra]
    assert main(argv) == 0
    return tmp_path / "p" / "software"


def test_train_then_test_round_trip(tmp_path, capsys):
    sw = train(tmp_path)
    best = sw / "training_ckpts" / "best.ckpt"
    assert best.exists() and (sw / "training_ckpts" / "last.ckpt").exists()
    with open(sw / "runs" / "run_0" / "csv" / "metrics.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("val_acc")]
    assert [int(float(r["epoch"])) for r in rows] == [1, 2, 3]
    assert all(r["train_loss"] and r["train_acc"] and r["val_loss"] for r in rows)
    capsys.readouterr()
    assert main(["test", "--load", str(best)]) == 0  # model and dataset come from the checkpoint
    out = capsys.readouterr().out
    metrics = json.loads((sw / "test_metrics.json").read_text())
    assert metrics["model"] == "jsc-s" and metrics["dataset"] == "toy"
    assert metrics["test_samples"] == 1024 and metrics["test_acc"] > 0.9
    assert f"{metrics['test_acc']:.4f}" in out


def test_second_run_keeps_the_first_runs_checkpoints(tmp_path, caplog):
    sw = train(tmp_path)
    first = (sw / "training_ckpts" / "best.ckpt").read_bytes()
    train(tmp_path, "--max-epochs", "1")
    previous = list((sw / "training_ckpts" / "previous").glob("*/best.ckpt"))
    assert len(previous) == 1 and previous[0].read_bytes() == first
    assert "moved them to" in caplog.text


def test_resume_from_last_ckpt(tmp_path):
    sw = train(tmp_path, "--max-epochs", "2")
    assert main(["train", "jsc-s", "toy", "--max-epochs", "4", "--project-dir", str(tmp_path),
                 "--project", "p", "--report-to", "csv", "--resume"]) == 0
    summary = json.loads((sw / "train_summary.json").read_text())
    assert summary["epochs"] == 4
    assert not (sw / "training_ckpts" / "previous").exists()


def test_user_model_file_by_path_and_by_toml(tmp_path):
    argv = ["train", f"{FIXTURES / 'my_models.py'}:jsc-big", "toy", "--max-epochs", "1",
            "--project-dir", str(tmp_path), "--project", "big", "--report-to", "none"]
    assert main(argv) == 0
    summary = json.loads((tmp_path / "big" / "software" / "train_summary.json").read_text())
    assert summary["model"] == "jsc-big"
    toml = tmp_path / "c.toml"
    toml.write_text(f'model = "jsc-big"\ndataset = "toy"\nmodel_files = ["{FIXTURES / "my_models.py"}"]\n'
                    f'max_epochs = 1\nproject_dir = "{tmp_path}"\nproject = "big2"\nreport_to = "none"\n')
    assert main(["train", "--config", str(toml)]) == 0
    assert (tmp_path / "big2" / "software" / "training_ckpts" / "best.ckpt").exists()


def test_test_refuses_checkpoint_of_another_model(tmp_path, capsys):
    sw = train(tmp_path, "--max-epochs", "1")
    capsys.readouterr()
    code = main(["test", "jsc-tiny", "toy", "--load", str(sw / "training_ckpts" / "best.ckpt")])
    err = capsys.readouterr().err
    assert code == 2 and "trained for model 'jsc-s', not 'jsc-tiny'" in err


def test_bad_user_model_files(tmp_path, capsys):
    dup = tmp_path / "dup.py"
    dup.write_text("from chop.models import register_model\n"
                   "@register_model('jsc-tiny')\ndef f(info):\n    return None\n")
    mismatch = tmp_path / "mismatch.py"
    mismatch.write_text("from chop.models import register_model, ModelInfo\n"
                        "@register_model('jsc-txl', info=ModelInfo(name='jsc-s'))\ndef f(info):\n    return None\n")
    for path, message in ((dup, "'jsc-tiny' is already registered"),
                          (mismatch, "registered as 'jsc-txl' but its info is named 'jsc-s'")):
        code = main(["train", f"{path}:x", "toy", "--project-dir", str(tmp_path)])
        err = capsys.readouterr().err
        assert code == 2 and message in err, err


def test_train_jsc_tiny_on_the_jsc_schema_fixture(tmp_path, jsc_data_dir):
    """`ch train jsc-tiny jsc` finds the .z file where the loader looks and learns from it."""
    sw = tmp_path / "jsc" / "software"
    argv = ["train", "jsc-tiny", "jsc", "--max-epochs", "8", "--batch-size", "64",
            "--learning-rate", "1e-2", "--project-dir", str(tmp_path), "--project", "jsc",
            "--report-to", "none"]
    assert main(argv) == 0
    summary = json.loads((sw / "train_summary.json").read_text())
    assert summary["best_val_acc"] > 0.4  # five classes: chance is 0.2
    assert main(["test", "--load", str(sw / "training_ckpts" / "best.ckpt")]) == 0
    metrics = json.loads((sw / "test_metrics.json").read_text())
    assert metrics["dataset"] == "jsc" and metrics["test_acc"] > 0.4


def test_missing_jsc_file_is_one_line_saying_where_to_put_it(tmp_path, capsys):
    code = main(["train", "jsc-tiny", "jsc", "--project-dir", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z" in err


def test_corrupt_jsc_file_is_one_line(tmp_path, jsc_data_dir, capsys):
    for path in (jsc_data_dir / "jsc").glob("*.z"):
        path.write_bytes(b"this is not HDF5")
    code = main(["train", "jsc-tiny", "jsc", "--project-dir", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and ".z" in err


def test_text_model_tested_at_the_length_it_was_trained_on(tmp_path, capsys, caplog):
    """`ch test --load CKPT` of a text model without --max-token-len uses the checkpoint's length,
    and building a model whose weights a checkpoint replaces fetches and announces no weights."""
    options = tmp_path / "rows.toml"
    options.write_text("[dataset_options]\nmax_rows = 300\n")
    assert main(["train", "bert-tiny", "tweets", "--config", str(options), "--max-token-len", "16",
                 "--max-steps", "2", "--max-epochs", "1", "--batch-size", "16", "--project-dir", str(tmp_path),
                 "--project", "t", "--report-to", "none"]) == 0
    best = tmp_path / "t" / "software" / "training_ckpts" / "best.ckpt"
    caplog.clear()
    assert main(["test", "--load", str(best), "--config", str(options)]) == 0
    metrics = json.loads((tmp_path / "t" / "software" / "test_metrics.json").read_text())
    assert metrics["model"] == "bert-tiny" and metrics["test_samples"] > 0
    assert "checkpoint's 16 tokens" in caplog.text and "RANDOM" not in caplog.text
    assert main(["test", "--load", str(best), "--config", str(options), "--max-token-len", "20"]) == 2
    assert "use --max-token-len 16" in capsys.readouterr().err


def test_load_type_hf_trains_and_tests_a_hugging_face_checkpoint_directory(tmp_path, capsys):
    """`--load-type hf`: architecture and weights come from a Hugging Face checkpoint directory
    (here a 16-wide BERT that is no registered shape), with a head for the dataset's classes."""
    import torch
    import transformers

    hf_dir = tmp_path / "hf-bert"
    config = transformers.BertConfig(vocab_size=30522, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=32, num_labels=2)
    transformers.BertForSequenceClassification(config).save_pretrained(hf_dir)
    options = tmp_path / "rows.toml"
    options.write_text("[dataset_options]\nmax_rows = 300\n")
    common = ["--load", str(hf_dir), "--load-type", "hf", "--config", str(options), "--max-token-len", "16",
              "--project-dir", str(tmp_path), "--project", "hf"]
    assert main(["test", "bert-tiny", "tweets", *common]) == 0
    metrics = json.loads((tmp_path / "hf" / "software" / "test_metrics.json").read_text())
    assert metrics["load_type"] == "hf" and metrics["test_samples"] > 0
    assert main(["train", "bert-tiny", "tweets", *common, "--max-steps", "2", "--max-epochs", "1",
                 "--batch-size", "16", "--report-to", "none"]) == 0
    ckpt = torch.load(tmp_path / "hf" / "software" / "training_ckpts" / "last.ckpt", weights_only=True)
    assert ckpt["state_dict"]["model.bert.embeddings.word_embeddings.weight"].shape == (30522, 16)
    capsys.readouterr()
    assert main(["test", "jsc-tiny", "toy", "--load", str(hf_dir), "--load-type", "hf"]) == 2
    assert "is not text" in capsys.readouterr().err
    assert main(["test", "bert-tiny", "tweets", "--load", str(hf_dir / "config.json"), "--load-type", "hf",
                 "--config", str(options)]) == 2
    assert "is a file" in capsys.readouterr().err
