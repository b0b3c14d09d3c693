"""Hugging Face models in MaseGraph: hf_input_names decide the graph's inputs and sub-graphs.

A small BERT built locally (random weights) keeps these tests fast. Seed 003 (tutorial 2): with
BertForSequenceClassification, leaving `labels` out of `hf_input_names` leaves out the loss
sub-graph. Leaving `attention_mask` out, transformers 4.57 builds an all-ones mask inside the
model, so the mask-processing ops stay but are fed by that constant instead of a graph input.
"""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("transformers", reason="transformers (extra 'nlp') is not installed")

from transformers import BertConfig, BertForSequenceClassification  # noqa: E402

from chop import MaseGraph  # noqa: E402
from chop.errors import ChopError  # noqa: E402
from chop.passes.graph import add_common_metadata_analysis_pass, init_metadata_analysis_pass  # noqa: E402
from chop.passes.graph.utils import get_mase_op  # noqa: E402

ALL = ["input_ids", "attention_mask", "labels"]


@pytest.fixture(scope="module")
def bert():
    torch.manual_seed(0)
    config = BertConfig(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, num_labels=3,
                        problem_type="single_label_classification", initializer_range=0.5)
    return BertForSequenceClassification(config).eval()


@pytest.fixture(scope="module")
def batch():
    g = torch.Generator().manual_seed(1)
    mask = torch.ones(2, 10, dtype=torch.long)
    mask[1, 7:] = 0
    return {"input_ids": torch.randint(0, 120, (2, 10), generator=g), "attention_mask": mask,
            "labels": torch.tensor([0, 2])}


def annotated(model, names, batch):
    mg = MaseGraph(model, hf_input_names=names)
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, result = add_common_metadata_analysis_pass(mg, {"dummy_in": {k: batch[k] for k in names}})
    return mg, result


def descendants(node):
    seen, todo = set(), [node]
    while todo:
        for user in todo.pop().users:
            if user not in seen:
                seen.add(user)
                todo.append(user)
    return seen


def exclusive_ancestors(node):
    """`node` and the nodes that feed nothing but it: the sub-graph that exists only for it."""
    sub, todo = {node}, [node]
    while todo:
        for source in todo.pop().all_input_nodes:
            if source not in sub and set(source.users) <= sub:
                sub.add(source)
                todo.append(source)
    return sub


def test_bert_graph_runs_like_the_model_with_full_metadata(bert, batch):
    mg, result = annotated(bert, ALL, batch)
    assert result["unknown_ops"] == []
    mg.verify()
    out = mg.model(**batch)
    ref = bert(**batch)
    assert torch.allclose(out["logits"], ref.logits, atol=1e-6) and torch.allclose(out["loss"], ref.loss)
    ops = [get_mase_op(n) for n in mg.nodes]
    assert ops.count("linear") == 2 * 6 + 2 and ops.count("layer_norm") == 1 + 2 * 2
    assert ops.count("scaled_dot_product_attention") == 2 and ops.count("cross_entropy") == 1
    logits = mg.node("classifier").meta["mase"]["common"]["results"]["data_out_0"]
    assert logits["shape"] == [2, 3]


def test_leaving_out_labels_removes_the_loss_sub_graph(bert, batch):
    full, _ = annotated(bert, ALL, batch)
    no_labels, _ = annotated(bert, ["input_ids", "attention_mask"], batch)
    loss = next(n for n in full.nodes if get_mase_op(n) == "cross_entropy")
    loss_graph = {n.name for n in exclusive_ancestors(loss)}
    assert "labels" in loss_graph
    assert {get_mase_op(full.node(name)) for name in loss_graph} == {"placeholder", "view", "cross_entropy"}
    names_full = {n.name for n in full.nodes}
    names_short = {n.name for n in no_labels.nodes}
    assert names_full - names_short == loss_graph
    assert names_short <= names_full
    assert "cross_entropy" not in {get_mase_op(n) for n in no_labels.nodes}
    assert set(no_labels.model(batch["input_ids"], batch["attention_mask"])) == {"logits"}


def test_leaving_out_attention_mask_feeds_the_mask_ops_from_a_constant(bert, batch):
    full, _ = annotated(bert, ALL, batch)
    no_mask, _ = annotated(bert, ["input_ids", "labels"], batch)
    mask_ops = {get_mase_op(n) for n in descendants(full.node("attention_mask"))}
    assert {"masked_fill", "scaled_dot_product_attention"} <= mask_ops
    assert "attention_mask" not in {n.name for n in no_mask.nodes}
    ones = [n for n in no_mask.nodes if n.op == "call_function" and n.target is torch.ones]
    assert len(ones) == 1 and get_mase_op(ones[0]) == "constant"
    assert "masked_fill" in {get_mase_op(n) for n in descendants(ones[0])}
    # without a mask the padded tokens are attended to, so the logits differ for the padded row
    with_mask = full.model(**batch)["logits"]
    without = no_mask.model(batch["input_ids"], batch["labels"])["logits"]
    assert torch.allclose(with_mask[0], without[0], atol=1e-6)
    assert (with_mask[1] - without[1]).abs().max() > 1e-2


