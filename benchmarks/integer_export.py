"""Integer export: file sizes (float vs packed integers) and the integer runner's speed.

For jsc-s (16 features) and mlp (784-256-128-10, Fashion-MNIST shape), with 4- and 8-bit
weights (8-bit data and biases): fold BatchNorm, quantize every layer to fixed point, export.
Prints, side by side from one run:
- the float model's safetensors size, the integer file's size, their ratio and w/32;
- the time per batch of the integer runner (`IntegerProgram`, int64 torch) and of the
  fake-quantized float32 model (eval, no grad), medians over alternating rounds;
- whether the two outputs are bit-identical (torch.equal) on that batch.

Run: python benchmarks/integer_export.py [--batch 256] [--rounds 7] [--repeats 20] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import save_model

from chop import MaseGraph
from chop.dataset import DatasetInfo
from chop.export import export_integer, fold_batchnorm
from chop.models import get_model
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)

MODELS = {
    "jsc-s": DatasetInfo("jsc", input_shape=(16,), num_classes=5),
    "mlp": DatasetInfo("fashion-mnist", input_shape=(1, 28, 28), num_classes=10),
}


def config(weight_width: int) -> dict:
    return {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
            "weight_width": weight_width, "weight_frac_width": weight_width + 1,
            "bias_width": 8, "bias_frac_width": 6}


def build(name: str, weight_width: int, directory: Path):
    """(float bytes, integer bytes, fake-quantized graph, program) of one model."""
    info = MODELS[name]
    torch.manual_seed(0)
    mg = MaseGraph(get_model(name, info), model_name=name, dataset_info=info)
    mg, _ = init_metadata_analysis_pass(mg, None)
    dummy = {"x": torch.randn(4, *info.input_shape)}
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": dummy})
    save_model(mg.model, str(directory / f"{name}.float.safetensors"))
    folded = fold_batchnorm(mg)
    by_type = {"by": "type", "default": {"config": config(weight_width)}}
    q, _ = quantize_transform_pass(folded, by_type)
    q.model.eval()
    program = export_integer(q)
    path = program.save(directory / f"{name}.w{weight_width}.int.safetensors")
    return (directory / f"{name}.float.safetensors").stat().st_size, path.stat().st_size, q, program


def per_batch_seconds(fn, x: torch.Tensor, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        fn(x)
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    header = (f"{'model':<6} {'w':>2} {'float B':>8} {'int B':>7} {'ratio':>6} {'w/32':>6} "
              f"{'int ms':>7} {'fake ms':>7} {'int/fake':>8} {'bit-exact':>9}")
    print(f"batch {args.batch}, {args.threads} thread(s)\n{header}")
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        for name, info in MODELS.items():
            for weight_width in (4, 8):
                float_bytes, int_bytes, q, program = build(name, weight_width, Path(tmp))
                x = torch.randn(args.batch, *info.input_shape) * 2
                exact = torch.equal(program(x), q.model(x))
                int_times, fake_times = [], []
                for _ in range(args.rounds):
                    int_times.append(per_batch_seconds(program, x, args.repeats))
                    fake_times.append(per_batch_seconds(q.model, x, args.repeats))
                int_ms = statistics.median(int_times) * 1e3
                fake_ms = statistics.median(fake_times) * 1e3
                print(f"{name:<6} {weight_width:>2} {float_bytes:>8} {int_bytes:>7} "
                      f"{int_bytes / float_bytes:>6.3f} {weight_width / 32:>6.3f} {int_ms:>7.3f} "
                      f"{fake_ms:>7.3f} {int_ms / fake_ms:>8.2f} {str(exact):>9}")


if __name__ == "__main__":
    main()
