"""A rich progress bar for epochs and steps that costs almost nothing per step.

The bar is redrawn at most ten times a second, whatever the step rate, and is silent on
non-zero ranks and when stderr is not a terminal (logs carry the per-epoch lines instead).
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class EpochProgress:
    def __init__(self, enabled: bool, total_epochs: int | None):
        console = Console(stderr=True)
        self.enabled = enabled and console.is_terminal
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=console,
            disable=not self.enabled,
            transient=False,
        )
        self._total_epochs = total_epochs
        self._task = None
        self._done = 0
        self._last_draw = 0.0

    def __enter__(self):
        self._progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self._progress.__exit__(*exc)

    def start_epoch(self, epoch: int, steps: int) -> None:
        if not self.enabled:
            return
        label = f"epoch {epoch}" + (f"/{self._total_epochs}" if self._total_epochs else "")
        if self._task is None:
            self._task = self._progress.add_task(label, total=steps, metrics="")
        else:
            self._progress.reset(self._task, total=steps, description=label)
        self._done = 0

    def step(self) -> None:
        """Count a step; redraw only when 0.1 s have passed."""
        if not self.enabled:
            return
        self._done += 1
        now = time.monotonic()
        if now - self._last_draw > 0.1:
            self._progress.update(self._task, completed=self._done)
            self._last_draw = now

    def end_epoch(self, metrics: dict[str, float]) -> None:
        if not self.enabled:
            return
        text = "  ".join(f"{k} {v:.4f}" for k, v in metrics.items())
        self._progress.update(self._task, completed=self._done, metrics=text)
