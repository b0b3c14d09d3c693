"""Quantized modules with learned operands: config keys, the BitOPs penalty, optimizer groups,
saving and loading."""

import pytest
import torch
from torch import nn

from chop.engine.optim import make_optimizer
from chop.errors import ConfigError
from chop.nn.learned import LearnedFixedPoint, bit_penalty, parameter_groups
from chop.nn.quantized import from_float, load_quantized, save_quantized
from chop.passes.graph.transforms.quantize.check import check_format_config

CONFIG = {"name": "integer", "data_in_width": 6, "data_in_frac_width": 3, "weight_width": 4,
          "weight_frac_width": 3, "bias_width": 8, "bias_frac_width": 4,
          "learned": ["data_in", "weight"], "learn_widths": True, "bitops_penalty": 0.01}


def test_learned_operands_are_parameters_of_the_module():
    q = from_float(nn.Linear(16, 4), CONFIG)
    assert isinstance(q.specs["data_in_0"], LearnedFixedPoint) and isinstance(q.specs["weight"], LearnedFixedPoint)
    assert not isinstance(q.specs["bias"], LearnedFixedPoint)
    names = {n for n, _ in q.named_parameters()}
    assert {"learned.weight.frac", "learned.weight.int_bits", "learned.data_in_0.frac"} <= names


def test_penalty_is_bitops_per_mac_and_reaches_the_widths():
    q = from_float(nn.Linear(16, 4), CONFIG)
    conv_config = {**CONFIG, "bitops_penalty": 0.03}
    c = from_float(nn.Conv2d(3, 5, 3), conv_config)
    net = nn.ModuleDict({"q": q, "c": c})
    q(torch.randn(8, 16))
    c(torch.randn(8, 3, 10, 10))
    macs_q, macs_c = 16 * 4, 5 * 8 * 8 * (3 * 3 * 3)
    expected = (0.01 * macs_q * 6 * 4 + 0.03 * macs_c * 6 * 4) / (macs_q + macs_c)
    penalty = bit_penalty(net)
    assert float(penalty.detach()) == pytest.approx(expected)
    penalty.backward()
    # d/d(width of q's weight) = 0.01 * macs_q * 6 / total
    assert float(q.specs["weight"].frac.grad) == pytest.approx(0.01 * macs_q * 6 / (macs_q + macs_c))
    assert bit_penalty(net) is None  # read once: a stale pass never counts twice


def test_no_penalty_recorded_outside_training_passes():
    q = from_float(nn.Linear(16, 4), CONFIG)
    with torch.no_grad():
        q(torch.randn(2, 16))
    assert bit_penalty(q) is None


def test_a_strong_penalty_trains_narrower_widths_than_none():
    torch.manual_seed(0)
    float_layer = nn.Linear(32, 8)
    x = torch.randn(256, 32)
    target = float_layer(x).detach()
    widths = {}
    for penalty in (0.0, 0.05):
        q = from_float(float_layer, {**CONFIG, "bitops_penalty": penalty, "data_in_width": 8,
                                     "weight_width": 8, "weight_frac_width": 6})
        opt = make_optimizer("adam", q, 1e-3, 0.0)
        for _ in range(150):
            loss = (q(x) - target).square().mean()
            extra = bit_penalty(q)
            opt.zero_grad()
            (loss if extra is None else loss + extra).backward()
            opt.step()
        widths[penalty] = q.specs["weight"].frozen().width + q.specs["data_in_0"].frozen().width
    assert widths[0.05] < widths[0.0]


def test_optimizer_groups_give_widths_their_rate_and_no_weight_decay():
    q = from_float(nn.Linear(16, 4), {**CONFIG, "learned_lr": 0.05})
    groups = parameter_groups(q, 1e-3, 0.1)
    assert groups[0]["lr"] == 1e-3 and groups[0]["weight_decay"] == 0.1
    assert {id(p) for p in groups[0]["params"]} == {id(q.weight), id(q.bias)}
    assert groups[1]["lr"] == 0.05 and groups[1]["weight_decay"] == 0.0
    opt = make_optimizer("adamw", q, 1e-3, 0.1)
    assert [g["lr"] for g in opt.param_groups] == [1e-3, 0.05]
    assert parameter_groups(nn.Linear(2, 2), 1e-3, 0.0) is None


def test_save_and_load_keep_trained_widths(tmp_path):
    model = nn.Sequential(nn.Linear(16, 4))
    quantized = nn.Sequential(from_float(model[0], CONFIG))
    with torch.no_grad():
        quantized[0].specs["weight"].frac.fill_(5.4)
        quantized[0].specs["weight"].int_bits.fill_(-1.2)
    save_quantized(quantized, tmp_path)
    loaded = load_quantized(model, tmp_path)
    x = torch.randn(5, 16)
    assert loaded[0].specs["weight"].frozen() == quantized[0].specs["weight"].frozen()
    assert torch.equal(loaded(x), quantized(x))


@pytest.mark.parametrize("config, message", [
    ({"name": "minifloat_ieee", "weight_width": 8, "weight_exponent_width": 4, "data_in_width": 8,
      "data_in_exponent_width": 4, "weight_frac_width": "learned"}, "needs name = \"integer\""),
    ({**CONFIG, "learned": None, "weight_frac_width": "learned", "bitops_penalty": -1}, "bitops_penalty=-1"),
    ({**CONFIG, "learned": None, "weight_frac_width": "learned", "learned_lr": 0}, "learned_lr=0"),
    ({**CONFIG, "learned": None, "weight_frac_width": "learned", "learn_widths": "yes"}, "learn_widths"),
    ({k: v for k, v in CONFIG.items() if k != "learned"}, "no operand learns"),
])
def test_bad_learned_configs_name_the_key(config, message):
    config = {k: v for k, v in config.items() if v is not None}
    with pytest.raises(ConfigError, match=message):
        check_format_config(config)


def test_default_rate_follows_what_learns():
    widths = from_float(nn.Linear(4, 2), CONFIG)  # learn_widths = true
    steps = from_float(nn.Linear(4, 2), {**CONFIG, "learn_widths": False})
    assert widths.specs["weight"].learned_lr == 0.05 and steps.specs["weight"].learned_lr == 0.01


def test_a_module_after_a_training_pass_can_still_be_copied():
    """The recorded cost holds a tensor with autograd history; kept beside the module, it does
    not stop deep copies (graph passes, saving) when nobody read the penalty."""
    import copy

    q = from_float(nn.Linear(16, 4), CONFIG)
    q(torch.randn(8, 16))  # a training pass, penalty never read
    twin = copy.deepcopy(q)
    assert torch.equal(twin.weight, q.weight)
    assert bit_penalty(q) is not None and bit_penalty(twin) is None
