"""Transform passes; MASE's notebooks import them from here:
`from chop.passes.graph.transforms import quantize_transform_pass, summarize_quantization_analysis_pass`."""

_NAMES = {
    "quantize_transform_pass": "chop.passes.graph.transforms.quantize",
    "freeze_learned_transform_pass": "chop.passes.graph.transforms.quantize",
    "summarize_quantization_analysis_pass": "chop.passes.graph.transforms.quantize",
    "prune_transform_pass": "chop.passes.graph.transforms.prune",
    "add_pruning_metadata_analysis_pass": "chop.passes.graph.transforms.prune",
}


def __getattr__(name: str):
    """Lazy, so that importing one transform's module does not import the others."""
    if name in _NAMES:
        import importlib

        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'chop.passes.graph.transforms' has no attribute {name!r}")


__all__ = sorted(_NAMES)
