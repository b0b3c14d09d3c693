"""Data-parallel training with 2 CPU processes (gloo), through the real `ch` command."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CH = Path(sys.executable).with_name("ch")


@pytest.mark.slow
def test_two_process_ddp_on_cpu(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [str(CH), "train", "jsc-s", "toy", "--max-epochs", "2", "--accelerator", "cpu",
           "--num-devices", "2", "--strategy", "ddp", "--project-dir", str(tmp_path),
           "--project", "d", "--report-to", "csv", "--batch-size", "128"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((tmp_path / "d" / "software" / "train_summary.json").read_text())
    # 4096 training samples split over 2 ranks at batch 128: 16 steps per epoch, not 32.
    assert summary["steps"] == 2 * 16
    assert summary["best_val_acc"] > 0.5
    assert proc.stdout.count("Configuration") == 1  # rank 1 stays quiet
    assert (tmp_path / "d" / "software" / "training_ckpts" / "best.ckpt").exists()
