"""JSC accuracy against LUTs: a LUT-aware `ch search` over layer sizes, fixed-point widths and
pruning, its Pareto front, and published FPGA points beside it (a different measure).

One multi-objective search (NSGA-II; objectives `accuracy` on the validation split and `luts`,
the fast estimate of each trial's design) over: an MLP of 1-3 hidden layers of 8-64 units
(trained from scratch each trial), every Linear's input and weight widths, and L1 pruning of
0-90% of the weights, followed by one epoch of quantization-aware fine-tuning (pruned weights
stay zero). The Pareto trials are rebuilt from their point and seed and measured on the test
split; those whose estimate is at most --synth-max-luts are also synthesized with the installed
yosys (`synth -lut 6`, the `ch synth` flow) so that estimate and synthesis are side by side.

The published points (`PUBLISHED`, each with its source) are LUT-based JSC networks synthesized
by Vivado on Xilinx parts, trained on the real JSC data: LogicNets (Umuroglu et al., FPL 2020)
and PolyLUT-Add (Lou et al., FPL 2024, a PolyLUT extension), as their authors' repositories
report them. Ours are yosys 0.23 `synth -lut 6` figures (or their estimate) of designs built by
`ch emit`: a different tool, LUT architecture and design style, so the points are context, not
a like-for-like comparison. Without the real JSC file the data is the test suite's schema
fixture (synthetic rows with JSC's columns): its accuracies say nothing about JSC.

Writes docs/studies/jsc_lut_pareto_<data>.png, .md and .json (the trials and the measured
front). About 5-10 minutes on 2 shared cores; `--replot` redraws the figure and table from the
.json in a second, without searching again.

Run: python benchmarks/jsc_lut_study.py [--trials 48] [--epochs 3] [--synth-max-luts 4000]
     python benchmarks/jsc_lut_study.py --replot [--data fixture|real]
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

LOGICNETS = ("LogicNets (Umuroglu et al., FPL 2020): the results table of "
             "github.com/Xilinx/logicnets examples/jet_substructure/README.md, Vivado 2019.2 "
             "(the part is not named there)")
POLYLUT_ADD = ("PolyLUT-Add (Lou et al., FPL 2024, arXiv:2406.04910; PolyLUT extended with "
               "adders): the post-place-and-route table of github.com/bingleilou/PolyLUT-Add "
               "README.md (the paper's Table III updated), Vivado 2020.1, xcvu9p-flgb2104-2-i, "
               "out of context")
# Published JSC points: Vivado LUTs on Xilinx parts, real JSC data, each with where it is from.
PUBLISHED = [
    {"family": "LogicNets", "model": "JSC-S", "acc": 68.8, "luts": 232, "source": LOGICNETS},
    {"family": "LogicNets", "model": "JSC-M", "acc": 71.5, "luts": 14_576, "source": LOGICNETS},
    {"family": "LogicNets", "model": "JSC-L", "acc": 72.6, "luts": 38_925, "source": LOGICNETS},
    {"family": "PolyLUT-Add", "model": "JSC-M Lite-Add2", "acc": 72.0, "luts": 895,
     "source": POLYLUT_ADD},
    {"family": "PolyLUT-Add", "model": "JSC-XL-Add2", "acc": 75.0, "luts": 36_484,
     "source": POLYLUT_ADD},
]
MARKERS = {"LogicNets": ("*", "C3"), "PolyLUT-Add": ("D", "C2")}
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
    for family, (marker, color) in MARKERS.items():
        points = [p for p in PUBLISHED if p["family"] == family]
        ax.scatter([p["luts"] for p in points], [p["acc"] for p in points], marker=marker,
                   s=90 if marker == "*" else 40, color=color, zorder=3,
                   label=f"{family}, published (Vivado, Xilinx part, real JSC): context only")
        for p in points:
            ax.annotate(p["model"], (p["luts"], p["acc"]), textcoords="offset points",
                        xytext=(5, -11) if marker == "*" else (-10, 6), fontsize=7, color=color)
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
    lines += ["", "## Published points in the figure (context, not the same measure)", "",
              "LUT-based networks trained on the real JSC data and synthesized by Vivado on Xilinx "
              "parts (LUT6 with carry chains, place and route): their LUT counts are not yosys "
              "`synth -lut 6` counts, and their accuracies are on JSC, not on this data.", "",
              "| network | test acc | LUTs (Vivado) | source |", "|---|---|---|---|"]
    lines += [f"| {p['family']} {p['model']} | {p['acc']}% | {p['luts']:,} | {p['source']} |"
              for p in PUBLISHED]
    lines += ["", "Not plotted: PolyLUT itself (Andronic and Constantinides, FPT 2023) and hls4ml "
              "(Duarte et al., JINST 2018): their papers' tables could not be read "
              "from this machine, and a figure quoted at second hand is not plotted.", ""]
    path.write_text("\n".join(lines) + "\n")


RESULT_KEYS = ("number", "state", "point", "metrics")


def save_results(path: Path, args, data_kind: str, seconds: float, records, rows) -> None:
    """What the figure and table are drawn from, so that `--replot` needs no search."""
    study = {"trials": args.trials, "epochs": args.epochs, "synth_max_luts": args.synth_max_luts,
             "data_kind": data_kind, "seconds": round(seconds, 1),
             "records": [{k: r.get(k) for k in RESULT_KEYS} for r in records], "rows": rows}
    path.write_text(json.dumps(study, indent=1) + "\n")


def draw(study: dict, out: Path, name: str) -> None:
    args = argparse.Namespace(trials=study["trials"], epochs=study["epochs"],
                              synth_max_luts=study["synth_max_luts"])
    plot(study["records"], study["rows"], study["data_kind"], out / f"{name}.png")
    write_table(study["rows"], study["records"], args, study["data_kind"], study["seconds"],
                out / f"{name}.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=48)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--synth-max-luts", type=int, default=4000)
    parser.add_argument("--out", type=Path, default=DOCS)
    parser.add_argument("--replot", action="store_true",
                        help="redraw the figure and table from the stored .json; no search")
    parser.add_argument("--data", choices=["fixture", "real"], default="fixture",
                        help="with --replot: which stored study to redraw")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.replot:
        name = f"jsc_lut_pareto_{args.data}"
        stored = args.out / f"{name}.json"
        if not stored.exists():
            sys.exit(f"--replot: {stored} does not exist; run the study once without --replot.")
        draw(json.loads(stored.read_text()), args.out, name)
        print(f"redrew {args.out / name}.png and .md from {stored}")
        return
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
    save_results(args.out / f"{name}.json", args, data_kind, seconds, records, rows)
    draw(json.loads((args.out / f"{name}.json").read_text()), args.out, name)
    print((args.out / f"{name}.md").read_text())
    print(f"wrote {args.out / name}.png, .md and .json in {seconds / 60:.1f} min")


if __name__ == "__main__":
    main()
