"""Which workers are alive, so that a trial whose worker died anywhere is failed and its point run again.

Every trial records its worker (`host:pid`, the host part overridable by `MACHOP_WORKER_HOST`
where machines share a hostname). A RUNNING trial is declared dead, and failed with a `died`
attribute, when

- its worker ran on this host and that process is gone (at once); or
- RDB storages (SQLite, PostgreSQL, MySQL): Optuna's own heartbeat stopped (`fail_stale_trials`,
  judged by the database's clock); or
- any other storage (journal file, Redis, gRPC proxy): its worker's lease stopped. A `Lease` thread
  in each worker process bumps a counter in the study (`chop:beat:<worker>`) every `interval`
  seconds; an observer that sees the counter unchanged for `3 * interval` seconds of its own
  clock fails that worker's trials. No two clocks are compared, so skew between machines is harmless.

A worker whose trial was failed while it still ran (a machine stalled for longer than the grace)
finds its result refused by the storage; the point runs again elsewhere, once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

log = logging.getLogger(__name__)

WORKER_ATTR = "worker"
DIED_ATTR = "died"
BEAT_PREFIX = "chop:beat:"


def this_worker() -> str:
    return f"{os.environ.get('MACHOP_WORKER_HOST') or socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def uses_optuna_heartbeat(storage) -> bool:
    from optuna.storages._heartbeat import is_heartbeat_enabled

    return is_heartbeat_enabled(storage)


class Lease:
    """A daemon thread that keeps this worker's counter in the study moving (non-RDB storages)."""

    def __init__(self, study, interval: float):
        self.study, self.interval = study, interval
        self.key = BEAT_PREFIX + this_worker()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Lease:
        if not uses_optuna_heartbeat(self.study._storage):
            self._beat(0)
            self._thread = threading.Thread(target=self._run, name="chop-lease", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _beat(self, n: int) -> None:
        self.study._storage.set_study_system_attr(self.study._study_id, self.key, n)

    def _run(self) -> None:
        n = 0
        while not self._stop.wait(self.interval):
            n += 1
            try:
                self._beat(n)
            except Exception as exc:  # a storage hiccup: the next beat tries again
                log.debug("lease beat failed: %s", exc)


class DeadWorkers:
    """Finds RUNNING trials whose worker is gone and fails them (one per process, kept across polls)."""

    def __init__(self, interval: float):
        self.grace = 3 * interval
        self._seen: dict[str, tuple[object, float]] = {}  # worker -> (last counter, when it changed)

    def _stale(self, worker: str, beats: dict) -> bool:
        value = beats.get(BEAT_PREFIX + worker)
        return value is not None and self._unchanged(worker, value)

    def _unchanged(self, what: str, value) -> bool:
        """True once `what` has shown `value` for longer than the grace period (this process's clock)."""
        now = time.monotonic()
        last = self._seen.get(what)
        if last is None or last[0] != value:
            self._seen[what] = (value, now)
            return False
        return now - last[1] > self.grace

    def dead(self, study, trials, include_self: bool = False) -> list:
        """The RUNNING trials among `trials` whose worker died (`include_self`: also this process's)."""
        host, me = this_worker().rpartition(":")[0], this_worker()
        beats = None
        found = []
        for t in trials:
            if t.state.name != "RUNNING":
                continue
            worker = t.user_attrs.get(WORKER_ATTR, "")
            name, _, pid = worker.rpartition(":")
            if not worker:  # its worker died between creating it and naming itself (milliseconds)
                if self._unchanged(f"trial:{t.number}", "unnamed"):
                    found.append(t)
                continue
            if worker == me:
                if include_self:
                    found.append(t)
                continue
            if name == host and pid.isdigit():
                if not _alive(int(pid)):
                    found.append(t)
                continue
            if beats is None:
                attrs = study._storage.get_study_system_attrs(study._study_id)
                beats = {k: v for k, v in attrs.items() if k.startswith(BEAT_PREFIX)}
            if self._stale(worker, beats):
                found.append(t)
        return found

    def fail(self, study, trials, include_self: bool = False) -> int:
        """Fail the dead trials among `trials` (and Optuna's stale ones on RDB); returns how many."""
        from optuna.trial import TrialState

        storage = study._storage
        dead = {t._trial_id: f"its worker {t.user_attrs[WORKER_ATTR]} died" for t in self.dead(study, trials, include_self)}
        if uses_optuna_heartbeat(storage):  # Optuna's fail_stale_trials, with the reason recorded
            workers = {t._trial_id: t.user_attrs.get(WORKER_ATTR, "?") for t in trials}
            for tid in storage._get_stale_trial_ids(study._study_id):
                dead.setdefault(tid, f"its worker {workers.get(tid, '?')} died (no heartbeat)")
        failed = 0
        for tid, why in dead.items():
            try:
                storage.set_trial_user_attr(tid, DIED_ATTR, why)
                if storage.set_trial_state_values(tid, state=TrialState.FAIL):
                    failed += 1
            except Exception:  # finished meanwhile, or another process failed it first
                pass
        return failed


def fail_dead_trials(study, include_self: bool = False, interval: float = 10) -> int:
    """Fail the RUNNING trials whose worker is known dead now; returns how many (one-off check)."""
    return DeadWorkers(interval).fail(study, study.get_trials(deepcopy=False), include_self)
