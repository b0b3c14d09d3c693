"""Learning-rate schedules, warm-up, gradient clipping and fused Adam: definitions and wiring."""

import json
import math

import pytest
import torch
from torch import nn

from chop.cli import main
from chop.config import OPTIMIZERS
from chop.dataset.info import TensorSplit
from chop.engine.epoch import train_epochs
from chop.engine.schedule import TrainingSchedule, lr_factor, make_scheduler, resolve_schedule


def test_factors_follow_their_definitions():
    total, warm = 100, 10
    assert [lr_factor("linear", s, total, warm) for s in (0, 4, 9)] == [1 / 11, 5 / 11, 10 / 11]
    assert lr_factor("linear", 10, total, warm) == 1.0 and lr_factor("linear", 55, total, warm) == 0.5
    assert lr_factor("linear", 100, total, warm) == 0.0 and lr_factor("linear", 500, total, warm) == 0.0
    assert lr_factor("cosine", 55, total, warm) == pytest.approx(0.5)
    assert lr_factor("cosine", 10 + 90 / 4, total, warm) == pytest.approx(0.5 * (1 + math.cos(math.pi / 4)))
    assert lr_factor("constant", 99, total, 0) == 1.0


def test_auto_defaults_by_kind_of_model():
    assert resolve_schedule("auto", None, None, is_text=True) == TrainingSchedule("linear", 0.1, 1.0)
    assert resolve_schedule("auto", None, None, is_text=False).is_plain
    assert resolve_schedule("cosine", None, 0.5, is_text=False) == TrainingSchedule("cosine", 0.0, 0.5)
    assert resolve_schedule("constant", 0.2, None, is_text=True) == TrainingSchedule("constant", 0.2, 1.0)


def test_scheduler_steps_the_optimizer_rate():
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    assert make_scheduler(opt, TrainingSchedule(), 10) is None
    sched = make_scheduler(opt, TrainingSchedule("linear", 0.2, 0.0), 10)
    rates = []
    for _ in range(10):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert rates == pytest.approx([0.1 / 3, 0.2 / 3, 0.1, 0.0875, 0.075, 0.0625, 0.05, 0.0375, 0.025, 0.0125])


def test_gradient_clipping_bounds_the_first_step():
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    split = TensorSplit(torch.randn(8, 4) * 1e3, torch.zeros(8, dtype=torch.long))
    before = torch.cat([p.detach().flatten() for p in model.parameters()]).clone()
    settings = {"optimizer": "sgd", "learning_rate": 1.0, "batch_size": 8, "gradient_clip": 0.01}
    train_epochs(model, split, settings, epochs=1, seed=0)
    moved = torch.cat([p.detach().flatten() for p in model.parameters()]) - before
    assert 0 < moved.norm() <= 0.01 + 1e-6  # one SGD step of a gradient clipped to norm 0.01


def test_adam_and_adamw_use_the_fused_kernel():
    params = [nn.Parameter(torch.zeros(3))]
    for name in ("adam", "adamw"):
        assert OPTIMIZERS.get(name)(params, lr=1e-3, weight_decay=0.0).defaults["fused"] is True


def test_ch_train_cosine_schedule_is_saved_and_resumed(tmp_path):
    base = ["train", "jsc-tiny", "toy", "--project-dir", str(tmp_path), "--project", "p", "--report-to", "none",
            "--batch-size", "256", "--lr-scheduler", "cosine", "--learning-rate", "0.01"]
    assert main([*base, "--max-epochs", "2"]) == 0
    sw = tmp_path / "p" / "software"
    summary = json.loads((sw / "train_summary.json").read_text())
    assert summary["lr_schedule"] == {"kind": "cosine", "warmup_ratio": 0.0, "gradient_clip": 0.0}
    ckpt = torch.load(sw / "training_ckpts" / "last.ckpt", weights_only=True)
    steps = ckpt["global_step"]
    assert ckpt["scheduler"]["last_epoch"] == steps
    assert ckpt["scheduler"]["_last_lr"][0] == pytest.approx(0.01 * lr_factor("cosine", steps, steps, 0))
    assert main([*base, "--max-epochs", "4", "--resume"]) == 0
    resumed = torch.load(sw / "training_ckpts" / "last.ckpt", weights_only=True)
    assert resumed["scheduler"]["last_epoch"] == resumed["global_step"] == 2 * steps
