"""The small graph the quantize-pass tests share: Linear -> ReLU -> Linear, with metadata."""

import torch
from torch import nn

from chop import MaseGraph
from chop.passes.graph import add_common_metadata_analysis_pass, init_metadata_analysis_pass


class TwoLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.relu, self.fc2 = nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def two_layer_graph() -> MaseGraph:
    torch.manual_seed(0)
    mg = MaseGraph(TwoLayers())
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(4, 16)}})
    return mg


def calibration_batches() -> list[dict]:
    gen = torch.Generator().manual_seed(1)
    return [{"x": torch.randn(64, 16, generator=gen) * 3} for _ in range(4)]