def test_unknown_input_name_or_non_hf_model_is_a_clear_error(bert):
    with pytest.raises(ChopError, match="hf_input_names \\['input_idz'\\] are not arguments"):
        MaseGraph(bert, hf_input_names=["input_idz"])
    with pytest.raises(ChopError, match="not a transformers PreTrainedModel"):
        MaseGraph(torch.nn.Linear(2, 2), hf_input_names=["input"])


def test_hf_graph_saves_and_loads_with_the_model_given(bert, batch, tmp_path):
    mg, _ = annotated(bert, ALL, batch)
    mg.save(tmp_path / "bert")
    fresh = BertForSequenceClassification(bert.config).eval()
    loaded = MaseGraph.load(tmp_path / "bert", model=fresh)
    assert torch.equal(loaded.model(**batch)["logits"], mg.model(**batch)["logits"])
    assert loaded.node("classifier").meta["mase"].parameters == mg.node("classifier").meta["mase"].parameters


def train_mode_bert(problem_type="single_label_classification"):
    torch.manual_seed(3)
    config = BertConfig(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, num_labels=3,
                        problem_type=problem_type, attention_probs_dropout_prob=0.5)
    return BertForSequenceClassification(config)  # built in train mode, as transformers does


def test_a_bert_traced_in_train_mode_has_no_frozen_dropout(batch):
    model = train_mode_bert()
    model.bert.encoder.layer[0].eval()  # a mixed mode is given back as it was
    mg = MaseGraph(model, hf_input_names=["input_ids", "attention_mask"])
    attention = [n for n in mg.nodes if n.target is torch.nn.functional.scaled_dot_product_attention]
    assert len(attention) == 2 and all(n.kwargs["dropout_p"] == 0.0 for n in attention)
    assert model.training and not model.bert.encoder.layer[0].training and model.bert.encoder.layer[1].training
    assert mg.model.training  # the graph follows the model's mode: dropout modules active
    mg.model.eval()
    args = (batch["input_ids"], batch["attention_mask"])
    first, second = mg.model(*args)["logits"], mg.model(*args)["logits"]
    assert torch.equal(first, second)
    assert torch.allclose(first, model.eval()(*args).logits, atol=1e-6)


def test_tracing_labels_sets_the_missing_problem_type(batch):
    model = train_mode_bert(problem_type=None).eval()
    assert model.config.problem_type is None
    mg = MaseGraph(model, hf_input_names=ALL)
    assert model.config.problem_type == "single_label_classification"
    out = mg.model(**batch)
    assert torch.allclose(out["loss"], torch.nn.functional.cross_entropy(out["logits"], batch["labels"]))
    kept = train_mode_bert(problem_type="multi_label_classification").eval()
    MaseGraph(kept, hf_input_names=ALL)
    assert kept.config.problem_type == "multi_label_classification"


def quantized_bert(batch):
    from chop.passes.graph import quantize_transform_pass

    model = train_mode_bert()
    mg, _ = annotated(model, ["input_ids", "attention_mask"], batch)
    linear = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
              "weight_frac_width": 6, "bias_width": 8, "bias_frac_width": 6}
    mg, _ = quantize_transform_pass(mg, {"by": "type", "default": {"config": {"name": None}},
                                         "linear": {"config": linear}})
    mg.model.eval()
    return model, mg


def test_8bit_bert_saved_and_loaded_without_the_model_gives_equal_logits(batch, tmp_path):
    model, mg = quantized_bert(batch)
    mg.save(tmp_path / "q")
    args = (batch["input_ids"], batch["attention_mask"])
    expected = mg.model(*args)["logits"]
    loaded = MaseGraph.load(tmp_path / "q")  # rebuilt from the saved class and config
    assert not loaded.model.training
    assert type(loaded.modules["bert"].encoder.layer[0].attention.self.query).__name__ == "LinearInteger"
    assert torch.equal(loaded.model(*args)["logits"], expected)
    fresh = BertForSequenceClassification(model.config)  # train mode, other weights
    given = MaseGraph.load(tmp_path / "q", model=fresh)
    assert torch.equal(given.model(*args)["logits"], expected)
    assert given.recipe()["hf_model"]["class"] == "BertForSequenceClassification"


def test_a_recipe_naming_a_non_model_class_is_refused(batch, tmp_path):
    import json

    from chop.errors import CheckpointError

    _, mg = quantized_bert(batch)
    mg.save(tmp_path / "q")
    recipe = json.loads((tmp_path / "q" / "recipe.json").read_text())
    for bad in ("AutoTokenizer", "os.system", "PreTrainedModel.__init__"):
        recipe["hf_model"]["class"] = bad
        (tmp_path / "q" / "recipe.json").write_text(json.dumps(recipe))
        with pytest.raises(CheckpointError, match="not a transformers model class"):
            MaseGraph.load(tmp_path / "q")
