"""The JSC accuracy-vs-LUT study's figure and table (`benchmarks/jsc_lut_study.py`): redrawn from
its stored results without a search, with every published point and its source."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import jsc_lut_study  # noqa: E402


def stored_study() -> dict:
    point = {"architecture/depth": 1, "architecture/width_0": 16, "quantize/linear/data_in_width": 4,
             "quantize/linear/weight_width": 3, "prune/sparsity": 0.5}
    records = [{"number": n, "state": "COMPLETE", "point": point,
                "metrics": {"accuracy": acc, "luts": luts}}
               for n, acc, luts in [(0, 0.6, 300), (1, 0.7, 900), (2, 0.65, 1200)]]
    rows = [{"number": n, "point": point, "val_acc": acc, "test_acc": acc - 0.01, "est_luts": luts,
             "yosys_luts": yosys, "yosys_ffs": 50 if yosys else None, "yosys_depth": 6 if yosys else None}
            for n, acc, luts, yosys in [(0, 0.6, 300, 280), (1, 0.7, 900, None)]]
    return {"trials": 3, "epochs": 1, "synth_max_luts": 500, "data_kind": "schema fixture",
            "seconds": 12.0, "records": records, "rows": rows}


def test_published_points_name_their_source_and_family():
    assert {p["family"] for p in jsc_lut_study.PUBLISHED} == set(jsc_lut_study.MARKERS)
    for p in jsc_lut_study.PUBLISHED:
        assert 50 < p["acc"] < 100 and p["luts"] > 0
        assert "github.com/" in p["source"] and "Vivado" in p["source"]


def test_pareto_keeps_only_undominated_trials():
    records = stored_study()["records"]
    assert [r["number"] for r in jsc_lut_study.pareto(records)] == [0, 1]


def test_replot_redraws_table_and_figure_from_stored_results(tmp_path, monkeypatch):
    (tmp_path / "jsc_lut_pareto_fixture.json").write_text(json.dumps(stored_study()))
    monkeypatch.setattr(sys, "argv", ["jsc_lut_study.py", "--replot", "--out", str(tmp_path)])
    jsc_lut_study.main()
    table = (tmp_path / "jsc_lut_pareto_fixture.md").read_text()
    assert "| 0 | 16-16-5, x4b w3b, 50% pruned | 60.0% | 59.0% | 300 | 280 | +7% | 50 | 6 |" in table
    for p in jsc_lut_study.PUBLISHED:
        assert f"| {p['family']} {p['model']} | {p['acc']}% | {p['luts']:,} | {p['source']} |" in table
    pytest.importorskip("matplotlib")
    assert (tmp_path / "jsc_lut_pareto_fixture.png").stat().st_size > 10_000


def test_replot_without_stored_results_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["jsc_lut_study.py", "--replot", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="run the study once without --replot"):
        jsc_lut_study.main()
