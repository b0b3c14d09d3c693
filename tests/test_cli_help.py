"""`ch --help`, `ch ACTION --help` and argument errors: each action's own help, and no torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chop.cli import main

PROBE = """
import contextlib, io, sys
from chop.cli import main
outputs = []
for argv in (["--help"], ["train", "--help"], ["compare", "--help"], ["train", "--batch-sise", "3"], ["trian"]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    outputs.append((code, len(out.getvalue()), err.getvalue().strip()))
print(outputs)
print("TORCH", "torch" in sys.modules, "lightning_fabric" in sys.modules)
"""


def test_help_and_argument_errors_import_no_torch():
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "TORCH False False" in proc.stdout
    codes = eval(proc.stdout.splitlines()[0])  # noqa: S307 - our own repr
    assert [c for c, _, _ in codes] == [0, 0, 0, 2, 2]
    assert all(n > 0 for _, n, _ in codes[:3])
    assert "Did you mean '--batch-size'" in codes[3][2] and "Did you mean 'train'" in codes[4][2]


def _help(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


def test_each_action_shows_its_own_flags_and_examples(capsys):
    top = _help(capsys)
    for action in ("train", "test", "transform", "search", "info", "compare"):
        assert f"  {action} " in top
    train = _help(capsys, "train")
    assert "--max-epochs" in train and "--resume" in train and "--workers" not in train
    assert "examples:" in train and "ch train jsc-tiny jsc" in train
    test = _help(capsys, "test")
    assert "--load-type" in test and "--max-epochs" not in test and "ch test --load" in test
    search = _help(capsys, "search")
    assert "--workers" in search and "--resume" not in search
    compare = _help(capsys, "compare")
    assert "RUN" in compare and "--out" in compare and "--batch-size" not in compare


def test_flags_an_action_does_not_show_are_still_accepted():
    from chop.cli import parse_config

    _, cfg = parse_config(["test", "--load", "x.ckpt", "--max-epochs", "3"])  # a MASE command line
    assert cfg.max_epochs == 3


def test_info_piped_keeps_whole_names(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "…" not in out
    assert "Conv-BN-ReLU" in out or "fashion-mnist" in out
