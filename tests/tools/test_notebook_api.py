"""MASE's lab-2 notebook, unchanged, against a `ch train` jsc-tiny checkpoint, in a fresh Python
with no logging set-up: the report passes must show their tables on the console by themselves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from chop.cli import main

NOTEBOOK = '''
from chop.dataset import MaseDataModule, get_dataset_info
from chop.tools.logger import set_logging_verbosity, get_logger
from chop.tools.get_input import InputGenerator, get_dummy_input
from chop.tools.checkpoint_load import load_model
from chop.ir.graph.mase_graph import MaseGraph
from chop.models import get_model_info, get_model

set_logging_verbosity("info")
data_module = MaseDataModule(name="jsc", batch_size=8, model_name="jsc-tiny", num_workers=0)
data_module.prepare_data(); data_module.setup()
model_info = get_model_info("jsc-tiny")
model = get_model("jsc-tiny", task="cls", dataset_info=data_module.dataset_info, pretrained=False)
model = load_model(load_name=CKPT, load_type="pl", model=model)
input_generator = InputGenerator(data_module=data_module, model_info=model_info, task="cls",
                                 which_dataloader="train")
dummy_in = next(iter(input_generator))
mg = MaseGraph(model)
'''

LAB2 = '''
import torch
from chop.passes.graph import (add_common_metadata_analysis_pass, add_software_metadata_analysis_pass,
    init_metadata_analysis_pass, profile_statistics_analysis_pass, report_node_meta_param_analysis_pass,
    summarize_quantization_analysis_pass, analyse_flops_pass)
from chop.passes.graph.analysis.report import report_graph_analysis_pass
from chop.passes.graph.transforms import quantize_transform_pass
from chop.passes.graph.utils import deepcopy_mase_graph

_ = model(**dummy_in)
mg, _ = init_metadata_analysis_pass(mg, None)
mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": dummy_in})
mg, _ = add_software_metadata_analysis_pass(mg, None)
_, graph_info = report_graph_analysis_pass(mg)
mg, _ = profile_statistics_analysis_pass(mg, {
    "by": "type", "target_weight_nodes": ["linear"], "target_activation_nodes": ["relu"],
    "weight_statistics": {"variance_precise": {"device": "cpu", "dims": "all"}},
    "activation_statistics": {"range_quantile": {"device": "cpu", "dims": "all", "quantile": 0.97}},
    "input_generator": input_generator, "num_samples": 32})
_, meta_info = report_node_meta_param_analysis_pass(mg, {"which": ("software",)})
ori_mg = deepcopy_mase_graph(mg)
pass_args = {"by": "type", "default": {"config": {"name": None}},
             "linear": {"config": {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
                                   "weight_width": 8, "weight_frac_width": 4,
                                   "bias_width": 8, "bias_frac_width": 4}}}
mg, _ = quantize_transform_pass(mg, pass_args)
_, summary_info = summarize_quantization_analysis_pass(ori_mg, mg, save_dir="quantize_summary")

# seed 004: walk both graphs
from chop.passes.graph.utils import get_mase_op, get_mase_type, get_node_actual_target
for og_node, node in zip(ori_mg.fx_graph.nodes, mg.fx_graph.nodes):
    print(f"original {og_node.name}: {get_node_actual_target(og_node)}")
    print(f"transformed {node.name}: {get_node_actual_target(node)}")

# seed 001: the same comparison as a pandas Markdown table
from chop.passes.graph.transforms.quantize.summary import graph_iterator_compare_nodes
import pandas as pd
data = {"Node Name": [], "Operation Type": [], "Operation": [], "Type Before": [], "Type After": []}
for ori_node, quant_node in zip(ori_mg.fx_graph.nodes, mg.fx_graph.nodes):
    data["Node Name"].append(quant_node.name)
    data["Operation Type"].append(get_mase_type(quant_node))
    data["Operation"].append(get_mase_op(quant_node))
    data["Type Before"].append(str(get_node_actual_target(ori_node)))
    data["Type After"].append(str(get_node_actual_target(quant_node)))
print(f"Quantization Summary:\\n{pd.DataFrame(data).to_markdown(index=False)}")

mg, flops_info = analyse_flops_pass(mg)
import json
print("INFO-TEXTS " + json.dumps([bool(graph_info["text"]), bool(meta_info["text"]),
                                 bool(summary_info["text"]), bool(flops_info["text"])]))
set_logging_verbosity("warning")
print("QUIET-START")
report_graph_analysis_pass(mg)
analyse_flops_pass(mg)
print("QUIET-END")
'''


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A jsc-tiny checkpoint from `ch train` on the JSC schema fixture, and its data root."""
    from conftest import JSC_H5_FILE, write_jsc_h5

    root = tmp_path_factory.mktemp("nb")
    data = root / "machop-data"
    write_jsc_h5(data / "jsc" / JSC_H5_FILE)
    old = os.environ.get("MACHOP_DATA_DIR")
    os.environ["MACHOP_DATA_DIR"] = str(data)
    try:
        assert main(["train", "jsc-tiny", "jsc", "--max-epochs", "1", "--project-dir", str(root),
                     "--project", "lab1", "--report-to", "none"]) == 0
    finally:
        if old is None:
            del os.environ["MACHOP_DATA_DIR"]
        else:
            os.environ["MACHOP_DATA_DIR"] = old
    return root / "lab1" / "software" / "training_ckpts" / "best.ckpt", data


