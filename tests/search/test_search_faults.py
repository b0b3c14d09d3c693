"""Faults during a search: a damaged journal tail, a full disk, Ctrl-C (with workers)."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import tomli_w
from search_helpers import QUANT_SPACE, make_cfg

from chop.cli import main
from chop.errors import ConfigError
from chop.search import run_search
from chop.search import journal as storage_mod
from chop.search.journal import repair_journal
from chop.search.storage import open_storage

SLOW_TRIALS = {"fine_tune_epochs": 3, "batch_size": 16}


def _journal(tmp_path, project="s"):
    return tmp_path / project / "software" / "search_ckpts" / "study.journal"


def _study(path, name):
    return optuna.load_study(study_name=name, storage=open_storage(str(path)))


def test_cut_short_record_is_dropped_with_a_warning_and_the_search_resumes(tmp_path, caplog):
    first = run_search(make_cfg(tmp_path, {"n_trials": 2}))
    journal = _journal(tmp_path)
    whole = journal.read_bytes()
    journal.write_bytes(whole + b'{"op_code":5,"worker_id":"x","trial_id":1,"us')  # a write cut short
    summary = run_search(make_cfg(tmp_path, {"n_trials": 3}))
    assert summary["trials"]["COMPLETE"] == 3 and first["trials"]["COMPLETE"] == 2
    assert "dropped it" in caplog.text
    dropped = list(journal.parent.glob("study.journal.dropped-*"))
    assert len(dropped) == 1 and dropped[0].read_bytes().startswith(b'{"op_code":5')


def test_damage_before_the_end_is_an_error_not_a_guess(tmp_path):
    path = tmp_path / "study.journal"
    path.write_bytes(b'{"a":1}\n{"broken\n{"b":2}\n')
    with pytest.raises(ConfigError, match="damaged at record 2, before its end"):
        repair_journal(path)
    assert path.read_bytes() == b'{"a":1}\n{"broken\n{"b":2}\n'


def test_disk_full_during_search_is_one_line_and_the_study_still_opens(tmp_path, capsys, monkeypatch):
    config = tmp_path / "search.toml"
    config.write_text(tomli_w.dumps({"model": "jsc-tiny", "dataset": "toy", "project": "s", "seed": 0,
                                     "batch_size": 64, "search": {"strategy": {"name": "random", "n_trials": 3},
                                                                  "search_space": QUANT_SPACE}}))
    argv = ["search", "--config", str(config), "--project-dir", str(tmp_path), "--log-level", "warning"]
    real_write, budget = os.write, [25]

    def write(fd, data):  # the journal's disk fills up after 25 appends, half-way through one
        if os.readlink(f"/proc/self/fd/{fd}").endswith("study.journal"):
            budget[0] -= 1
            if budget[0] < 0:
                real_write(fd, bytes(data)[: len(data) // 2])
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(storage_mod.os, "write", write)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "No space left" in err and "study journal" in err
    for line in _journal(tmp_path).read_bytes().splitlines():  # no half record was left
        json.loads(line)
    monkeypatch.setattr(storage_mod.os, "write", real_write)
    assert main(argv) == 0
    assert _study(_journal(tmp_path), "s").get_trials(states=(optuna.trial.TrialState.COMPLETE,)).__len__() == 3


def test_storage_url_typo_is_one_line_without_warnings(tmp_path, capsys):
    config = tmp_path / "search.toml"
    config.write_text(tomli_w.dumps({"model": "jsc-tiny", "dataset": "toy", "search": {
        "strategy": {"name": "random", "n_trials": 1, "storage": "sqlit://x.db"}, "search_space": QUANT_SPACE}}))
    assert main(["search", "--config", str(config), "--project-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Study storage 'sqlit://x.db': unknown scheme 'sqlit://'" in err
    assert "sqlite:///" in err


@pytest.mark.slow
def test_ctrl_c_stops_search_and_workers_marks_the_trial_interrupted_and_resumes(tmp_path):
    config = tmp_path / "search.toml"
    toml = {"model": "jsc-tiny", "dataset": "toy", "project": "k", "seed": 0, "batch_size": 64,
            "search": {"strategy": {"name": "random", "n_trials": 8}, "search_space": QUANT_SPACE,
                       "train": SLOW_TRIALS}}
    config.write_text(tomli_w.dumps(toml))
    journal = _journal(tmp_path, "k")
    proc = subprocess.Popen([sys.executable, "-m", "chop.cli", "search", "--config", str(config), "--workers", "2",
                             "--project-dir", str(tmp_path), "--log-level", "warning"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    interrupted_at, deadline = None, time.monotonic() + 180
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
            if not journal.exists():
                continue
            try:
                trials = _study(journal, "k").get_trials()
            except KeyError:
                continue
            workers = {t.user_attrs.get("worker") for t in trials if t.state.name == "RUNNING"} - {None}
            if sum(t.state.name == "COMPLETE" for t in trials) >= 1 and len(workers) == 2:
                os.kill(proc.pid, signal.SIGINT)  # only the main process: it must end the workers
                interrupted_at = time.monotonic()
                break
        assert interrupted_at is not None, "the search ended before it could be interrupted"
        code = proc.wait(timeout=30)
        stopped_after = time.monotonic() - interrupted_at
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read().strip()
    assert code == 130, err
    assert stopped_after < 30  # 2-5 s measured with the machine loaded 6x over; generous
    assert len(err.splitlines()) == 1 and err.startswith("interrupted: Search interrupted") and "resume" in err
    trials = _study(journal, "k").get_trials()
    assert not [t for t in trials if t.state.name == "RUNNING"]
    cut = [t for t in trials if t.user_attrs.get("interrupted")]
    assert cut and all(t.state.name == "FAIL" for t in cut)  # the main process's, and the worker's if mid-trial
    for t in cut:
        pid = int(t.user_attrs["worker"].rsplit(":", 1)[1])
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not Path(str(journal) + ".lock").exists()

    summary = run_search(make_cfg(tmp_path, {"name": "random", "n_trials": 8}, train=SLOW_TRIALS, project="k"))
    assert summary["trials"]["COMPLETE"] == 8
    after = _study(journal, "k").get_trials()
    rerun = {tuple(sorted(t.params.items())) for t in after if t.state.name == "COMPLETE"}
    assert all(tuple(sorted(t.params.items())) in rerun for t in cut)  # the interrupted points ran again
