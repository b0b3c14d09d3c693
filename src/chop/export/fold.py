"""BatchNorm folding, done BEFORE quantization: `fold_batchnorm(mg) -> new MaseGraph`.

An integer program cannot run BatchNorm as the float model does (a float division by the
running standard deviation), and folding a BatchNorm into already-quantized weights changes the
numbers. So the export flow is fold -> quantize -> export, and the exported program is bit-exact
against the *folded* fake-quantized model:

    mg = fold_batchnorm(mg)                    # float, same function in eval mode (allclose)
    mg, _ = quantize_transform_pass(mg, {...})  # quantize the folded weights
    program = export_integer(mg)                # bit-exact with mg.model in eval mode

Every BatchNorm is used with its running statistics (eval-mode semantics): with
`s = gamma / sqrt(running_var + eps)` it computes `y = s * x + (beta - s * running_mean)`.

- A BatchNorm whose input is a float Linear or Conv (used by nothing else) is folded into it:
  `W' = s * W` per output channel, `b' = s * (b - running_mean) + beta`; the BatchNorm node and
  module are removed.
- Any other BatchNorm (e.g. jsc's BatchNorm on the raw input) is *normalised*: replaced by a
  BatchNorm of the same class with `weight = s`, `bias = beta - s * running_mean`,
  `running_mean = 0`, `running_var = 1`, `eps = 0`. In eval mode it computes
  `x * weight + bias` (1/sqrt(1 + 0) is exactly 1; the only rounding left is the multiply-add's,
  none on fixed-point operands within float32's exact range): a per-channel affine that
  quantizes like any layer (config key `batch_norm1d`) and exports as an integer multiply-add.
  It stays that affine in train mode too (a forward pre-hook keeps it in eval mode, so its
  statistics are never re-estimated from batches): a folded graph can be trained, e.g. for
  quantization-aware training or learned widths before an exact integer export.

The arithmetic is done in float64 and rounded once to the parameters' dtype. The input graph is
never changed.
"""

from __future__ import annotations

import logging

import torch
from torch import fx, nn

from chop.errors import ConfigError
from chop.ir.graph import MaseGraph
from chop.nn.quantized import QuantizedModule

logger = logging.getLogger(__name__)

BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
FOLD_TARGETS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
PASS = "fold_batchnorm"


def batchnorm_affine(bn: nn.modules.batchnorm._BatchNorm) -> tuple[torch.Tensor, torch.Tensor]:
    """(scale, shift) in float64 such that eval-mode `bn(x) == scale * x + shift` per channel."""
    var = bn.running_var.detach().to(torch.float64)
    mean = bn.running_mean.detach().to(torch.float64)
    scale = 1.0 / torch.sqrt(var + bn.eps)
    if bn.weight is not None:
        scale = scale * bn.weight.detach().to(torch.float64)
    shift = -scale * mean
    if bn.bias is not None:
        shift = shift + bn.bias.detach().to(torch.float64)
    return scale, shift


def fold_into(layer: nn.Module, bn: nn.Module) -> None:
    """Fold `bn` into `layer` (a copy owned by the new graph) in place."""
    scale, shift = batchnorm_affine(bn)
    weight = layer.weight.detach()
    view = (-1,) + (1,) * (weight.dim() - 1)
    new_weight = weight.to(torch.float64) * scale.view(view)
    bias = layer.bias.detach().to(torch.float64) if layer.bias is not None else 0.0
    new_bias = scale * bias + shift
    layer.weight = nn.Parameter(new_weight.to(weight.dtype), layer.weight.requires_grad)
    layer.bias = nn.Parameter(new_bias.to(weight.dtype), layer.weight.requires_grad)


def keep_statistics(module: nn.Module, args: tuple) -> None:
    """Forward pre-hook of a normalised BatchNorm: always the eval-mode affine, never batch
    statistics (which, with eps = 0, would divide by zero on a constant channel)."""
    module.training = False


