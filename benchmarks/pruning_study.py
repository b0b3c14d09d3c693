"""Seed 003's pruning experiment: accuracy vs sparsity, random vs L1-norm, before/after retraining.

A float model is trained once; then for each sparsity s in 0.1..0.9 and each method (random,
l1-norm), `prune_transform_pass` removes exactly round(s*n) weights of every layer but the
classifier (elementwise, local scope). Test accuracy is measured right after pruning and after a
short retraining of the pruned graph (masks keep pruned weights at zero). Prints a table and the
wall time, writes CSV + PNG.

Run: python benchmarks/pruning_study.py [--model mlp --dataset fashion-mnist --retrain-epochs 1]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from lightning_fabric import Fabric

from chop import MaseGraph
from chop.dataset import get_dataset
from chop.passes.graph import (
    prune_transform_pass,
)
from chop.passes.graph.transforms.prune.select import prunable_nodes
from study_common import base_model, graph_with_metadata, describe_base, describe_tuning, dataset_options, pyplot, test_acc, train, write_csv

METHODS = ("random", "l1-norm")


def classifier_name(mg: MaseGraph) -> str:
    """The last prunable layer (Linear/Conv), the classifier: left unpruned, as in seed 003.
    Not merely the last node with a weight: jsc-s ends with a BatchNorm."""
    return prunable_nodes(mg.model)[-1].name


def effective_sparsity(model) -> float:
    masks = [b for name, b in model.named_buffers() if name.endswith("weight_mask")]
    total = sum(m.numel() for m in masks)
    return 1.0 - sum(int(m.sum()) for m in masks) / total if total else 0.0


def sparsity_list(text: str) -> list[float]:
    lo, sep, hi = text.partition("-")
    if sep:
        return [round(0.1 * i, 1) for i in range(round(float(lo) * 10), round(float(hi) * 10) + 1)]
    return [float(s) for s in text.split(",")]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="mlp")
    p.add_argument("--dataset", default="fashion-mnist")
    p.add_argument("--base-epochs", type=int, default=5)
    p.add_argument("--retrain-epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--load", default=None, help="start from this ch train checkpoint instead of training")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--sparsities", default="0.1-0.9", help="0.1-0.9 (steps of 0.1) or a list such as 0.2,0.5,0.9")
    p.add_argument("--retrain-steps", type=int, default=-1, help="cap retraining at this many steps")
    p.add_argument("--max-token-len", type=int, default=None, help="text datasets: tokens per example")
    p.add_argument("--out", default="mase_output/pruning_study")
    a = p.parse_args()
    started = time.perf_counter()
    torch.manual_seed(0)
    data = get_dataset(a.dataset, **dataset_options(a))
    fabric = Fabric(accelerator="cpu", devices=1)
    model = base_model(fabric, a, data)
    float_acc = test_acc(fabric, model, data)
    base = graph_with_metadata(model.module, a.model, data)
    keep = classifier_name(base)

    rows = []
    for sparsity in sparsity_list(a.sparsities):
        for method in METHODS:
            mg, _ = prune_transform_pass(base, {"seed": 0, "weight": {
                "method": method, "scope": "local", "granularity": "elementwise",
                "sparsity": sparsity, "exclude": [keep]}})
            pruned = test_acc(fabric, fabric.setup_module(mg.model), data)
            retrained_model = train(fabric, mg.model, data, a.retrain_epochs, a.lr, a.batch_size, a.retrain_steps)
            retrained = test_acc(fabric, retrained_model, data)
            rows.append({"sparsity": sparsity, "method": method, "pruned": pruned, "retrained": retrained,
                         "measured_sparsity": effective_sparsity(retrained_model.module)})
            print(f"sparsity {sparsity:.1f} {method:8s}: after pruning {pruned:.4f}  "
                  f"after {describe_tuning(a.retrain_epochs, a.retrain_steps)} retraining {retrained:.4f}", flush=True)
    wall = time.perf_counter() - started

    out = Path(a.out) / f"{a.model}_{a.dataset}"
    out.mkdir(parents=True, exist_ok=True)
    write_csv(rows, out / "pruning.csv")
    print(f"\n{a.model} on {a.dataset}: float test accuracy {float_acc:.4f} {describe_base(a)}; "
          f"classifier '{keep}' unpruned; wall time {wall:.0f} s")
    print("| sparsity | random: pruned | random: retrained | l1-norm: pruned | l1-norm: retrained |")
    print("|---:|---:|---:|---:|---:|")
    by = {(r["sparsity"], r["method"]): r for r in rows}
    sparsities = sorted({r["sparsity"] for r in rows})
    for s in sparsities:
        r, l1 = by[(s, "random")], by[(s, "l1-norm")]
        print(f"| {s:.1f} | {r['pruned']:.4f} | {r['retrained']:.4f} | {l1['pruned']:.4f} | {l1['retrained']:.4f} |")
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for method, color in zip(METHODS, ("tab:red", "tab:blue")):
        ax.plot(sparsities, [by[(s, method)]["pruned"] for s in sparsities], "o--", color=color,
                label=f"{method}, after pruning")
        ax.plot(sparsities, [by[(s, method)]["retrained"] for s in sparsities], "s-", color=color,
                label=f"{method}, retrained {describe_tuning(a.retrain_epochs, a.retrain_steps)}")
    ax.axhline(float_acc, color="gray", ls=":", label="dense float")
    ax.set(xlabel="weight sparsity", ylabel="test accuracy", title=f"Pruning {a.model} on {a.dataset}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "accuracy_vs_sparsity.png", dpi=120)
    print(f"wrote {out / 'pruning.csv'} and {out / 'accuracy_vs_sparsity.png'}")


if __name__ == "__main__":
    main()
