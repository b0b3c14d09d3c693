"""A search worker: the Optuna objective and the loop that runs trials until the study is done.

Every worker (the `ch search` process itself, plus `--workers N` - 1 spawned processes, each with
one torch thread) opens the same study and runs one trial at a time until the study holds
`n_trials` COMPLETE trials (running ones count, so workers stop together), the timeout passes,
or (grid, brute force) the queue of points is empty and cannot be refilled. A trial's seed is the run
seed plus its number; its decoded point, metrics and worker are stored as trial attributes.
Rejected points are PRUNED with the reason and do not count; a trial that raises is FAILED with
its error, and three failures in a row stop the worker with that error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from chop.errors import ChopError, DiskFullError
from chop.search.objectives import combine
from chop.search.interrupts import shielded
from chop.search.storage import WORKER_ATTR, fail_dead_trials, this_worker
from chop.search.trial import Rejected, TrialRunner

log = logging.getLogger(__name__)
MAX_FAILURES_IN_A_ROW = 3


@dataclass
class WorkerOptions:
    seed: int
    n_trials: int
    deadline: float | None = None  # time.monotonic() value
    max_rejections: int = 1000


def make_objective(runner: TrialRunner, seed: int, current: dict | None = None) -> Callable:
    import optuna

    settings = runner.settings
    names = [o.objective.name for o in settings.objectives]
    current = {} if current is None else current

    def objective(trial: optuna.Trial):
        current["trial"] = trial
        trial.set_user_attr(WORKER_ATTR, this_worker())
        trial_seed = seed + trial.number
        trial.set_user_attr("seed", trial_seed)
        point = {p.name: p.suggest(trial, settings.strategy.index_encoding) for p in runner.params}
        trial.set_user_attr("point", point)

        def on_epoch(step: int, metrics: dict) -> None:
            value = metrics["val_acc"] if "accuracy" in names else -metrics["val_loss"]
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after epoch {step}")

        try:
            metrics, _ = runner.run(point, trial_seed, on_epoch if settings.pruner else None)
        except Rejected as exc:
            trial.set_user_attr("rejected", str(exc))
            raise optuna.TrialPruned(f"rejected: {exc}") from None
        except optuna.TrialPruned:
            raise
        except KeyboardInterrupt:  # recorded while the trial is RUNNING: a finished one is read-only
            with shielded():
                trial.set_user_attr("interrupted", True)
            raise
        except Exception as exc:
            if isinstance(exc, DiskFullError):
                current["fatal"] = exc  # optuna catches it; the worker raises it after the trial
                raise
            trial.set_user_attr("error", f"{type(exc).__name__}: {exc}")
            log.warning("Trial %d failed: %s: %s", trial.number, type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
            raise
        trial.set_user_attr("metrics", metrics)
        values = combine(metrics, settings.objectives, settings.multi_objective, runner.reference())
        return values if settings.multi_objective else values[0]

    return objective


def counts(study) -> dict[str, int]:
    from optuna.trial import TrialState

    result = {s.name: 0 for s in TrialState}
    for t in study.get_trials(deepcopy=False):
        result[t.state.name] += 1
    return result


def run_worker(study, runner: TrialRunner, opts: WorkerOptions, on_trial: Callable | None = None) -> int:
    """Run trials until the study is done; returns how many trials this worker ran.

    A Ctrl-C (KeyboardInterrupt) marks the trial it cut short as interrupted, then propagates."""
    current: dict = {}
    objective = make_objective(runner, opts.seed, current)
    try:
        return _trials_until_done(study, runner, opts, objective, on_trial, current)
    except KeyboardInterrupt:
        with shielded():
            mark_interrupted(study, current.get("trial"), requeue=not runner.settings.strategy.needs_grid)
        raise


def mark_interrupted(study, trial, requeue: bool) -> None:
    """Record the trial a Ctrl-C cut short as FAIL with `interrupted`, so that it does not count and
    a resumed search runs its point again (sampler strategies queue it; grid ones re-queue it)."""
    from optuna.trial import TrialState

    if trial is None:
        return
    storage, tid = study._storage, trial._trial_id
    try:
        frozen = storage.get_trial(tid)
        if frozen.state == TrialState.RUNNING:  # the interrupt landed outside the objective
            storage.set_trial_user_attr(tid, "interrupted", True)
            storage.set_trial_state_values(tid, state=TrialState.FAIL)
        elif not frozen.user_attrs.get("interrupted"):
            return  # it finished before the interrupt landed
        if requeue and frozen.params and "rejected" not in frozen.user_attrs:
            study.enqueue_trial(dict(frozen.params), user_attrs={"rerun_of": frozen.number})
    except Exception as exc:  # a full disk, say: the next run fails it as a dead worker's trial
        log.warning("Could not mark trial %d as interrupted (%s); the next run fails it.", trial.number, exc)


def _trials_until_done(study, runner: TrialRunner, opts: WorkerOptions, objective, on_trial, current: dict) -> int:
    from optuna.trial import TrialState

    from chop.search.session import queue_points

    strategy = runner.settings.strategy
    ran = failures = rejections = 0
    while True:
        fail_dead_trials(study)
        n = counts(study)
        if not strategy.exhaustive and n["COMPLETE"] + n["RUNNING"] >= opts.n_trials:
            break
        if strategy.needs_grid and n["WAITING"] == 0:
            if strategy.exhaustive or not queue_points(study, runner.settings, runner.params, opts.seed + ran):
                break  # every point is done (or, for grid, the grid is used up)
        if opts.deadline is not None and time.monotonic() >= opts.deadline:
            log.warning("Search timeout reached.")
            break
        study.optimize(objective, n_trials=1, catch=(Exception,), callbacks=[on_trial] if on_trial else None,
                       gc_after_trial=False, show_progress_bar=False)
        if "fatal" in current:
            raise current.pop("fatal")
        ran += 1
        last = _my_last_trial(study)
        if last is None:
            continue
        failures = failures + 1 if last.state == TrialState.FAIL else 0
        rejections = rejections + 1 if "rejected" in last.user_attrs else 0
        if failures >= MAX_FAILURES_IN_A_ROW:
            raise ChopError(f"{failures} trials in a row failed; the last: {last.user_attrs.get('error', '?')}")
        if rejections >= opts.max_rejections:
            raise ChopError(f"{rejections} points in a row broke the space's constraints (the last: "
                            f"{last.user_attrs['rejected']}); widen the choices.")
    return ran


def _my_last_trial(study):
    """The latest finished trial run by this process."""
    me = this_worker()
    for t in reversed(study.get_trials(deepcopy=False)):
        if t.user_attrs.get(WORKER_ATTR) == me and t.state.is_finished():
            return t
    return None
