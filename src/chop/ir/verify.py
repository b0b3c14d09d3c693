"""Checking that a graph's metadata is consistent with itself and with the model.

What is checked: every node has common metadata with a known `mase_type`; every operand that
came from another node (`"from": name`) has the shape and dtype that node's single result has;
every parameter operand (weight, bias, ...) has the shape of the module's parameter; and the
`type`/`precision` of a float operand describe its dtype unless a pass set another format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from torch import fx

from chop.errors import ChopError
from chop.ir.operand import number_format
from chop.ir.taxonomy import MASE_TYPES

if TYPE_CHECKING:
    from chop.ir.graph import MaseGraph

_LIST_LIMIT = 10


def _common(node: fx.Node) -> dict | None:
    meta = node.meta.get("mase")
    return None if meta is None else meta["common"]


def _single_result(common: dict) -> dict | None:
    results = common.get("results", {})
    return results.get("data_out_0") if len(results) == 1 else None


def _check_operand(node: fx.Node, name: str, operand: dict, nodes: dict[str, fx.Node]) -> list[str]:
    problems = []
    source = operand.get("from")
    if source is not None:
        if source not in nodes:
            return [f"{node.name}.{name} comes from '{source}', which is not in the graph"]
        produced = _common(nodes[source])
        result = _single_result(produced) if produced else None
        if result is not None and result.get("shape") != operand.get("shape"):
            problems.append(
                f"{node.name}.{name} has shape {operand.get('shape')} but '{source}' produces "
                f"{result.get('shape')}"
            )
        if result is not None and result.get("torch_dtype") != operand.get("torch_dtype"):
            problems.append(
                f"{node.name}.{name} has dtype {operand.get('torch_dtype')} but '{source}' produces "
                f"{result.get('torch_dtype')}"
            )
    dtype = operand.get("torch_dtype")
    if dtype is not None and operand.get("type") in ("float", "bfloat", "integer", "bool"):
        if [operand["type"], operand["precision"]] != list(number_format(dtype)):
            problems.append(
                f"{node.name}.{name} says {operand['type']}{operand['precision']} but holds {dtype}"
            )
    return problems


def find_problems(mg: MaseGraph) -> list[str]:
    """Every inconsistency found, one sentence each (empty when the metadata is consistent)."""
    nodes = {node.name: node for node in mg.fx_graph.nodes}
    problems: list[str] = []
    for node in nodes.values():
        common = _common(node)
        if not common or "mase_type" not in common:
            problems.append(f"{node.name} has no common metadata (run add_common_metadata)")
            continue
        if common["mase_type"] not in MASE_TYPES:
            problems.append(f"{node.name} has unknown mase_type '{common['mase_type']}'")
        module = mg.model.get_submodule(node.target) if node.op == "call_module" else None
        for name, operand in common.get("args", {}).items():
            problems += _check_operand(node, name, operand, nodes)
            if module is not None and "from" not in operand and operand.get("shape") is not None:
                param = getattr(module, name, None)
                if param is not None and hasattr(param, "shape") and list(param.shape) != operand["shape"]:
                    problems.append(
                        f"{node.name}.{name} has shape {operand['shape']} but the module's "
                        f"{name} is {list(param.shape)}"
                    )
        for name, operand in common.get("results", {}).items():
            problems += _check_operand(node, name, operand, nodes)
    return problems


def check_metadata(mg: MaseGraph) -> None:
    """Raise a ChopError listing the inconsistencies, if any."""
    problems = find_problems(mg)
    if problems:
        shown = "; ".join(problems[:_LIST_LIMIT])
        more = f" (and {len(problems) - _LIST_LIMIT} more)" if len(problems) > _LIST_LIMIT else ""
        raise ChopError(f"Graph metadata is inconsistent: {shown}{more}.")
