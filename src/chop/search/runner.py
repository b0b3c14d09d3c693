"""`run_search(cfg)`: the whole search, the library side of `ch search`.

This process opens the study (creating it, or resuming it: trials already COMPLETE count toward
`n_trials`, and trials of dead workers are failed), queues the grid for brute force, spawns
`workers - 1` more worker processes (`python -m chop.search.process`; every process, this one too, uses
one torch thread), runs trials itself with a progress bar, waits for the others, then
writes the outputs (see `chop.search.outputs`) from the study and a rebuild of the best trial.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time

import torch

from chop import atomic
from chop.config import RunConfig
from chop.errors import ChopError


class SearchInterrupted(ChopError):
    """Ctrl-C: the search stopped; its study holds every finished trial and resumes."""

    exit_code = 130
from chop.search.params import grid_size
from chop.search.outputs import trial_records, write_plots, write_transform_toml, write_trials
from chop.search.interrupts import catching_interrupts
from chop.search.progress import SearchProgress
from chop.search.session import Session, open_session, queue_points, search_dir
from chop.search.storage import fail_dead_trials
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
            bar.update(session.study)
            run_worker(session.study, session.runner,
                       WorkerOptions(seed=cfg.seed, n_trials=settings.n_trials, deadline=deadline), on_trial=bar.update)
            while any(p.poll() is None for p in procs):
                time.sleep(0.5)
                bar.update(session.study)
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


def _best(session: Session) -> tuple[list, object | None]:
    from optuna.trial import TrialState

    study = session.study
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return [], None
    if session.settings.multi_objective:
        front = sorted(study.best_trials, key=lambda t: t.number)
        first = session.settings.objectives[0].objective
        pick = (max if first.direction == "maximize" else min)(front, key=lambda t: t.values[0])
        return front, pick
    return [study.best_trial], study.best_trial


def _report(session: Session) -> dict:
    """Write every output; returns the summary that `ch search` shows."""
    import json

    out = search_dir(session.cfg)
    records = trial_records(session.study)
    by_number = {r["number"]: r for r in records}
    trials_json, trials_csv = write_trials(records, out)
    front, best = _best(session)
    summary = {"study": session.study.study_name, "storage": session.storage, "strategy": session.settings.strategy.name,
               "trials": counts(session.study), "trials_csv": str(trials_csv), "trials_json": str(trials_json),
               "objectives": [o.objective.name for o in session.settings.objectives],
               "multi_objective": session.settings.multi_objective,
               "rejected": sum(1 for r in records if r["note"].startswith("rejected"))}
    best_doc: dict = {**summary, "pareto" if session.settings.multi_objective else "best":
                      [by_number[t.number] for t in front] if session.settings.multi_objective
                      else (by_number[best.number] if best else None)}
    if best is not None:
        record = by_number[best.number]
        runner = session.runner
        plan = runner.pipeline.plan(record["point"])
        metrics, mg = runner.run(record["point"], record["seed"])
        ckpt = atomic.replace_dir(out / "best_ckpt", mg.save)
        passes = plan.passes()
        for name in plan.seeded & set(passes):
            passes[name] = {**passes[name], "seed": record["seed"]}
        toml = None
        if plan.architecture is None and passes:
            trained = plan.train["epochs"] > 0 or plan.train["fine_tune_epochs"] > 0
            toml = str(write_transform_toml(session.cfg, passes, record, out / "best_transform.toml", trained))
        best_doc["best_trial"] = {
            "number": best.number, "point": record["point"], "metrics": record["metrics"], "seed": record["seed"],
            "architecture": plan.architecture, "train": plan.train, "passes": passes,
            "rebuilt_metrics": metrics, "reproduced": metrics == record["metrics"],
            "test": runner.test_metrics(mg), "transform_toml": toml, "checkpoint": str(ckpt)}
        summary.update(best_trial=best.number, best_metrics=record["metrics"], test=best_doc["best_trial"]["test"],
                       best_transform_toml=toml, best_ckpt=str(ckpt), pareto_size=len(front))
        if not best_doc["best_trial"]["reproduced"]:
            log.warning("Rebuilding trial %d gave %s, the search recorded %s.", best.number, metrics, record["metrics"])
    summary["plots"] = write_plots(records, session.settings.objectives, session.settings.multi_objective, out)
    atomic.write_text(out / "best.json", json.dumps(best_doc, indent=2, default=str) + "\n")
    summary["best_json"] = str(out / "best.json")
    return summary


def run_search(cfg: RunConfig) -> dict:
    workers = getattr(cfg, "workers", 1) or 1
    if workers < 1:
        raise ChopError(f"workers must be at least 1, got {workers}.")
    search_dir(cfg).mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # trials are small: workers, not threads, use the cores; and the
    try:                      # best trial is rebuilt with the same arithmetic as it ran
        with catching_interrupts():
            return _search(cfg, workers)
    finally:
        torch.set_num_threads(threads)


def _search(cfg: RunConfig, workers: int) -> dict:
    session = open_session(cfg)
    dead = fail_dead_trials(session.study, include_self=True)
    if dead:
        log.warning("Failed %d trial(s) left RUNNING by a worker that died; the search goes on.", dead)
    before = counts(session.study)["COMPLETE"]
    if before:
        log.info("Resuming study '%s': %d COMPLETE trials already.", session.study.study_name, before)
    if session.settings.strategy.needs_grid:
        queued = queue_points(session.study, session.settings, session.runner.params, cfg.seed)
        log.info("%s: %d grid points queued.", session.settings.strategy.name, queued)
    _run_workers(session, workers)
    return _report(session)