def run_script(code: str, cwd, data) -> str:
    env = {**os.environ, "MACHOP_DATA_DIR": str(data), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_lab2_notebook_shows_its_tables_without_logging_setup(trained, tmp_path):
    ckpt, data = trained
    code = f"CKPT = {str(ckpt)!r}\n" + textwrap.dedent(NOTEBOOK) + textwrap.dedent(LAB2)
    out = run_script(code, tmp_path, data)
    shown, quiet = out.split("QUIET-START")
    # report_graph: the fx graph, the counts of each node kind and the layers of jsc-tiny
    assert "Network overview:" in shown
    counts = dict(re.findall(r"^\| (placeholder|get_attr|call_function|call_method|call_module|output)\s*\| (\d+)",
                             shown, re.M))
    assert counts == {"placeholder": "1", "get_attr": "0", "call_function": "0", "call_method": "0",
                      "call_module": "4", "output": "1"}
    assert re.search(r"\| seq_blocks_2 +\| Linear\(in_features=16, out_features=5, bias=True\)", shown)
    # report_node_meta_param: the statistics profiled on the linear weight and relu inputs
    assert re.search(r"\| seq_blocks_2 +\| call_module +\| module_related_func \| linear +\|.*variance_precise", shown)
    assert re.search(r"\| seq_blocks_3 +\| call_module +\|.*range_quantile", shown)
    # summarize_quantization: only the Linear changed, histogram says so
    assert re.search(r"\| seq_blocks_2 +\| module_related_func \| linear +\| Linear +\| LinearInteger +\| True", shown)
    assert re.search(r"\| Linear +\| linear +\| 1 +\| 1 +\| 0", shown)
    # seed 004's walk and seed 001's to_markdown table
    assert "transformed seq_blocks_2: LinearInteger(in_features=16, out_features=5, bias=True)" in shown
    assert re.search(r"\| seq_blocks_2 +\| module_related_func +\| linear +\| Linear\(in_features=16, "
                     r"out_features=5, bias=True\) +\| LinearInteger\(in_features=16", shown)
    # flops: one row per node with jsc-tiny's linear at 16*5 MACs -> 160 FLOPs + 5 bias adds
    assert re.search(r"\| seq_blocks_2 +\| linear +\| 85 +\| 165 ", shown)
    assert 'INFO-TEXTS [true, true, true, true]' in shown
    # each table once: the CLI's handler is absent, the fallback prints exactly one copy
    assert shown.count("Network overview:") == 1
    # set_logging_verbosity("warning") quiets them
    assert quiet.split("QUIET-END")[0].strip() == ""


def test_load_model_without_a_model_builds_the_checkpoints_own(trained):
    from chop.tools.checkpoint_load import load_model

    ckpt, _ = trained
    import torch

    model = load_model(ckpt, load_type="pl")
    saved = torch.load(ckpt, weights_only=True)["state_dict"]
    assert sum(p.numel() for p in model.parameters()) == 117  # jsc-tiny
    for key, value in model.state_dict().items():
        assert torch.equal(value, saved["model." + key])
    assert load_model(ckpt).state_dict().keys() == model.state_dict().keys()  # "mz": by content
