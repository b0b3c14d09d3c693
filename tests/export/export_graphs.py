"""Helpers for the export tests: registered models traced with non-trivial BatchNorm state,
and the fold -> quantize flow whose fake-quantized model the integer program must match."""

from __future__ import annotations

import torch
from torch import nn

from chop import MaseGraph
from chop.dataset import DatasetInfo
from chop.export import fold_batchnorm
from chop.models import get_model
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)

JSC = DatasetInfo("jsc", input_shape=(16,), num_classes=5)
DIGITS = DatasetInfo("digits", input_shape=(1, 8, 8), num_classes=10)
SEQUENCE = DatasetInfo("sequence", input_shape=(2, 8), num_classes=4)
INFOS = {"jsc-tiny": JSC, "jsc-s": JSC, "jsc-toy": JSC, "mlp": DIGITS, "cnn": DIGITS,
         "digits-like": DIGITS, "sequence": SEQUENCE}


def fixed(width: int = 8, frac: int = 4, weight_width: int = 8, weight_frac: int = 4,
          bias_width: int = 8, bias_frac: int = 4, **extra) -> dict:
    """An "integer" quantization config."""
    return {"name": "integer", "data_in_width": width, "data_in_frac_width": frac,
            "weight_width": weight_width, "weight_frac_width": weight_frac,
            "bias_width": bias_width, "bias_frac_width": bias_frac, **extra}


def randomise_batchnorms(model: nn.Module, seed: int = 0) -> nn.Module:
    """Running statistics and affine parameters far from their initial values (in place)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.track_running_stats:
                n = module.num_features
                module.running_mean.copy_(torch.rand(n, generator=generator) * 2 - 1)
                module.running_var.copy_(torch.rand(n, generator=generator) * 1.5 + 0.5)
                if module.affine:
                    module.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                    module.bias.copy_(torch.rand(n, generator=generator) - 0.5)
    return model


def traced(name: str, seed: int = 0, model: nn.Module | None = None) -> MaseGraph:
    """Registered model `name` (or `model`), BatchNorms randomised, with common metadata."""
    info = INFOS.get(name, JSC)
    torch.manual_seed(seed)
    registered = model is None
    model = randomise_batchnorms(get_model(name, info) if registered else model, seed)
    mg = MaseGraph(model, model_name=name if registered else None, dataset_info=info)
    mg, _ = init_metadata_analysis_pass(mg, None)
    dummy = torch.randn(4, *info.input_shape)
    placeholder = next(node.target for node in mg.fx_graph.nodes if node.op == "placeholder")
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {placeholder: dummy}})
    return mg


def quantized(mg: MaseGraph, config: dict | None = None, fold: bool = True) -> MaseGraph:
    """fold (optionally) -> quantize every quantizable op with `config`; eval mode."""
    if fold:
        mg = fold_batchnorm(mg)
    mg, _ = quantize_transform_pass(mg, {"by": "type", "default": {"config": config or fixed()}})
    mg.model.eval()
    return mg


def random_inputs(name: str, batch: int = 256, seed: int = 1) -> torch.Tensor:
    """Inputs at several scales, so that some values saturate and many round at ties."""
    generator = torch.Generator().manual_seed(seed)
    shape = INFOS.get(name, JSC).input_shape
    scales = torch.tensor([0.25, 1.0, 4.0, 16.0]).repeat_interleave(batch // 4)
    x = torch.randn(batch, *shape, generator=generator)
    return x * scales.view(-1, *([1] * len(shape)))
