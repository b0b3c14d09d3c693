"""Activation pruning: exact-k masks on layer inputs from calibration data, fixed afterwards."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from prune_helpers import DIGITS, JSC, batches, graph

from chop.errors import ConfigError
from chop.passes.graph import prune_transform_pass
from chop.passes.graph.transforms.prune.masks import num_pruned
from chop.passes.graph.transforms.prune.modules import ActivationMask


def act_pruned(mg, info=JSC, n=3, **section):
    return prune_transform_pass(mg, {"activation": {"num_batches": n, **section},
                                     "input_generator": iter(batches(info, 5))})


def layer_inputs(mg, target: str, data: list[dict]) -> np.ndarray:
    """What layer `target` of the unpruned model receives on `data` (eval mode), stacked."""
    seen = []
    handle = mg.model.get_submodule(target).register_forward_pre_hook(lambda m, a: seen.append(a[0].clone()))
    mg.model.eval()
    with torch.no_grad():
        for batch in data:
            mg.model(batch["x"])
    handle.remove()
    return torch.cat(seen).double().numpy()


def test_l1_channel_masks_drop_the_least_active_inputs_numpy():
    mg = graph()
    new, res = act_pruned(mg, sparsity=0.25, granularity="channel", layers=["seq_blocks_4"])
    a = layer_inputs(mg, "seq_blocks.4", batches(JSC, 3))
    mean_abs = np.abs(a).mean(axis=0)
    k = num_pruned(0.25, 64)
    expected = np.ones(64, dtype=bool)
    expected[np.lexsort((np.arange(64), mean_abs))[:k]] = False
    mask = new.model.get_submodule("seq_blocks_4_input_mask").mask.numpy()
    assert (mask == expected).all() and res["activation"]["seq_blocks_4"]["pruned"] == k


@pytest.mark.parametrize("method", ["random", "l1-norm", "l2-norm"])
def test_exact_k_per_layer_and_global(method):
    mg = graph()
    local, _ = act_pruned(mg, method=method, sparsity=0.5)
    sizes = {"seq_blocks_2": 16, "seq_blocks_4": 64, "seq_blocks_6": 64}
    for name, n in sizes.items():
        assert int((~local.model.get_submodule(f"{name}_input_mask").mask).sum()) == num_pruned(0.5, n)
    glob, _ = act_pruned(mg, method=method, sparsity=0.3, scope="global")
    total = sum(int((~glob.model.get_submodule(f"{n}_input_mask").mask).sum()) for n in sizes)
    assert total == num_pruned(0.3, sum(sizes.values()))


def test_conv_inputs_elementwise_and_channel_masks():
    mg = graph("cnn", DIGITS)
    elem, _ = act_pruned(mg, DIGITS, sparsity=0.5, layers=["features_4"])
    mask = elem.model.get_submodule("features_4_input_mask").mask
    assert mask.shape == (16, 4, 4) and int((~mask).sum()) == num_pruned(0.5, 256)
    chan, _ = act_pruned(mg, DIGITS, sparsity=0.5, granularity="channel", layers=["features_4"])
    module = chan.model.get_submodule("features_4_input_mask")
    assert module.mask.shape == (16,) and module.dim == 1 and int((~module.mask).sum()) == 8
    x = batches(DIGITS, 1)[0]["x"]
    seen = []
    chan.model.features[4].register_forward_pre_hook(lambda m, a: seen.append(a[0]))
    chan.model(x)
    assert (seen[0][:, ~module.mask] == 0).all() and (seen[0][:, module.mask] != 0).any()


def test_masks_stay_fixed_across_batches_and_training():
    mg = graph()
    new, _ = act_pruned(mg, sparsity=0.5, granularity="channel")
    module = new.model.get_submodule("seq_blocks_4_input_mask")
    mask = module.mask.clone()
    seen = []
    new.model.get_submodule("seq_blocks.4").register_forward_pre_hook(lambda m, a: seen.append(a[0].detach()))
    opt = torch.optim.SGD(new.model.parameters(), lr=0.1)
    new.model.train()
    for batch in batches(JSC, 4, seed=50):
        opt.zero_grad()
        new.model(batch["x"]).sum().backward()
        opt.step()
    assert torch.equal(module.mask, mask) and len(seen) == 4
    assert all((s[:, ~mask] == 0).all() for s in seen)
    assert not any(p is module.mask for p in new.model.parameters())


def test_same_data_same_masks_and_the_mask_node_feeds_only_its_layer():
    mg = graph()
    a, _ = act_pruned(mg, sparsity=0.5)
    b, _ = act_pruned(mg, sparsity=0.5)
    for name in ("seq_blocks_2", "seq_blocks_4", "seq_blocks_6"):
        assert torch.equal(a.model.get_submodule(f"{name}_input_mask").mask,
                           b.model.get_submodule(f"{name}_input_mask").mask)
    node = a.node("seq_blocks_4_input_mask")
    assert [u.name for u in node.users] == ["seq_blocks_4"] and node.args[0].name == "seq_blocks_3"
    assert node.meta["mase"]["common"]["mase_op"] == "activation_mask"
    assert isinstance(a.model.get_submodule(node.target), ActivationMask)


def test_activation_pruning_needs_calibration_data():
    with pytest.raises(ConfigError, match="input_generator"):
        prune_transform_pass(graph(), {"activation": {"sparsity": 0.5}})
    with pytest.raises(ConfigError, match="gave no batch"):
        prune_transform_pass(graph(), {"activation": {"sparsity": 0.5}, "input_generator": []})


def test_activation_mask_broadcasts_over_batch_and_positions():
    x = torch.ones(2, 3, 2, 2)
    channel = ActivationMask(torch.tensor([True, False, True]), dim=1)
    assert channel(x)[:, 1].abs().sum() == 0 and channel(x)[:, [0, 2]].all()
    last = ActivationMask(torch.tensor([False, True]), dim=-1)
    assert last(torch.ones(2, 5, 2))[..., 0].abs().sum() == 0
    elem = ActivationMask(torch.eye(2, dtype=torch.bool).expand(3, 2, 2), dim=1)
    assert torch.equal(elem(x)[0, 0], torch.eye(2))
