"""Tracing an `nn.Module` into a torch.fx `GraphModule`, with errors that say what to do.

When torch.fx cannot trace a module (data-dependent control flow, unsupported Python), the error
names the innermost module being traced and the way out: declare it a leaf
(`custom_leaf_modules=[ItsClass]`) or make a Python argument concrete (`cf_args`). Hugging Face
models go through transformers' own fx tracer (see `hf_tracer.py`) with the same error handling.

The built `GraphModule` keeps the model's own top-level children (so `modules["seq_blocks"]` is
the original `nn.Sequential` and `[2]` indexes it), shared with the traced model as torch.fx does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from torch import fx, nn

from chop.errors import ChopError, ConfigError

LeafSpec = Sequence[type | str]


class _ModuleStackMixin:
    """Remembers which module was being traced when tracing failed, and honours custom leaves."""

    leaf_classes: tuple[type, ...] = ()
    leaf_names: frozenset[str] = frozenset()

    def _init_stack(self) -> None:
        self._mase_stack: list[tuple[str, type]] = []
        self.failed_in: tuple[str, type] | None = None

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        from chop.nn.quantized import QuantizedModule

        # A quantized module is one op with its operand specs; tracing into it would lose them.
        if isinstance(m, (QuantizedModule, *self.leaf_classes)) or module_qualified_name in self.leaf_names:
            return True
        return super().is_leaf_module(m, module_qualified_name)

    def call_module(self, m, forward, args, kwargs):
        if not hasattr(self, "_mase_stack"):
            self._init_stack()
        self._mase_stack.append((self.path_of_module(m), type(m)))
        try:
            return super().call_module(m, forward, args, kwargs)
        except Exception:
            if self.failed_in is None:
                self.failed_in = self._mase_stack[-1]
            raise
        finally:
            self._mase_stack.pop()


def split_leaves(custom_leaf_modules: LeafSpec | None) -> tuple[tuple[type, ...], frozenset[str]]:
    """Separate leaf module classes from leaf module paths (like 'encoder.block_3')."""
    classes, names = [], []
    for leaf in custom_leaf_modules or ():
        if isinstance(leaf, type) and issubclass(leaf, nn.Module):
            classes.append(leaf)
        elif isinstance(leaf, str):
            names.append(leaf)
        else:
            raise ConfigError(
                f"custom_leaf_modules takes nn.Module classes or module paths, got {leaf!r}."
            )
    return tuple(classes), frozenset(names)


def make_tracer_class(base: type[fx.Tracer], custom_leaf_modules: LeafSpec | None) -> type:
    """A subclass of `base` that tracks the module stack and treats the given modules as leaves."""
    classes, names = split_leaves(custom_leaf_modules)
    return type(
        f"Mase{base.__name__}",
        (_ModuleStackMixin, base),
        {"leaf_classes": classes, "leaf_names": names},
    )


def trace_error(model: nn.Module, tracer: Any, exc: Exception) -> ChopError:
    """A ChopError naming the module that failed and how to get past it."""
    failed = getattr(tracer, "failed_in", None)
    reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    if failed is not None:
        path, cls = failed
        return ChopError(
            f"torch.fx cannot trace module '{path}' ({cls.__module__}.{cls.__name__}): {reason}. "
            f"Declare it a leaf so that it is kept whole: "
            f"MaseGraph(model, custom_leaf_modules=[{cls.__name__}]) (or its path '{path}')."
        )
    return ChopError(
        f"torch.fx cannot trace the forward of {type(model).__name__}: {reason}. If a Python "
        f"argument decides control flow, fix it with cf_args={{'name': value}}; if a submodule is "
        f"untraceable, declare it a leaf with custom_leaf_modules=[ItsClass]."
    )


def build_graph_module(model: nn.Module, graph: fx.Graph) -> fx.GraphModule:
    """A GraphModule named after the model's class that keeps the model's own children."""
    gm = fx.GraphModule(model, graph, class_name=type(model).__name__)
    for name, child in model.named_children():
        if getattr(gm, name, None) is not child:
            setattr(gm, name, child)
    return gm


def trace_module(
    model: nn.Module,
    cf_args: dict[str, Any] | None = None,
    custom_leaf_modules: LeafSpec | None = None,
    custom_leaf_functions: Sequence[Callable] = (),
) -> fx.GraphModule:
    """Trace a plain `nn.Module` with torch.fx."""
    tracer_cls = make_tracer_class(fx.Tracer, custom_leaf_modules)
    tracer = tracer_cls(autowrap_functions=tuple(custom_leaf_functions))
    tracer._init_stack()
    try:
        graph = tracer.trace(model, concrete_args=cf_args)
    except ChopError:
        raise
    except Exception as exc:
        raise trace_error(model, tracer, exc) from None
    return build_graph_module(model, graph)
