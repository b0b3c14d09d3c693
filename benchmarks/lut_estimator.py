"""Calibrate and check `chop.hardware.estimate` against yosys on many random small programs.

Each design is a random MLP (1-3 Linear layers of 1-32 units, ReLU between them, an input
BatchNorm folded into a per-channel affine on some), quantized to random fixed-point widths
(data 2-8 bits, weights 2-8 bits), some of its weights zeroed (0-80%), emitted with a random
constant-multiplication style ("csd" or "mul") and a register stage per layer, then synthesized
with the installed yosys (`synth -lut 6`, hierarchy kept). Per layer, the emitter's tallies
(adder, multiplier, compare, mux, round and register bits; adder levels) are the features; the
targets are yosys's LUTs, flip-flops and logic depth of that layer.

The script fits non-negative LUT coefficients (least squares on LUTs per layer) and a linear
depth model, prints them (paste them into `chop/hardware/estimate.py` with the figures they came
from), and prints the estimate's error on each design's total LUTs side by side with yosys:
out-of-fold (5-fold: every design predicted by coefficients fitted without it) and for the
coefficients in the library (`ESTIMATOR`). Also jsc-tiny at 8 and 4 bits, both styles, and the
estimator's time per call on jsc-s (the per-trial cost in a search).

Run: python benchmarks/lut_estimator.py [--designs 60] [--seed 0] [--cache yosys.json]
     [--yosys auto|pinned|system]
     (--cache keeps yosys's figures between runs: only new designs are synthesized)
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import nnls
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "export"))
from export_graphs import fixed, quantized, traced  # noqa: E402

from chop import MaseGraph  # noqa: E402
from chop.dataset import DatasetInfo  # noqa: E402
from chop.export import export_integer  # noqa: E402
from chop.hardware import HardwareOptions, emit_design  # noqa: E402
from chop.hardware.estimate import (  # noqa: E402
    DEPTH_FEATURES,
    ESTIMATOR,
    LUT_FEATURES,
    estimate_design,
    estimate_program,
)
from chop.hardware.files import read_manifest, write_design  # noqa: E402
from chop.hardware.synth import synthesize  # noqa: E402
from chop.hardware.yosys import find_yosys  # noqa: E402
from chop.passes.graph import add_common_metadata_analysis_pass, init_metadata_analysis_pass  # noqa: E402


def random_spec(rng: random.Random, index: int) -> dict:
    depth = rng.choice([1, 1, 2, 2, 3])
    sizes = [rng.randint(2, 24)] + [rng.randint(1, 24) for _ in range(depth)]
    data_w = rng.randint(2, 8)
    weight_w = rng.randint(2, 8)
    return {"name": f"rand{index}", "sizes": sizes, "batch_norm": rng.random() < 0.3,
            "data": [data_w, rng.randint(0, data_w)], "weight": [weight_w, rng.randint(1, weight_w)],
            "scale": rng.choice([0.25, 0.5, 1.0, 2.0]), "sparsity": rng.choice([0.0, 0.0, 0.3, 0.6, 0.8]),
            "multiplier": rng.choice(["csd", "csd", "mul"]), "seed": rng.randint(0, 10**6)}


def program_of(spec: dict):
    """The integer program of the random MLP `spec` describes."""
    if spec.get("model"):  # a registered model (jsc-tiny) with random BatchNorm state
        w, f = spec["weight"]
        config = fixed(spec["data"][0], spec["data"][1], w, f, w, f)
        return export_integer(quantized(traced(spec["model"], spec["seed"]), config), on_inexact="warn")
    torch.manual_seed(spec["seed"])
    sizes = spec["sizes"]
    layers: list[nn.Module] = [nn.BatchNorm1d(sizes[0])] if spec["batch_norm"] else []
    for k in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    generator = torch.Generator().manual_seed(spec["seed"])
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                module.weight.mul_(spec["scale"] * module.in_features ** 0.5)
                keep = torch.rand(module.weight.shape, generator=generator) >= spec["sparsity"]
                module.weight.mul_(keep)
            if isinstance(module, nn.BatchNorm1d):
                module.running_mean.uniform_(-1, 1, generator=generator)
                module.running_var.uniform_(0.5, 2, generator=generator)
    model.eval()
    info = DatasetInfo("random", input_shape=(sizes[0],), num_classes=sizes[-1])
    mg = MaseGraph(model, dataset_info=info)
    mg, _ = init_metadata_analysis_pass(mg, None)
    placeholder = next(node.target for node in mg.fx_graph.nodes if node.op == "placeholder")
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {placeholder: torch.randn(4, sizes[0])}})
    (dw, df), (ww, wf) = spec["data"], spec["weight"]
    return export_integer(quantized(mg, fixed(dw, df, ww, wf, ww, wf)), on_inexact="warn")


def shape_of(spec: dict) -> tuple[int, ...]:
    return (16,) if spec.get("model") else (spec["sizes"][0],)


def synthesized(spec: dict, timeout: float, yosys: str = "auto") -> dict:
    """yosys's per-layer and total figures for one design (what --cache keeps)."""
    program = program_of(spec)
    options = HardwareOptions(multiplier=spec["multiplier"], synth_timeout=timeout, yosys=yosys)
    with tempfile.TemporaryDirectory() as folder:
        rtl = Path(folder) / "rtl"
        write_design(emit_design(program, options, shape_of(spec)), rtl)
        report = synthesize(rtl, read_manifest(rtl), options, Path(folder) / "synth")
    return {"layers": [{k: layer[k] for k in ("luts", "ffs", "logic_depth")} for layer in report["layers"]],
            "total": report["total"], "critical_depth": report["critical_depth"],
            "yosys": report["yosys"], "cpu_seconds": report["cpu_seconds"]}


