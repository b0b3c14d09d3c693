"""The `chop` logger's fallback output: shown once, whoever else handles the records."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import logging, sys
{setup}
import torch
from chop import MaseGraph
from chop.models import get_model
from chop.passes.graph import init_metadata_analysis_pass, add_common_metadata_analysis_pass, report_graph_analysis_pass
mg = MaseGraph(get_model("jsc-tiny"))
mg, _ = init_metadata_analysis_pass(mg, None)
mg, _ = add_common_metadata_analysis_pass(mg, {{"dummy_in": {{"x": torch.randn(4, 16)}}}})
report_graph_analysis_pass(mg)
"""


def run(code: str, *args: str, cwd=None) -> str:
    proc = subprocess.run([sys.executable, *args] if args else [sys.executable, "-c", code], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout + proc.stderr


def test_user_logging_setup_takes_over_without_duplicates():
    out = run(SCRIPT.format(setup="logging.basicConfig(level=logging.INFO, stream=sys.stderr, format='ROOT %(message)s')"))
    assert out.count("Network overview:") == 1 and "ROOT Graph of" in out


def test_cli_keeps_its_own_handler_without_duplicates(tmp_path):
    (tmp_path / "t.toml").write_text('model = "jsc-tiny"\ndataset = "toy"\n[passes.report_graph]\n')
    out = run("", "-m", "chop.cli", "transform", "--config", "t.toml", "--report-to", "none", cwd=tmp_path)
    assert out.count("Network overview:") == 1
