"""A full disk in train and transform: one line, exit 2, and what was written before still loads."""

import errno
import json

import pytest
import torch

from chop import atomic
from chop.cli import main


@pytest.fixture
def disk_full_after(monkeypatch):
    """Let `n` atomic writes through, then fail every write as a full disk does (half written)."""
    def arm(n, only=""):
        real, count = atomic._open_temp, [0]

        def open_temp(tmp):
            fh = real(tmp)
            if only not in tmp.name:
                return fh
            count[0] += 1
            if count[0] <= n:
                return fh
            fh.write(b"partial")
            fh.close()
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

        monkeypatch.setattr(atomic, "_open_temp", open_temp)
    return arm


def _one_line(capsys):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error:") and "Traceback" not in err
    return err


def test_disk_full_in_train_keeps_last_ckpt(tmp_path, capsys, disk_full_after):
    argv = ["train", "jsc-tiny", "toy", "--max-epochs", "3", "--project-dir", str(tmp_path),
            "--project", "p", "--report-to", "none"]
    disk_full_after(2, only=".ckpt.")  # epoch 1's last.ckpt and best.ckpt are written, epoch 2's are not
    assert main(argv) == 2
    assert "No space left" in _one_line(capsys)
    ckpts = tmp_path / "p" / "software" / "training_ckpts"
    assert torch.load(ckpts / "last.ckpt", weights_only=True)["epoch"] == 1
    assert sorted(p.name for p in ckpts.iterdir() if p.name != ".lock") == ["best.ckpt", "last.ckpt"]


def test_disk_full_in_transform_keeps_the_earlier_output(tmp_path, capsys, disk_full_after):
    config = tmp_path / "t.toml"
    config.write_text('model = "jsc-tiny"\ndataset = "toy"\n[passes.quantize]\nby = "type"\n'
                      '[passes.quantize.default.config]\nname = "integer"\ndata_in_width = 8\n'
                      'data_in_frac_width = 4\nweight_width = 8\nweight_frac_width = 4\n'
                      'bias_width = 8\nbias_frac_width = 4\n')
    argv = ["transform", "--config", str(config), "--project-dir", str(tmp_path), "--project", "p"]
    assert main(argv) == 0
    out = tmp_path / "p" / "software" / "transform"
    before = (out / "transformed_ckpt" / "recipe.json").read_text()
    capsys.readouterr()
    disk_full_after(0)
    assert main(argv) == 2
    assert "No space left" in _one_line(capsys)
    assert (out / "transformed_ckpt" / "recipe.json").read_text() == before
    assert json.loads((out / "transform_summary.json").read_text())["transformed_ckpt"]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
