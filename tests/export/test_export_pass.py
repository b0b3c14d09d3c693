"""The registered `export_integer` pass: TOML-style use, same graph back, file and sizes."""

from __future__ import annotations

import pytest
import torch
from export_graphs import quantized, random_inputs, traced

from chop.errors import ConfigError
from chop.export import IntegerProgram, float_weights_bytes
from chop.passes import PASSES, run_passes
from chop.passes.graph import export_integer_analysis_pass


def test_registered_as_an_analysis_pass():
    entry = PASSES.get("export_integer")
    assert entry.kind == "analysis" and entry.fn is export_integer_analysis_pass
    assert dict(entry.defaults) == {"save_path": None, "on_inexact": "error"}


def test_run_from_a_toml_style_table(tmp_path):
    mg = quantized(traced("jsc-s"))
    state = {k: v.clone() for k, v in mg.model.state_dict().items()}
    path = tmp_path / "out" / "jsc-s.int.safetensors"
    same, results = run_passes(mg, {"export_integer": {"save_path": str(path)}})
    assert same is mg and all(torch.equal(state[k], v) for k, v in mg.model.state_dict().items())
    result = results["export_integer"]
    assert result["save_path"] == str(path) and result["bytes"] == path.stat().st_size
    assert result["float_bytes"] == float_weights_bytes(mg.model) > result["bytes"]
    assert f"integer file {result['bytes']} bytes" in result["text"]
    x = random_inputs("jsc-s")
    with torch.no_grad():
        assert torch.equal(IntegerProgram.load(path)(x), mg.model(x))
        assert torch.equal(result["program"](x), mg.model(x))


def test_without_a_path_nothing_is_written_and_keys_are_checked(tmp_path):
    mg = quantized(traced("jsc-tiny"))
    _, result = export_integer_analysis_pass(mg)
    assert result["save_path"] is None and result["bytes"] is None
    assert isinstance(result["program"], IntegerProgram)
    with pytest.raises(ConfigError, match="has no argument 'save_dir'.*save_path"):
        export_integer_analysis_pass(mg, {"save_dir": str(tmp_path)})
    with pytest.raises(ConfigError, match="on_inexact"):
        export_integer_analysis_pass(mg, {"on_inexact": "maybe"})
