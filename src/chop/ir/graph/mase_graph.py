"""`MaseGraph`: a model lifted into a torch.fx graph whose nodes carry MASE metadata.

`mg.model` is the traced `GraphModule` (callable like the model), `mg.fx_graph` its graph,
`mg.nodes` the graph's nodes, `mg.modules` its submodules by name. Analysis passes annotate
`node.meta["mase"]`; transform passes return a new MaseGraph made with `mg.derive(...)`, which
records the pass in the graph's recipe so that `save`/`load` can rebuild it without pickling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torch import fx, nn

from chop.ir.tracer import LeafSpec, trace_module

if TYPE_CHECKING:
    from chop.dataset.info import DatasetInfo

_REPR_NODES = 30


class MaseGraph:
    """A traced model plus the recipe that rebuilds it.

    `MaseGraph(model)` traces with torch.fx; `MaseGraph(hf_model, hf_input_names=[...])` traces a
    Hugging Face model with those inputs. `cf_args` fixes Python arguments that steer control
    flow; `custom_leaf_modules` (classes or module paths) are kept whole instead of traced into.
    `model_name`/`dataset_info` name the registered model, so that `MaseGraph.load` can rebuild it.
    """

    def __init__(
        self,
        model: nn.Module,
        cf_args: dict[str, Any] | None = None,
        hf_input_names: Sequence[str] | None = None,
        custom_leaf_modules: LeafSpec | None = None,
        custom_leaf_functions: Sequence[Callable] = (),
        *,
        model_name: str | None = None,
        dataset_info: DatasetInfo | None = None,
    ):
        from chop.ir.hf_recipe import hf_model_entry
        from chop.ir.hf_tracer import is_hf_model, trace_hf

        hf_model = None
        if isinstance(model, fx.GraphModule):
            gm = model
        elif hf_input_names is not None or is_hf_model(model):
            hf_model = hf_model_entry(model)
            if hf_input_names is None and hf_model is not None:
                hf_input_names = list(model.dummy_inputs)
            gm = trace_hf(model, hf_input_names, custom_leaf_modules)
        else:
            gm = trace_module(model, cf_args, custom_leaf_modules, custom_leaf_functions)
        self.model: fx.GraphModule = gm
        self.model_name = model_name
        self.dataset_info = dataset_info
        self.trace_options: dict[str, Any] = {
            "hf_input_names": list(hf_input_names) if hf_input_names is not None else None,
            "cf_args": cf_args,
            "custom_leaf_modules": list(custom_leaf_modules or ()),
            "custom_leaf_functions": list(custom_leaf_functions),
            "hf_model": hf_model,  # class + config of a transformers model: load rebuilds it
        }
        self.applied_passes: list[tuple[str, dict]] = []

    @property
    def fx_graph(self) -> fx.Graph:
        return self.model.graph

    @property
    def nodes(self):
        return self.model.graph.nodes

    @property
    def modules(self) -> dict[str, nn.Module]:
        return dict(self.model.named_modules())

    def node(self, name: str) -> fx.Node:
        """The node called `name`."""
        for node in self.model.graph.nodes:
            if node.name == name:
                return node
        from chop.errors import ChopError, did_you_mean

        names = [n.name for n in self.model.graph.nodes]
        raise ChopError(f"The graph has no node '{name}'.{did_you_mean(name, names)}")

    def copy_model(self) -> fx.GraphModule:
        """A deep copy of the GraphModule whose nodes own copies of their metadata.

        Transform passes edit this copy and wrap it with `derive`, leaving `self` untouched
        (`copy.deepcopy` alone would share each node's MaseMetadata with the original).
        """
        import copy

        gm = copy.deepcopy(self.model)
        for old, new in zip(self.model.graph.nodes, gm.graph.nodes):
            if "mase" in old.meta:
                new.meta["mase"] = copy.deepcopy(old.meta["mase"])
        return gm

    def derive(self, model: fx.GraphModule, pass_name: str, pass_args: dict | None) -> MaseGraph:
        """A new MaseGraph of a transformed `model`, its recipe extended by the pass that made it.

        Transform passes call this; `pass_args` must be JSON-like (as in a TOML file) so that
        `load` can replay the pass.
        """
        new = MaseGraph(model, model_name=self.model_name, dataset_info=self.dataset_info)
        new.trace_options = dict(self.trace_options)
        new.applied_passes = [*self.applied_passes, (pass_name, dict(pass_args or {}))]
        return new

    def continue_recipe(self, recipe: dict) -> MaseGraph:
        """Make this graph's recipe start with `recipe`'s transforms (this graph was rebuilt from
        it), so that later transforms add to them instead of replacing them; returns self."""
        self.applied_passes = [(name, dict(args)) for name, args in recipe.get("passes", [])]
        if recipe.get("hf_model") is not None:
            self.trace_options["hf_model"] = recipe["hf_model"]
        return self

    def recipe(self) -> dict:
        """How to rebuild this graph: the model name (and for a Hugging Face model its class and
        config), its dataset info, and the transforms."""
        recipe = {
            "model": self.model_name,
            "dataset_info": self.dataset_info.to_dict() if self.dataset_info is not None else None,
            "hf_input_names": self.trace_options.get("hf_input_names"),
            "passes": [[name, args] for name, args in self.applied_passes],
        }
        if self.trace_options.get("hf_model") is not None:
            recipe["hf_model"] = self.trace_options["hf_model"]
        return recipe

    def verify(self) -> None:
        """Raise a ChopError if the metadata is inconsistent (see `chop.ir.verify`)."""
        from chop.ir.verify import check_metadata

        check_metadata(self)

    def draw(self, path: str | Path = "mase_graph.svg") -> Path:
        """Draw the graph to `path` (.svg, .png, .pdf or .dot; default `mase_graph.svg` in the
        working directory, as MASE did) with graphviz."""
        from chop.ir.draw import draw_graph

        return draw_graph(self, path)

    def save(self, directory: str | Path) -> Path:
        """Save weights (safetensors), recipe and metadata (JSON) under `directory`."""
        from chop.ir.serialize import save_graph

        return save_graph(self, directory)

    @classmethod
    def load(cls, directory: str | Path, model: nn.Module | None = None) -> MaseGraph:
        """Rebuild a saved graph: the model from the registry, from the saved Hugging Face class
        and config, or `model`; then the recipe's transforms, the saved weights and metadata.
        The loaded graph is in eval mode (as `from_pretrained` models are)."""
        from chop.ir.serialize import load_graph

        return load_graph(directory, model=model)

    def __call__(self, *args, **kwargs):
        return self.model(*args, **kwargs)

    def __repr__(self) -> str:
        nodes = list(self.model.graph.nodes)
        title = self.model_name or type(self.model).__name__
        lines = [f"MaseGraph '{title}': {len(nodes)} nodes"]
        for node in nodes[:_REPR_NODES]:
            lines.append(f"  {node.name:<28} {node.op:<14} {_target_text(self, node)}{_mase_text(node)}")
        if len(nodes) > _REPR_NODES:
            lines.append(f"  ... {len(nodes) - _REPR_NODES} more nodes")
        return "\n".join(lines)


def _target_text(mg: MaseGraph, node: fx.Node) -> str:
    if node.op == "call_module":
        return type(mg.model.get_submodule(node.target)).__name__
    if node.op == "call_function":
        return getattr(node.target, "__name__", str(node.target))
    return str(node.target)


def _mase_text(node: fx.Node) -> str:
    meta = node.meta.get("mase")
    if meta is None or "mase_op" not in meta["common"]:
        return ""
    return f"  [{meta['common']['mase_type']}/{meta['common']['mase_op']}]"
