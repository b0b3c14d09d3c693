"""Models, one file per family; each registers itself in `MODELS` on import."""

from chop.models.info import ModelInfo
from chop.models.registry import (
    MODELS,
    ModelEntry,
    get_model,
    get_model_info,
    import_model_file,
    register_model,
    resolve_model_name,
    saved_model_name,
)
from chop.models import jsc, text, vision  # noqa: F401  (registers)

__all__ = [
    "MODELS",
    "ModelEntry",
    "ModelInfo",
    "get_model",
    "get_model_info",
    "import_model_file",
    "register_model",
    "resolve_model_name",
    "saved_model_name",
]
