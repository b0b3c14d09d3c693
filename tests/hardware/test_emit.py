"""The emitted Verilog: lint-clean, exact widths, a manifest enough to drive it, clear errors."""

from __future__ import annotations

import itertools
import json
import re
import subprocess

import pytest
import torch
from hw_helpers import emitted, input_shape, needs, program_of

from chop.errors import ConfigError
from chop.export import IntegerProgram
from chop.hardware import HardwareOptions, emit_design
from chop.hardware.ranges import signed_width
from chop.nn.quantizers import IntegerFormat


def lint(rtl, manifest) -> str:
    files = [str(rtl / name) for name in manifest["files"]]
    done = subprocess.run(["verilator", "--lint-only", "-Wall", "--top-module", manifest["top"],
                           *files], capture_output=True, text=True)
    return done.stdout + done.stderr


@needs("verilator")
@pytest.mark.parametrize("name,bits,pipeline,multiplier", [
    ("jsc-tiny", 8, "layer", "csd"), ("jsc-tiny", 4, "none", "mul"),
    ("jsc-s", 8, "op", "mul"), ("jsc-s", 4, "layer", "csd"), ("mlp-s", 4, "none", "csd"),
])
def test_rtl_is_clean_under_verilator_lint_wall(tmp_path, name, bits, pipeline, multiplier):
    rtl, manifest = emitted(program_of(name, bits), input_shape(name), tmp_path,
                            pipeline=pipeline, multiplier=multiplier)
    assert lint(rtl, manifest) == ""


@needs("verilator")
def test_lint_sees_a_width_mistake(tmp_path):
    """The lint test can fail: a truncating assignment is reported."""
    rtl, manifest = emitted(program_of("jsc-tiny", 8), (16,), tmp_path)
    layer = rtl / manifest["files"][0]
    text = layer.read_text()
    wire = re.search(r"wire signed \[(\d+):0\] (\w+_acc);", text)
    layer.write_text(text.replace(f"[{wire.group(1)}:0] {wire.group(2)};",
                                  f"[{int(wire.group(1)) - 1}:0] {wire.group(2)};"))
    assert "WIDTH" in lint(rtl, manifest)


def tiny_program(weights, bias, fmt: IntegerFormat, shifts=(0, 0)) -> IntegerProgram:
    weight = torch.tensor(weights)
    tensors = {"l.weight": weight, "l.bias": torch.tensor(bias)}
    document = {
        "format": "machop.IntegerProgram", "version": 1, "input_format": fmt.to_dict(),
        "ops": [{"op": "linear", "node": "l", "weight": "l.weight", "bias": "l.bias",
                 "product_shift": shifts[0], "bias_shift": shifts[1]}],
        "output_frac": fmt.frac_width,
        "tensors": {n: {"shape": list(t.shape), "width": 8, "signed": True, "frac": 0}
                    for n, t in tensors.items()},
    }
    return IntegerProgram(document, tensors)


@pytest.mark.parametrize("multiplier", ["csd", "mul"])
@pytest.mark.parametrize("signed", [True, False])
def test_accumulator_width_is_exactly_the_reachable_range(multiplier, signed):
    """No bit wasted, none missing: brute force over every input of a 3-input layer."""
    fmt = IntegerFormat(4, 0, is_signed=signed)
    weights, bias = [[7, -3, 0], [-8, -5, 2], [0, 0, 0]], [5, -100, 9]
    program = tiny_program(weights, bias, fmt, shifts=(1, 0))
    design = emit_design(program, HardwareOptions(multiplier=multiplier, pipeline="none"), (3,))
    grid = torch.tensor(list(itertools.product(range(fmt.int_min, fmt.int_max + 1), repeat=3)))
    reached = program.run_integers(grid)
    widths = design.manifest["layers"][0]["output_widths"]
    for j in range(2):
        low, high = int(reached[:, j].min()), int(reached[:, j].max())
        assert design.manifest["output_ranges"][j] == [low, high]
        assert widths[j] == signed_width(low, high)
    assert design.manifest["output_ranges"][2] == [9, 9]  # a constant output: no wire at all
    # Every adder of the layer is as wide as its own reachable range, not the widest one.
    declared = [int(w) + 1 for w in re.findall(r"wire signed \[(\d+):0\] l_0_t\d+",
                                              design.files["machop_top_layer0"])]
    assert declared and max(declared) <= widths[0]
    # The raw figures of a resource estimate: every two-operand adder and its width.
    layer = design.manifest["layers"][0]
    assert layer["adders"] == design.files["machop_top_layer0"].count(" + ") + \
        design.files["machop_top_layer0"].count(" - ")
    assert layer["adder_bits"] >= layer["adders"] > 0


def test_manifest_describes_ports_formats_and_timing(tmp_path):
    program = program_of("jsc-s", 8)
    rtl, manifest = emitted(program, (16,), tmp_path, top="jet_tagger", pipeline="layer")
    assert manifest["top"] == "jet_tagger" and (rtl / "jet_tagger.v").exists()
    assert manifest["clock"]["port"] == "clk" and manifest["reset"]["port"] == "rst"
    assert manifest["input_valid"] == "in_valid" and manifest["output_valid"] == "out_valid"
    assert manifest["input"].items() >= {"port": "in_data", "elements": 16, "width": 8,
                                         "frac_width": 4, "signed": True}.items()
    assert manifest["output"]["elements"] == 5
    assert manifest["output"]["frac_width"] == program.output_frac
    assert manifest["latency"] == 4 and manifest["initiation_interval"] == 1
    assert [layer["ops"][0] for layer in manifest["layers"]] == \
        ["channel_affine", "linear", "linear", "linear"]
    text = (rtl / "jet_tagger.v").read_text()
    assert re.search(r"input wire \[127:0\] in_data", text)
    width = manifest["output"]["width"] * 5
    assert re.search(rf"output wire \[{width - 1}:0\] out_data", text)
    assert json.loads((rtl / "manifest.json").read_text()) == manifest


def test_pipelining_sets_the_latency():
    program = program_of("jsc-tiny", 8)
    latency = {p: emit_design(program, HardwareOptions(pipeline=p), (16,)).manifest["latency"]
               for p in ("none", "layer", "op")}
    assert latency["none"] == 0 and latency["layer"] == 2
    assert latency["op"] == sum(1 for op in program.ops if op["op"] != "flatten")


def test_csd_has_no_multiplier_and_mul_has_one():
    program = program_of("jsc-tiny", 8)
    csd = emit_design(program, HardwareOptions(multiplier="csd"), (16,)).files
    mul = emit_design(program, HardwareOptions(multiplier="mul"), (16,)).files
    assert not any(" * " in text for text in csd.values())
    assert any(" * " in text for text in mul.values())


def test_unsupported_ops_and_options_are_one_line_errors():
    program = program_of("cnn", 8)
    with pytest.raises(ConfigError, match=r"'conv2d' op, which the hardware emitter does not"):
        emit_design(program, HardwareOptions(), (1, 8, 8))
    with pytest.raises(ConfigError, match=r"pipeline='layers' is not valid. Did you mean 'layer'"):
        HardwareOptions.from_section({"pipeline": "layers"})
    with pytest.raises(ConfigError, match=r"no key 'multiplyer'. Did you mean 'multiplier'"):
        HardwareOptions.from_section({"multiplyer": "csd"})
    with pytest.raises(ConfigError, match="not a Verilog module name"):
        HardwareOptions.from_section({"top": "1top"})
