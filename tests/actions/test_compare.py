"""Runs kept apart (config, summary, logs per run) and `ch compare` drawing them side by side."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from chop.actions.run_logs import read_csv_curves, read_event_curves
from chop.cli import main


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory) -> Path:
    """Three short jsc-tiny runs on toy that differ in batch size, all in one project (as seed 004)."""
    root = tmp_path_factory.mktemp("runs")
    for batch in (64, 128, 256):
        assert main(["train", "jsc-tiny", "toy", "--max-epochs", "2", "--batch-size", str(batch),
                     "--project-dir", str(root), "--project", "lab1", "--log-every-n-steps", "4",
                     "--report-to", "tensorboard,csv"]) == 0
    return root / "lab1"


def test_each_run_keeps_its_config_summary_and_logs(three_runs):
    runs = three_runs / "software" / "runs"
    assert sorted(p.name for p in runs.iterdir()) == ["run_0", "run_1", "run_2"]
    for i, batch in enumerate((64, 128, 256)):
        run = runs / f"run_{i}"
        assert f"batch_size = {batch}" in (run / "train_config.toml").read_text()
        summary = json.loads((run / "train_summary.json").read_text())
        assert summary["run_dir"] == str(run) and len(summary["history"]) == 2
        assert summary["train_seconds_total"] == pytest.approx(sum(r["train_seconds"] for r in summary["history"]))
        assert (run / "csv" / "metrics.csv").is_file() and list((run / "tensorboard").glob("events.out.tfevents.*"))
    latest = json.loads((three_runs / "software" / "train_summary.json").read_text())
    assert latest["run_dir"] == str(runs / "run_2")  # the latest also where the README always said


def test_tensorboard_and_csv_logs_read_back_the_same(three_runs):
    run = three_runs / "software" / "runs" / "run_0"
    from_csv = read_csv_curves(run / "csv" / "metrics.csv")
    from_events = read_event_curves(next((run / "tensorboard").glob("events.out.tfevents.*")))
    for tag in ("val_acc", "train_loss", "train_loss_step", "train_acc_step", "epoch"):
        assert [s for s, _ in from_events[tag]] == [s for s, _ in from_csv[tag]]
        assert [v for _, v in from_events[tag]] == pytest.approx([v for _, v in from_csv[tag]], rel=1e-6)


def test_compare_draws_one_curve_per_run_from_the_logged_values(three_runs, tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["compare", str(three_runs), "--out", str(out)]) == 0
    for name in ("compare_epoch.png", "compare_step.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "compare.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["label"] for r in rows} == {"batch_size=64", "batch_size=128", "batch_size=256"}
    for i, batch in enumerate((64, 128, 256)):
        run = three_runs / "software" / "runs" / f"run_{i}"
        mine = [r for r in rows if r["label"] == f"batch_size={batch}"]
        history = json.loads((run / "train_summary.json").read_text())["history"]
        epoch_val = [(float(r["x"]), float(r["value"])) for r in mine if r["axis"] == "epoch" and r["metric"] == "val_acc"]
        assert epoch_val == [(h["epoch"], pytest.approx(h["val_acc"])) for h in history]
        logged = read_csv_curves(run / "csv" / "metrics.csv")
        for metric in ("train_loss_step", "train_acc_step", "val_acc"):
            plotted = [(int(float(r["x"])), float(r["value"])) for r in mine if r["axis"] == "step" and r["metric"] == metric]
            assert plotted == logged[metric] and plotted
        steps = history[-1]["step"]
        assert [s for s, _ in logged["train_loss_step"]] == list(range(4, steps + 1, 4))
    assert "batch_size" in capsys.readouterr().out


def test_compare_says_what_is_missing(tmp_path, capsys):
    assert main(["compare", str(tmp_path)]) == 2
    assert "holds no training runs" in capsys.readouterr().err
