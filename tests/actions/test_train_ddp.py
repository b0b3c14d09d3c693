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


def test_threads_respect_omp_num_threads_and_the_processes_on_this_host():
    from chop.engine.runtime import cpu_threads

    assert cpu_threads("3", 16, 4) == 3   # the user's OMP_NUM_THREADS wins
    assert cpu_threads(None, 16, 4) == 4  # else the host's cores shared out
    assert cpu_threads("", 2, 4) == 1     # never zero


@pytest.mark.slow
def test_two_nodes_on_one_host_rendezvous_by_env_and_share_its_cores(tmp_path):
    """`--num-nodes 2` started as two commands on loopback (MASTER_ADDR/MASTER_PORT/NODE_RANK, as a
    cluster launcher or torchrun sets them): the two "nodes" find each other, and each process takes
    its share of this host's cores (both run here), not all of them."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = {k: v for k, v in os.environ.items()
            if k not in ("OMP_NUM_THREADS", "LOCAL_RANK", "NODE_RANK", "MACHOP_OMP_NUM_THREADS_UNSET")}
    cmd = [str(CH), "train", "jsc-s", "toy", "--max-epochs", "1", "--accelerator", "cpu", "--num-devices", "1",
           "--num-nodes", "2", "--strategy", "ddp", "--project-dir", str(tmp_path), "--project", "n",
           "--report-to", "csv", "--batch-size", "128"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**base, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "NODE_RANK": str(r)})
             for r in (0, 1)]
    outs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs[0][-1500:] + outs[1][-1500:]
    threads = max(1, (os.cpu_count() or 1) // 2)
    assert f"CPU DDP: 2 of 2 processes on this host, {threads} torch thread(s) each" in outs[0]
    summary = json.loads((tmp_path / "n" / "software" / "train_summary.json").read_text())
    assert summary["steps"] == 16  # 4096 samples over 2 ranks at batch 128
