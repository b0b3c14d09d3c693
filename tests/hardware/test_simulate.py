"""Emitted designs simulated in Verilator and iverilog equal the integer program on every
output: random inputs at several scales and the directed vectors (extremes, zeros, rounding
ties, saturation). Builds are shared per module; vector counts are small on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hw_helpers import (
    emitted,
    input_shape,
    needs,
    program_of,
    require_tool,
    simulate_and_compare,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chop.export import IntegerProgram
from chop.hardware import HardwareOptions, emit_design
from chop.hardware.files import read_manifest, write_design
from chop.hardware.simulate import SimulationMismatch, compare, run_design
from chop.hardware.vectors import directed_vectors
from chop.nn.quantizers import IntegerFormat

CASES = [  # (model, bits, simulator, pipeline, multiplier)
    ("jsc-tiny", 8, "verilator", "layer", "csd"),
    ("jsc-tiny", 8, "iverilog", "none", "mul"),
    ("jsc-tiny", 4, "iverilog", "op", "csd"),
    pytest.param("jsc-s", 8, "verilator", "layer", "mul", marks=pytest.mark.slow),
    ("jsc-s", 4, "iverilog", "op", "csd"),
    pytest.param("mlp-s", 4, "verilator", "none", "csd", marks=pytest.mark.slow),
    ("mlp-s", 8, "iverilog", "layer", "csd"),
]


@pytest.mark.parametrize("name,bits,simulator,pipeline,multiplier", CASES)
def test_emitted_design_is_bit_exact(tmp_path, name, bits, simulator, pipeline, multiplier):
    require_tool(simulator)
    program = program_of(name, bits)
    rtl, manifest = emitted(program, input_shape(name), tmp_path,
                            pipeline=pipeline, multiplier=multiplier)
    run = simulate_and_compare(program, name, rtl, manifest, simulator, tmp_path / "sim")
    assert run.latency == manifest["latency"]


def test_directed_vectors_reach_ties_saturation_and_extremes():
    program = program_of("jsc-s", 8)  # 8 bits: the input BatchNorm's scale above 1 saturates
    vectors, labels = directed_vectors(program, 16)
    assert len(vectors) == len(labels)
    fmt = program.input_format
    assert vectors.min() == fmt.int_min and vectors.max() == fmt.int_max
    assert any("rounding tie" in label for label in labels)
    assert any("saturation" in label for label in labels)
    assert labels[0] == "zeros" and not vectors[0].any()


@pytest.fixture(scope="module")
def jsc_tiny_iverilog(tmp_path_factory):
    """One emitted jsc-tiny design in a folder of its own (tests copy it to corrupt it)."""
    require_tool("iverilog")
    program = program_of("jsc-tiny", 8)
    rtl, manifest = emitted(program, (16,), tmp_path_factory.mktemp("tiny"))
    return program, rtl, manifest


def test_the_testbench_catches_a_corrupted_output(jsc_tiny_iverilog, tmp_path):
    program, rtl, manifest = jsc_tiny_iverilog
    corrupt = tmp_path / "rtl"
    corrupt.mkdir()
    for name in manifest["files"] + ["manifest.json"]:
        (corrupt / name).write_text((rtl / name).read_text())
    top = corrupt / f"{manifest['top']}.v"
    width = manifest["output"]["width"] * manifest["output"]["elements"]
    text = top.read_text()
    assert "assign out_data = {" in text
    # Flip bit 0 of output element 0, always: the first sample must be reported.
    top.write_text(text.replace("assign out_data = {", f"assign out_data = {width}'h1 ^ {{", 1))
    with pytest.raises(SimulationMismatch,
                       match=r"differs from the integer program at sample 0 \(random 0\), "
                             r"output 0: RTL \d+, program \d+"):
        simulate_and_compare(program, "jsc-tiny", corrupt, read_manifest(corrupt), "iverilog", tmp_path / "sim")


def test_a_missing_output_is_caught(jsc_tiny_iverilog, tmp_path):
    """A design whose out_valid never rises gives no outputs: an error, not an empty pass."""
    program, rtl, manifest = jsc_tiny_iverilog
    corrupt = tmp_path / "rtl"
    corrupt.mkdir()
    for name in manifest["files"]:
        text = (rtl / name).read_text()
        (corrupt / name).write_text(text.replace("assign out_valid = valid_q[1];",
                                                 "assign out_valid = 1'b0 & valid_q[1];"))
    inputs = program.quantize_input(torch.randn(8, 16)).reshape(8, -1)
    with pytest.raises(SimulationMismatch, match="gave 0 outputs for 8 inputs"):
        run_design(corrupt, manifest, inputs, tmp_path / "sim", "iverilog")


def test_relative_folders_work_as_the_default_project_dir_gives_them(jsc_tiny_iverilog, tmp_path, monkeypatch):
    """`ch simulate` with the default ./mase_output hands relative folders; the tools run in
    other folders, so they must still find the sources and the binary."""
    program, rtl, manifest = jsc_tiny_iverilog
    project = tmp_path / "mase_output"
    (project / "rtl").mkdir(parents=True)
    for name in manifest["files"]:
        (project / "rtl" / name).write_text((rtl / name).read_text())
    monkeypatch.chdir(tmp_path)
    run = simulate_and_compare(program, "jsc-tiny", Path("mase_output/rtl"), manifest, "iverilog",
                               Path("mase_output/sim"))
    assert run.outputs.shape[1] == manifest["output"]["elements"]


# -- random small programs --------------------------------------------------------------------

@st.composite
def small_programs(draw):
    """A random integer program: 1-2 layers of linear -> requantize (-> relu) on 1-4 inputs,
    random widths, fracs, signedness, rounding, shifts, weights and biases."""
    def fmt():
        width = draw(st.integers(2, 7))
        return IntegerFormat(width, draw(st.integers(-2, 5)), draw(st.booleans()),
                             draw(st.sampled_from(["nearest_even", "floor"])))

    input_format = fmt()
    n, frac = draw(st.integers(1, 4)), input_format.frac_width
    ops, tensors, info = [], {}, {}
    for layer in range(draw(st.integers(1, 2))):
        out = draw(st.integers(1, 4))
        weight = torch.tensor(draw(st.lists(st.lists(st.integers(-40, 40), min_size=n,
                                                     max_size=n), min_size=out, max_size=out)))
        name = f"l{layer}"
        tensors[f"{name}.weight"] = weight
        info[f"{name}.weight"] = {"shape": [out, n], "width": 8, "signed": True, "frac": 0}
        bias = None
        if draw(st.booleans()):
            bias = f"{name}.bias"
            tensors[bias] = torch.tensor(draw(st.lists(st.integers(-300, 300), min_size=out,
                                                       max_size=out)))
            info[bias] = {"shape": [out], "width": 10, "signed": True, "frac": 0}
        shift = draw(st.integers(0, 2))
        ops.append({"op": "linear", "node": name, "weight": f"{name}.weight", "bias": bias,
                    "product_shift": shift, "bias_shift": draw(st.integers(0, 3))})
        frac = frac + 3 + shift  # weights of frac 3
        target = fmt()
        ops.append({"op": "requantize", "node": f"{name}_q", "frac_in": frac,
                    "format": target.to_dict()})
        frac = target.frac_width
        if draw(st.booleans()):
            ops.append({"op": "relu", "node": f"{name}_relu"})
        n = out
    document = {"format": "machop.IntegerProgram", "version": 1,
                "input_format": input_format.to_dict(), "ops": ops, "output_frac": frac,
                "tensors": info}
    return IntegerProgram(document, tensors)


@needs("iverilog")
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(program=small_programs(), pipeline=st.sampled_from(["none", "layer", "op"]),
       multiplier=st.sampled_from(["csd", "mul"]))
def test_random_small_programs_are_bit_exact(tmp_path, program, pipeline, multiplier):
    n = program.tensors["l0.weight"].shape[1]
    options = HardwareOptions(pipeline=pipeline, multiplier=multiplier)
    try:
        design = emit_design(program, options, (n,))
    except Exception as error:  # every output constant: a clear refusal, nothing to simulate
        assert "is a constant" in str(error)
        return
    folder = tmp_path / f"{abs(hash(str(program.document)))}"
    write_design(design, folder / "rtl")
    manifest = read_manifest(folder / "rtl")
    fmt = program.input_format
    grid = torch.randint(fmt.int_min, fmt.int_max + 1, (48, n), generator=torch.Generator().manual_seed(0))
    directed, labels = directed_vectors(program, n)
    inputs = torch.cat([grid, directed])
    run = run_design(folder / "rtl", manifest, inputs, folder / "sim", "iverilog")
    expected = program.run_integers(inputs)
    compare(run.outputs, expected, [f"random {i}" for i in range(48)] + labels,
            program.output_frac)



def test_a_one_bit_bus_is_declared_as_a_vector():
    """Found by the property test above (input integer(2, -1, unsigned), two layers): a layer
    whose input bus was one bit wide declared it as a scalar port and then indexed it (`x[0]`),
    which iverilog refuses. Buses are vectors at every width; control ports stay scalars."""
    from chop.hardware.verilog import ModuleWriter

    w = ModuleWriter("m")
    w.port("input", "clk", 1)
    w.port("input", "x", 1, bus=True)
    assert w.ports == ["input wire clk", "input wire [0:0] x"]
