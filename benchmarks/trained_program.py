"""A trained, pruned, low-bit integer program of a registered model, for the hardware benchmarks.

The flow a user would run (`ch train`, then `ch transform` with fold_batchnorm, prune and
quantize, then fine-tuning), in one function so that a benchmark can rebuild the same design from
its flags: train the float model `epochs` epochs (Adam, lr 1e-3), fold its BatchNorms into the
Linear before them, prune every Linear's weights by L1 magnitude (`sparsity` of each layer,
elementwise), quantize every op to fixed point (data and weights `"auto"` fractions calibrated on
training batches, biases 8 bits), fine-tune `qat_epochs` epochs with quantization in the loop
(pruned weights stay zero), then export the integer program.

Random weights make a poor hardware benchmark: every constant has all its digits, no weight is
zero, and the accumulators are as wide as the format allows. A trained, pruned model is what the
field synthesizes (LogicNets, hls4ml, da4ml all report trained sparse low-bit models).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from chop.engine.epoch import evaluate_split, train_epochs
from chop.export import export_integer
from chop.export.runner import IntegerProgram
from chop.ir.inputs import example_batches, example_inputs
from chop.models import get_model
from chop.passes.runner import run_passes
from chop.search.trial import lift


@dataclass
class TrainedProgram:
    program: IntegerProgram
    float_acc: float  # test accuracy of the float model before pruning and quantization
    qat_acc: float  # test accuracy of the fake-quantized, pruned model after fine-tuning
    integer_acc: float  # test accuracy of the integer program (what the hardware computes)
    sparsity: float  # zero weights / all weights of the Linear layers, measured
    cpu_seconds: float  # training, passes and export (this process)


def _passes(data_bits: int, weight_bits: int, sparsity: float, seed: int) -> dict:
    config = {"name": "integer", "data_in_width": data_bits, "data_in_frac_width": "auto",
              "weight_width": weight_bits, "weight_frac_width": "auto",
              "bias_width": 8, "bias_frac_width": "auto"}
    return {
        "fold_batchnorm": {},
        "prune": {"seed": seed, "weight": {"method": "l1-norm", "scope": "local",
                                           "granularity": "elementwise", "sparsity": sparsity}},
        "quantize": {"by": "type", "default": {"config": config},
                     "calibration": {"statistic": "quantile", "quantile": 0.999, "num_batches": 8}},
    }


def _accuracy(program: IntegerProgram, split) -> float:
    return float((program(split.x).argmax(-1) == split.y).float().mean())


def linear_sparsity(program: IntegerProgram) -> float:
    weights = [program.tensors[op["weight"]] for op in program.ops if op["op"] == "linear"]
    return sum(int((w == 0).sum()) for w in weights) / sum(w.numel() for w in weights)


def trained_program(model_name: str, data, data_bits: int, weight_bits: int, sparsity: float,
                    epochs: int = 10, qat_epochs: int = 6, seed: int = 0) -> TrainedProgram:
    """See the module docstring; `data` is a `chop.dataset` Dataset."""
    start = time.process_time()
    torch.manual_seed(seed)
    model = get_model(model_name, data.info)
    settings = {"optimizer": "adam", "learning_rate": 1e-3, "batch_size": 256}
    train_epochs(model, data.train, settings, epochs, seed)
    float_acc = evaluate_split(model, data.test)["acc"]
    mg = lift(model, model_name, data)
    context = {"dummy_in": example_inputs(mg.model, data.train, 32),
               "input_generator": example_batches(mg.model, data.train, 256, seed)}
    mg, _ = run_passes(mg, _passes(data_bits, weight_bits, sparsity, seed), context)
    train_epochs(mg.model, data.train, settings, qat_epochs, seed + 1)
    mg.model.eval()
    qat_acc = evaluate_split(mg.model, data.test)["acc"]
    program = export_integer(mg)
    return TrainedProgram(program, float_acc, qat_acc, _accuracy(program, data.test),
                          linear_sparsity(program), time.process_time() - start)
