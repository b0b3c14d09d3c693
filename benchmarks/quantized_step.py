"""Cost of 8-bit fixed-point quantization in a training step, side by side with float.

A jsc-s-shaped MLP (BN16, ReLU, Linear(16,64), ReLU, Linear(64,64), ReLU, Linear(64,5), BN5,
ReLU) at batch 256: one forward + backward + SGD step, float and with every layer quantized
(integer, data_in/weight/bias width 8, frac 4), timed alternately in one process. Prints the
median step times and their ratio (quantized / float).

Run: python benchmarks/quantized_step.py [--steps 300] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from chop.nn.quantized import from_float

CONFIG = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
          "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}
BATCH = 256


def jsc_s_shaped() -> nn.Sequential:
    return nn.Sequential(
        nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64),
        nn.ReLU(), nn.Linear(64, 5), nn.BatchNorm1d(5), nn.ReLU(),
    )


def quantize_all(model: nn.Sequential) -> nn.Sequential:
    return nn.Sequential(*(from_float(layer, CONFIG) for layer in model))


def step_seconds(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int) -> list[float]:
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    float_model = jsc_s_shaped()
    quantized_model = quantize_all(float_model)
    x, y = torch.randn(BATCH, 16), torch.randint(0, 5, (BATCH,))
    float_times, quantized_times = [], []
    step_seconds(float_model, x, y, 20)  # warm up
    step_seconds(quantized_model, x, y, 20)
    for _ in range(args.rounds):  # alternate so that machine noise hits both alike
        float_times += step_seconds(float_model, x, y, args.steps)
        quantized_times += step_seconds(quantized_model, x, y, args.steps)
    float_ms = statistics.median(float_times) * 1e3
    quantized_ms = statistics.median(quantized_times) * 1e3
    print(f"float step      {float_ms:.3f} ms")
    print(f"quantized step  {quantized_ms:.3f} ms  (integer 8/4 on every layer)")
    print(f"ratio           {quantized_ms / float_ms:.2f}x")


if __name__ == "__main__":
    main()
