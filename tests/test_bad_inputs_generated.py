"""Every flag of every `ch` action, fed a family of generated bad values: exit 2 and one line.

The flags come from the argparse parser itself, so a new flag is covered without a new case. Each
(action, flag, value) either ends as exactly one `error:` line with exit code 2 and no traceback,
or is accepted: then the value reaches the action, which is replaced here by a stub so nothing
trains. Accepted values must be listed in ACCEPTED with the reason they are valid.

Path-like flags (their help names a file, folder or checkpoint) also get a missing path, a
directory and a file of corrupt bytes, run through the real actions on the in-memory `toy`
dataset, where such a value must fail before any training starts.
"""

from __future__ import annotations

import argparse
import importlib
import re

import pytest

from chop import cli
from chop.actions import ACTIONS



def _positionals(action: str) -> list[str]:
    """A model and dataset for the actions whose parser takes them (so new actions are covered)."""
    takes_model = any(a.dest == "model" for a in cli.build_parser(action)._actions)
    return ["jsc-tiny", "toy"] if takes_model else []


POSITIONALS = {action: _positionals(action) for action in ACTIONS}
BY_TYPE = {
    int: {"word": "three", "empty": "", "negative": "-5", "huge": "99999999999999999999999", "nan": "nan",
          "inf": "inf", "float": "1.5"},
    float: {"word": "three", "empty": "", "negative": "-1", "huge": "1e999", "nan": "nan", "inf": "inf",
            "zero": "0"},
    str: {"empty": "", "blank": "   ", "nul": "a\x00b", "huge": "x" * 5000},
}
# (flag, family) pairs a user may legitimately type, with why.
ACCEPTED = {
    ("--max-epochs", "zero"): "not a float flag",
    ("--weight-decay", "zero"): "no weight decay",
    ("--warmup-ratio", "zero"): "no warm-up",
    ("--gradient-clip", "zero"): "no clipping",
    ("--task", "blank"): "case and spaces are normalised",
}
PATH_HELP = re.compile(r"\b(file|folder|dir|directory|checkpoint|path)\b", re.I)


def _flags():
    parser = cli.build_parser()
    for action in parser._actions:
        if not action.option_strings or action.nargs == 0 or isinstance(action, argparse._HelpAction):
            continue
        yield action.option_strings[0], action.type or str, action.help or ""


FLAGS = list(_flags())


class _Reached(Exception):
    pass


@pytest.fixture
def stub_actions(monkeypatch):
    """Replace every action by a stub that records the config it was given."""
    import chop.actions as actions_module

    reached = {}

    def stub(cfg):
        reached["cfg"] = cfg
        return {}

    monkeypatch.setattr(actions_module, "ACTIONS", {name: stub for name in ACTIONS})
    import chop.cli_render as render

    monkeypatch.setattr(render, "render_result", lambda *a: None)
    monkeypatch.setattr(render, "render_config", lambda *a: None)
    return reached


def _run(capsys, argv):
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.err.strip()


def _assert_one_line(code, err, where):
    assert code == 2, f"{where}: exit {code}, stderr {err!r}"
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), f"{where}: {err!r}"
    assert "Traceback" not in err


CASES = [(action, flag, family, value)
         for action in ACTIONS for flag, typ, _ in FLAGS for family, value in BY_TYPE.get(typ, {}).items()
         if not PATH_HELP.search(_ or "") or typ is not str]


@pytest.mark.parametrize("action,flag,family,value", CASES,
                         ids=[f"{a}{f}-{fam}" for a, f, fam, _ in CASES])
def test_bad_value_is_one_line_or_a_listed_valid_value(tmp_path, monkeypatch, capsys, stub_actions,
                                                       action, flag, family, value):
    monkeypatch.chdir(tmp_path)
    code, err = _run(capsys, [action, *POSITIONALS[action], f"{flag}={value}"])
    if code == 0 and "cfg" in stub_actions:
        assert (flag, family) in ACCEPTED, f"{action} {flag}={value!r} ({family}) was accepted; reject it " \
                                           f"with one line, or list it in ACCEPTED with the reason"
        return
    _assert_one_line(code, err, f"{action} {flag}={value!r}")


PATH_FLAGS = [flag for flag, typ, help_text in FLAGS if typ is str and PATH_HELP.search(help_text)]
PATH_ACCEPTED = {("--project-dir", "missing"): "created on first use",
                 ("--project-dir", "directory"): "an existing directory is what it names"}


def _path_value(tmp_path, family):
    if family == "missing":
        return str(tmp_path / "nope" / "missing.thing")
    if family == "directory":
        (tmp_path / "a_dir").mkdir()
        return str(tmp_path / "a_dir")
    corrupt = tmp_path / "corrupt.bin"
    corrupt.write_bytes(bytes(range(256)) * 40)
    return str(corrupt)


PATH_CASES = [(action, flag, family) for action in ACTIONS for flag in PATH_FLAGS
              for family in ("missing", "directory", "corrupt")]


@pytest.mark.parametrize("action,flag,family", PATH_CASES, ids=[f"{a}{f}-{fam}" for a, f, fam in PATH_CASES])
def test_bad_path_is_one_line_before_any_training(tmp_path, monkeypatch, capsys, action, flag, family):
    """Through the real actions: a bad path must stop the run before training starts."""
    from chop.engine import trainer

    def no_training(*args, **kwargs):
        raise AssertionError(f"{action} {flag} ({family}) reached training")

    # Import the action first: imported while trainer.fit is patched (after another test dropped it
    # from sys.modules), it would bind the stub as its own `fit`, and undoing the patch would
    # restore the stub, leaking it into every later ch train of this worker.
    train_action = importlib.import_module("chop.actions.train")
    monkeypatch.setattr(trainer, "fit", no_training)
    monkeypatch.setattr(train_action, "fit", no_training)
    monkeypatch.chdir(tmp_path)
    value = _path_value(tmp_path, family)
    positionals = POSITIONALS[action]
    if flag == "--data-dir" and positionals:  # toy needs no files: use a dataset that reads them
        positionals = [positionals[0], "jsc"]
    argv = [action, *positionals, flag, value]
    if action in ("train", "test") and flag != "--load":
        argv += ["--max-epochs", "1"]
    if (flag, family) in PATH_ACCEPTED or (action == "info" and flag in ("--load", "--data-dir")):
        return  # `ch info` lists what is registered; it reads no checkpoint or data
    try:
        code, err = _run(capsys, argv)
    except AssertionError as exc:
        if "reached training" in str(exc):
            pytest.fail(str(exc))
        raise
    _assert_one_line(code, err, f"{action} {flag} {family}")
