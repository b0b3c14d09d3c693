"""Where a layer's output channels go: through per-channel ops to the layers that consume them.

Channel (neuron) pruning removes whole output channels of a layer. A removed channel must also
vanish from what reads it: batch norms on the way (their per-channel state) and the input
columns of the next Linear/Conv layers. `follow_channels` walks the fx graph from a layer's
output through ops that act on each channel separately (activations, dropout, batch norm,
pooling, and a `flatten(1)` before a Linear) and returns that chain, or None when the channels
reach anything else (an add, a concat, the graph output, a grouped conv), in which case the
layer's channels are masked but cannot be removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import fx, nn

from chop.nn.optable import op_row
from chop.passes.graph.transforms.prune.modules import is_prunable
from chop.passes.graph.utils import get_mase_op


def channel_kind(op: str) -> str | None:
    """How channels pass through `op`, from its op-table row (see `chop.nn.optable`)."""
    row = op_row(op)
    return row.channels if row is not None else None


@dataclass
class ChannelChain:
    """The batch norms (module targets) and consumer layers (target, columns per channel) that
    read a layer's output channels."""

    norms: list[str] = field(default_factory=list)
    consumers: list[tuple[str, int]] = field(default_factory=list)


def out_channels(module: nn.Module) -> int:
    return module.weight.shape[0]


def _only_input(node: fx.Node, source: fx.Node) -> bool:
    """The node's first argument is `source` and no other argument is a node."""
    rest = [*node.args[1:], *node.kwargs.values()]
    return bool(node.args) and node.args[0] is source and not any(isinstance(a, fx.Node) for a in rest)


def _flattens_from_1(node: fx.Node, gm: fx.GraphModule) -> bool:
    if node.op == "call_module":
        module = gm.get_submodule(node.target)
        return isinstance(module, nn.Flatten) and module.start_dim == 1 and module.end_dim == -1
    start = node.args[1] if len(node.args) > 1 else node.kwargs.get("start_dim", 0)
    end = node.args[2] if len(node.args) > 2 else node.kwargs.get("end_dim", -1)
    return start == 1 and end == -1


def _consumer_columns(module: nn.Module, channels: int, flattened: bool) -> int | None:
    """Columns per channel if `module` reads all `channels` channels as its input, else None."""
    if isinstance(module, nn.Linear):
        per = module.in_features // channels
        ok = module.in_features == per * channels and (flattened or per == 1)
        return per if ok else None
    if isinstance(module, (nn.Conv1d, nn.Conv2d)) and not flattened:
        return 1 if module.in_channels == channels and module.groups == 1 else None
    return None


def follow_channels(gm: fx.GraphModule, layer: fx.Node) -> ChannelChain | None:
    """The chain from `layer`'s output channels to their consumers, or None if it leaves the
    per-channel ops or reaches no layer."""
    module = gm.get_submodule(layer.target)
    channels, is_conv = out_channels(module), not isinstance(module, nn.Linear)
    if getattr(module, "groups", 1) != 1:
        return None
    chain = ChannelChain()
    todo = [(layer, False)]
    while todo:
        node, flattened = todo.pop()
        if not node.users:
            return None
        for user in node.users:
            if not _only_input(user, node):
                return None
            kind = channel_kind(get_mase_op(user))
            target = gm.get_submodule(user.target) if user.op == "call_module" else None
            if target is not None and is_prunable(target):
                per = _consumer_columns(target, channels, flattened)
                if per is None:
                    return None
                chain.consumers.append((user.target, per))
            elif kind == "norm" and user.op == "call_module" and not flattened:
                if not isinstance(target, nn.modules.batchnorm._BatchNorm) or target.num_features != channels:
                    return None
                chain.norms.append(user.target)
                todo.append((user, flattened))
            elif kind == "elementwise" or (is_conv and not flattened and kind == "spatial"):
                todo.append((user, flattened))
            elif get_mase_op(user) == "flatten" and is_conv and not flattened and _flattens_from_1(user, gm):
                todo.append((user, True))
            else:
                return None
    return chain if chain.consumers else None


def consumer_columns(channel_indices: list[int], per_channel: int) -> list[int]:
    """The input columns of a consumer that read the given channels."""
    return [c * per_channel + j for c in channel_indices for j in range(per_channel)]
