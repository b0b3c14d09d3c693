"""Low-bit QAT side by side with Brevitas: test accuracy and the QAT-step / float-step ratio.

The registered `mlp` (Flatten, 784-256-128-10 ReLU MLP) on Fashion-MNIST: one float start per
seed (Adam lr 1e-3, batch 256), then the same weights fine-tuned with quantization in the loop at
each width w and learning rate, by both libraries, with the same training loop and batches:

  machop    `integer` fixed point on every Linear (inputs, weights, biases at w bits), fractional
            widths "auto" (calibrated on 8 training batches, statistic "mse" unless --statistic);
            inputs unsigned (the images are in [0, 1], the other Linears read ReLU outputs), so
            they keep all w bits for magnitude. With --fractions learned-activations the hidden
            Linears' input steps start there and train (power-of-two steps, chop.nn.learned; as
            Brevitas learns its activation scales); --fractions learned trains the weights' steps
            too. The network input's step stays calibrated either way: it is the data's, and
            learning it would cost the first Linear's input-gradient matmul (1.74x the float step
            instead of 1.50x).
  Brevitas  QuantIdentity -> QuantLinear -> QuantReLU -> QuantLinear -> QuantReLU -> QuantLinear
            with its defaults at w bits: per-tensor float scales, weights Int, activations learned
            scales (bias left float, as Brevitas does by default).

Accuracies are the mean and sample standard deviation over the seeds. Step times: one Adam step
at batch 256 of the float model and of each side's QAT model, the three taking turns step by
step in this process (median); each side's ratio is QAT step / float step.

Run (Brevitas lives in its own venv): make bench-brevitas
  .venv-brevitas/bin/python benchmarks/brevitas_qat.py --seeds 3 --float-epochs 3 --qat-epochs 2 \
      --out docs/studies/brevitas_qat_mlp_fashion-mnist.md
"""

from __future__ import annotations

import argparse
import copy
import logging
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from chop import MaseGraph
from chop.dataset import get_dataset
from chop.models import get_model
from chop.nn.learned import parameter_groups
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)
from quantized_step import median_step_ms

BATCH = 256
#: --fractions: the operands whose steps train (the network input's never does: see above)
LEARNED = {"auto": (), "learned-activations": ("data_in",), "learned": ("data_in", "weight")}


def batches(split, seed: int):
    order = torch.randperm(len(split.x), generator=torch.Generator().manual_seed(seed))
    for start in range(0, len(order), BATCH):
        index = order[start:start + BATCH]
        yield split.x[index], split.y[index]


def train(model: nn.Module, data, epochs: int, lr: float, seed: int) -> nn.Module:
    # learned steps (--fractions learned*) get their own group and learning rate
    optimizer = torch.optim.Adam(parameter_groups(model, lr, 0.0) or model.parameters(), lr=lr)
    model.train()
    for epoch in range(epochs):
        for x, y in batches(data.train, seed * 1000 + epoch):
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
    return model


@torch.no_grad()
def accuracy(model: nn.Module, split) -> float:
    model.eval()
    correct = sum((model(split.x[i:i + 4096]).argmax(1) == split.y[i:i + 4096]).sum().item()
                  for i in range(0, len(split.x), 4096))
    return correct / len(split.x)


def machop_qat_model(float_model: nn.Module, data, width: int, bias_width: int,
                     statistic: str = "mse", fractions: str = "auto") -> nn.Module:
    mg = MaseGraph(copy.deepcopy(float_model))
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": data.train.x[:8]}})
    config = {"name": "integer", "data_in_width": width, "data_in_frac_width": "auto",
              "data_in_is_signed": False, "weight_width": width, "weight_frac_width": "auto",
              "bias_width": bias_width, "bias_frac_width": "auto"}
    linears = [node.name for node in mg.fx_graph.nodes if node.op == "call_module"
               and isinstance(mg.model.get_submodule(node.target), nn.Linear)]
    args: dict = {"by": "name"}
    for index, name in enumerate(linears):
        learned = [op for op in LEARNED[fractions] if op != "data_in" or index > 0]
        args[name] = {"config": {**config, **{f"{op}_frac_width": "learned" for op in learned}}}
    calibration = ({"x": x} for x, _ in batches(data.train, 7))
    mg, _ = quantize_transform_pass(mg, {**args, "input_generator": calibration,
                                         "calibration": {"num_batches": 8,
                                                         "statistic": statistic}})
    return mg.model


def brevitas_qat_model(float_model: nn.Module, width: int) -> nn.Module:
    import brevitas.nn as qnn

    linears = [m for m in float_model.modules() if isinstance(m, nn.Linear)]
    layers: list[nn.Module] = [nn.Flatten(), qnn.QuantIdentity(bit_width=width)]
    for index, linear in enumerate(linears):
        quant = qnn.QuantLinear(linear.in_features, linear.out_features, bias=linear.bias is not None,
                                weight_bit_width=width)
        quant.load_state_dict(linear.state_dict())
        layers.append(quant)
        if index < len(linears) - 1:
            layers.append(qnn.QuantReLU(bit_width=width))
    return nn.Sequential(*layers)


def mean_sd(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} ± {sd:.4f}"


