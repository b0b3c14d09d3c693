"""Dead workers: a lease that stops moving (judged by the observer's clock), a process gone on this
host, and a trial left unnamed by a worker that died at once."""

import os
import subprocess
import sys
import time

import optuna

from chop.search.liveness import BEAT_PREFIX, WORKER_ATTR, DeadWorkers, this_worker
from chop.search.storage import open_storage


def _study(tmp_path):
    return optuna.create_study(study_name="l", storage=open_storage(str(tmp_path / "l.journal")))


def _running(study, worker: str | None):
    trial = study.ask()
    if worker is not None:
        trial.set_user_attr(WORKER_ATTR, worker)
    return trial


def test_a_lease_that_stops_moving_marks_its_worker_dead_and_a_moving_one_does_not(tmp_path):
    study = _study(tmp_path)
    storage, sid = study._storage, study._study_id
    quiet, beating = _running(study, "host-x:11"), _running(study, "host-y:12")
    watcher = DeadWorkers(interval=0.1)  # grace 0.3 s
    for n in range(6):
        storage.set_study_system_attr(sid, BEAT_PREFIX + "host-x:11", 0)  # never moves
        storage.set_study_system_attr(sid, BEAT_PREFIX + "host-y:12", n)  # moves
        dead = {t.number for t in watcher.dead(study, study.get_trials(deepcopy=False))}
        assert quiet.number not in dead or n >= 3  # no verdict before the grace has passed
        time.sleep(0.1)
    assert watcher.fail(study, study.get_trials(deepcopy=False)) == 1
    states = {t.number: t for t in study.get_trials()}
    assert states[quiet.number].state.name == "FAIL" and states[quiet.number].user_attrs["died"] == "its worker host-x:11 died"
    assert states[beating.number].state.name == "RUNNING"


def test_a_gone_process_on_this_host_is_dead_at_once_and_a_live_one_is_not(tmp_path):
    study = _study(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = this_worker().rpartition(":")[0]
    dead_trial = _running(study, f"{host}:{gone.pid}")
    live_trial = _running(study, f"{host}:{os.getppid()}")
    mine = _running(study, this_worker())
    found = {t.number for t in DeadWorkers(10).dead(study, study.get_trials(deepcopy=False))}
    assert found == {dead_trial.number}
    assert live_trial.number not in found and mine.number not in found
    found = {t.number for t in DeadWorkers(10).dead(study, study.get_trials(deepcopy=False), include_self=True)}
    assert found == {dead_trial.number, mine.number}


def test_a_trial_its_worker_never_named_is_dead_after_the_grace(tmp_path):
    study = _study(tmp_path)
    unnamed = _running(study, None)
    watcher = DeadWorkers(interval=0.05)
    assert watcher.dead(study, study.get_trials(deepcopy=False)) == []
    time.sleep(0.2)
    assert [t.number for t in watcher.dead(study, study.get_trials(deepcopy=False))] == [unnamed.number]
