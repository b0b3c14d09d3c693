"""Atomic writes: a failed, killed or disk-full write leaves the previous file whole, no temp behind."""

import errno
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest
import torch

from chop import atomic
from chop.errors import DiskFullError


class _FillsUp:
    """A file object that accepts `room` bytes, then fails as a full disk does."""

    def __init__(self, fh, room):
        self.fh, self.room = fh, room

    def write(self, data):
        if len(data) > self.room:
            self.fh.write(bytes(data[: self.room]))
            self.room = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return self.fh.write(data)

    def __getattr__(self, name):
        return getattr(self.fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()


@pytest.fixture
def disk_fills_after(monkeypatch):
    def fill(room):
        real = atomic._open_temp
        monkeypatch.setattr(atomic, "_open_temp", lambda tmp: _FillsUp(real(tmp), room))
    return fill


@pytest.fixture
def own_tmpdir(tmp_path, monkeypatch):
    """An empty $TMPDIR, to see that nothing is left there."""
    d = tmp_path / "TMPDIR"
    d.mkdir()
    monkeypatch.setenv("TMPDIR", str(d))
    monkeypatch.setattr(tempfile, "tempdir", None)
    return d


def test_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "a" / "x.json"
    atomic.write_text(target, "one")
    atomic.write_text(target, "two")
    assert target.read_text() == "two"
    assert os.listdir(target.parent) == ["x.json"]


def test_disk_full_mid_checkpoint_keeps_the_old_one(tmp_path, disk_fills_after, own_tmpdir):
    target = tmp_path / "best.ckpt"
    atomic.torch_save({"version": 1, "w": torch.arange(10.0)}, target)
    disk_fills_after(5000)
    with pytest.raises(DiskFullError, match="No space left to write .*best.ckpt"):
        atomic.torch_save({"version": 2, "w": torch.randn(100_000)}, target)
    assert torch.load(target, weights_only=True)["version"] == 1
    assert os.listdir(tmp_path / "") == ["TMPDIR", "best.ckpt"] or sorted(os.listdir(tmp_path)) == ["TMPDIR", "best.ckpt"]
    assert os.listdir(own_tmpdir) == []


def test_failed_directory_write_keeps_the_old_directory(tmp_path):
    target = tmp_path / "ckpt"
    atomic.replace_dir(target, lambda d: (d / "w").write_text("old"))

    def broken(d):
        (d / "w").write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(DiskFullError):
        atomic.replace_dir(target, broken)
    assert (target / "w").read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["ckpt"]
    atomic.replace_dir(target, lambda d: (d / "w").write_text("new"))
    assert (target / "w").read_text() == "new" and sorted(os.listdir(tmp_path)) == ["ckpt"]


def test_temp_left_by_a_dead_writer_is_removed_by_the_next_write(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".x.bin.{int(dead.stdout)}.abcd.tmp"
    stale.write_bytes(b"partial")
    live = tmp_path / f".x.bin.{os.getpid()}.abcd.tmp"  # a live writer's temp is left alone
    live.write_bytes(b"in progress")
    atomic.write_bytes(tmp_path / "x.bin", b"whole")
    assert not stale.exists() and live.exists()


WRITER = textwrap.dedent("""
    import sys, torch
    from chop import atomic
    torch.set_num_threads(1)
    target = sys.argv[1]
    weights = torch.randn(6_000_000)  # a 24 MB checkpoint
    version = 2
    while True:
        weights[0] = version
        atomic.torch_save({"version": version, "w": weights}, target)
        print(version, flush=True)
        version += 1
""")


@pytest.mark.slow
def test_sigkill_at_random_points_never_damages_best_ckpt(tmp_path):
    target = tmp_path / "best.ckpt"
    atomic.torch_save({"version": 1, "w": torch.ones(3)}, target)
    rng = random.Random(0)
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()  # one whole write done: the next kill lands mid-write or between
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        ckpt = torch.load(target, weights_only=True)
        assert ckpt["version"] >= 1 and (ckpt["version"] == 1 or ckpt["w"][0] == ckpt["version"])
    atomic.write_bytes(tmp_path / "other", b"")  # any later write sweeps the dead writers' temps of its own target
    atomic.torch_save({"version": 0}, target)
    assert sorted(os.listdir(tmp_path)) == ["best.ckpt", "other"]
