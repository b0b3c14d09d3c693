"""`run_search(cfg)`: the whole search, the library side of `ch search`.

This process opens the study (creating it, or resuming it: trials already COMPLETE count toward
`n_trials`, and trials of dead workers are failed), spawns `workers - 1` more worker processes
(`python -m chop.search.process`; every process, this one too, uses one torch thread), runs trials
itself with a progress bar, waits for the others, then writes the outputs (`chop.search.report`)
from the study, whatever other commands sharing it have done. `report_only` writes the outputs
without running trials (`ch search --report`).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time

import torch

from chop.config import RunConfig
from chop.errors import ChopError


class SearchInterrupted(ChopError):
    """Ctrl-C: the search stopped; its study holds every finished trial and resumes."""

    exit_code = 130
from chop.search.interrupts import catching_interrupts
from chop.search.liveness import fail_dead_trials
from chop.search.params import grid_size
from chop.search.progress import SearchProgress
from chop.search.report import write_report
from chop.search.session import Session, open_session, search_dir
from chop.search.worker import WorkerOptions, counts, run_worker

log = logging.getLogger(__name__)


def _spawn(cfg: RunConfig, n: int, seconds_left: float | None) -> list:
    from chop.search.process import start_worker  # not at import: `python -m` runs that module

    return [start_worker(cfg, i, seconds_left) for i in range(1, n)]


def _run_workers(session: Session, workers: int) -> None:
    cfg, settings = session.cfg, session.settings
    deadline = time.monotonic() + settings.timeout if settings.timeout else None
    procs = _spawn(cfg, workers, settings.timeout)
    total = grid_size(session.runner.params) if settings.strategy.exhaustive else settings.n_trials
    try:
        with SearchProgress(total) as bar:
            bar.update(session.study, force=True)
            run_worker(session.study, session.runner,
                       WorkerOptions(seed=cfg.seed, n_trials=settings.n_trials, deadline=deadline,
                                     heartbeat=settings.heartbeat), on_trial=bar.update)
            while any(p.poll() is None for p in procs):
                time.sleep(0.5)
                bar.update(session.study)
            bar.update(session.study, force=True)
    except KeyboardInterrupt:
        _stop(procs, signal.SIGINT)  # each worker marks its own running trial interrupted
        n = counts(session.study)
        raise SearchInterrupted(
            f"Search interrupted: {n['COMPLETE']} trials complete; the running trial(s) are marked "
            f"interrupted. Run the same command again to resume.") from None
    except BaseException:
        _stop(procs, signal.SIGTERM)
        raise
    bad = [p.returncode for p in procs if p.returncode != 0]
    if bad:
        log.warning("%d of %d spawned workers exited with an error (codes %s); their trials are in the study.",
                    len(bad), len(procs), bad)


def _stop(procs: list, sig: int, grace: float = 1.5) -> None:
    """Send `sig` to the live workers, give them `grace` seconds to finish up, then kill them."""
    live = [p for p in procs if p.poll() is None]
    for p in live:
        p.send_signal(sig)
    deadline = time.monotonic() + grace
    for p in live:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def run_search(cfg: RunConfig, report_only: bool = False) -> dict:
    workers = getattr(cfg, "workers", 1) or 1
    if workers < 1:
        raise ChopError(f"workers must be at least 1, got {workers}.")
    search_dir(cfg).mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # trials are small: workers, not threads, use the cores; and the
    try:                      # best trial is rebuilt with the same arithmetic as it ran
        with catching_interrupts():
            return _report_now(cfg) if report_only else _search(cfg, workers)
    finally:
        torch.set_num_threads(threads)


def _report_now(cfg: RunConfig) -> dict:
    session = open_session(cfg)
    n = counts(session.study)
    log.info("Study '%s': %d COMPLETE, %d RUNNING, %d FAIL, %d PRUNED trials.", session.study.study_name,
             n["COMPLETE"], n["RUNNING"], n["FAIL"], n["PRUNED"])
    return write_report(session)


def _search(cfg: RunConfig, workers: int) -> dict:
    session = open_session(cfg)
    dead = fail_dead_trials(session.study, include_self=True)
    if dead:
        log.warning("Failed %d trial(s) left RUNNING by a worker that died; their points run again.", dead)
    before = counts(session.study)["COMPLETE"]
    if before:
        log.info("Resuming study '%s': %d COMPLETE trials already.", session.study.study_name, before)
    _run_workers(session, workers)
    return write_report(session)
