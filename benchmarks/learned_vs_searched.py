"""Learned widths against searched fixed widths: test accuracy and BitOPs on the same QAT budget.

From one float model (trained --base-epochs, or --load), every Linear's input and weight are
quantized to fixed point (biases: 16 bits, "auto" fractions, on both sides) and trained for
--qat-epochs at --qat-lr:
- searched: each uniform width of --widths, and --random mixed-precision points (a width per
  layer and operand drawn from --widths, seeded), fractions calibrated ("auto", "mse" statistic);
- learned: widths start at --start-width with "learned" fractions and `learn_widths = true`, one
  run per --penalties value (`bitops_penalty`), then `freeze_learned`.
Each result is measured on the test split: accuracy, and BitOPs per sample at the widths it ends
with (the `flops` pass). Prints a table and, for each learned point, the best searched accuracy at
no more BitOPs; writes CSV, PNG and a Markdown table under docs/studies/.

Run:
  python benchmarks/learned_vs_searched.py --model mlp --dataset fashion-mnist
  python benchmarks/learned_vs_searched.py --model jsc-s --dataset jsc   # schema fixture without the real file
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import torch
from lightning_fabric import Fabric

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quantization_sweep import load_data  # noqa: E402
from study_common import base_model, graph_with_metadata, describe_base, pyplot, test_acc, train, write_csv  # noqa: E402

from chop import MaseGraph  # noqa: E402
from chop.engine.batches import endless_inputs  # noqa: E402
from chop.passes.graph import (  # noqa: E402
    flops_analysis_pass,
    freeze_learned_transform_pass,
    quantize_transform_pass,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "studies"
BIAS = {"bias_width": 16, "bias_frac_width": "auto"}


def fixed(data_in: int, weight: int) -> dict:
    return {"name": "integer", "data_in_width": data_in, "data_in_frac_width": "auto",
            "weight_width": weight, "weight_frac_width": "auto", **BIAS}


def learned(start: int, penalty: float, learned_lr: float) -> dict:
    return {"name": "integer", "data_in_width": start, "data_in_frac_width": "learned",
            "weight_width": start, "weight_frac_width": "learned", **BIAS,
            "learn_widths": True, "bitops_penalty": penalty, "learned_lr": learned_lr}


def run_point(fabric, base: MaseGraph, data, args, configs: dict) -> dict:
    """Quantize `base` with {node: config}, QAT, freeze; test accuracy, BitOPs and widths."""
    mg, _ = quantize_transform_pass(base, {
        "by": "name", **{node: {"config": c} for node, c in configs.items()},
        "input_generator": endless_inputs(data.train, args.batch_size, seed=1),
        "calibration": {"statistic": "mse", "num_batches": 4}})
    train(fabric, mg.model, data, args.qat_epochs, args.qat_lr, args.batch_size, args.qat_steps)
    mg, _ = freeze_learned_transform_pass(mg, {})
    _, cost = flops_analysis_pass(mg, {})
    specs = {node: mg.model.get_submodule(mg.node(node).target).specs for node in configs}
    widths = " ".join(f"{node}:{s['data_in_0'].width}/{s['weight'].width}" for node, s in specs.items())
    return {"acc": test_acc(fabric, fabric.setup_module(mg.model), data),
            "bitops": cost["total_per_sample"]["bitops_forward"], "widths": widths}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="mlp")
    p.add_argument("--dataset", default="fashion-mnist")
    p.add_argument("--load", default=None, help="start from this ch train checkpoint")
    p.add_argument("--base-epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--qat-epochs", type=int, default=2)
    p.add_argument("--qat-lr", type=float, default=1e-3)
    p.add_argument("--qat-steps", type=int, default=-1)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--widths", default="2,3,4,6,8")
    p.add_argument("--random", type=int, default=8, help="random mixed-precision points")
    p.add_argument("--start-width", type=int, default=8)
    p.add_argument("--penalties", default="0,0.0003,0.001,0.003,0.01,0.03")
    p.add_argument("--learned-lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    torch.manual_seed(a.seed)
    data, source = load_data(a.dataset)
    fabric = Fabric(accelerator="cpu", devices=1)
    model = base_model(fabric, a, data)
    float_acc = test_acc(fabric, model, data)
    base = graph_with_metadata(model.module, a.model, data)
    linears = [n.name for n in base.fx_graph.nodes
               if n.meta["mase"]["common"].get("mase_op") == "linear"]
    widths = [int(w) for w in a.widths.split(",")]
    rows = []

    def record(kind: str, knob: str, configs: dict) -> None:
        torch.manual_seed(a.seed)
        result = run_point(fabric, base, data, a, configs)
        rows.append({"kind": kind, "knob": knob, **result})
        print(f"{kind:8s} {knob:>22s}: acc {result['acc']:.4f}  BitOPs {result['bitops']:>12,.0f}  "
              f"({result['widths']})", flush=True)

    for penalty in [float(x) for x in a.penalties.split(",")]:
        record("learned", f"penalty {penalty:g}", {n: learned(a.start_width, penalty, a.learned_lr) for n in linears})
    for w in widths:
        record("searched", f"uniform {w}", {n: fixed(w, w) for n in linears})
    rng = random.Random(a.seed)
    for i in range(a.random):
        picks = {n: (rng.choice(widths), rng.choice(widths)) for n in linears}
        record("searched", f"random {i}", {n: fixed(*picks[n]) for n in linears})

    searched = [r for r in rows if r["kind"] == "searched"]
    for r in rows:
        if r["kind"] == "learned":
            cheaper = [s["acc"] for s in searched if s["bitops"] <= r["bitops"]]
            r["best_searched_at_no_more_bitops"] = max(cheaper) if cheaper else None
    stem = f"learned_vs_searched_{a.model}_{a.dataset}"
    DOCS.mkdir(parents=True, exist_ok=True)
    write_csv([{k: r.get(k) for k in ("kind", "knob", "acc", "bitops", "widths", "best_searched_at_no_more_bitops")}
               for r in rows], DOCS / f"{stem}.csv")
    head = (f"{a.model} on {a.dataset} ({source}); float {float_acc:.4f} (base {describe_base(a)}); QAT "
            f"{a.qat_epochs} epoch(s) at lr {a.qat_lr}, batch {a.batch_size}; learned widths start at "
            f"{a.start_width} bits, learned_lr {a.learned_lr}; seed {a.seed}; "
            f"{time.perf_counter() - started:.0f} s in all")
    lines = [head, "", "| kind | setting | test acc | BitOPs/sample | widths in/weight per layer | best searched acc at <= BitOPs |",
             "|---|---|---:|---:|---|---:|"]
    for r in rows:
        best = r.get("best_searched_at_no_more_bitops")
        lines.append(f"| {r['kind']} | {r['knob']} | {r['acc']:.4f} | {r['bitops']:,.0f} | {r['widths']} | "
                     f"{'' if r['kind'] != 'learned' else ('none' if best is None else f'{best:.4f}')} |")
    text = "\n".join(lines)
    (DOCS / f"{stem}.md").write_text(f"# Learned vs searched widths\n\nCommand: `python benchmarks/learned_vs_searched.py "
                                     f"{' '.join(sys.argv[1:])}`\n\n{text}\n")
    print("\n" + text)
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for kind, marker in (("searched", "o"), ("learned", "s")):
        pts = [r for r in rows if r["kind"] == kind]
        ax.scatter([r["bitops"] for r in pts], [r["acc"] for r in pts], marker=marker, label=kind)
    ax.axhline(float_acc, color="gray", ls="--", label="float32")
    ax.set(xscale="log", xlabel="BitOPs per sample (forward)", ylabel="test accuracy",
           title=f"{a.model} on {a.dataset}: learned vs searched widths")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(DOCS / f"{stem}.png", dpi=120)
    print(f"wrote {DOCS / stem}.md/.csv/.png")


if __name__ == "__main__":
    main()
