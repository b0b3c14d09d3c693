"""The bit-cost penalty that makes training choose widths, and the optimizer groups of the widths.

Each quantized module with a learned operand records, in a training forward pass, its
multiply-accumulates per sample (MACs) and the product of its two operands' widths as a tensor
whose gradient reaches the learned widths (an unquantized operand counts 32 bits). Then

    penalty = sum_m bitops_penalty_m * MACs_m * bits_x_m * bits_w_m / sum_m MACs_m

i.e. `bitops_penalty` times the BitOPs per MAC (8-bit x 8-bit everywhere: 64), so one value of
`bitops_penalty` means the same on a small and a large model. It is what HGQ calls the EBOPs
regulariser, normalised by MACs.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch import nn

from chop.nn.learned.fixed import LearnedFixedPoint

FLOAT_BITS = 32
#: The last training pass's cost per module, beside the modules rather than on them: a module
#: holding a tensor with autograd history could not be deep-copied (graph copies, saving).
_COSTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def operand_width(spec: Any) -> torch.Tensor | float:
    """The width of an operand: a tensor for a learned one (gradient to its widths)."""
    if spec is None:
        return float(FLOAT_BITS)
    if isinstance(spec, LearnedFixedPoint):
        return spec.width_term()
    return float(spec.bits)


def macs_per_sample(weight: torch.Tensor | None, inputs: Sequence[Any], out: Any) -> int:
    """Multiply-accumulates per sample of a weighted op (Linear, ConvNd: out elements times the
    weight's fan-in) or of a product of two inputs (matmul, bmm); 0 for anything else."""
    if not isinstance(out, torch.Tensor) or out.numel() == 0:
        return 0
    per_sample = out.numel() // out.shape[0] if out.dim() > 1 else out.numel()
    if weight is not None:
        return per_sample * (weight.numel() // weight.shape[0])
    if len(inputs) == 2 and all(isinstance(t, torch.Tensor) and t.dim() >= 1 for t in inputs):
        return per_sample * inputs[0].shape[-1]
    return 0


def record_cost(module: nn.Module, specs: Sequence[Any], weight: torch.Tensor | None,
                inputs: Sequence[Any], out: Any) -> None:
    """Keep (penalty weight, MACs, bits product) of one training forward pass on `module`;
    `specs` are the two multiplied operands' specs (input and weight, or both inputs)."""
    learners = [s for s in specs if isinstance(s, LearnedFixedPoint)]
    macs = macs_per_sample(weight, inputs, out) if learners else 0
    if not macs or not torch.is_grad_enabled():
        return
    weight_of_penalty = max(s.bitops_penalty for s in learners)
    product = None  # without a penalty only the MACs count (the denominator); no width tensors
    if weight_of_penalty > 0:
        product = operand_width(specs[0]) * operand_width(specs[1] if len(specs) > 1 else None)
    _COSTS[module] = (weight_of_penalty, macs, product)


def bit_penalty(model: nn.Module) -> torch.Tensor | None:
    """The penalty of the last training forward pass (None when nothing learns with a penalty);
    reading it clears the recorded costs, so a stale pass never counts twice."""
    terms, total_macs = [], 0
    for module in model.modules():
        cost = _COSTS.pop(module, None)
        if cost is None:
            continue
        weight, macs, product = cost
        total_macs += macs
        if weight > 0 and isinstance(product, torch.Tensor):
            terms.append(product * (weight * macs))
    if not terms or not total_macs:
        return None
    return torch.stack(terms).sum() / total_macs


def learners(model: nn.Module) -> list[LearnedFixedPoint]:
    return [m for m in model.modules() if isinstance(m, LearnedFixedPoint)]


def has_learners(model: nn.Module) -> bool:
    return any(isinstance(m, LearnedFixedPoint) for m in model.modules())


def parameter_groups(model: nn.Module, lr: float, weight_decay: float) -> list[dict] | None:
    """Optimizer groups: the model's own parameters, then the learned widths grouped by their
    `learned_lr` with no weight decay (decay would pull every width towards zero bits).
    None when the model has no learned widths (one plain group)."""
    width_params: dict[float, list[nn.Parameter]] = {}
    seen: set[int] = set()
    for learner in learners(model):
        for p in learner.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                width_params.setdefault(learner.learned_lr, []).append(p)
    if not width_params:
        return None
    own = [p for p in model.parameters() if p.requires_grad and id(p) not in seen]
    groups = [{"params": own, "lr": lr, "weight_decay": weight_decay}] if own else []
    groups += [{"params": params, "lr": rate, "weight_decay": 0.0} for rate, params in width_params.items()]
    return groups


def describe(model: nn.Module) -> Iterable[tuple[str, str]]:
    """(module path, current format) of every learned operand, for logs and reports."""
    for name, module in model.named_modules():
        if isinstance(module, LearnedFixedPoint):
            yield name, str(module.frozen())
