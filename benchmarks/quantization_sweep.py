"""Fixed-point width sweep: accuracy after post-training quantization and after a short QAT.

For each width w in 2..16, every Linear (inputs, weights, biases) is quantized to w-bit fixed
point with fractional widths calibrated from training data ("auto": max |w| for parameters, the
99.9% quantile of |x| over 8 training batches for inputs). PTQ accuracy is measured on the test
split right away; QAT then fine-tunes the quantized graph for a few epochs (straight-through
gradients) and measures again. Prints a table and writes CSV + PNG (accuracy vs bit width).

Run:
  python benchmarks/quantization_sweep.py --model mlp --dataset fashion-mnist
  python benchmarks/quantization_sweep.py --model jsc-s --dataset jsc   # JSC schema fixture if
                                                                        # the real file is absent
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
from lightning_fabric import Fabric

from chop import MaseGraph
from chop.dataset import get_dataset
from chop.engine.batches import endless_inputs
from chop.errors import DataError
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)
from study_common import base_model, describe_base, describe_tuning, dataset_options, pyplot, test_acc, train, write_csv


def load_data(name: str, **options):
    try:
        return get_dataset(name, **options), "real"
    except DataError:
        if name != "jsc":
            raise
    # No JSC file here: the test suite's schema fixture (learnable synthetic rows).
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest import write_jsc_h5  # noqa: E402

    root = Path(tempfile.mkdtemp(prefix="machop-jsc-"))
    write_jsc_h5(root / "jsc" / "processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z",
                 n_rows=20_000, seed=0)
    os.environ["MACHOP_DATA_DIR"] = str(root)
    return get_dataset(name), "schema fixture"


def quantize(base: MaseGraph, data, width: int, batch_size: int) -> MaseGraph:
    config = {"name": "integer"}
    for operand in ("data_in", "weight", "bias"):
        config[f"{operand}_width"] = width
        config[f"{operand}_frac_width"] = "auto"
    batches = endless_inputs(data.train, batch_size, seed=1)
    mg, _ = quantize_transform_pass(base, {
        "by": "type", "linear": {"config": config}, "input_generator": batches,
        "calibration": {"statistic": "quantile", "quantile": 0.999, "num_batches": 8}})
    return mg


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="mlp")
    p.add_argument("--dataset", default="fashion-mnist")
    p.add_argument("--widths", default="2-16", help="e.g. 2-16 or 4,8,16")
    p.add_argument("--base-epochs", type=int, default=5)
    p.add_argument("--qat-epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--load", default=None, help="start from this ch train checkpoint instead of training")
    p.add_argument("--lr", type=float, default=1e-3, help="base training rate")
    p.add_argument("--qat-lr", type=float, default=1e-4)
    p.add_argument("--qat-steps", type=int, default=-1, help="cap QAT (and the float fine-tune) at this many steps")
    p.add_argument("--max-token-len", type=int, default=None, help="text datasets: tokens per example")
    p.add_argument("--out", default="mase_output/quantization_sweep")
    a = p.parse_args()
    lo, _, hi = a.widths.partition("-")
    widths = list(range(int(lo), int(hi) + 1)) if hi else [int(w) for w in a.widths.split(",")]
    started = time.perf_counter()
    torch.manual_seed(0)
    data, source = load_data(a.dataset, **dataset_options(a))
    fabric = Fabric(accelerator="cpu", devices=1)
    model = base_model(fabric, a, data)
    float_acc = test_acc(fabric, model, data)
    # The fair reference for QAT: the float model fine-tuned just as long at the same rate.
    tuned = train(fabric, copy.deepcopy(model.module), data, a.qat_epochs, a.qat_lr, a.batch_size, a.qat_steps)
    float_tuned_acc = test_acc(fabric, tuned, data)
    base = MaseGraph(model.module, model_name=a.model, dataset_info=data.info)
    base, _ = init_metadata_analysis_pass(base, None)
    base, _ = add_common_metadata_analysis_pass(base, {"dummy_in": data.train.inputs(8)})

    rows = []
    for width in widths:
        mg = quantize(base, data, width, a.batch_size)
        ptq = test_acc(fabric, fabric.setup_module(mg.model), data)
        qat_model = train(fabric, mg.model, data, a.qat_epochs, a.qat_lr, a.batch_size, a.qat_steps)
        qat = test_acc(fabric, qat_model, data)
        rows.append({"width": width, "float": float_acc, "ptq": ptq, "float_tuned": float_tuned_acc,
                     "qat": qat})
        print(f"width {width:2d}: PTQ {ptq:.4f} (float {float_acc:.4f})  QAT({a.qat_epochs} ep) {qat:.4f} "
              f"(float tuned as long {float_tuned_acc:.4f})", flush=True)

    out = Path(a.out) / f"{a.model}_{a.dataset}"
    out.mkdir(parents=True, exist_ok=True)
    write_csv(rows, out / "sweep.csv")
    print(f"\n{a.model} on {a.dataset} ({source}); test accuracy; base {describe_base(a)}, "
          f"QAT {a.qat_epochs} epoch(s) (at most {a.qat_steps} steps) at lr {a.qat_lr}; "
          f"{time.perf_counter() - started:.0f} s in all")
    print("| width | PTQ | float | QAT | float tuned as long |\n|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['width']} | {r['ptq']:.4f} | {r['float']:.4f} | {r['qat']:.4f} | {r['float_tuned']:.4f} |")
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(widths, [r["ptq"] for r in rows], "o-", label="PTQ (calibrated)")
    ax.plot(widths, [r["qat"] for r in rows], "s-", label=f"QAT ({describe_tuning(a.qat_epochs, a.qat_steps)})")
    ax.axhline(float_acc, color="gray", ls="--", label="float32")
    ax.axhline(float_tuned_acc, color="gray", ls=":", label=f"float32 + {describe_tuning(a.qat_epochs, a.qat_steps)}")
    ax.set(xlabel="fixed-point width (bits)", ylabel="test accuracy",
           title=f"{a.model} on {a.dataset}: accuracy vs bit width")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "accuracy_vs_width.png", dpi=120)
    print(f"wrote {out / 'sweep.csv'} and {out / 'accuracy_vs_width.png'}")


if __name__ == "__main__":
    main()
