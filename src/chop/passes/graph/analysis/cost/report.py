"""The cost pass's table (the columns of the seed lab reports) and its saved forms.

The table has one row per node: name, mase op, parameters, forward and backward FLOPs, forward
and backward BitOPs, then a "total" row. Placeholders and the output compute nothing and show
blank cells; an op without a formula shows "uncounted". `save_cost` writes the table as text
(any suffix but .csv/.json), every record field as CSV, or the whole result as JSON.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from chop import atomic
from chop.passes.graph.table import Table

HEADERS = ["Node name", "Node type", "Parameters", "Forward FLOPs", "Backward FLOPs",
           "Forward bitops", "Backward bitops"]
ROW_KEYS = ("params", "flops_forward", "flops_backward", "bitops_forward", "bitops_backward")
BLANK_TYPES = ("placeholder", "output")
UNCOUNTED = "uncounted"
JSON_KEYS = ("per_sample", "batch_size", "nodes", "total", "uncounted", "reasons",
             "total_per_sample", "total_per_batch")


def _cell(value: Any) -> Any:
    if value is None:
        return UNCOUNTED
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.6g}"
    return int(value)


def _title(result: dict) -> str:
    batch = result["batch_size"]
    unit = f"per sample (metadata batch of {batch})" if result["per_sample"] else f"per batch of {batch}"
    return f"Cost {unit}; BitOPs at each operand's number format:"


def cost_table(result: dict) -> Table:
    """The per-node table with a final "total" row."""
    table = Table(list(HEADERS), title=_title(result))
    for name, record in result["nodes"].items():
        if record["mase_type"] in BLANK_TYPES:
            cells = [None] * len(ROW_KEYS)
        else:
            cells = [record["params"]] + [_cell(record[key]) for key in ROW_KEYS[1:]]
        table.rows.append([name, record["op"], *cells])
    total = result["total"]
    table.rows.append(["total", "", *(_cell(total[key]) for key in ROW_KEYS)])
    return table


def _csv_rows(result: dict) -> tuple[list[str], list[dict]]:
    fields = ["node"] + list(next(iter(result["nodes"].values()), {}))
    rows = [{"node": name, **record} for name, record in result["nodes"].items()]
    rows.append({"node": "total", **{k: v for k, v in result["total"].items() if k in fields}})
    return fields, rows


def save_cost(result: dict, path: str | Path) -> Path:
    """Write the result to `path`: .json (machine-readable), .csv (one row a node), else text."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".json":
        atomic.write_text(path, json.dumps({key: result[key] for key in JSON_KEYS}, indent=2) + "\n")
    elif suffix == ".csv":
        fields, rows = _csv_rows(result)
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
        atomic.write_text(path, buffer.getvalue())
    else:
        result["table"].save(path)
    return path
