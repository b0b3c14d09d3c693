"""Clear errors for graphs, formats and files that cannot be exported or loaded."""

from __future__ import annotations

import pytest
import torch
from export_graphs import fixed, quantized, traced
from safetensors.torch import save_file, save_model
from torch import nn

from chop.errors import CheckpointError, ConfigError
from chop.export import IntegerProgram, export_integer, fold_batchnorm
from chop.passes.graph import quantize_transform_pass

MINIFLOAT = {"name": "minifloat_ieee", "data_in_width": 8, "data_in_exponent_width": 4,
             "weight_width": 8, "weight_exponent_width": 4, "bias_width": 8,
             "bias_exponent_width": 4}


def by_type(mg, **configs):
    mg, _ = quantize_transform_pass(mg, {"by": "type", **{k: {"config": v} for k, v in configs.items()}})
    return mg


def test_minifloat_linear_names_the_node_and_format():
    mg = by_type(fold_batchnorm(traced("jsc-tiny")), batch_norm1d=fixed(), linear=MINIFLOAT)
    with pytest.raises(ConfigError, match=r"node 'seq_blocks_2' \(Linear\).*'minifloat_ieee'.*"
                                          r"only the fixed-point 'integer'"):
        export_integer(mg)


def test_unquantized_linear_and_unfolded_batchnorm():
    mg = by_type(fold_batchnorm(traced("jsc-tiny")), batch_norm1d=fixed())
    with pytest.raises(ConfigError, match=r"node 'seq_blocks_2' \(Linear\) is not quantized"):
        export_integer(mg)
    unfolded = quantized(traced("jsc-tiny"), fold=False)
    with pytest.raises(ConfigError, match=r"node 'seq_blocks_0'.*running statistics.*fold_batchnorm"):
        export_integer(unfolded)


def test_unsupported_ops_and_shapes_are_named():
    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(16, 16)

        def forward(self, x):
            return torch.sigmoid(self.linear(x)) + x

    mg = quantized(traced("custom", model=Residual()))
    with pytest.raises(ConfigError, match=r"node 'sigmoid' \(sigmoid\) has no integer form"):
        export_integer(mg)
    gelu = quantized(traced("custom", model=nn.Sequential(nn.Linear(16, 4), nn.GELU())))
    with pytest.raises(ConfigError, match=r"node '_1' \(GELUInteger\) has no integer form"):
        export_integer(gelu)


def test_branching_graphs_are_refused():
    class TwoBranches(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(16, 4), nn.Linear(16, 4)

        def forward(self, x):
            return self.a(x), self.b(x)

    mg = quantized(traced("custom", model=TwoBranches()))
    with pytest.raises(ConfigError, match=r"node 'b' reads \['x'\].*chain"):
        export_integer(mg)


def test_nothing_quantized_and_bad_options():
    mg = traced("custom", model=nn.Sequential(nn.ReLU(), nn.Flatten()))
    with pytest.raises(ConfigError, match="no integer-quantized op"):
        export_integer(mg)
    with pytest.raises(ConfigError, match="on_inexact"):
        export_integer(mg, on_inexact="ignore")


def test_loading_a_file_that_is_not_an_integer_program(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        IntegerProgram.load(tmp_path / "missing.safetensors")
    save_model(nn.Linear(2, 2), str(tmp_path / "float.safetensors"))
    with pytest.raises(CheckpointError, match="not a machop.IntegerProgram file"):
        IntegerProgram.load(tmp_path / "float.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not safetensors at all")
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        IntegerProgram.load(tmp_path / "junk.safetensors")


def test_a_truncated_tensor_is_reported(tmp_path):
    program = export_integer(quantized(traced("jsc-tiny")))
    path = program.save(tmp_path / "good.safetensors")
    from safetensors import safe_open

    with safe_open(str(path), "pt") as handle:
        metadata = handle.metadata()
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    tensors["seq_blocks_2.weight"] = tensors["seq_blocks_2.weight"][:-1].clone()
    save_file(tensors, str(tmp_path / "bad.safetensors"), metadata=metadata)
    with pytest.raises(CheckpointError, match="'seq_blocks_2.weight' is corrupt"):
        IntegerProgram.load(tmp_path / "bad.safetensors")
