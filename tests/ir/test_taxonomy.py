"""The op table: module classes (and their subclasses), functions and methods map to one op."""

from __future__ import annotations

import operator

import pytest
import torch
import torch.nn.functional as F
from torch import fx, nn

from chop.errors import ConfigError
from chop.ir.taxonomy import OPS, UNKNOWN_OP, classify, known_ops, lookup, register_op


@pytest.mark.parametrize(
    ("op", "target", "module", "expected"),
    [
        ("call_module", "m", nn.BatchNorm1d(4), ("module", "batch_norm1d")),
        ("call_module", "m", nn.Conv2d(1, 2, 3), ("module_related_func", "conv2d")),
        ("call_module", "m", nn.ReLU(), ("module_related_func", "relu")),
        ("call_module", "m", nn.Dropout(), ("module", "dropout")),
        ("call_function", F.relu, None, ("module_related_func", "relu")),
        ("call_function", operator.add, None, ("builtin_func", "add")),
        ("call_function", torch.matmul, None, ("builtin_func", "matmul")),
        ("call_function", operator.getitem, None, ("implicit_func", "getitem")),
        ("call_method", "view", None, ("implicit_func", "view")),
        ("call_method", "relu", None, ("module_related_func", "relu")),
        ("placeholder", "x", None, ("placeholder", "placeholder")),
        ("output", "output", None, ("output", "output")),
    ],
)
def test_lookup_gives_the_table_row(op, target, module, expected):
    assert lookup(op, target, module) == expected


def test_a_subclass_of_a_known_module_is_the_same_op():
    class MyLinear(nn.Linear):
        pass

    assert lookup("call_module", "m", MyLinear(2, 2)) == ("module_related_func", "linear")


def test_every_row_has_a_known_mase_type():
    from chop.ir.taxonomy import MASE_TYPES

    assert {t for t, _ in OPS.values()} <= set(MASE_TYPES)
    assert {"linear", "conv1d", "conv2d", "batch_norm1d", "batch_norm2d", "layer_norm", "relu",
            "gelu", "add", "matmul", "view"} <= set(known_ops())


def test_unknown_function_is_marked_unknown_with_a_fallback_type():
    def odd(x):
        return x

    graph = fx.Graph()
    x = graph.placeholder("x")
    node = graph.call_function(odd, (x,))
    assert classify(node, {}) == ("builtin_func", UNKNOWN_OP)


def test_register_op_adds_a_leaf_module_and_refuses_conflicts():
    class Special(nn.Module):
        def forward(self, x):
            return x

    try:
        register_op(Special, "module", "special")
        assert lookup("call_module", "m", Special()) == ("module", "special")
        with pytest.raises(ConfigError, match="already"):
            register_op(Special, "module", "other")
        with pytest.raises(ConfigError, match="mase_type"):
            register_op(Special, "modul", "special", replace=True)
    finally:
        OPS.pop(Special, None)