def with_tallies(spec: dict, synth: dict) -> dict:
    """The design's rows: the emitter's tallies of each layer beside yosys's figures."""
    design = emit_design(program_of(spec), HardwareOptions(multiplier=spec["multiplier"]), shape_of(spec))
    layers = [{**info["logic"], "luts": s["luts"], "ffs": s["ffs"], "depth": s["logic_depth"]}
              for info, s in zip(design.manifest["layers"], synth["layers"])]
    return {**synth, "spec": spec, "layers": layers, "manifest": design.manifest}


def lut_matrix(rows: list[dict]) -> np.ndarray:
    return np.array([[row.get(f, 0) for f in LUT_FEATURES] for row in rows], dtype=float)


def depth_matrix(rows: list[dict]) -> np.ndarray:
    return np.array([[1.0] + [row.get(f, 0) for f in DEPTH_FEATURES[1:]] for row in rows])


def fit(designs: list[dict]) -> tuple[dict, dict]:
    rows = [layer for d in designs for layer in d["layers"]]
    lut, _ = nnls(lut_matrix(rows), np.array([r["luts"] for r in rows], dtype=float))
    depth, *_ = np.linalg.lstsq(depth_matrix(rows), np.array([r["depth"] for r in rows], float), rcond=None)
    return dict(zip(LUT_FEATURES, lut.round(4).tolist())), dict(zip(DEPTH_FEATURES, depth.round(4).tolist()))


def predict(design: dict, luts: dict, depths: dict) -> tuple[float, float]:
    rows = design["layers"]
    total = float((lut_matrix(rows) @ np.array([luts[f] for f in LUT_FEATURES])).sum())
    layer_depths = depth_matrix(rows) @ np.array([depths[f] for f in DEPTH_FEATURES])
    return total, float(max(layer_depths))


