"""The search's progress: COMPLETE trials out of `n_trials`, and the best value so far.

A rich bar in a terminal; piped or redirected, one log line per finished trial (every
`total // 100` trials for long searches) with the best so far, so that a log file shows the
search moving. `update(study)` reads the study, so that trials of every worker count,
whichever process finished them.
"""

from __future__ import annotations

import logging
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


log = logging.getLogger(__name__)


def best_text(study) -> str:
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not done:
        return "best: -"
    if len(study.directions) > 1:
        return f"Pareto set: {len(study.best_trials)}"
    best = study.best_trial
    metrics = ", ".join(f"{k} {v:.4g}" for k, v in best.user_attrs.get("metrics", {}).items())
    return f"best #{best.number}: {best.value:.4g} ({metrics})"


class SearchProgress:
    def __init__(self, total: int, enabled: bool | None = None):
        console = Console()
        self.enabled = console.is_terminal if enabled is None else enabled
        self.progress = Progress(TextColumn("search"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 TextColumn("{task.description}"), console=console, transient=False,
                                 disable=not self.enabled)
        self.task = self.progress.add_task("best: -", total=total)
        self.total = total
        self.every = max(1, total // 100)
        self._logged = 0
        self._last = 0.0

    def __enter__(self) -> SearchProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def update(self, study, _trial=None, force: bool = False) -> None:
        """Read the study again; the bar at most every 0.2 s (its best-so-far is a query on RDB storages)."""
        from optuna.trial import TrialState

        if self.enabled and not force and time.monotonic() - self._last < 0.2:
            return
        if not self.enabled and not log.isEnabledFor(logging.INFO):
            return  # nothing would show
        self._last = time.monotonic()
        done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        if self.enabled:
            self.progress.update(self.task, completed=done, description=best_text(study))
        elif done > self._logged and (done - self._logged >= self.every or done >= self.total):
            self._logged = done
            log.info("search: %d/%d trials done | %s", done, self.total, best_text(study))