def normalised(bn: nn.modules.batchnorm._BatchNorm) -> nn.Module:
    """A BatchNorm of the same class computing `scale * x + shift` exactly in eval mode."""
    scale, shift = batchnorm_affine(bn)
    dtype, device = bn.running_mean.dtype, bn.running_mean.device
    new = type(bn)(bn.num_features, eps=0.0, momentum=bn.momentum, affine=True,
                   track_running_stats=True, device=device, dtype=dtype)
    with torch.no_grad():
        new.weight.copy_(scale)
        new.bias.copy_(shift)
        new.running_mean.zero_()
        new.running_var.fill_(1.0)
    new.train(bn.training)
    new.register_forward_pre_hook(keep_statistics)
    return new


def _check_batchnorm(node: fx.Node, bn: nn.Module) -> None:
    if isinstance(bn, QuantizedModule):
        raise ConfigError(f"fold_batchnorm: node '{node.name}' is already quantized "
                          f"({type(bn).__name__}); fold BatchNorm before quantize_transform_pass.")
    if bn.running_mean is None or bn.running_var is None:
        raise ConfigError(f"fold_batchnorm: node '{node.name}' has no running statistics "
                          "(track_running_stats=False), so it always normalises by batch "
                          "statistics and cannot be folded.")


def _foldable_producer(node: fx.Node, bn: nn.Module, modules: dict) -> fx.Node | None:
    """The float Linear/Conv node that feeds only `node`, with matching channels, or None."""
    if len(node.args) != 1 or not isinstance(node.args[0], fx.Node):
        return None
    producer = node.args[0]
    if producer.op != "call_module" or len(producer.users) != 1:
        return None
    layer = modules[producer.target]
    if isinstance(layer, QuantizedModule) or type(layer) not in FOLD_TARGETS:
        return None
    channels = layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels
    if channels != bn.num_features:
        return None
    if isinstance(layer, nn.Linear):  # BatchNorm's channel axis 1 must be the feature axis
        shape = _result_shape(producer)
        if shape is not None and len(shape) != 2:
            return None
    return producer


def _result_shape(node: fx.Node) -> list | None:
    meta = node.meta.get("mase")
    result = meta["common"].get("results", {}).get("data_out_0", {}) if meta is not None else {}
    return result.get("shape") if isinstance(result, dict) else None


def fold_batchnorm_in_place(gm: fx.GraphModule) -> dict:
    """Fold or normalise every BatchNorm of `gm` (changed in place: the caller's own copy);
    returns {"folded": {bn: layer}, "normalised": [bn, ...]}."""
    modules = dict(gm.named_modules())
    folded: dict[str, str] = {}
    normalised_nodes: list[str] = []
    for node in list(gm.graph.nodes):
        if node.op != "call_module" or not isinstance(modules[node.target], BATCH_NORMS):
            continue
        bn = modules[node.target]
        _check_batchnorm(node, bn)
        producer = _foldable_producer(node, bn, modules)
        if producer is not None:
            fold_into(modules[producer.target], bn)
            node.replace_all_uses_with(producer)
            gm.graph.erase_node(node)
            gm.delete_submodule(node.target)
            folded[node.name] = producer.name
        else:
            parent, _, child = node.target.rpartition(".")
            setattr(gm.get_submodule(parent) if parent else gm, child, normalised(bn))
            normalised_nodes.append(node.name)
    gm.recompile()
    logger.info("fold_batchnorm: folded %s, normalised %s", folded, normalised_nodes)
    return {"folded": folded, "normalised": normalised_nodes}


def fold_batchnorm(mg: MaseGraph) -> MaseGraph:
    """A new graph with every BatchNorm folded into its Linear/Conv or normalised (see above);
    its recipe records the `fold_batchnorm` pass, which `MaseGraph.load` replays."""
    gm = mg.copy_model()
    fold_batchnorm_in_place(gm)
    return mg.derive(gm, PASS, {})
