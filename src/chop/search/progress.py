"""The search's progress bar: COMPLETE trials out of `n_trials`, and the best value so far.

Quiet when stdout is not a terminal (logs and CI stay clean); `update(study)` reads the study, so
that trials of every worker count, whichever process finished them.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


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

    def __enter__(self) -> SearchProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def update(self, study, _trial=None) -> None:
        if not self.enabled:
            return
        from optuna.trial import TrialState

        done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        self.progress.update(self.task, completed=done, description=best_text(study))
