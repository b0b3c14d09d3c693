"""fold_batchnorm: same function in float (eval mode), BatchNorm removed or normalised, no
mutation of the input graph, clear errors."""

from __future__ import annotations

import pytest
import torch
from export_graphs import DIGITS, fixed, random_inputs, traced
from torch import nn

from chop.errors import ConfigError
from chop.export import fold_batchnorm
from chop.passes.graph import fold_batchnorm_transform_pass
from chop.nn.quantized import from_float
from chop.nn.quantizers import integer_quantizer


def node_names(mg) -> list[str]:
    return [node.name for node in mg.fx_graph.nodes]


@pytest.mark.parametrize("name, folded, normalised", [
    ("jsc-tiny", {}, ["seq_blocks_0"]),
    ("jsc-s", {"seq_blocks_7": "seq_blocks_6"}, ["seq_blocks_0"]),
    ("cnn", {"features_1": "features_0", "features_5": "features_4"}, []),
])
def test_folded_graph_computes_the_same_function(name, folded, normalised):
    mg = traced(name)
    before_names = node_names(mg)
    before_state = {k: v.clone() for k, v in mg.model.state_dict().items()}
    before_types = {k: type(m) for k, m in mg.modules.items()}

    new, result = fold_batchnorm_transform_pass(mg)
    assert result == {"folded": folded, "normalised": normalised}
    assert node_names(new) == [n for n in before_names if n not in folded]
    x = random_inputs(name, 64)
    with torch.no_grad():
        expected = mg.model.eval()(x)
        assert torch.allclose(new.model.eval()(x), expected, rtol=1e-5, atol=1e-5)
        assert not torch.equal(expected, torch.zeros_like(expected))

    # the input graph is untouched
    assert node_names(mg) == before_names
    assert {k: type(m) for k, m in mg.modules.items()} == before_types
    assert all(torch.equal(before_state[k], v) for k, v in mg.model.state_dict().items())
    for node_name in normalised:
        bn = new.model.get_submodule(new.node(node_name).target)
        assert bn.eps == 0 and torch.equal(bn.running_mean, torch.zeros_like(bn.running_mean))
        assert torch.equal(bn.running_var, torch.ones_like(bn.running_var))
    assert new.applied_passes[-1] == ("fold_batchnorm", {})


def test_normalised_batchnorm_is_an_affine_map_exact_on_fixed_point_grids():
    new = fold_batchnorm(traced("jsc-tiny"))
    bn = new.model.get_submodule("seq_blocks.0").eval()
    x = random_inputs("jsc-tiny", 64)
    with torch.no_grad():
        assert torch.allclose(bn(x), x * bn.weight + bn.bias, rtol=1e-6, atol=1e-5)
        # 1/sqrt(1 + 0) is exactly 1: on 8-bit grids the multiply-add is exact, so is the BN
        bn.weight.copy_(integer_quantizer(bn.weight, 8, 4))
        bn.bias.copy_(integer_quantizer(bn.bias, 8, 4))
        xq = integer_quantizer(x, 8, 4)
        assert torch.equal(bn(xq), xq * bn.weight + bn.bias)


def test_folded_weights_follow_the_formula():
    mg = traced("jsc-s")
    linear, bn = mg.modules["seq_blocks.6"], mg.modules["seq_blocks.7"]
    s = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
    new = fold_batchnorm(mg).model.get_submodule("seq_blocks.6")
    assert torch.allclose(new.weight.double(), linear.weight.double() * s[:, None], atol=1e-6)
    bias = (linear.bias.double() - bn.running_mean.double()) * s + bn.bias.double()
    assert torch.allclose(new.bias.double(), bias, atol=1e-6)


def test_linear_without_bias_gets_one():
    model = nn.Sequential(nn.Linear(16, 8, bias=False), nn.BatchNorm1d(8))
    new = fold_batchnorm(traced("custom", model=model))
    assert [n.name for n in new.fx_graph.nodes] == ["input_1", "_0", "output"]
    x = random_inputs("custom", 32)
    with torch.no_grad():
        assert torch.allclose(new.model.eval()(x), model.eval()(x), atol=1e-5)


def test_batchnorm_after_a_shared_linear_is_normalised_not_folded():
    class TwoUses(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear, self.bn = nn.Linear(16, 8), nn.BatchNorm1d(8)

        def forward(self, x):
            y = self.linear(x)
            return self.bn(y) + y

    _, result = fold_batchnorm_transform_pass(traced("custom", model=TwoUses()))
    assert result == {"folded": {}, "normalised": ["bn"]}


def test_quantized_batchnorm_and_batch_statistics_are_refused():
    quantized = nn.Sequential(from_float(nn.BatchNorm1d(16), fixed()), nn.ReLU())
    with pytest.raises(ConfigError, match="node '_0' is already quantized.*before quantize"):
        fold_batchnorm(traced("custom", model=quantized))
    no_stats = nn.Sequential(nn.BatchNorm1d(16, track_running_stats=False))
    with pytest.raises(ConfigError, match="no running statistics"):
        fold_batchnorm(traced("custom", model=no_stats))
    with pytest.raises(ConfigError, match="takes no arguments"):
        fold_batchnorm_transform_pass(traced("jsc-tiny"), {"x": 1})


def test_digits_info_is_the_small_image_shape():
    assert DIGITS.input_shape == (1, 8, 8)


def test_folded_and_quantized_graph_saves_and_loads(tmp_path):
    """The recipe replays fold_batchnorm then quantize on load, so the saved graph rebuilds."""
    from export_graphs import quantized

    from chop.ir import MaseGraph

    mg = quantized(traced("jsc-s"))
    mg.save(tmp_path / "g")
    back = MaseGraph.load(tmp_path / "g")
    assert [name for name, _ in back.recipe()["passes"]] == ["fold_batchnorm", "quantize"]
    x = random_inputs("jsc-s")
    mg.model.eval(), back.model.eval()
    assert torch.equal(mg.model(x), back.model(x))


def test_normalised_batchnorm_stays_the_same_affine_in_training():
    """A folded graph trains (QAT, learned widths): the normalised BatchNorm never switches to
    batch statistics, and its scale and shift still learn."""
    new = fold_batchnorm(traced("jsc-s"))
    x = random_inputs("jsc-s", 64)
    with torch.no_grad():
        expected = new.model.eval()(x)
    new.model.train()
    out = new.model(x)
    assert torch.equal(out, expected)  # jsc-s has no dropout: train mode computes the same
    out.sum().backward()
    bn = new.model.get_submodule("seq_blocks.0")
    assert bn.weight.grad is not None and bn.weight.grad.abs().sum() > 0
    assert torch.equal(bn.running_var, torch.ones_like(bn.running_var))  # never re-estimated
