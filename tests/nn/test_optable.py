"""The op table is complete and consistent: every quantizable, maskable or model module has a
row, and every formula or lowering a row names is registered (and none is left over)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from chop.dataset import DATASETS, DatasetInfo, get_dataset_info
from chop.errors import ConfigError
from chop.export.lower_ops import LOWERINGS
from chop.ir import MaseGraph
from chop.ir.taxonomy import lookup
from chop.models import MODELS, get_model, get_model_info
from chop.nn.masked import MASKED_CLASSES
from chop.nn.optable import BUILT_IN, OPS, ROWS, OpRow, add_row, op_row, rows
from chop.nn.quantized import FUNCTION_TARGETS, QUANTIZABLE
from chop.passes.graph.analysis.cost import COST_FORMULAS


def row_of_class(cls: type) -> OpRow | None:
    found = lookup("call_module", "m", cls.__new__(cls))
    return op_row(found[1]) if found is not None else None


@pytest.mark.parametrize("name", QUANTIZABLE.names())
def test_every_quantizable_module_has_a_row_that_says_so(name):
    float_class = QUANTIZABLE.get(name).float_class
    row = row_of_class(float_class)
    assert row is not None, f"{name} is quantizable but has no op-table row"
    assert row.quantize is not None and float_class in row.keys


def test_every_quantizable_function_classifies_as_its_module():
    for target, module_class in FUNCTION_TARGETS.items():
        by_module = lookup("call_module", "m", module_class())
        by_target = lookup("call_method" if isinstance(target, str) else "call_function", target)
        assert by_target is None or by_target == by_module, target
    assert lookup("call_function", torch.add) == lookup("call_module", "m", FUNCTION_TARGETS["add"]())


def test_prunable_layers_are_the_masked_classes():
    layers = {cls for row in rows() if row.channels == "layer" for cls in row.module_classes()}
    assert layers == set(MASKED_CLASSES)


def test_every_named_cost_formula_and_lowering_is_registered_and_used():
    costs = {row.cost for row in BUILT_IN if row.cost is not None}
    lowerings = {row.lowering for row in BUILT_IN if row.lowering is not None}
    assert costs <= set(COST_FORMULAS.names()), costs - set(COST_FORMULAS.names())
    assert set(COST_FORMULAS.names()) <= costs, "a cost formula no row names"
    assert lowerings == set(LOWERINGS.names())


#: Built-in ops left uncounted on purpose: losses and data movement.
UNCOUNTED = {"cross_entropy", "mse_loss", "cat", "stack"}


def test_ops_that_compute_have_a_cost_formula():
    computing = {row.mase_op for row in BUILT_IN if row.mase_type != "implicit_func"}
    counted = {row.mase_op for row in BUILT_IN if row.cost is not None}
    assert computing - counted == UNCOUNTED


@pytest.mark.parametrize("name", [n for n in MODELS.names() if get_model_info(n).fx_traceable])
def test_every_node_of_every_registered_model_is_a_known_op(name):
    default = get_model_info(name).default_dataset
    info = get_dataset_info(default) if default in DATASETS else DatasetInfo(default, input_shape=(16,), num_classes=2)
    mg = MaseGraph(get_model(name, info), model_name=name, dataset_info=info)
    modules = dict(mg.model.named_modules())
    unknown = [n.name for n in mg.fx_graph.nodes
               if lookup(n.op, n.target, modules.get(n.target) if n.op == "call_module" else None) is None]
    assert unknown == []


def test_a_row_is_found_by_mase_op_with_all_it_says():
    row = op_row("linear")
    assert (row.mase_type, row.cost, row.channels, row.lowering) == ("module_related_func", "linear", "layer", "linear")
    assert nn.Linear in row.keys and row.quantize.parameters == ("weight", "bias")
    assert op_row("batch_norm1d").mase_type == "module" and op_row("no_such_op") is None


def test_add_row_refuses_a_key_of_another_op_and_unknown_kinds():
    class Twice(nn.Module):
        def forward(self, x):
            return 2 * x

    with pytest.raises(ConfigError, match="already"):
        add_row(OpRow("builtin_func", "twice", (torch.add,)))
    with pytest.raises(ConfigError, match="channels"):
        add_row(OpRow("builtin_func", "twice", (Twice,), channels="sideways"))
    try:
        add_row(OpRow("builtin_func", "twice", (Twice,), cost="elementwise", channels="elementwise"))
        assert lookup("call_module", "m", Twice()) == ("builtin_func", "twice")
    finally:
        OPS.pop(Twice, None)
        ROWS.unregister("twice")
