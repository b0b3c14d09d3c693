"""A search worker: the Optuna objective and the loop that runs trials until the study is done.

Every worker (the `ch search` process itself, `--workers N` - 1 spawned processes, and any other
command on any machine sharing the study; each with one torch thread) runs one trial at a time
until the study holds `n_trials` COMPLETE trials, the timeout passes, or (grid, brute force)
every point is held. While the study is short of `n_trials` only because of trials running
elsewhere, or the only points left are held by running trials, the worker waits: if those
trials' workers die (`chop.search.liveness`), their trials are failed and it runs their points.

A trial first claims its point (`chop.search.claims`); one that loses the claim runs nothing
and ends FAIL with `duplicate_of`. Grid and brute-force trials are created with their chosen
point in one write and run outside `study.optimize` (`chop.search.chosen`); sampled ones by it. A trial's seed is the run seed plus its number; its decoded
point, metrics and worker are stored as trial attributes. Rejected points are PRUNED with the
reason and do not count; a trial that raises is FAILED with its error, and three failures in a
row stop the worker with that error.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from chop.errors import ChopError, DiskFullError
from chop.search.claims import DUPLICATE_ATTR, Duplicate, GridCursor, Holders, key, space_size
from chop.search.interrupts import shielded
from chop.search.liveness import DIED_ATTR, WORKER_ATTR, DeadWorkers, Lease, this_worker
from chop.search.objectives import combine
from chop.search.strategies import stream_seed
from chop.search.trial import Rejected, TrialRunner

log = logging.getLogger(__name__)
MAX_FAILURES_IN_A_ROW = 3


@dataclass
class WorkerOptions:
    seed: int
    n_trials: int
    deadline: float | None = None  # time.monotonic() value
    max_rejections: int = 1000
    heartbeat: float = 10          # seconds between lease beats (chop.search.liveness)
    index: int = 0                 # worker index in its command (a seed stream each)
    max_repeats: int = 100         # sampled points another trial holds, in a row, before stopping
    poll: float = 0.5              # seconds between looks at the study while waiting


def searched(params) -> int:
    """How many parameters a trial writes (one-choice parameters are not asked of Optuna)."""
    return sum(1 for p in params if not (p.discrete and len(p.choices) == 1))


def _claim(trial, runner: TrialRunner, holders: Holders) -> dict:
    """The trial's point, claimed: sampled and written (grid: written when the trial was created,
    `chop.search.chosen`), then checked against the study."""
    point = trial.user_attrs.get("point")
    if point is None:
        point = {p.name: p.suggest(trial, runner.settings.strategy.index_encoding) for p in runner.params}
        trial.set_user_attr("point", point)
    if trial.params:
        other = holders.other_holder(trial.study.get_trials(deepcopy=False), trial.number, key(trial.params))
        if other is not None:
            trial.set_user_attr(DUPLICATE_ATTR, other)
            raise Duplicate(other)
    return point


def make_objective(runner: TrialRunner, seed: int, current: dict | None = None) -> Callable:
    import optuna

    settings = runner.settings
    names = [o.objective.name for o in settings.objectives]
    current = {} if current is None else current
    holders = Holders(searched(runner.params))

    def objective(trial: optuna.Trial):
        current["trial"], current["outcome"] = trial, "failed"
        if WORKER_ATTR not in trial.user_attrs:  # grid trials are created with it
            trial.set_user_attr(WORKER_ATTR, this_worker())
        try:
            point = _claim(trial, runner, holders)
        except Duplicate:
            current["outcome"] = "lost"
            raise
        trial_seed = seed + trial.number
        trial.set_user_attr("seed", trial_seed)

        def on_epoch(step: int, metrics: dict) -> None:
            value = metrics["val_acc"] if "accuracy" in names else -metrics["val_loss"]
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after epoch {step}")

        try:
            metrics, _ = runner.run(point, trial_seed, on_epoch if settings.pruner else None)
        except Rejected as exc:
            trial.set_user_attr("rejected", str(exc))
            current["outcome"] = "rejected"
            raise optuna.TrialPruned(f"rejected: {exc}") from None
        except optuna.TrialPruned:
            current["outcome"] = "pruned"
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
        current["outcome"] = "complete"
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
    rng = random.Random(stream_seed(opts.seed, this_worker(), opts.index))
    cursor = GridCursor(runner.params, rng) if runner.settings.strategy.needs_grid else None
    objective = make_objective(runner, opts.seed, current)
    try:
        with Lease(study, opts.heartbeat):
            return _trials_until_done(study, runner, opts, objective, on_trial, current, cursor)
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


class _Loop:
    """What one worker knows between trials: the study's trials and who holds which point."""

    def __init__(self, study, runner: TrialRunner, opts: WorkerOptions, cursor: GridCursor | None):
        self.study, self.opts, self.cursor = study, opts, cursor
        self.strategy = runner.settings.strategy
        self.watcher = DeadWorkers(opts.heartbeat)
        self.holders = Holders(searched(runner.params))
        self.size = space_size(runner.params)  # every point held: nothing left to draw

    def next_step(self) -> str:
        """'run', 'wait' (trials elsewhere may finish the study, or die) or 'done'."""
        step = self._decide(self.study.get_trials(deepcopy=False))
        if step == "wait" and self.watcher.fail(self.study, self.trials):  # only then: dead workers' trials
            step = self._decide(self.study.get_trials(deepcopy=False))
        return step

    def _decide(self, trials) -> str:
        self.trials = trials  # the grid cursor picks from this view
        n = {"COMPLETE": 0, "RUNNING": 0, "WAITING": 0}
        for t in trials:
            if t.state.name in n:
                n[t.state.name] += 1
        if not self.strategy.exhaustive and n["COMPLETE"] >= self.opts.n_trials:
            return "done"
        if n["WAITING"]:
            return "run"  # a queued point (an interrupted trial's, to run again)
        if self.size is not None and len(self.holders.held(trials)) >= self.size:
            if not n["RUNNING"] and not self.strategy.needs_grid:
                log.info("Every point of the space has been tried; the search stops short of n_trials.")
            return "wait" if n["RUNNING"] else "done"
        if not self.strategy.exhaustive and n["COMPLETE"] + n["RUNNING"] >= self.opts.n_trials:
            return "wait"
        return "run"


