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
