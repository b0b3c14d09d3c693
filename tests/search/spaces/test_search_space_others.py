"""The prune, train and architecture spaces: parameters, constraints and what a point becomes."""

import pytest
import torch
from torch import nn

from chop.dataset import DatasetInfo, get_dataset_info
from chop.errors import ConfigError
from chop.search.architectures import ARCHITECTURES
from chop.search.space import Pipeline, SpaceContext

PRUNABLE = ["seq_blocks_2", "seq_blocks_4", "seq_blocks_6"]
TOKENS = DatasetInfo(name="tok", input_shape=(12,), num_classes=3, input_names=("input_ids", "attention_mask"))


def ctx(**kw):
    return SpaceContext(prunable=PRUNABLE, dataset_info=get_dataset_info("toy"), **kw)


def test_prune_global_sparsity_and_method():
    p = Pipeline({"prune": {"method": ["l1-norm", "random"], "sparsity": [0.0, 0.5], "exclude": ["seq_blocks_6"]}}, ctx())
    assert {q.name: q.choices for q in p.params} == {"prune/method": ("l1-norm", "random"), "prune/sparsity": (0.0, 0.5)}
    plan = p.plan({"prune/method": "random", "prune/sparsity": 0.5})
    assert plan.prune == {"weight": {"method": "random", "sparsity": 0.5, "exclude": ["seq_blocks_6"]}}
    assert p.plan({"prune/method": "random", "prune/sparsity": 0.0}).prune is None  # nothing to prune


def test_prune_per_layer_and_the_pass_own_check():
    p = Pipeline({"prune": {"per_layer": True, "sparsity": [0.25, 0.75], "scope": ["local", "global"]}}, ctx())
    assert {q.name for q in p.params} == {"prune/scope", *(f"prune/{n}/sparsity" for n in PRUNABLE)}
    point = {"prune/scope": "local", **{f"prune/{n}/sparsity": 0.25 for n in PRUNABLE}}
    assert p.plan(point).prune["weight"]["sparsity"] == dict.fromkeys(PRUNABLE, 0.25)
    assert p.reject(point) is None
    assert "global" in p.reject({**point, "prune/scope": "global"})  # global takes one number


def test_train_space_overrides_search_train_defaults():
    p = Pipeline({"train": {"learning_rate": {"low": 1e-4, "high": 1e-1, "log": True}, "optimizer": ["adam", "sgd"]}},
                 ctx(train_defaults={"epochs": 2, "batch_size": 32}))
    plan = p.plan({"train/learning_rate": 0.01, "train/optimizer": "sgd"})
    assert plan.train["learning_rate"] == 0.01 and plan.train["optimizer"] == "sgd"
    assert plan.train["epochs"] == 2 and plan.train["batch_size"] == 32
    with pytest.raises(ConfigError, match="Did you mean 'adam'"):
        Pipeline({"train": {"optimizer": ["adm", "sgd"]}}, ctx())
    with pytest.raises(ConfigError, match="Did you mean 'epochs'"):
        Pipeline({"train": {"epoch": [1, 2]}}, ctx())
    bad = Pipeline({"train": {"batch_size": [0, 8]}}, ctx())
    assert "batch_size=0" in bad.reject({"train/batch_size": 0})


def _linear_params(widths, f=16, c=5, bn=True):
    dims = [f, *widths, c]
    total = sum(a * b + b for a, b in zip(dims, dims[1:]))
    return total + (2 * (f + sum(widths)) if bn else 0)


@pytest.mark.parametrize("depth, width, bn", [(0, 8, False), (1, 8, True), (2, 32, True), (3, 16, False)])
def test_every_mlp_choice_changes_the_model(depth, width, bn):
    p = Pipeline({"architecture": {"family": "mlp", "depth": [0, 1, 2, 3], "width": [8, 16, 32],
                                   "batch_norm": [True, False]}}, ctx())
    plan = p.plan({"architecture/depth": depth, "architecture/width": width, "architecture/batch_norm": bn})
    values = {k: v for k, v in plan.architecture.items() if k != "family"}
    model = ARCHITECTURES.get("mlp").build(values, get_dataset_info("toy"))
    assert sum(q.numel() for q in model.parameters()) == _linear_params([width] * depth, bn=bn)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [m.out_features for m in linears] == [width] * depth + [5]
    assert model.eval()(torch.randn(3, 16)).shape == (3, 5)


