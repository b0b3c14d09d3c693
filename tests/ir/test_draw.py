"""Drawing: SVG through graphviz's dot, DOT text without it, a clear error for a bad suffix."""

from __future__ import annotations

import shutil

import pytest
import torch

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.errors import ChopError
from chop.models import get_model
from chop.passes.graph import add_common_metadata_analysis_pass

pytest.importorskip("graphviz", reason="the graphviz Python package (extra 'draw') is not installed")

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)


def graph():
    mg = MaseGraph(get_model("jsc-tiny", JSC))
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": torch.randn(2, 16)}})
    return mg


def test_dot_text_has_a_box_per_node_and_an_edge_per_dependency(tmp_path):
    text = graph().draw(tmp_path / "g.dot").read_text()
    for name in ("x", "seq_blocks_0", "seq_blocks_3", "output"):
        assert f"\t{name} [label=" in text
    assert "seq_blocks_1 -> seq_blocks_2" in text and "module_related_func/linear" in text
    assert text.count("->") == 5


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' program not installed (apt-get install graphviz)")
def test_draw_svg_and_png(tmp_path):
    mg = graph()
    svg = mg.draw(tmp_path / "g.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "seq_blocks_2" in svg
    assert (mg.draw(tmp_path / "g.png")).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_dot_program_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ChopError, match="apt-get install graphviz"):
        graph().draw(tmp_path / "g.svg")


def test_unknown_suffix_is_an_error(tmp_path):
    with pytest.raises(ChopError, match=r"\.svg"):
        graph().draw(tmp_path / "g.jpg2")


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' program not installed (apt-get install graphviz)")
def test_draw_without_a_path_writes_mase_graph_svg(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = graph().draw()
    assert path.name == "mase_graph.svg" and (tmp_path / "mase_graph.svg").read_text().count("seq_blocks_2") >= 1
