"""What `ch` shows on the terminal: the effective config and each action's result, as tables."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from chop.config import RunConfig

_DEFAULTS = RunConfig().to_dict()
PIPE_WIDTH = 1000  # piped or redirected: no terminal width to fit, so never cut a name or path


class _Console:
    """rich's Console for the stream of the moment: the terminal's width, or wide when piped."""

    def print(self, *args, **kwargs) -> None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=PIPE_WIDTH)
        console.print(*args, **kwargs)


console = _Console()


def render_config(cfg: RunConfig) -> None:
    """Two key/value pairs per row; values that differ from the defaults are bold."""
    items = [(k, v) for k, v in cfg.to_dict().items() if not (k in ("passes", "search", "hardware", "dataset_options") and not v)]
    table = Table(title="Configuration", show_edge=False, show_header=False)
    for _ in range(2):
        table.add_column(style="dim")
        table.add_column()
    cells = []
    for key, value in items:
        text = str(value) if not isinstance(value, dict) else ", ".join(value)
        cells += [key, f"[bold]{text}[/bold]" if value != _DEFAULTS.get(key) else text]
    cells += [""] * (len(cells) % 4)
    for i in range(0, len(cells), 4):
        table.add_row(*cells[i : i + 4])
    console.print(table)


def _kv_table(title: str, rows: dict) -> Table:
    table = Table(title=title, show_edge=False, header_style="bold")
    table.add_column("")
    table.add_column("")
    for k, v in rows.items():
        table.add_row(k, f"{v:.4f}" if isinstance(v, float) else str(v))
    return table


def render_result(action: str, result: dict) -> None:
    if action == "info":
        _render_info(result)
    elif action == "train":
        if not result.get("is_global_zero", True):
            return
        last = result.get("last", {})
        rows = {
            "epochs": result["epochs"], "steps": result["steps"], "stopped by": result["stopped_by"],
            "best epoch": result["best_epoch"] if result["best_epoch"] > 0 else "-",
            "best val acc": result["best_val_acc"],
            **{f"last {k}": v for k, v in last.items() if k not in ("epoch", "step", "train_seconds")},
            "train time": _train_time(result),
            "best checkpoint": result["best_ckpt"] or "- (no epoch ran)",
            "last checkpoint": result["last_ckpt"] or "- (no epoch ran)",
            "run": result.get("run_dir", "-"),
            "logs": ", ".join(result["log_dirs"]) or "-",
        }
        console.print(_kv_table("Training done", rows))
    elif action == "test":
        rows = {k: result[k] for k in ("model", "dataset", "checkpoint", "test_acc", "test_loss",
                                        "test_samples", "metrics_file")}
        console.print(_kv_table("Test", rows))
    elif action == "transform":
        rows = {"model": result["model"], "passes": ", ".join(result["passes"]), "nodes": result["nodes"],
                "reports": ", ".join(result["reports"]) or "-", "graph": result["graph_svg"] or "-",
                "transformed checkpoint": result["transformed_ckpt"]}
        console.print(_kv_table("Transform", rows))
    elif action == "search":
        _render_search(result)
    elif action == "compare":
        rows = {"runs": len(result["runs"]), "curves labelled by": ", ".join(result["differing"]) or "run folder",
                **{f"run {i + 1}": f"{label}  ({run})" for i, (label, run) in enumerate(zip(result["labels"], result["runs"]))},
                "figures": ", ".join(result["figures"]), "plotted data": result["data"]}
        console.print(_kv_table("Compare", rows))
    else:
        console.print(_kv_table(action, {k: v for k, v in result.items() if not isinstance(v, (dict, list))}))


def _train_time(result: dict) -> str:
    """Total seconds of training steps over every epoch of the run, and per epoch."""
    total, epochs = result.get("train_seconds_total"), result.get("epochs_timed", 0)
    if total is None or not epochs:
        return "-"
    return f"{total:.2f} s ({total / epochs:.3f} s per epoch, {epochs} epochs)"


def _render_search(result: dict) -> None:
    """Trial counts, the best trial's metrics (validation, and test for the best only), outputs."""
    counts = ", ".join(f"{n} {state.lower()}" for state, n in result["trials"].items() if n)
    if result.get("rejected"):
        counts += f" ({result['rejected']} rejected by constraints)"
    rows = {"study": result["study"], "strategy": result["strategy"], "trials": counts or "-",
            "objectives": ", ".join(result["objectives"]) + (" (Pareto)" if result["multi_objective"] else "")}
    if result.get("best_trial") is not None:
        rows["best trial"] = result["best_trial"]
        if result["multi_objective"]:
            rows["Pareto set"] = result["pareto_size"]
        rows.update({f"val {k}": v for k, v in result["best_metrics"].items()})
        rows.update({k.replace("_", " "): v for k, v in result["test"].items()})
        rows["best transform TOML"] = result["best_transform_toml"] or "-"
        rows["best checkpoint"] = result["best_ckpt"]
    rows.update({"trials table": result["trials_csv"], "best": result["best_json"],
                 "plots": ", ".join(result["plots"]) or "-"})
    console.print(_kv_table("Search", rows))


def _render_info(result: dict) -> None:
    models = Table(title="Models", header_style="bold")
    for col in ("name", "source", "default dataset", "parameters", "fx", "description"):
        models.add_column(col, justify="right" if col == "parameters" else "left")
    for m in result["models"]:
        params = f"{m['parameters']:,}" if m["parameters"] is not None else "-"
        models.add_row(m["name"], m["source"], m["default_dataset"], params,
                       "yes" if m["fx_traceable"] else "no", m["description"])
    console.print(models)
    datasets = Table(title="Datasets", header_style="bold")
    for col in ("name", "input shape", "classes", "train/val/test", "description", "source"):
        datasets.add_column(col)
    for d in result["datasets"]:
        sizes = d["split_sizes"]
        split = "/".join(str(sizes.get(k, "?")) for k in ("train", "val", "test")) if sizes else "-"
        shape = f"{d['input_shape'][0]} tokens" if d.get("input_names") else str(d["input_shape"])
        classes = str(d["classes"]) if d["classes"] else "-"
        datasets.add_row(d["name"], shape, classes, split, d["description"], d.get("source") or "-")
    console.print(datasets)