class _Streaks:
    """Outcomes in a row that stop a worker: failures (an error), rejections, lost claims."""

    def __init__(self, opts: WorkerOptions):
        self.opts, self.failures, self.rejections, self.repeats = opts, 0, 0, 0

    def record(self, outcome: str | None, study, trial) -> bool:
        """Count `outcome`; True when the worker should stop (the space looks used up)."""
        if outcome == "lost":
            self.repeats += 1
            if self.repeats >= self.opts.max_repeats:
                log.warning("%d points in a row were already held by other trials; the space looks used up.",
                            self.repeats)
                return True
            time.sleep(random.random() * 0.05)  # two workers that collided do not collide again
            return False
        self.repeats = 0
        self.failures = self.failures + 1 if outcome == "failed" else 0
        self.rejections = self.rejections + 1 if outcome == "rejected" else 0
        if self.failures >= MAX_FAILURES_IN_A_ROW:
            last = study._storage.get_trial(trial._trial_id)
            if last.state.name == "FAIL":
                raise ChopError(f"{self.failures} trials in a row failed; the last: {last.user_attrs.get('error', '?')}")
        if self.rejections >= self.opts.max_rejections:
            last = study._storage.get_trial(trial._trial_id)
            raise ChopError(f"{self.rejections} points in a row broke the space's constraints (the last: "
                            f"{last.user_attrs.get('rejected')}); widen the choices.")
        return False


def _trials_until_done(study, runner: TrialRunner, opts: WorkerOptions, objective, on_trial, current: dict,
                       cursor: GridCursor | None = None) -> int:
    loop, streaks, ran = _Loop(study, runner, opts, cursor), _Streaks(opts), 0
    while True:
        if opts.deadline is not None and time.monotonic() >= opts.deadline:
            log.warning("Search timeout reached.")
            break
        step = loop.next_step()
        if step == "done":
            break
        if cursor is not None:
            cursor.view = loop.trials  # the study as read just now: its held points are not picked
        if step == "wait":
            time.sleep(opts.poll)
            if on_trial is not None:
                on_trial(study, None)
            continue
        try:
            if cursor is None:
                study.optimize(objective, n_trials=1, catch=(Exception,), callbacks=[on_trial] if on_trial else None,
                               gc_after_trial=False, show_progress_bar=False)
            elif not _run_chosen(study, runner, cursor, loop.holders, objective, on_trial, current):
                continue  # every point is held now; the loop decides whether to wait or stop
        except Exception:
            if not _failed_as_dead(study, current.get("trial")):
                raise
            log.warning("Trial %d ran past its worker's lease and was failed as dead meanwhile; its point runs again.",
                        current["trial"].number)
            continue
        if "fatal" in current:
            raise current.pop("fatal")
        outcome = current.get("outcome")
        ran += outcome != "lost"
        if streaks.record(outcome, study, current.get("trial")):
            break
    return ran


def _run_chosen(study, runner: TrialRunner, cursor: GridCursor, holders: Holders, objective, on_trial,
                current: dict) -> bool:
    """Grid, brute force: a trial for an uncovered point, created with it (`chop.search.chosen`) and
    run; False when no point is uncovered in the study as last read."""
    from chop.search.chosen import ask_chosen, run_once

    point = cursor.pick(holders.held(cursor.view))
    if point is None:
        return False
    current.pop("trial", None)
    trial = ask_chosen(study, runner.params, point, {WORKER_ATTR: this_worker()})
    current["trial"] = trial  # a Ctrl-C from here on marks it interrupted
    run_once(study, trial, objective, [on_trial] if on_trial else ())
    return True


def _failed_as_dead(study, trial) -> bool:
    if trial is None:
        return False
    try:
        frozen = study._storage.get_trial(trial._trial_id)
    except Exception:
        return False
    return frozen.state.name == "FAIL" and (DIED_ATTR in frozen.user_attrs or "error" not in frozen.user_attrs)
