"""`ch transform` with [passes.prune] on jsc-s, then `ch train --load-type mg` keeps the zeros."""

from __future__ import annotations

from pathlib import Path

import torch

from chop.cli import main
from chop.engine.checkpoint import weights_of

ROOT = Path(__file__).resolve().parents[5]
CONFIG = """
model = "jsc-s"
dataset = "jsc"
batch_size = 64

[passes.prune]
shrink = {shrink}

[passes.prune.weight]
method = "l1-norm"
granularity = "{granularity}"
sparsity = 0.5
exclude = ["seq_blocks_6"]

[passes.prune.activation]
sparsity = 0.25
num_batches = 2
layers = ["seq_blocks_2"]

[passes.add_pruning_metadata]
"""


def transform_then_train(tmp_path, granularity: str, shrink: str) -> tuple[Path, dict]:
    config = tmp_path / "prune.toml"
    config.write_text(CONFIG.format(granularity=granularity, shrink=shrink))
    assert main(["transform", "--config", str(config), "--project-dir", str(tmp_path), "--project", "p"]) == 0
    out = tmp_path / "p" / "software" / "transform"
    assert main(["train", "jsc-s", "jsc", "--load", str(out / "transformed_ckpt"), "--load-type", "mg",
                 "--max-epochs", "2", "--batch-size", "64", "--project-dir", str(tmp_path),
                 "--project", "q", "--report-to", "none"]) == 0
    best = tmp_path / "q" / "software" / "training_ckpts" / "best.ckpt"
    return out, weights_of(torch.load(best, weights_only=True), "pl")


def test_transform_then_train_keeps_pruned_weights_at_zero(tmp_path, jsc_data_dir, capsys):
    out, state = transform_then_train(tmp_path, "elementwise", "false")
    assert "seq_blocks_4" in (out / "prune.txt").read_text()
    assert "seq_blocks_2_input_mask" in (out / "add_pruning_metadata.txt").read_text()
    for layer, n in (("seq_blocks.2", 16 * 64), ("seq_blocks.4", 64 * 64)):
        mask = state[f"{layer}.weight_mask"]
        effective = state[f"{layer}.weight"] * mask
        assert int((~mask).sum()) == n // 2 and (effective[~mask] == 0).all()
        assert (effective[mask] != 0).all()
    assert int((~state["seq_blocks_2_input_mask.mask"]).sum()) == 4
    capsys.readouterr()
    best = tmp_path / "q" / "software" / "training_ckpts" / "best.ckpt"
    assert main(["test", "--load", str(best)]) == 0
    assert "test_acc" in capsys.readouterr().out


def test_transform_shrink_then_train_a_smaller_model(tmp_path, jsc_data_dir):
    _, state = transform_then_train(tmp_path, "channel", "true")
    assert state["seq_blocks.2.weight"].shape == (32, 16) and state["seq_blocks.4.weight"].shape == (32, 32)
    assert state["seq_blocks.6.weight"].shape == (5, 32) and "seq_blocks.4.weight_mask" not in state


def test_example_config_prunes_exactly_half_the_hidden_weights(tmp_path, jsc_data_dir):
    config = ROOT / "configs" / "examples" / "jsc_s_prune.toml"
    assert main(["transform", "--config", str(config), "--project-dir", str(tmp_path), "--project", "ex"]) == 0
    from chop import MaseGraph

    mg = MaseGraph.load(tmp_path / "ex" / "software" / "transform" / "transformed_ckpt")
    for layer, n in (("seq_blocks.2", 16 * 64), ("seq_blocks.4", 64 * 64)):
        assert int((mg.model.get_submodule(layer).effective_weight() == 0).sum()) == n // 2
