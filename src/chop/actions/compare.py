"""`ch compare RUN...`: lab 1's figures from several training runs, one curve per run.

Each run is read back from its own folder (hyper-parameters, summary, logged scalars; see
`chop.actions.runs`); each curve is labelled by the hyper-parameters that differ between the
runs (e.g. `batch_size=64`). Two PNGs, three panels each:
- `compare_epoch.png`: validation accuracy, training loss and training accuracy per epoch;
- `compare_step.png`: validation accuracy, training loss and training accuracy against the step
  (the per-step curves are those logged every `log_every_n_steps`).
`compare.csv` holds every plotted point (run, label, x axis, metric, x, value).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from chop.actions.runs import Run, find_runs, read_run
from chop.errors import ConfigError

NOT_HYPERPARAMETERS = {"project", "project_dir", "log_level", "report_to", "debug", "data_dir", "load_name",
                       "resume", "report", "model_files", "passes", "search", "num_workers", "workers",
                       "log_every_n_steps", "accelerator", "num_devices", "num_nodes", "strategy"}
PANELS = {
    "epoch": [("val_acc", "validation accuracy"), ("train_loss", "training loss"), ("train_acc", "training accuracy")],
    "step": [("val_acc", "validation accuracy"), ("train_loss_step", "training loss (logged steps)"),
             ("train_acc_step", "training accuracy (logged steps)")],
}


def differing_hparams(runs: list[Run]) -> list[str]:
    """Hyper-parameter keys whose values are not the same in every run."""
    keys = sorted({k for r in runs for k in r.hparams} - NOT_HYPERPARAMETERS)
    return [k for k in keys if len({repr(r.hparams.get(k)) for r in runs}) > 1]


def labels(runs: list[Run]) -> list[str]:
    keys = differing_hparams(runs)
    if not keys:
        return [r.name for r in runs]
    out = [", ".join(f"{k}={r.hparams.get(k)}" for k in keys) for r in runs]
    if len(set(out)) < len(out):  # same hyper-parameters twice: tell the runs apart by folder
        out = [f"{label} ({r.name})" for label, r in zip(out, runs)]
    return out


def epoch_points(run: Run, tag: str) -> list[tuple[float, float]]:
    """`tag` against the epoch: the logged `epoch` scalar tells which epoch each step ended."""
    epoch_at = dict(run.curves.get("epoch", []))
    logged = [(epoch_at[s], v) for s, v in run.curves.get(tag, []) if s in epoch_at]
    if logged:
        return logged
    return [(row["epoch"], row[tag]) for row in run.summary.get("history", []) if tag in row]


def plot_points(runs: list[Run]) -> list[dict]:
    """Every point the figures draw, as records."""
    records = []
    for run, label in zip(runs, labels(runs)):
        for axis, panels in PANELS.items():
            for tag, _ in panels:
                points = epoch_points(run, tag) if axis == "epoch" else run.curves.get(tag, [])
                records += [{"run": str(run.path), "label": label, "axis": axis, "metric": tag, "x": x, "value": v}
                            for x, v in points]
    return records


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ConfigError("ch compare draws with matplotlib: pip install 'machop[lab]' (or 'machop[plot]').") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def draw(records: list[dict], runs_labels: list[str], axis: str, path: Path) -> Path:
    plt = _pyplot()
    panels = PANELS[axis]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (tag, title) in zip(axes[0], panels):
        for label in runs_labels:
            pts = [(r["x"], r["value"]) for r in records if r["axis"] == axis and r["metric"] == tag and r["label"] == label]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o" if len(pts) <= 30 else None,
                        markersize=3, label=label)
        ax.set_title(title)
        ax.set_xlabel(axis)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize="small")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def compare(paths: list[str | Path], out_dir: str | Path = "mase_output/compare") -> dict:
    """Read the runs under `paths`, draw the figures into `out_dir`; returns what was written."""
    if not paths:
        raise ConfigError("ch compare needs run or project folders, e.g. ch compare mase_output/lab1.")
    runs = [read_run(p) for p in find_runs(paths)]
    names = labels(runs)
    records = plot_points(runs)
    if not records:
        raise ConfigError("The runs logged no metrics to plot; train with --report-to tensorboard or csv.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=["run", "label", "axis", "metric", "x", "value"])
    writer.writeheader()
    writer.writerows(records)
    (out / "compare.csv").write_text(buffer.getvalue())
    figures = [str(draw(records, names, axis, out / f"compare_{axis}.png")) for axis in PANELS]
    return {"runs": [str(r.path) for r in runs], "labels": names, "differing": differing_hparams(runs),
            "figures": figures, "data": str(out / "compare.csv"), "points": len(records)}
