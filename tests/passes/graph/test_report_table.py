"""Table: Markdown pipe layout, records, saving."""

from __future__ import annotations

from chop.passes.graph.table import Table


def test_render_is_a_markdown_table_with_aligned_columns(tmp_path):
    table = Table(["Name", "Count"], [["x", 1], ["seq_blocks_0", None]], title="T")
    assert table.render().splitlines() == [
        "T",
        "| Name         | Count |",
        "|--------------|-------|",
        "| x            | 1     |",
        "| seq_blocks_0 |       |",
    ]
    assert table.records() == [{"Name": "x", "Count": 1}, {"Name": "seq_blocks_0", "Count": None}]
    assert table.save(tmp_path / "t.md").read_text() == table.render() + "\n"


def test_long_cells_are_not_wrapped():
    cell = "BatchNorm1d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)" * 3
    assert cell in Table(["Layer"], [[cell]]).render()
