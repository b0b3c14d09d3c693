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
import logging
import os
import socket
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chop.atomic import is_disk_full, write_bytes
from chop.errors import ConfigError, DiskFullError

log = logging.getLogger(__name__)

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
    """Optuna's journal file with machop's writer: whole records only, an OS lock, no fsync.

    - A record is appended under an `flock` on `<journal>.lock` (the kernel releases it if the
      holder dies; Optuna's own symlink lock can be left behind by a kill or a Ctrl-C).
    - A write that fails (a full disk) is cut back to where it started, so the journal never ends
      in half a record; a journal that does (a power cut, or an older writer) has that tail
      dropped with a warning when it is opened (`repair_journal`).
    - Ctrl-C waits for the end of the append (`interrupts.critical`).
    - No fsync per record: a trial writes ~20 records, ~3 ms each with fsync, ~0.1 ms without.
      A killed process loses nothing it wrote (the kernel holds it); only a power cut could lose
      the last records, i.e. at most the trials then running.
    """
    from optuna.storages.journal import JournalFileBackend

    from chop.search.interrupts import critical

    class Backend(JournalFileBackend):
        def append_logs(self, logs: list[dict]) -> None:
            text = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs).encode()
            with critical(), _locked(self._file_path):
                _append_whole(self._file_path, text)

    repair_journal(path)
    return Backend(path)


@contextmanager
def _locked(journal: str) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: Optuna's lock file
        from optuna.storages.journal import JournalFileSymlinkLock

        lock = JournalFileSymlinkLock(journal)
        lock.acquire()
        try:
            yield
        finally:
            lock.release()
        return
    fd = os.open(journal + ".flock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _append_whole(journal: str, data: bytes) -> None:
    """Append `data` whole, or not at all: a failed write is truncated away."""
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        except OSError as exc:
            os.ftruncate(fd, start)
            if is_disk_full(exc):
                raise DiskFullError(f"No space left to write the study journal '{journal}'; free some space "
                                    f"and run the same command again to resume (finished trials are kept).") from None
            raise
    finally:
        os.close(fd)


def repair_journal(path: str | Path) -> int:
    """Drop a damaged tail of a journal (a record cut short); returns how many bytes were dropped.

    The dropped bytes are kept beside it (`<journal>.dropped-<time>`) and a warning says so. Damage
    before the last whole record is not a cut-short write: that is an error, not a guess.
    """
    path = Path(path)
    if not path.is_file():
        return 0
    with _locked(str(path)):
        data = path.read_bytes()
        good, line_no = 0, 0
        while good < len(data):
            end = data.find(b"\n", good)
            if end < 0:
                break
            line_no += 1
            try:
                json.loads(data[good:end])
            except ValueError:
                break
            good = end + 1
        if good == len(data):
            return 0
        rest = data[good:]
        if rest.count(b"\n") > 1 or (rest.count(b"\n") == 1 and not rest.endswith(b"\n")):
            raise ConfigError(f"Study journal '{path}' is damaged at record {line_no}, before its end; restore "
                              f"it from a copy, or give another study_name or project to start afresh.")
        keep = path.with_name(f"{path.name}.dropped-{time.strftime('%Y%m%d-%H%M%S')}")
        write_bytes(keep, rest)
        with open(path, "r+b") as fh:
            fh.truncate(good)
        log.warning("The study journal %s ended in a damaged record (a write cut short, e.g. by a full disk); "
                    "dropped it (%d bytes, kept in %s). The trial it belonged to runs again.", path, len(rest), keep)
        return len(rest)


def open_storage(spec: str):
    import optuna
    from optuna.storages.journal import JournalStorage

    if "://" not in spec:
        Path(spec).parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(_journal_backend(spec))
    try:
        with warnings.catch_warnings():  # heartbeat_interval is "experimental": not the user's concern
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(spec, heartbeat_interval=20, grace_period=60)
    except Exception as exc:  # a misspelt scheme, a missing driver, a server that is not there
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"Cannot open the study storage '{spec}' ({first[:200]}); give a journal file path "
                          f"or a URL such as sqlite:///study.db.") from None


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


def fail_dead_trials(study, include_self: bool = False) -> int:
    """Fail RUNNING trials whose worker process on this host has died; returns how many.

    `include_self`: also this process's own RUNNING trials (left by an earlier search in the same
    process that stopped on an error), when it is known to run none itself."""
    from optuna.storages import fail_stale_trials
    from optuna.trial import TrialState

    with warnings.catch_warnings():  # optuna marks it experimental
        warnings.simplefilter("ignore")
        fail_stale_trials(study)  # storages with heartbeats
    host, failed = socket.gethostname(), 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get(WORKER_ATTR, "")
        name, _, pid = worker.rpartition(":")
        if name == host and pid.isdigit() and (not _alive(int(pid)) or (include_self and worker == this_worker())):
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
