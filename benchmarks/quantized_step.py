"""Cost of fixed-point quantization in a training step, side by side with float.

Two models at batch 256, every Linear quantized (`integer`: inputs, weights and biases), one
forward + backward + optimizer step each:
  jsc-s   BN16, ReLU, Linear(16,64), ReLU, Linear(64,64), ReLU, Linear(64,5), BN5, ReLU, with
          BN and ReLU quantized too (8 bits, 4 fractional), SGD: small tensors, so what counts
          is the cost per quantizer call;
  mlp     the registered mlp's shape (784-256-128-10, ReLU), 4-bit unsigned inputs and signed
          weights/biases, Adam (the Brevitas benchmark's QAT step): large tensors, so what
          counts is the cost per element; and the same with learned widths (inputs and weights
          learn fraction and width, with the BitOPs penalty in the loss).
Float and quantized steps alternate one by one (machine noise hits both alike); prints the
median step times and their ratio (quantized / float; the issue's target is <= 1.5x).

Run: python benchmarks/quantized_step.py [--steps 400] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from chop.nn.learned import bit_penalty, has_learners, parameter_groups
from chop.nn.quantized import from_float

JSC_CONFIG = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
              "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}
MLP_CONFIG = {"name": "integer", "data_in_width": 4, "data_in_frac_width": 3,
              "data_in_is_signed": False, "weight_width": 4, "weight_frac_width": 5,
              "bias_width": 4, "bias_frac_width": 5}
LEARNED_CONFIG = {**MLP_CONFIG, "learned": ["data_in", "weight"], "learn_widths": True,
                  "bitops_penalty": 0.001}
BATCH = 256


def jsc_s_shaped() -> nn.Sequential:
    return nn.Sequential(
        nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64),
        nn.ReLU(), nn.Linear(64, 5), nn.BatchNorm1d(5), nn.ReLU(),
    )


def mlp_shaped() -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                         nn.ReLU(), nn.Linear(128, 10))


def quantize_all(model: nn.Sequential, config: dict, only_linear: bool = False) -> nn.Sequential:
    return nn.Sequential(*(from_float(layer, config)
                           if not only_linear or isinstance(layer, nn.Linear) else layer
                           for layer in model))


def median_step_ms(models: dict[str, nn.Module], optimizer: type, x: torch.Tensor,
                   y: torch.Tensor, steps: int, warmup: int = 20) -> dict[str, float]:
    """Median ms of one optimizer step per model, the models taking turns step by step."""
    optimizers = {name: optimizer(parameter_groups(m, 1e-4, 0.0) or m.parameters(), lr=1e-4)
                  for name, m in models.items()}
    learns = {name: has_learners(m) for name, m in models.items()}
    times: dict[str, list[float]] = {name: [] for name in models}
    for index in range(warmup + steps):
        for name, model in models.items():
            start = time.perf_counter()
            optimizers[name].zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            extra = bit_penalty(model) if learns[name] else None
            (loss if extra is None else loss + extra).backward()
            optimizers[name].step()
            if index >= warmup:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cases = {
        "jsc-s": (jsc_s_shaped(), JSC_CONFIG, False, torch.optim.SGD,
                  torch.randn(BATCH, 16), torch.randint(0, 5, (BATCH,))),
        "mlp": (mlp_shaped(), MLP_CONFIG, True, torch.optim.Adam,
                torch.rand(BATCH, 1, 28, 28), torch.randint(0, 10, (BATCH,))),
    }
    for name, (model, config, only_linear, optimizer, x, y) in cases.items():
        models = {"float": model, "quantized": quantize_all(model, config, only_linear)}
        if name == "mlp":
            models["learned"] = quantize_all(model, LEARNED_CONFIG, only_linear)
        ms = median_step_ms(models, optimizer, x, y, args.steps)
        print(f"{name:6s} float {ms['float']:.3f} ms  " + "  ".join(
            f"{kind} {ms[kind]:.3f} ms (ratio {ms[kind] / ms['float']:.2f}x)"
            for kind in models if kind != "float"))


if __name__ == "__main__":
    main()