def test_per_layer_widths_and_architecture_errors():
    values = {"depth": 2, "width": 8, "width_1": 4, "batch_norm": False}
    model = ARCHITECTURES.get("mlp").build(values, get_dataset_info("toy"))
    assert [m.out_features for m in model.modules() if isinstance(m, nn.Linear)] == [8, 4, 5]
    with pytest.raises(ConfigError, match="needs 'family'"):
        Pipeline({"architecture": {"depth": [1, 2]}}, ctx())
    with pytest.raises(ConfigError, match="has no key 'dept'"):
        Pipeline({"architecture": {"family": "mlp", "dept": [1, 2]}}, ctx())
    with pytest.raises(ConfigError, match="architecture"):  # layer names vary with the architecture
        Pipeline({"architecture": {"family": "mlp"}, "quantize": {"by": "name", "default": {"config": {"name": "integer"}}}}, ctx())


def test_bert_family_choices_change_the_model():
    pytest.importorskip("transformers")
    p = Pipeline({"architecture": {"family": "bert", "hidden_size": [32, 64], "num_heads": [2, 3],
                                   "num_layers": [1, 2], "intermediate_size": [64], "vocab_size": 100,
                                   "max_length": 16}}, SpaceContext(dataset_info=TOKENS))
    assert "not a multiple" in p.reject({"architecture/hidden_size": 32, "architecture/num_heads": 3,
                                          "architecture/num_layers": 1})
    sizes = {}
    for hidden, layers in ((32, 1), (64, 1), (32, 2)):
        plan = p.plan({"architecture/hidden_size": hidden, "architecture/num_heads": 2, "architecture/num_layers": layers})
        model = ARCHITECTURES.get("bert").build({k: v for k, v in plan.architecture.items() if k != "family"},
                                                TOKENS)
        assert (model.config.hidden_size, model.config.num_hidden_layers, model.config.num_labels) == (hidden, layers, 3)
        sizes[(hidden, layers)] = sum(q.numel() for q in model.parameters())
    assert len(set(sizes.values())) == 3


def test_quantize_and_prune_combine_in_pipeline_order():
    quantize = {"default": {"config": {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
                                       "weight_width": [4, 8], "weight_frac_width": 2}}}
    p = Pipeline({"prune": {"sparsity": [0.5]}, "quantize": quantize}, ctx())
    kinds = [type(space).__name__ for space in p.spaces]
    assert kinds.index(next(k for k in kinds if "Quant" in k)) < kinds.index(next(k for k in kinds if "Prun" in k))


def test_bert_linear_or_identity_per_square_layer():
    """MASE tutorial 5: each square Linear is kept or replaced by an Identity, one choice each."""
    pytest.importorskip("transformers")
    p = Pipeline({"architecture": {"family": "bert", "hidden_size": 32, "num_heads": 2, "num_layers": [1, 2],
                                   "intermediate_size": 64, "linear_layer_choices": ["linear", "identity"]}},
                 SpaceContext(dataset_info=TOKENS))
    names = sorted(param.name for param in p.params)
    assert len(names) == 1 + 2 * 4 + 1 and "architecture/square_layer_1_value" in names
    assert "architecture/square_pooler" in names
    point = {name: "linear" for name in names if "square" in name}
    point.update({"architecture/num_layers": 1, "architecture/square_layer_0_key": "identity",
                  "architecture/square_pooler": "identity"})
    plan = p.plan(point)
    model = ARCHITECTURES.get("bert").build({k: v for k, v in plan.architecture.items() if k != "family"}, TOKENS)
    attention = model.bert.encoder.layer[0].attention
    assert isinstance(attention.self.key, nn.Identity) and isinstance(model.bert.pooler.dense, nn.Identity)
    assert isinstance(attention.self.query, nn.Linear) and isinstance(attention.output.dense, nn.Linear)
    assert model.config.vocab_size == 30522 and model.config.max_position_embeddings == 512
    ids = torch.randint(0, 30522, (3, 12))
    assert model.eval()(input_ids=ids).logits.shape == (3, 3)
    assert "must be one of" in p.reject({**point, "architecture/square_pooler": "conv"})
    with pytest.raises(ConfigError, match="family 'bert' takes token inputs, but dataset 'toy'"):
        Pipeline({"architecture": {"family": "bert"}}, ctx())
