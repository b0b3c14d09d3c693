"""How layers with parameters compute when their parameters are given (already quantized).

`compute(module, *inputs, *parameters)` reproduces the float module's forward with the
parameters passed in, so a quantized layer can run on quantized copies of its weights while its
settings (stride, eps, momentum, ...) keep their meaning. The op table (`chop.nn.optable`) names
one of these for each layer that has parameters.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn


def linear(m: nn.Linear, x, weight, bias):
    return F.linear(x, weight, bias)


def conv(m: nn.Conv1d, x, weight, bias):
    return m._conv_forward(x, weight, bias)  # handles padding_mode like the float forward


def batch_norm(m: nn.BatchNorm1d, x, weight, bias):
    """The float BatchNorm forward with given affine parameters (same running-stat updates)."""
    m._check_input_dim(x)
    momentum = 0.0 if m.momentum is None else m.momentum
    if m.training and m.track_running_stats and m.num_batches_tracked is not None:
        m.num_batches_tracked.add_(1)
        if m.momentum is None:  # cumulative moving average
            momentum = 1.0 / float(m.num_batches_tracked)
    use_batch_stats = m.training or (m.running_mean is None and m.running_var is None)
    keep_stats = not m.training or m.track_running_stats
    return F.batch_norm(x, m.running_mean if keep_stats else None,
                        m.running_var if keep_stats else None, weight, bias,
                        use_batch_stats, momentum, m.eps)


def layer_norm(m: nn.LayerNorm, x, weight, bias):
    return F.layer_norm(x, m.normalized_shape, weight, bias, m.eps)


def group_norm(m: nn.GroupNorm, x, weight, bias):
    return F.group_norm(x, m.num_groups, weight, bias, m.eps)


def rms_norm(m: nn.RMSNorm, x, weight):
    return F.rms_norm(x, m.normalized_shape, weight, m.eps)


def prelu(m: nn.PReLU, x, weight):
    return F.prelu(x, weight)
