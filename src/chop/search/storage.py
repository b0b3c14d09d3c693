"""Where a study lives, so that several processes (or machines) share it and a rerun resumes it.

The default is an Optuna journal file, `<project>/software/search_ckpts/study.journal`, whose
file lock works across processes. `[search.strategy] storage` may name another journal file
(`*.journal`) or any Optuna storage URL (`sqlite:///x.db`, `postgresql://user@host/db`); those use
heartbeats, so that a trial whose process died is failed by the next worker.

A journal has no heartbeats, so each trial records its worker (`host:pid`); a RUNNING trial whose
process on this host is gone is failed (`fail_dead_trials`). A study also records the
fingerprint of its search (space, strategy, objectives): resuming it with different settings is
an error rather than a silent mix of two searches.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import warnings
from pathlib import Path

from chop.errors import ConfigError

JOURNAL = "study.journal"
WORKER_ATTR = "worker"


def storage_spec(configured: str | None, search_dir: Path) -> str:
    """The storage as one string (a journal path or a URL) that every worker can open."""
    if configured is None:
        return str((search_dir / JOURNAL).resolve())
    if "://" in configured:
        return configured
    return str(Path(configured).expanduser().resolve())


def _journal_backend(path: str):
    """Optuna's journal file, appended under its lock but without an fsync per record.

    A trial writes ~20 records (one per parameter and attribute); with fsync each costs ~3 ms
    here, without ~0.1 ms. A killed process loses nothing it wrote (the kernel holds it); only a
    power cut could lose the last records, i.e. at most the trials then running.
    """
    from optuna.storages.journal import JournalFileBackend

    class Backend(JournalFileBackend):
        def append_logs(self, logs: list[dict]) -> None:
            text = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs).encode()
            self._lock.acquire()
            try:
                with open(self._file_path, "ab") as fh:
                    fh.write(text)
            finally:
                self._lock.release()

    return Backend(path)


def open_storage(spec: str):
    import optuna
    from optuna.storages.journal import JournalStorage

    if "://" not in spec:
        Path(spec).parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(_journal_backend(spec))
    try:
        return optuna.storages.RDBStorage(spec, heartbeat_interval=20, grace_period=60)
    except (ImportError, ModuleNotFoundError, ValueError) as exc:
        raise ConfigError(f"Cannot open the study storage '{spec}': {exc}") from None


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_dead_trials(study) -> int:
    """Fail RUNNING trials whose worker process on this host has died; returns how many."""
    from optuna.storages import fail_stale_trials
    from optuna.trial import TrialState

    with warnings.catch_warnings():  # optuna marks it experimental
        warnings.simplefilter("ignore")
        fail_stale_trials(study)  # storages with heartbeats
    host, failed = socket.gethostname(), 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get(WORKER_ATTR, "")
        name, _, pid = worker.rpartition(":")
        if name == host and pid.isdigit() and not _alive(int(pid)):
            try:
                study._storage.set_trial_user_attr(trial._trial_id, "error", "its worker process died")
                if study._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
                    failed += 1
            except Exception:  # another process failed it first
                pass
    return failed


def fingerprint(settings, params) -> str:
    """A hash of what defines the search: space, parameter names, strategy and objectives."""
    data = {
        "space": settings.search_space, "params": [p.name for p in params],
        "strategy": settings.strategy.name, "multi": settings.multi_objective,
        "objectives": [(o.objective.name, o.weight, o.scale) for o in settings.objectives],
        "train": settings.train,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def load_or_create_study(spec: str, name: str, directions: list[str], sampler, pruner, print_: str):
    """The study `name` in `spec`, created when new; an existing one must match `print_`."""
    import optuna

    storage = open_storage(spec)
    try:
        study = optuna.create_study(storage=storage, study_name=name, directions=directions, sampler=sampler,
                                    pruner=pruner, load_if_exists=True)
    except ValueError as exc:
        raise ConfigError(f"Study '{name}' in {spec} does not fit this search ({exc}); give another "
                          f"[search.strategy] study_name or project.") from None
    found = study.user_attrs.get("fingerprint")
    if found is None:
        study.set_user_attr("fingerprint", print_)
    elif found != print_:
        raise ConfigError(f"Study '{name}' in {spec} was made by a different search (space, strategy or "
                          f"objectives changed); give another study_name or project, or delete the study.")
    if list(map(str.lower, (d.name for d in study.directions))) != directions:
        raise ConfigError(f"Study '{name}' has directions {[d.name for d in study.directions]}, this search "
                          f"{directions}; give another study_name.")
    return study