def compare_steps(data, steps: int, statistic: str) -> None:
    """What learning the steps costs: the float step beside machop's with each --fractions choice."""
    torch.manual_seed(0)
    float_model = train(get_model("mlp", data.info), data, 1, 1e-3, 0)
    models = {"float": copy.deepcopy(float_model).train()}
    for fractions in LEARNED:
        models[fractions] = machop_qat_model(float_model, data, 4, 4, statistic, fractions).train()
    ms = median_step_ms(models, torch.optim.Adam, data.train.x[:BATCH], data.train.y[:BATCH], steps)
    print("step (ms, median of %d, taking turns): " % steps + "; ".join(
        f"{name} {value:.2f} ({value / ms['float']:.2f}x)" for name, value in ms.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="2,3,4,8")
    parser.add_argument("--lrs", default="1e-3,1e-4")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--float-epochs", type=int, default=3)
    parser.add_argument("--qat-epochs", type=int, default=2)
    parser.add_argument("--bias-width", type=int, default=None,
                        help="machop's bias width (default: the same w as everything else)")
    parser.add_argument("--statistic", default="mse", choices=["max", "quantile", "mse"],
                        help="machop's calibration statistic for the 'auto' fractional widths")
    parser.add_argument("--fractions", default="auto", choices=list(LEARNED),
                        help="machop's fractional widths: calibrated once ('auto'), or calibrated "
                             "and then trained as power-of-two steps: the hidden activations' "
                             "('learned-activations') or theirs and the weights' ('learned')")
    parser.add_argument("--timing-steps", type=int, default=60)
    parser.add_argument("--compare-steps", action="store_true",
                        help="only time the float step against machop's step with each --fractions "
                             "choice, side by side (4 bits, seed 0, one float epoch), and exit")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=None, help="also write the table (Markdown) here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    logging.getLogger("chop").setLevel(logging.WARNING)  # the quantize pass's histograms
    widths = [int(w) for w in args.widths.split(",")]
    lrs = [float(lr) for lr in args.lrs.split(",")]
    started = time.perf_counter()
    data = get_dataset("fashion-mnist")

    if args.compare_steps:
        compare_steps(data, args.timing_steps, args.statistic)
        return

    results: dict[tuple[int, float, str], list[float]] = {}
    float_accs = []
    timing: dict[int, dict[str, float]] = {}
    for seed in range(args.seeds):
        torch.manual_seed(seed)
        float_model = train(get_model("mlp", data.info), data, args.float_epochs, 1e-3, seed)
        float_accs.append(accuracy(float_model, data.test))
        print(f"seed {seed}: float {float_accs[-1]:.4f}", flush=True)
        for width in widths:
            for lr in lrs:
                sides = {
                    "machop": machop_qat_model(float_model, data, width, args.bias_width or width,
                                               args.statistic, args.fractions),
                    "brevitas": brevitas_qat_model(float_model, width),
                }
                for side, model in sides.items():
                    torch.manual_seed(seed)
                    acc = accuracy(train(model, data, args.qat_epochs, lr, seed), data.test)
                    results.setdefault((width, lr, side), []).append(acc)
                print(f"  w={width} lr={lr:g}: machop {results[(width, lr, 'machop')][-1]:.4f}  "
                      f"brevitas {results[(width, lr, 'brevitas')][-1]:.4f}", flush=True)
        if seed == 0:
            for width in widths:
                timing[width] = median_step_ms({
                    "float": copy.deepcopy(float_model).train(),
                    "machop": machop_qat_model(float_model, data, width, args.bias_width or width,
                                               args.statistic, args.fractions).train(),
                    "brevitas": brevitas_qat_model(float_model, width).train(),
                }, torch.optim.Adam, data.train.x[:BATCH], data.train.y[:BATCH], args.timing_steps)

    lines = [
        f"mlp on Fashion-MNIST: float start {args.float_epochs} epochs (test "
        f"{mean_sd(float_accs)}), then {args.qat_epochs} QAT epochs, Adam, batch {BATCH}, "
        f"{args.seeds} seed(s), {args.threads} thread(s); machop calibration statistic "
        f"{args.statistic!r}, fractions {args.fractions!r}, bias width {args.bias_width or 'w'}; "
        f"{time.perf_counter() - started:.0f} s in all",
        "",
        "| bits | lr | machop test acc | Brevitas test acc | machop QAT/float step | "
        "Brevitas QAT/float step |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for width in widths:
        t = timing[width]
        for lr in lrs:
            lines.append(
                f"| {width} | {lr:g} | {mean_sd(results[(width, lr, 'machop')])} | "
                f"{mean_sd(results[(width, lr, 'brevitas')])} | {t['machop'] / t['float']:.2f}x | "
                f"{t['brevitas'] / t['float']:.2f}x |")
    lines += ["", "step times (ms, median): " + "; ".join(
        f"w={w}: float {t['float']:.2f}, machop {t['machop']:.2f}, brevitas {t['brevitas']:.2f}"
        for w, t in timing.items())]
    print("\n" + "\n".join(lines))
    if args.out:
        command = " ".join(["python benchmarks/brevitas_qat.py", *sys.argv[1:]])
        with open(args.out, "w") as handle:
            handle.write("# Low-bit QAT: machop against Brevitas\n\n"
                         f"Made by `{command}` ({__doc__.splitlines()[0]}).\n\n"
                         + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