def errors(designs, predictions) -> str:
    """Relative error of total LUTs: over every design, and over those of 500 LUTs or more."""
    rel = [abs(p - d["total"]["luts"]) / max(d["total"]["luts"], 1) for d, p in zip(designs, predictions)]
    big = [e for e, d in zip(rel, designs) if d["total"]["luts"] >= 500]
    text = f"all {len(rel)}: mean {100 * np.mean(rel):.1f}%, median {100 * np.median(rel):.1f}%, max {100 * max(rel):.0f}%"
    if big:
        text += (f"; the {len(big)} of >= 500 LUTs: mean {100 * np.mean(big):.1f}%, median "
                 f"{100 * np.median(big):.1f}%, max {100 * max(big):.0f}%")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--synth-timeout", type=float, default=300)
    parser.add_argument("--yosys", default="auto", choices=["auto", "pinned", "system"],
                        help="[hardware] yosys; keep one --cache file per yosys version")
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.getLogger("chop").setLevel(logging.ERROR)
    rng = random.Random(args.seed)
    specs = [random_spec(rng, i) for i in range(args.designs)]
    specs += [{"name": f"jsc-tiny-{b}-{m}", "model": "jsc-tiny", "data": [8, 4], "weight": [b, min(4, b - 1)],
               "multiplier": m, "seed": 0} for b in (8, 4) for m in ("csd", "mul")]
    cache = json.loads(args.cache.read_text()) if args.cache and args.cache.exists() else {}
    designs, start = [], time.perf_counter()
    for spec in specs:
        key = json.dumps(spec, sort_keys=True)
        if key in cache and cache[key]["yosys"] != find_yosys(args.yosys).version:
            raise SystemExit(f"--cache {args.cache} holds {cache[key]['yosys']}'s figures; "
                             "give one cache file per yosys version.")
        if key not in cache:
            try:
                cache[key] = synthesized(spec, args.synth_timeout, args.yosys)
            except Exception as error:  # a design yosys cannot finish in time: left out, said so
                print(f"{spec['name']}: left out ({type(error).__name__}: {error})", flush=True)
                continue
            if args.cache:
                args.cache.write_text(json.dumps(cache))
        designs.append(with_tallies(spec, cache[key]))
    print(f"{len(designs)} designs ({designs[0]['yosys']}, synth -lut 6), "
          f"{sum(len(d['layers']) for d in designs)} layers, "
          f"{sum(d['cpu_seconds'] for d in designs):.0f} yosys CPU-s "
          f"({time.perf_counter() - start:.0f} s this run)")

    luts, depths = fit(designs)
    print("\nFitted on every design (LUTs per bit of each kind; depth = LUT levels of a layer):")
    print("  LUT coefficients:  ", json.dumps(luts))
    print("  depth coefficients:", json.dumps(depths))

    folds = 5
    oof = [0.0] * len(designs)
    oof_depth = [0.0] * len(designs)
    for k in range(folds):
        train = [d for i, d in enumerate(designs) if i % folds != k]
        fold_luts, fold_depths = fit(train)
        for i, d in enumerate(designs):
            if i % folds == k:
                oof[i], oof_depth[i] = predict(d, fold_luts, fold_depths)
    lib = [predict(d, ESTIMATOR.luts, ESTIMATOR.depth) for d in designs]
    print(f"\nTotal LUTs, estimate vs yosys, out-of-fold ({folds}-fold):\n  {errors(designs, oof)}")
    print(f"with the library's coefficients (fitted on all of these):\n  {errors(designs, [p for p, _ in lib])}")
    tiny = [(d, p) for d, (p, _) in zip(designs, lib) if d["spec"].get("model")]
    print("jsc-tiny (library): " + ", ".join(
        f"{d['spec']['name']} {d['total']['luts']} vs {p:.0f} ({100 * (p - d['total']['luts']) / d['total']['luts']:+.0f}%)"
        for d, p in tiny))
    depth_err = [abs(p - d["critical_depth"]) for d, (_, p) in zip(designs, lib)]
    print(f"Critical depth (LUT levels), library coefficients: mean abs error {np.mean(depth_err):.2f}, "
          f"max {max(depth_err):.1f}")
    ffs = [(estimate_design(d["manifest"], HardwareOptions())["total"]["ffs"], d["total"]["ffs"]) for d in designs]
    ff_rel = [abs(e - y) / max(y, 1) for e, y in ffs]
    print(f"FFs (register bits that can change + valid bits, counted): equal to yosys's on "
          f"{sum(e == y for e, y in ffs)}/{len(ffs)} designs, mean error {100 * np.mean(ff_rel):.1f}%, "
          f"max {100 * max(ff_rel):.0f}%")

    print("\ndesign         mult  sizes           bits(d/w)  sparsity  yosys_LUTs  est_LUTs  err%   "
          "oof_LUTs  yosys_depth  est_depth  FFs")
    for d, (p, pd), o in zip(designs, lib, oof):
        s = d["spec"]
        sizes = "jsc-tiny" if s.get("model") else "-".join(map(str, s["sizes"]))
        y = d["total"]["luts"]
        print(f"{s['name']:<14} {s['multiplier']:<5} {sizes:<15} {s['data'][0]}/{s['weight'][0]:<8} "
              f"{s.get('sparsity', 0):>8.1f}  {y:>10}  {p:>8.0f}  {100 * (p - y) / max(y, 1):>+5.1f}  "
              f"{o:>8.0f}  {d['critical_depth']:>11}  {pd:>9.1f}  {d['total']['ffs']:>4}")

    program = export_integer(quantized(traced("jsc-s"), fixed()), on_inexact="warn")
    options = HardwareOptions()
    estimate_program(program, options, (16,))
    times, cpu = [], []
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        estimate_program(program, options, (16,))
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    print(f"\nEstimator time per call, jsc-s 8-bit CSD (random weights, no zeros): median "
          f"{1e3 * sorted(cpu)[2]:.0f} CPU-ms ({1e3 * sorted(times)[2]:.0f} ms wall on this machine's load)")


if __name__ == "__main__":
    main()
