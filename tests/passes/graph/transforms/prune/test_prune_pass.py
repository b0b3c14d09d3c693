"""The prune pass's contract: a new graph, nothing mutated, masks saved and kept through training."""

from __future__ import annotations

import copy
import json

import torch
from prune_helpers import JSC, batch_of, batches, graph, weight_of, zeros

from chop import MaseGraph
from chop.passes.graph import prune_transform_pass
from chop.passes.graph.transforms.prune.masks import num_pruned

ARGS = {
    "weight": {"method": "l1-norm", "sparsity": 0.5, "exclude": ["seq_blocks_6"]},
    "activation": {"method": "l1-norm", "granularity": "channel", "sparsity": 0.25, "num_batches": 2},
    "seed": 3,
}


def pruned(mg, args=ARGS):
    return prune_transform_pass(mg, {**args, "input_generator": batches(JSC, 3)})


def test_input_graph_model_and_args_are_untouched_and_the_same_dict_works_twice():
    mg = graph()
    state = {k: v.clone() for k, v in mg.model.state_dict().items()}
    code, meta = mg.model.code, [copy.deepcopy(n.meta["mase"]) for n in mg.nodes]
    given = copy.deepcopy(ARGS)
    first, _ = pruned(mg, given)
    second, _ = pruned(mg, given)
    assert given == ARGS
    assert mg.model.code == code and [n.meta["mase"] for n in mg.nodes] == meta
    assert all(torch.equal(v, state[k]) for k, v in mg.model.state_dict().items())
    assert type(mg.model.get_submodule("seq_blocks.2")) is torch.nn.Linear
    assert first is not mg and first.model is not mg.model
    for a, b in zip(first.model.state_dict().values(), second.model.state_dict().values()):
        assert torch.equal(a, b)
    # The new graph's metadata is its own.
    first.node("seq_blocks_2").meta["mase"]["software"]["x"] = 1
    assert "x" not in mg.node("seq_blocks_2").meta["mase"]["software"]


def test_recipe_records_json_args_without_context():
    mg = graph()
    new, _ = pruned(mg)
    name, args = new.recipe()["passes"][-1]
    assert name == "prune" and "input_generator" not in args and "dummy_in" not in args
    assert args["weight"] == ARGS["weight"] and args["recorded"]["activation"]["seq_blocks_2"] == {"dim": -1, "shape": [16]}
    json.dumps(new.recipe())


def test_save_and_load_restore_masks_and_outputs(tmp_path):
    mg = graph()
    new, _ = pruned(mg)
    new.model.eval()
    x = batch_of(JSC, 32, seed=9)
    expected = new.model(x)
    new.save(tmp_path / "g")
    loaded = MaseGraph.load(tmp_path / "g")
    loaded.model.eval()
    saved = new.model.state_dict()
    for key, value in loaded.model.state_dict().items():
        assert torch.equal(value, saved[key]), key
    assert "seq_blocks.4.weight_mask" in saved and "seq_blocks_4_input_mask.mask" in saved
    torch.testing.assert_close(loaded.model(x), expected, rtol=0, atol=0)
    assert zeros(weight_of(loaded, "seq_blocks_4")) == num_pruned(0.5, 64 * 64)


def test_training_with_adam_and_weight_decay_keeps_pruned_weights_at_zero():
    mg = graph()
    new, _ = pruned(mg)
    model = new.model.train()
    masks = {n: model.get_submodule(n).weight_mask.clone() for n in ("seq_blocks.2", "seq_blocks.4")}
    start = model.get_submodule("seq_blocks.4").weight.detach().clone()
    opt = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=0.1)
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        x, y = torch.randn(32, 16, generator=gen), torch.randint(0, 5, (32,), generator=gen)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    for name, mask in masks.items():
        layer = model.get_submodule(name)
        assert torch.equal(layer.weight_mask, mask)
        assert (layer.effective_weight()[~mask] == 0).all()
        assert (layer.weight[~mask] == 0).all()  # stored weights too: their gradient is exactly 0
    kept = masks["seq_blocks.4"]
    moved = model.get_submodule("seq_blocks.4").weight.detach()[kept] != start[kept]
    assert moved.all()  # training did change every kept weight


def test_pruning_a_pruned_graph_keeps_earlier_zeros():
    mg = graph()
    once, _ = prune_transform_pass(mg, {"weight": {"method": "random", "sparsity": 0.3}})
    twice, _ = prune_transform_pass(once, {"weight": {"method": "random", "sparsity": 0.3}, "seed": 5})
    first = once.model.get_submodule("seq_blocks.4").weight_mask
    second = twice.model.get_submodule("seq_blocks.4").weight_mask
    assert not second[~first].any() and (~second).sum() > (~first).sum()
    assert [p for p, _ in twice.recipe()["passes"]] == ["prune", "prune"]


def test_works_on_a_graph_without_metadata():
    torch.manual_seed(0)
    from chop.models import get_model

    mg = MaseGraph(get_model("jsc-s", JSC))
    new, _ = prune_transform_pass(mg, {"weight": {"sparsity": 0.5}})
    assert zeros(weight_of(new, "seq_blocks_2")) == 512
    assert all("mase" not in n.meta for n in mg.nodes)
