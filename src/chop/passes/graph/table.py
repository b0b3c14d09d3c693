"""`Table`: what report passes return; readable in a terminal and in a saved file.

It renders as a Markdown pipe table, the layout MASE's users paste into
their reports, and keeps its rows for programs (`records()`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
        """A Markdown pipe table (plain string formatting: reports are drawn in hot loops,
        e.g. once per search trial, where a rich Console costs milliseconds)."""
        cells = [[("" if cell is None else str(cell)).replace("\n", " ") for cell in row] for row in self.rows]
        widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(self.headers)]

        def line(values: list[str]) -> str:
            return ("| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |").rstrip()

        lines = [line(list(self.headers)), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        lines += [line(row) for row in cells]
        text = "\n".join(lines)
        return f"{self.title}\n{text}" if self.title else text

    def save(self, path: str | Path) -> Path:
        from chop import atomic

        return atomic.write_text(path, self.render() + "\n")

    def save_csv(self, path: str | Path) -> Path:
        """The rows as CSV (headers first), for spreadsheets and plots."""
        import csv
        import io

        from chop import atomic

        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(self.headers)
        writer.writerows(self.rows)
        return atomic.write_text(path, buffer.getvalue())

    def __str__(self) -> str:
        return self.render()

    def __len__(self) -> int:
        return len(self.rows)
