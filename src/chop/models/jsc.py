"""Models for the jet-substructure (JSC) task: the MASE family and the hls4ml MLP.

Layers live in `self.seq_blocks = nn.Sequential(...)` so that fx node names are
`seq_blocks_0`, `seq_blocks_1`, ... as the seed lab reports show. Sizes follow the dataset info
(16 features and 5 classes for JSC).
"""

from __future__ import annotations

from torch import nn

from chop.dataset.info import DatasetInfo
from chop.models.registry import register_model


class SeqBlocks(nn.Module):
    """A model whose forward is one `nn.Sequential` called `seq_blocks`."""

    def __init__(self, *layers: nn.Module):
        super().__init__()
        self.seq_blocks = nn.Sequential(*layers)

    def forward(self, x):
        return self.seq_blocks(x)


def relu() -> nn.ReLU:
    return nn.ReLU(inplace=True)


@register_model("jsc-tiny", source="physical", description="BN, ReLU, Linear, ReLU")
def jsc_tiny(info: DatasetInfo) -> nn.Module:
    f, c = info.num_features, info.num_classes
    return SeqBlocks(nn.BatchNorm1d(f), relu(), nn.Linear(f, c), relu())


@register_model("jsc-toy", source="physical", description="3 BN-ReLU-Linear blocks, width 8")
def jsc_toy(info: DatasetInfo) -> nn.Module:
    f, c = info.num_features, info.num_classes
    return SeqBlocks(
        nn.BatchNorm1d(f), relu(), nn.Linear(f, 8),
        nn.BatchNorm1d(8), relu(), nn.Linear(8, 8),
        nn.BatchNorm1d(8), relu(), nn.Linear(8, c),
        nn.BatchNorm1d(c), relu(),
    )


@register_model("jsc-s", source="physical", description="BN, 64-64 ReLU MLP, BN")
def jsc_s(info: DatasetInfo) -> nn.Module:
    f, c = info.num_features, info.num_classes
    return SeqBlocks(
        nn.BatchNorm1d(f), relu(), nn.Linear(f, 64),
        relu(), nn.Linear(64, 64),
        relu(), nn.Linear(64, c),
        nn.BatchNorm1d(c), relu(),
    )


@register_model(
    "jsc-three-layer",
    source="physical",
    description="hls4ml 64-32-32 ReLU MLP",
)
def jsc_three_layer(info: DatasetInfo) -> nn.Module:
    f, c = info.num_features, info.num_classes
    return SeqBlocks(
        nn.Linear(f, 64), relu(),
        nn.Linear(64, 32), relu(),
        nn.Linear(32, 32), relu(),
        nn.Linear(32, c),
    )
