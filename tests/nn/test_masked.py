"""Pruning masks and quantization compose, in either order, and survive save/load."""

import torch
from torch import nn

from chop import MaseGraph
from chop.dataset import DatasetInfo
from chop.models import get_model
from chop.nn.masked import MaskedLinear, MaskedModule, masked_class, plain_float_class, with_masks
from chop.nn.quantized import from_float
from chop.nn.quantizers import integer_quantizer
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    prune_transform_pass,
    quantize_transform_pass,
)

JSC = DatasetInfo("jsc", input_shape=(16,), num_classes=5)
INT8 = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
        "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}
PRUNE = {"weight": {"method": "l1-norm", "sparsity": 0.5, "exclude": ["seq_blocks_6"]}}
QUANT = {"by": "type", "linear": {"config": INT8}}


def graph():
    torch.manual_seed(0)
    mg = MaseGraph(get_model("jsc-s", JSC), model_name="jsc-s", dataset_info=JSC)
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(8, 16)}})
    return mg


def test_masked_classes_know_their_float_class():
    q = from_float(nn.Linear(4, 3), INT8)
    assert plain_float_class(q) is nn.Linear and plain_float_class(with_masks(nn.Linear(4, 3))) is nn.Linear
    cls = masked_class(type(q))
    assert cls.__name__ == "MaskedLinearInteger" and issubclass(cls, MaskedModule) and issubclass(cls, type(q))
    assert masked_class(nn.Linear) is MaskedLinear


def check(mg, layer):
    """Half of the layer's weights are pruned and its output is the quantized op on them."""
    assert isinstance(layer, MaskedModule) and type(layer).__name__ == "MaskedLinearInteger"
    assert int(layer.weight_mask.sum()) == layer.weight.numel() // 2
    x = torch.randn(8, 16)
    q = lambda t: integer_quantizer(t, 8, 4)  # noqa: E731
    expected = nn.functional.linear(q(x), q(layer.weight * layer.weight_mask), q(layer.bias))
    assert torch.equal(layer(x), expected)


def test_prune_then_quantize():
    mg, _ = quantize_transform_pass(prune_transform_pass(graph(), PRUNE)[0], QUANT)
    check(mg, mg.modules["seq_blocks"][2])


def test_quantize_then_prune_and_fine_tuning_keeps_zeros(tmp_path):
    mg, _ = prune_transform_pass(quantize_transform_pass(graph(), QUANT)[0], PRUNE)
    layer = mg.modules["seq_blocks"][2]
    check(mg, layer)
    opt = torch.optim.Adam(mg.model.parameters(), lr=1e-2, weight_decay=0.1)
    for _ in range(5):
        opt.zero_grad()
        mg.model(torch.randn(32, 16)).sum().backward()
        opt.step()
    assert torch.all(layer.weight[~layer.weight_mask] == 0)
    mg.save(tmp_path / "g")
    back = MaseGraph.load(tmp_path / "g")
    assert type(back.modules["seq_blocks"][2]).__name__ == "MaskedLinearInteger"
    x = torch.randn(8, 16)
    mg.model.eval(), back.model.eval()
    assert torch.equal(mg.model(x), back.model(x))
