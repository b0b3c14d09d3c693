"""Study: seed 003's sampler comparison, and a mixed-precision accuracy/BitOPs Pareto front.

1. Train the `mlp` (784-256-128-10) on Fashion-MNIST for a few epochs (`ch train`).
2. Sampler comparison: a post-training mixed-precision search over its three Linear layers
   (fixed point; input and weight widths and fractional widths per layer), scored by the weighted
   sum accuracy - 0.5 * BitOPs / float BitOPs on the validation split, with random, grid and TPE
   samplers, each with several seeds. Output: the best value so far against the number of
   evaluated trials (mean over seeds; points rejected by frac <= width cost no evaluation and are
   not counted) as `samplers.png`, and `samplers.md` (best value after 1/5/10/.../N trials).
3. Pareto front: the same space as a two-objective search (accuracy up, BitOPs down, NSGA-II).
   Output: `pareto.png` and `pareto.md` (the Pareto set: per-layer widths, accuracy, BitOPs, and
   the test accuracy of the rebuilt best-accuracy trial).

Run: python benchmarks/search_study.py [--trials 40 --seeds 3 --pareto-trials 120 --out DIR]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from pathlib import Path

SAMPLERS = ("random", "grid", "tpe")
QUANTIZE = {"by": "name", "ops": ["linear"], "default": {"config": {
    "name": "integer", "data_in_width": [4, 6, 8], "data_in_frac_width": [2, 3, 4, 5],
    "weight_width": [2, 3, 4, 6, 8], "weight_frac_width": [2, 3, 4, 5, 6], "bias_width": 8, "bias_frac_width": 6}}}


def train_base(out: Path, epochs: int) -> Path:
    from chop.cli import main

    ckpt = out / "base" / "software" / "training_ckpts" / "best.ckpt"
    if not ckpt.exists():
        assert main(["train", "mlp", "fashion-mnist", "--max-epochs", str(epochs), "--batch-size", "256",
                     "--project-dir", str(out), "--project", "base", "--report-to", "none",
                     "--log-level", "warning"]) == 0
    return ckpt


def search_cfg(out: Path, ckpt: Path, project: str, strategy: dict, objectives):
    from chop.config import merge

    return merge({"model": "mlp", "dataset": "fashion-mnist", "project": project, "project_dir": str(out),
                  "load_name": str(ckpt), "load_type": "pl", "batch_size": 256, "seed": strategy.pop("seed", 0),
                  "log_level": "warning",
                  "search": {"strategy": strategy, "objectives": objectives, "search_space": {"quantize": QUANTIZE}}})


def best_curve(trials_json: str) -> list[float]:
    """Best weighted value after each evaluated trial (points rejected by the constraints, which
    cost no evaluation, are left out)."""
    records = json.loads(Path(trials_json).read_text())
    done = [r["values"][0] for r in sorted(records, key=lambda r: r["number"]) if r["state"] == "COMPLETE"]
    return [max(done[: i + 1]) for i in range(len(done))]


def compare_samplers(out: Path, ckpt: Path, trials: int, seeds: int) -> dict[str, list[list[float]]]:
    from chop.search import run_search

    curves: dict[str, list[list[float]]] = {}
    for sampler in SAMPLERS:
        for seed in range(seeds):
            summary = run_search(search_cfg(out, ckpt, f"{sampler}-{seed}",
                                            {"name": sampler, "n_trials": trials, "seed": seed},
                                            {"accuracy": {"weight": 1.0}, "bitops": {"weight": 0.5}}))
            curves.setdefault(sampler, []).append(best_curve(summary["trials_json"]))
    return curves


def write_sampler_outputs(out: Path, curves: dict[str, list[list[float]]],
                          ylabel: str = "best accuracy - 0.5 BitOPs/float (mean over seeds)",
                          title: str = "Samplers on a mixed-precision search") -> None:
    from chop.search.plots import plot_curves

    mean = {}
    for sampler, runs in curves.items():
        length = min(len(c) for c in runs)
        ys = [statistics.mean(c[i] for c in runs) for i in range(length)]
        mean[sampler] = (list(range(1, length + 1)), ys)
    plot_curves(mean, out / "samplers.png", ylabel, f"{title} ({len(next(iter(curves.values())))} seeds)",
                xlabel="evaluated trials")
    length = min(len(x) for x, _ in mean.values())
    marks = sorted({m for m in (1, 5, 10, 20, 40, 80) if m <= length} | {length})
    lines = ["| sampler | " + " | ".join(f"after {m}" for m in marks) + " |", "|---|" + "---:|" * len(marks)]
    for sampler, (_, ys) in mean.items():
        lines.append(f"| {sampler} | " + " | ".join(f"{ys[m - 1]:.4f}" for m in marks) + " |")
    (out / "samplers.md").write_text("\n".join(lines) + "\n")


def pareto(out: Path, ckpt: Path, trials: int) -> None:
    from chop.search import run_search

    summary = run_search(search_cfg(out, ckpt, "pareto", {"name": "nsga2", "n_trials": trials,
                                                          "multi_objective": True}, ["accuracy", "bitops"]))
    write_pareto(out, summary, "widths (in/weight per layer)", layer_widths)


def layer_widths(point: dict) -> str:
    layers = sorted({k.split("/")[1] for k in point})
    return ", ".join(f"{point.get(f'quantize/{n}/data_in_width')}/{point.get(f'quantize/{n}/weight_width')}"
                     for n in layers)


def write_pareto(out: Path, summary: dict, point_header: str, point_text) -> None:
    """`pareto.png` and `pareto.md` (the Pareto set and the rebuilt best trial) of a finished
    accuracy/BitOPs search."""
    best = json.loads(Path(summary["best_json"]).read_text())
    (out / "pareto.png").write_bytes(Path(summary["plots"][-1]).read_bytes())
    lines = ["Pareto set (NSGA-II, accuracy up, BitOPs down):", "",
             f"| trial | {point_header} | val accuracy | BitOPs/sample |", "|---:|---|---:|---:|"]
    for r in sorted(best["pareto"], key=lambda r: r["metrics"]["bitops"]):
        lines.append(f"| {r['number']} | {point_text(r['point'])} | {r['metrics']['accuracy']:.4f} | "
                     f"{r['metrics']['bitops']:.3g} |")
    b = best["best_trial"]
    lines.append(f"\nBest-accuracy Pareto trial {b['number']}: val {b['metrics']['accuracy']:.4f}, "
                 f"test {b['test']['test_acc']:.4f} (rebuilt from its point and seed: reproduced={b['reproduced']}).")
    (out / "pareto.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--pareto-trials", type=int, default=120)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", default="mase_output/search_study")
    args = parser.parse_args()
    logging.getLogger("chop").setLevel(logging.WARNING)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    ckpt = train_base(out, args.epochs)
    write_sampler_outputs(out, compare_samplers(out, ckpt, args.trials, args.seeds))
    pareto(out, ckpt, args.pareto_trials)
    print((out / "samplers.md").read_text())
    print((out / "pareto.md").read_text())
    print(f"study took {time.perf_counter() - start:.0f} s; figures in {out}")


if __name__ == "__main__":
    main()
