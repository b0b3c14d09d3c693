"""What a search leaves in `<project>/software/search_ckpts/`.

- `trials.json` / `trials.csv`: every trial: number, state, value(s), point (decoded params),
  metrics, seed, worker, duration and why it was rejected, pruned or failed;
- `best.json`: the best trial (weighted sum) or the Pareto set (multi-objective), with the best
  trial rebuilt from its point and seed: its validation metrics again (`reproduced`) and, only
  here, its test-split metrics;
- `best_transform.toml`: a ready `ch transform --config` reproducing the best trial's passes;
- `best_ckpt/`: the best trial's MaseGraph (weights + recipe), as `ch transform` saves it;
- `history.png` (objective per trial, best so far) and `pareto.png` (first two objectives).

`chop.search.report` writes them all from the study.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from chop import atomic
from chop.config import NA, none_to_na
from chop.search.plots import best_so_far, plot_curves, plot_pareto


def trial_records(study) -> list[dict[str, Any]]:
    records = []
    for t in study.get_trials(deepcopy=False):
        a = t.user_attrs
        duration = (t.datetime_complete - t.datetime_start).total_seconds() if t.datetime_complete and t.datetime_start else None
        note = a.get("rejected") and f"rejected: {a['rejected']}" or a.get("error") or a.get("died") or (
            "duplicate_of" in a and f"not run: trial {a['duplicate_of']} holds this point") or (
            "interrupted" if a.get("interrupted") else "") or ("pruned" if t.state.name == "PRUNED" else "") or (
            "no result: its worker stopped (no heartbeat)" if t.state.name == "FAIL" else "")
        records.append({"number": t.number, "state": t.state.name, "values": t.values, "point": a.get("point", {}),
                        "metrics": a.get("metrics", {}), "seed": a.get("seed"), "worker": a.get("worker"),
                        "duration_s": duration, "note": note})
    return records


def write_trials(records: list[dict], directory: Path) -> tuple[Path, Path]:
    json_path, csv_path = directory / "trials.json", directory / "trials.csv"
    atomic.write_text(json_path, json.dumps(records, indent=2, default=str) + "\n")
    params = sorted({k for r in records for k in r["point"]})
    metrics = sorted({k for r in records for k in r["metrics"]})
    n_values = max((len(r["values"] or []) for r in records), default=1)
    value_cols = ["value"] if n_values <= 1 else [f"value_{i}" for i in range(n_values)]
    header = ["number", "state", *value_cols, *metrics, *params, "seed", "worker", "duration_s", "note"]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for r in records:
        values = list(r["values"] or []) + [None] * (len(value_cols) - len(r["values"] or []))
        writer.writerow([r["number"], r["state"], *values, *(r["metrics"].get(m) for m in metrics),
                         *(r["point"].get(p) for p in params), r["seed"], r["worker"], r["duration_s"], r["note"]])
    atomic.write_text(csv_path, buffer.getvalue())
    return json_path, csv_path


def write_transform_toml(cfg, passes: dict, record: dict, path: Path, trained: bool = False) -> Path:
    """A `ch transform` config that applies the best trial's passes to the same model."""
    import tomli_w

    data = {"model": cfg.model, "dataset": cfg.dataset, "task": cfg.task, "seed": cfg.seed,
            "batch_size": cfg.batch_size, "load_name": cfg.load_name or NA, "load_type": cfg.load_type,
            "passes": none_to_na(passes)}
    if cfg.model_files:
        data["model_files"] = list(cfg.model_files)
    header = (f"# Best trial {record['number']} of a ch search (metrics on the validation split: "
              f"{', '.join(f'{k}={v:.6g}' for k, v in record['metrics'].items())}).\n"
              f"#   ch transform --config {path.name}\n")
    if trained:
        header += ("# The trial also trained its model; these passes alone do not repeat that training: the\n"
                   "# trained result is best_ckpt/ (ch train/test --load best_ckpt --load-type mg).\n")
    atomic.write_text(path, header + tomli_w.dumps(data))
    return path


def write_plots(records: list[dict], objectives, multi: bool, directory: Path) -> list[str]:
    done = [r for r in records if r["state"] == "COMPLETE"]
    if not done:
        return []
    paths = []
    xs = [r["number"] for r in done]
    if multi:  # the first objective's own metric
        first = objectives[0].objective
        ys = [r["metrics"][first.name] for r in done]
        label, maximize = first.name, first.direction == "maximize"
    else:
        ys, label, maximize = [r["values"][0] for r in done], "objective (weighted sum)", True
    paths.append(plot_curves({"best so far": (xs, best_so_far(ys, maximize))}, directory / "history.png",
                             label, "Search history", {"best so far": (xs, ys)}))
    if len(objectives) >= 2:
        x, y = objectives[0].objective, objectives[1].objective
        good = [r["metrics"] for r in done if all(math.isfinite(r["metrics"].get(n, math.nan)) for n in (x.name, y.name))]
        paths.append(plot_pareto(good, y.name, x.name, {x.name: x.direction, y.name: y.direction},
                                 directory / "pareto.png", f"{x.name} against {y.name}"))
    return [str(p) for p in paths]
