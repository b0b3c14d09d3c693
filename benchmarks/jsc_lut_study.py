"""JSC accuracy against LUTs: a LUT-aware `ch search` over layer sizes, fixed-point widths and
pruning, its Pareto front, and published FPGA points beside it (a different measure).

One multi-objective search (NSGA-II; objectives `accuracy` on the validation split and `luts`,
the fast estimate of each trial's design) over: an MLP of 1-3 hidden layers of 8-64 units
(trained from scratch each trial), every Linear's input and weight widths, and L1 pruning of
0-90% of the weights, followed by one epoch of quantization-aware fine-tuning (pruned weights
stay zero). The Pareto trials are rebuilt from their point and seed and measured on the test
split; those whose estimate is at most --synth-max-luts are also synthesized with the installed
yosys (`synth -lut 6`, the `ch synth` flow) so that estimate and synthesis are side by side.

The published points are the LogicNets JSC models (Umuroglu et al., "LogicNets: Co-Designed
Neural Networks and Circuits for Extreme-Throughput Applications", FPL 2020) with the figures
quoted in machop's issue 15 (JSC-S 68.8% at 232 LUTs, JSC-L 72.6% at 38,925 LUTs): Vivado
post-implementation LUT counts on a Xilinx part, for trained sparse low-bit models on the real
JSC data. Ours are yosys 0.23 `synth -lut 6` figures (or their estimate) of designs built by
`ch emit`: a different tool, LUT architecture and design style, so the points are context, not
a like-for-like comparison. Without the real JSC file the data is the test suite's schema
fixture (synthetic rows with JSC's columns): its accuracies say nothing about JSC.

Writes docs/studies/jsc_lut_pareto_<data>.png and .md. About 5-10 minutes on 2 shared cores.

Run: python benchmarks/jsc_lut_study.py [--trials 48] [--epochs 3] [--synth-max-luts 4000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quantization_sweep import load_data  # noqa: E402
from study_common import pyplot  # noqa: E402

from chop.config import merge  # noqa: E402
from chop.search import run_search  # noqa: E402

# (label, accuracy %, LUTs): LogicNets, as quoted in issue 15 (Vivado, Xilinx part).
PUBLISHED = [("LogicNets JSC-S", 68.8, 232), ("LogicNets JSC-L", 72.6, 38_925)]
DOCS = Path(__file__).resolve().parents[1] / "docs" / "studies"


def search_config(args, project_dir: Path) -> dict:
    linear = {"name": "integer", "data_in_width": [3, 4, 6, 8], "data_in_frac_width": [2, 3],
              "weight_width": [2, 3, 4, 6, 8], "weight_frac_width": [1, 2, 3, 4],
              "bias_width": 8, "bias_frac_width": 4}
    return {
        "model": "jsc-tiny", "dataset": "jsc", "project": "jsc-lut-study",
        "project_dir": str(project_dir), "seed": 0, "batch_size": 256, "learning_rate": 1e-3,
        "search": {
            "strategy": {"name": "nsga2", "n_trials": args.trials, "multi_objective": True},
            "objectives": ["accuracy", "luts"],
            "train": {"epochs": args.epochs, "fine_tune_epochs": 1},
            "search_space": {
                "architecture": {"family": "mlp", "depth": [1, 2, 3], "width": [8, 16, 32, 64],
                                 "batch_norm": False},
                "quantize": {"by": "type", "linear": {"config": linear}},
                "prune": {"sparsity": [0.0, 0.5, 0.75, 0.9], "method": "l1-norm"},
            },
        },
        "hardware": {"multiplier": "csd", "pipeline": "layer"},
    }


def pareto(records: list[dict]) -> list[dict]:
    """Trials no other beats on both accuracy (higher) and LUTs (lower), by LUTs."""
    done = [r for r in records if r["state"] == "COMPLETE"]
    front = [r for r in done if not any(
        o["metrics"]["accuracy"] >= r["metrics"]["accuracy"] and o["metrics"]["luts"] <= r["metrics"]["luts"]
        and (o["metrics"]["accuracy"], o["metrics"]["luts"]) != (r["metrics"]["accuracy"], r["metrics"]["luts"])
        for o in done)]
    return sorted(front, key=lambda r: r["metrics"]["luts"])


def measure_front(cfg, front: list[dict], synth_max: int, work: Path) -> list[dict]:
    """Test accuracy of each Pareto trial rebuilt, and yosys beside the estimate where small."""
    from chop.search.session import open_session
    from chop.search.synthesis import synthesize_trials

    runner = open_session(cfg).runner
    rows = []
    for record in front:
        _, mg = runner.run(record["point"], record["seed"])
        row = {"number": record["number"], "point": record["point"],
               "val_acc": record["metrics"]["accuracy"], "test_acc": runner.test_metrics(mg)["test_acc"],
               "est_luts": record["metrics"]["luts"], "yosys_luts": None, "yosys_ffs": None,
               "yosys_depth": None}
        if record["metrics"]["luts"] <= synth_max:
            synth = synthesize_trials(runner, [record], work / "synthesis")[0]
            if "yosys" in synth:
                row.update(yosys_luts=synth["yosys"]["luts"], yosys_ffs=synth["yosys"]["ffs"],
                           yosys_depth=synth["yosys"]["logic_depth"], est_ffs=synth["estimate"]["ffs"])
        rows.append(row)
    return rows


def describe(point: dict) -> str:
    widths = [str(point.get(f"architecture/width_{i}", point.get("architecture/width")))
              for i in range(point.get("architecture/depth", 0))]
    return (f"16-{'-'.join(widths)}-5" if widths else "16-5") + \
        f", x{point['quantize/linear/data_in_width']}b w{point['quantize/linear/weight_width']}b" \
        f", {int(100 * point['prune/sparsity'])}% pruned"


def plot(records, rows, data_kind: str, path: Path) -> None:
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    done = [r for r in records if r["state"] == "COMPLETE"]
    ax.scatter([r["metrics"]["luts"] for r in done], [100 * r["metrics"]["accuracy"] for r in done],
               s=12, color="0.75", label="trials (estimated LUTs, validation accuracy)")
    ax.plot([r["est_luts"] for r in rows], [100 * r["test_acc"] for r in rows], "o-", color="C0",
            label="Pareto front: estimated LUTs, test accuracy")
    synth = [r for r in rows if r["yosys_luts"]]
    ax.scatter([r["yosys_luts"] for r in synth], [100 * r["test_acc"] for r in synth], marker="x",
               color="C1", zorder=3, label="same designs: yosys 0.23 synth -lut 6 LUTs")
    for label, acc, luts in PUBLISHED:
        ax.scatter([luts], [acc], marker="*", s=120, color="C3", zorder=3)
        ax.annotate(label, (luts, acc), textcoords="offset points", xytext=(5, -12), fontsize=8, color="C3")
    ax.scatter([], [], marker="*", s=120, color="C3",
               label="published (Vivado, Xilinx part, real JSC): a different measure")
    ax.set_xscale("log")
    ax.set_xlabel("LUTs (log scale)")
    ax.set_ylabel("accuracy (%)")
    title = "JSC: accuracy vs LUTs from a LUT-aware ch search"
    if data_kind != "real":
        title += "\n(schema fixture data: synthetic rows, not JSC accuracies)"
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=130)


def write_table(rows, records, args, data_kind: str, seconds: float, path: Path) -> None:
    done = [r for r in records if r["state"] == "COMPLETE"]
    lines = [f"# JSC accuracy vs LUTs ({data_kind} data)", "",
             "Made by `python benchmarks/jsc_lut_study.py "
             f"--trials {args.trials} --epochs {args.epochs} --synth-max-luts {args.synth_max_luts}` "
             f"in {seconds / 60:.1f} min: {len(done)} complete trials of a multi-objective `ch search` "
             "(NSGA-II) with objectives `accuracy` (validation) and `luts` (the estimator, per trial).",
             "Pareto trials rebuilt from point and seed; test accuracy; yosys 0.23 `synth -lut 6` "
             "where the estimate is small enough to synthesize quickly.", ""]
    if data_kind != "real":
        lines += ["**Schema fixture data** (synthetic rows with JSC's columns; the real file is absent "
                  "here): the accuracies are not JSC accuracies; the LUT figures are real for these "
                  "designs.", ""]
    lines += ["| trial | model | val acc | test acc | est. LUTs | yosys LUTs | est. err | yosys FFs | depth |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        err = f"{100 * (r['est_luts'] - r['yosys_luts']) / r['yosys_luts']:+.0f}%" if r["yosys_luts"] else ""
        lines.append(f"| {r['number']} | {describe(r['point'])} | {100 * r['val_acc']:.1f}% | "
                     f"{100 * r['test_acc']:.1f}% | {r['est_luts']:,.0f} | "
                     f"{'' if r['yosys_luts'] is None else format(r['yosys_luts'], ',')} | {err} | "
                     f"{'' if r['yosys_ffs'] is None else r['yosys_ffs']} | "
                     f"{'' if r['yosys_depth'] is None else r['yosys_depth']} |")
    lines += ["", "Published points in the figure (context, a different measure): "
              + "; ".join(f"{label} {acc}% at {luts:,} LUTs" for label, acc, luts in PUBLISHED)
              + " (LogicNets, Umuroglu et al., FPL 2020, as quoted in machop issue 15; Vivado LUTs on a "
              "Xilinx part, real JSC data). hls4ml and PolyLUT figures are not plotted: no source "
              "for them could be checked from this machine.", ""]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=48)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--synth-max-luts", type=int, default=4000)
    parser.add_argument("--out", type=Path, default=DOCS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    _, data_kind = load_data("jsc")
    with tempfile.TemporaryDirectory() as folder:
        cfg = merge(search_config(args, Path(folder)))
        summary = run_search(cfg)
        records = json.loads(Path(summary["trials_json"]).read_text())
        rows = measure_front(cfg, pareto(records), args.synth_max_luts, Path(folder))
    seconds = time.perf_counter() - start
    name = f"jsc_lut_pareto_{'real' if data_kind == 'real' else 'fixture'}"
    args.out.mkdir(parents=True, exist_ok=True)
    plot(records, rows, data_kind, args.out / f"{name}.png")
    write_table(rows, records, args, data_kind, seconds, args.out / f"{name}.md")
    print((args.out / f"{name}.md").read_text())
    print(f"wrote {args.out / name}.png and .md in {seconds / 60:.1f} min")


if __name__ == "__main__":
    main()
