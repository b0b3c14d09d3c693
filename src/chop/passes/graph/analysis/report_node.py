"""Per-node report passes: metadata parameters, node types, and operand shapes.

Each returns the same graph and `{"table": Table, "text": str}`; the text is logged at INFO and
saved to `save_path` when given. Operands print as `name: [8, 16] float[32]`.
"""

from __future__ import annotations

import logging
from typing import Any

from chop.errors import ConfigError, did_you_mean
from chop.ir.metadata import SECTIONS
from chop.passes.graph.table import Table
from chop.passes.graph.utils import node_type_name
from chop.passes.registry import register_pass

logger = logging.getLogger(__name__)

META_PARAM_DEFAULTS = {"which": list(SECTIONS), "save_path": None}
NODE_TABLE_DEFAULTS = {"save_path": None}
_LIST_SHOWN = 4


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and len(value) > _LIST_SHOWN:
        return "[" + ", ".join(_short(v) for v in value[:_LIST_SHOWN]) + f", ... ({len(value)})]"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


def format_operand(operand: dict) -> str:
    if operand.get("shape") is not None:
        return f"{operand['shape']} {operand.get('type')}{operand.get('precision')}"
    return f"{operand.get('type')} = {_short(operand.get('value'))}"


def _common_lines(common: dict) -> list[str]:
    lines = [f"{name}: {format_operand(op)}" for name, op in common.get("args", {}).items()]
    lines += [f"-> {name}: {format_operand(op)}" for name, op in common.get("results", {}).items()]
    return lines


def _software_lines(software: dict) -> list[str]:
    lines = []
    for section in ("args", "results"):
        for operand, slot in software.get(section, {}).items():
            for stat, result in slot.get("stat", {}).items():
                values = ", ".join(f"{k}={_short(v)}" for k, v in result.items())
                lines.append(f"{operand} {stat}: {values}")
    return lines


def _hardware_lines(hardware: dict) -> list[str]:
    if not hardware:
        return []
    lines = [f"is_implicit: {hardware.get('is_implicit')}"]
    lines += [f"{name} parallelism: {p}" for name, p in hardware.get("parallelism", {}).items()]
    lines += [f"{name}: {iface}" for name, iface in hardware.get("interface", {}).items()]
    if hardware.get("verilog_param"):
        lines.append(f"{len(hardware['verilog_param'])} verilog parameters")
    return lines


_FORMATTERS = {"common": _common_lines, "software": _software_lines, "hardware": _hardware_lines}


def _which(value: Any) -> list[str]:
    which = [value] if isinstance(value, str) else list(value or [])
    for section in which:
        if section not in SECTIONS:
            raise ConfigError(
                f"Pass 'report_node_meta_param': 'which' names unknown section '{section}'."
                f"{did_you_mean(section, SECTIONS)}"
            )
    return which


def _finish(name: str, table: Table, save_path) -> dict:
    if save_path is not None:
        table.save(save_path)
    text = table.render()
    logger.info("%s\n%s", name, text)
    return {"table": table, "text": text}


def _mase(node) -> dict:
    meta = node.meta.get("mase")
    return meta.parameters if meta is not None else {section: {} for section in SECTIONS}


def _check_which(args: dict) -> dict:
    return {**args, "which": _which(args["which"])}


@register_pass("report_node_meta_param", META_PARAM_DEFAULTS, check=_check_which, paths={"save_path": "file"})
def report_node_meta_param_analysis_pass(graph, args):
    """A table of each node's metadata sections chosen by `which` ('common', 'software', 'hardware')."""
    which = args["which"]
    headers = ["Node name", "Fx node op", "Mase type", "Mase op"]
    headers += [f"{section.capitalize()} param" for section in which]
    table = Table(headers)
    for node in graph.fx_graph.nodes:
        params = _mase(node)
        common = params["common"]
        row = [node.name, node.op, common.get("mase_type", ""), common.get("mase_op", "")]
        row += ["\n".join(_FORMATTERS[section](params[section])) for section in which]
        table.rows.append(row)
    return graph, _finish("Node metadata:", table, args["save_path"])


@register_pass("report_node_type", NODE_TABLE_DEFAULTS, paths={"save_path": "file"})
def report_node_type_analysis_pass(graph, args):
    """A table of each node's fx op, mase type and op, and what it runs."""
    table = Table(["Node name", "Fx node op", "Mase type", "Mase op", "Target"])
    for node in graph.fx_graph.nodes:
        common = _mase(node)["common"]
        table.rows.append([node.name, node.op, common.get("mase_type", ""), common.get("mase_op", ""),
                           node_type_name(node)])
    return graph, _finish("Node types:", table, args["save_path"])


@register_pass("report_node_shape", NODE_TABLE_DEFAULTS, paths={"save_path": "file"})
def report_node_shape_analysis_pass(graph, args):
    """A table of each node's input and output operands (shape, number format)."""
    table = Table(["Node name", "Mase op", "Inputs", "Outputs"])
    for node in graph.fx_graph.nodes:
        common = _mase(node)["common"]
        inputs = [f"{k}: {format_operand(v)}" for k, v in common.get("args", {}).items()]
        outputs = [f"{k}: {format_operand(v)}" for k, v in common.get("results", {}).items()]
        table.rows.append([node.name, common.get("mase_op", ""), "\n".join(inputs), "\n".join(outputs)])
    return graph, _finish("Node shapes:", table, args["save_path"])
