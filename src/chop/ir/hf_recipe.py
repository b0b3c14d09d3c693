"""A Hugging Face model in a saved graph's recipe: its class name and config, as plain JSON.

`MaseGraph.save` of an HF graph writes `{"class": "BertForSequenceClassification", "config":
{...}}`, so `MaseGraph.load(dir)` rebuilds the model without `model=` and without the hub: the
class is looked up in transformers (it must be a `PreTrainedModel` subclass there, so a recipe
can name no other code), built from the config with fresh weights, and the saved weights replace
them. No `from_pretrained`, no `trust_remote_code`, no network.
"""

from __future__ import annotations

import json
from typing import Any

from torch import nn

from chop.errors import CheckpointError


def hf_model_entry(model: nn.Module) -> dict[str, Any] | None:
    """`{"class", "config"}` of a transformers model, or None for any other model."""
    from chop.ir.hf_tracer import is_hf_model

    if not is_hf_model(model):
        return None
    config = json.loads(model.config.to_json_string(use_diff=False))
    return {"class": type(model).__name__, "config": config}


def build_hf_model(entry: Any, where: str = "recipe") -> nn.Module:
    """The model an `hf_model_entry` describes, freshly initialised (weights load afterwards)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("class"), str) or not isinstance(
            entry.get("config"), dict):
        raise CheckpointError(f"{where}: 'hf_model' must be {{class: NAME, config: {{...}}}}; the file is damaged.")
    try:
        import transformers
    except ImportError:
        raise CheckpointError(f"{where} holds a Hugging Face model; install the NLP extra: "
                              f"pip install 'machop[nlp]'.") from None
    name = entry["class"]
    cls = getattr(transformers, name, None) if name.isidentifier() else None
    if not (isinstance(cls, type) and issubclass(cls, transformers.PreTrainedModel)):
        raise CheckpointError(f"{where} names the Hugging Face class {name!r}, which is not a transformers "
                              f"model class; the file is damaged or from another transformers version.")
    config_dict = dict(entry["config"])
    config_dict.pop("auto_map", None)  # remote code is never followed
    try:
        config = cls.config_class.from_dict(config_dict)
        model = cls(config)
    except Exception as exc:  # a config this transformers cannot build
        raise CheckpointError(f"{where}: cannot build {name} from its saved config "
                              f"({type(exc).__name__}: {str(exc)[:160]}).") from None
    return model
