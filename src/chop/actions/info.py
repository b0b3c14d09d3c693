"""`ch info`: the registered models and datasets with their sizes."""

from __future__ import annotations

from chop.config import RunConfig
from chop.dataset import DATASETS
from chop.models import MODELS, get_model


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def info(cfg: RunConfig) -> dict:
    from chop.actions.common import resolve_names

    resolve_names(cfg)
    models = []
    for name, entry in MODELS.items():
        dataset_info = DATASETS.get(entry.info.default_dataset).info if entry.info.default_dataset in DATASETS else None
        try:
            params = count_parameters(get_model(name, dataset_info)) if dataset_info else None
        except Exception:  # a model that cannot be built for its default shape: show no size
            params = None
        models.append({
            "name": name, "source": entry.info.source, "task": entry.info.task,
            "default_dataset": entry.info.default_dataset, "parameters": params,
            "fx_traceable": entry.info.fx_traceable, "description": entry.info.description,
        })
    datasets = []
    for name, entry in DATASETS.items():
        i = entry.info
        datasets.append({
            "name": name, "input_shape": tuple(i.input_shape), "classes": i.num_classes,
            "split_sizes": dict(i.split_sizes), "description": i.description,
            "source": i.source, "input_names": list(i.input_names),
        })
    return {"models": models, "datasets": datasets}
