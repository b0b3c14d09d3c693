"""The Fabric loop in-process: learning, best/last checkpoints, stops, exact resume."""

import torch
from lightning_fabric import Fabric

from chop.dataset import get_dataset
from chop.engine.checkpoint import read_checkpoint
from chop.engine.optim import make_optimizer
from chop.engine.trainer import FitOptions, fit
from chop.models import get_model


def run(tmp_path, epochs, resume=None, model_name="jsc-s", **kw):
    fabric = Fabric(accelerator="cpu", devices=1)
    data = get_dataset("toy")
    torch.manual_seed(0)
    model = get_model(model_name, data.info)
    state = None
    if resume is not None:
        state = read_checkpoint(resume)
        model.load_state_dict({k[len("model."):]: v for k, v in state["state_dict"].items()})
    opt = make_optimizer("adam", model, kw.pop("lr", 1e-3), 0.0)
    model, opt = fabric.setup(model, opt)
    if state is not None:
        opt.load_state_dict(state["optimizer"])
    opts = FitOptions(max_epochs=epochs, batch_size=128, ckpt_dir=tmp_path, model_name="jsc-s",
                      show_progress=False, **kw)
    return fit(fabric, model, opt, data, opts, state), model


def test_learns_and_keeps_best_and_last(tmp_path):
    result, _ = run(tmp_path, 3)
    assert result.epochs_run == 3 and result.stop_reason == "max_epochs"
    assert result.history[-1]["val_acc"] > 0.9  # toy blobs are easy; chance is 0.2
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    best = read_checkpoint(tmp_path / "best.ckpt")
    last = read_checkpoint(tmp_path / "last.ckpt")
    assert last["epoch"] == 3
    assert best["metrics"]["val_acc"] == max(r["val_acc"] for r in result.history)


def test_max_steps_and_max_time_stop_inside_an_epoch(tmp_path):
    result, _ = run(tmp_path, 5, max_steps=7)
    assert result.global_step == 7 and result.stop_reason == "max_steps" and result.epochs_run == 1
    result, _ = run(tmp_path, 5, max_time=1e-9)
    assert result.global_step == 1 and result.stop_reason == "max_time"


def test_early_stop_when_val_accuracy_stalls(tmp_path):
    # No BatchNorm and a vanishing learning rate: the val accuracy cannot improve after epoch 1.
    result, _ = run(tmp_path, 10, model_name="jsc-three-layer", lr=1e-30, early_stop=2)
    assert result.stop_reason == "early_stop"
    assert result.epochs_run == 3 and result.best_epoch == 1


def test_resume_continues_exactly_where_it_stopped(tmp_path):
    straight_dir, split_dir = tmp_path / "a", tmp_path / "b"
    straight, straight_model = run(straight_dir, 4)
    run(split_dir, 2)
    resumed, resumed_model = run(split_dir, 4, resume=split_dir / "last.ckpt")
    assert resumed.epochs_run == 4 and len(resumed.history) == 4
    assert resumed.global_step == straight.global_step
    for a, b in zip(straight_model.state_dict().values(), resumed_model.state_dict().values()):
        assert torch.equal(a, b)
