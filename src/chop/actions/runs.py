"""Training runs on disk: one folder per `ch train` run, holding its config, summary and logs.

    <project>/software/runs/run_<N>/train_config.toml   hyper-parameters (the effective config)
                                    train_summary.json  results, with the per-epoch history
                                    tensorboard/        TensorBoard event files (--report-to)
                                    csv/metrics.csv     CSV logs (--report-to csv)

The latest run's config and summary are also copied to `<project>/software/`, where earlier
versions of machop wrote them. `find_runs` expands what a user points at (a run folder, a
project, its `software/` or `software/runs/`) into run folders.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from chop.errors import ConfigError

RUNS = "runs"
CONFIG, SUMMARY = "train_config.toml", "train_summary.json"
_RUN_NAME = re.compile(r"run_(\d+)$")


def next_run_dir(software_dir: Path) -> Path:
    """`software/runs/run_<N>` with N one past the highest existing run (not created here)."""
    runs = software_dir / RUNS
    numbers = [int(m.group(1)) for p in runs.glob("run_*") if (m := _RUN_NAME.match(p.name))]
    return runs / f"run_{max(numbers, default=-1) + 1}"


def is_run_dir(path: Path) -> bool:
    return (path / CONFIG).is_file()


def find_runs(paths: list[str | Path]) -> list[Path]:
    """The run folders under each of `paths`, in the order given (each project's runs by number)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ConfigError(f"'{path}' does not exist; give run folders or project folders made by ch train.")
        candidates = [path / "software" / RUNS, path / RUNS, path]
        runs_root = next((c for c in candidates if c.is_dir() and c.name == RUNS), None)
        if is_run_dir(path) and path.parent.name == RUNS:
            runs = [path]
        elif runs_root is not None:
            runs = sorted((p for p in runs_root.iterdir() if is_run_dir(p)), key=_run_number)
        elif is_run_dir(path):
            runs = [path]
        else:
            runs = []
        if not runs:
            raise ConfigError(f"'{path}' holds no training runs (no {RUNS}/run_N/{CONFIG}); train with ch train first.")
        found += [r for r in runs if r not in found]
    return found


def _run_number(path: Path) -> int:
    m = _RUN_NAME.match(path.name)
    return int(m.group(1)) if m else -1


@dataclass
class Run:
    """One run as read back: where, its hyper-parameters, summary, and logged curves."""

    path: Path
    hparams: dict
    summary: dict
    curves: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # tag -> [(step, value)]

    @property
    def name(self) -> str:
        project = self.path.parent.parent.parent.name if self.path.parent.name == RUNS else ""
        return f"{project}/{self.path.name}" if project else self.path.name


def read_run(path: Path) -> Run:
    from chop.actions.run_logs import read_logged_curves
    from chop.config import load_toml

    summary_path = path / SUMMARY
    summary = {}
    if summary_path.is_file():
        try:
            summary = json.loads(summary_path.read_text())
        except json.JSONDecodeError:
            raise ConfigError(f"'{summary_path}' is not valid JSON; was the run interrupted?") from None
    return Run(path, load_toml(path / CONFIG), summary, read_logged_curves(path))
