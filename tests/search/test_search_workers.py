"""Several processes on one study: `workers = 2` sharing a journal, and resuming after a kill."""

import collections
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
from search_helpers import GRID_SIZE, QUANT_SPACE, make_cfg

from chop.search import run_search
from chop.search.storage import open_storage

pytestmark = pytest.mark.slow
SLOW_TRIALS = {"fine_tune_epochs": 2, "batch_size": 16}  # ~0.3-0.5 s a trial
# Long enough (~0.5-0.8 s a trial, 20 trials) that the second process, which needs a few seconds
# to import torch and open the study, still finds points left in the queue.
SLOWER_TRIALS = {"fine_tune_epochs": 3, "batch_size": 16}


def key(point):
    return tuple(sorted(point.items()))


def test_two_workers_share_a_brute_force_queue(tmp_path):
    summary = run_search(make_cfg(tmp_path, {"name": "brute-force"}, train=SLOWER_TRIALS, workers=2))
    records = json.loads(Path(summary["trials_json"]).read_text())
    points = [key(r["point"]) for r in records]
    assert len(points) == len(set(points)) == GRID_SIZE  # every point once, though two processes took them
    by_worker = collections.Counter(r["worker"] for r in records)
    assert len(by_worker) == 2 and all(n >= 1 for n in by_worker.values())
    assert summary["trials"]["COMPLETE"] + summary["rejected"] == GRID_SIZE


def _study(storage: str, name: str):
    return optuna.load_study(study_name=name, storage=open_storage(storage))


def test_resume_after_a_kill_loses_only_the_running_trial(tmp_path):
    config = tmp_path / "search.toml"
    toml = {"model": "jsc-tiny", "dataset": "toy", "project": "k", "seed": 0, "batch_size": 64,
            "search": {"strategy": {"name": "random", "n_trials": 8}, "search_space": QUANT_SPACE,
                       "train": SLOW_TRIALS}}
    config.write_text(tomli_w.dumps(toml))
    storage = str((tmp_path / "k" / "software" / "search_ckpts" / "study.journal").resolve())
    proc = subprocess.Popen([sys.executable, "-m", "chop.cli", "search", "--config", str(config),
                             "--project-dir", str(tmp_path), "--log-level", "warning"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_trial = None
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
            if not Path(storage).exists():
                continue
            try:
                trials = _study(storage, "k").get_trials()
            except KeyError:  # the study is not created yet
                continue
            done = [t for t in trials if t.state.name == "COMPLETE"]
            running = [t for t in trials if t.state.name == "RUNNING" and "worker" in t.user_attrs]
            if len(done) >= 2 and running:
                os.kill(proc.pid, signal.SIGKILL)
                killed_trial = running[0].number
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert killed_trial is not None, "the search ended before it could be killed mid-trial"
    before = {t.number: t.state.name for t in _study(storage, "k").get_trials()}
    assert before[killed_trial] == "RUNNING"

    cfg = make_cfg(tmp_path, {"name": "random", "n_trials": 8}, train=SLOW_TRIALS, project="k")
    summary = run_search(cfg)
    after = {t.number: t for t in _study(storage, "k").get_trials()}
    assert after[killed_trial].state.name == "FAIL"
    assert after[killed_trial].user_attrs["died"].endswith("died")
    assert summary["trials"]["COMPLETE"] == 8  # resumed up to n_trials COMPLETE trials
    lost = [t for t in after.values() if t.state.name == "FAIL" and "duplicate_of" not in t.user_attrs]
    assert [t.number for t in lost] == [killed_trial]  # only the running trial was lost
    for number, state in before.items():       # finished trials kept their results
        if state == "COMPLETE":
            assert after[number].state.name == "COMPLETE"


def test_database_storage_url_holds_the_study_and_resumes(tmp_path):
    """A storage URL (SQLite here; PostgreSQL works the same way through Optuna's RDB storage)."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    cfg = make_cfg(tmp_path, {"name": "random", "n_trials": 3, "storage": url})
    first = run_search(cfg)
    assert first["trials"]["COMPLETE"] == 3
    assert (tmp_path / "shared.db").exists() and not (tmp_path / "s" / "software" / "search_ckpts" / "study.journal").exists()
    study = optuna.load_study(study_name=first["study"], storage=url)
    assert len([t for t in study.trials if t.state.name == "COMPLETE"]) == 3
    more = run_search(make_cfg(tmp_path, {"name": "random", "n_trials": 5, "storage": url}))
    assert more["trials"]["COMPLETE"] == 5  # resumed: two more trials, not five new ones
    done = [t for t in optuna.load_study(study_name=first["study"], storage=url).trials if t.state.name == "COMPLETE"]
    assert len(done) == 5
