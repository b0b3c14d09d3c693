"""`Table`: what report passes return; readable in a terminal and in a saved file.

It renders as a Markdown pipe table (rich's MARKDOWN box), the layout MASE's users paste into
their reports, and keeps its rows for programs (`records()`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table as RichTable

_WIDTH = 10_000  # never wrap cells: long rows stay one line in a file


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    title: str = ""

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.headers, row, strict=True)) for row in self.rows]

    def column(self, header: str) -> list[Any]:
        i = self.headers.index(header)
        return [row[i] for row in self.rows]

    def render(self) -> str:
        table = RichTable(box=box.MARKDOWN, show_edge=True)
        for header in self.headers:
            table.add_column(header, overflow="fold")
        for row in self.rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        console = Console(file=io.StringIO(), width=_WIDTH, color_system=None, highlight=False)
        console.print(table)
        lines = [line.rstrip() for line in console.file.getvalue().splitlines()]
        text = "\n".join(line for line in lines if line)
        return f"{self.title}\n{text}" if self.title else text

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.render() + "\n")
        return path

    def save_csv(self, path: str | Path) -> Path:
        """The rows as CSV (headers first), for spreadsheets and plots."""
        import csv

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(self.headers)
            writer.writerows(self.rows)
        return path

    def __str__(self) -> str:
        return self.render()

    def __len__(self) -> int:
        return len(self.rows)
