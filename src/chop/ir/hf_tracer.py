"""Tracing Hugging Face models with transformers' fx tracer (the `[nlp]` extra).

Why this tracer and not `torch.export`: MASE's users work at module level (`call_module` nodes
named `bert_encoder_layer_0_attention_self_query` whose Linear a quantize pass swaps), and
`hf_input_names` chooses which forward arguments become graph inputs, so leaving out `labels`
leaves out the loss. transformers' `HFTracer` gives exactly that graph; `torch.export` gives an
ATen-level graph with parameters lifted to inputs, which would need re-lifting into modules.
`HFTracer` lives in `transformers.utils.fx`, which transformers 5 removed, so the `[nlp]` extra
pins transformers 4.57 (which works with torch 2.13).

Tracing runs in eval mode: HF attention passes `dropout_p = p if self.training else 0.0` as a Python
float, which a trace freezes into the graph; traced in train mode, attention dropout would stay on
forever, even after `.eval()`. Dropout *modules* are leaves and still follow the graph's mode, so
fine-tuning a graph keeps the hidden-state dropout. The model's own mode is restored afterwards and
the GraphModule is given the same mode. With `labels` among the inputs the loss is traced, which
needs `config.problem_type`; it is set from `num_labels` when the model has none (as transformers
itself does on the first forward with labels).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Sequence

from torch import fx, nn

from chop.errors import ChopError
from chop.ir.tracer import LeafSpec, build_graph_module, make_tracer_class, trace_error

INSTALL_HINT = "install the NLP extra: pip install 'machop[nlp]' (transformers 4.57)"


def is_hf_model(model: nn.Module) -> bool:
    """True for a transformers `PreTrainedModel`, without importing transformers needlessly."""
    if "transformers" not in sys.modules:
        return False
    from transformers import PreTrainedModel

    return isinstance(model, PreTrainedModel)


def _hf_fx():
    try:
        from transformers.utils import fx as hf_fx
    except ImportError as exc:
        raise ChopError(
            f"Tracing a Hugging Face model needs transformers' fx tracer ({exc}); {INSTALL_HINT}."
        ) from None
    return hf_fx


def trace_hf(
    model: nn.Module,
    input_names: Sequence[str] | None = None,
    custom_leaf_modules: LeafSpec | None = None,
) -> fx.GraphModule:
    """Trace a Hugging Face model; `input_names` become the graph's placeholders."""
    hf_fx = _hf_fx()
    from transformers import PreTrainedModel

    if not isinstance(model, PreTrainedModel):
        raise ChopError(
            f"hf_input_names is for Hugging Face models, but {type(model).__name__} is not a "
            f"transformers PreTrainedModel; trace it with MaseGraph(model) instead."
        )
    if input_names is None:
        input_names = list(model.dummy_inputs.keys())
    input_names = list(input_names)
    accepted = set(inspect.signature(model.forward).parameters)
    unknown = [name for name in input_names if name not in accepted]
    if unknown:
        raise ChopError(
            f"hf_input_names {unknown} are not arguments of {type(model).__name__}.forward; "
            f"choose from {sorted(accepted)}."
        )
    try:
        hf_fx.check_if_model_is_supported(model)
    except NotImplementedError as exc:
        raise ChopError(f"transformers cannot fx-trace {type(model).__name__}: {exc}") from None
    if getattr(model.config, "use_cache", False) and "past_key_values" not in input_names:
        model.config.use_cache = False  # a cache is a graph input; none was asked for
    if "labels" in input_names:
        set_problem_type(model.config)
    tracer_cls = make_tracer_class(hf_fx.HFTracer, custom_leaf_modules)
    tracer = tracer_cls()
    tracer._init_stack()
    concrete_args = hf_fx.get_concrete_args(model, input_names)
    children_before = {name for name, _ in model.named_children()}
    modes = [(module, module.training) for module in model.modules()]
    model.eval()  # never freeze a training-mode dropout probability into the graph
    try:
        try:
            graph = tracer.trace(model, concrete_args=concrete_args)
        except ChopError:
            raise
        except ValueError as exc:  # transformers' own checks, e.g. a missing config.problem_type
            raise ChopError(f"Tracing {type(model).__name__} failed: {exc}") from None
        except Exception as exc:
            raise trace_error(model, tracer, exc) from None
        gm = build_graph_module(model, graph)
    finally:  # HFTracer adds modules made in forward (a loss) to the model itself: undo that
        for name in [n for n, _ in model.named_children() if n not in children_before]:
            delattr(model, name)
        for module, mode in modes:  # each module's own mode back, mixed modes included
            module.training = mode
    gm.training = model.training
    gm.config = model.config
    return gm


def set_problem_type(config) -> None:
    """Give `config` the `problem_type` that tracing the loss needs, when it has none.

    One label is a regression; several, a single-label classification (machop's task `cls`).
    A problem type the user chose is kept.
    """
    if getattr(config, "problem_type", None):
        return
    config.problem_type = "regression" if getattr(config, "num_labels", 2) == 1 else "single_label_classification"
