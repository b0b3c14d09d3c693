"""Helpers for the hardware tests: quantized registered models as integer programs, designs
written to a folder, and the simulate-and-compare check."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "export"))
from export_graphs import INFOS, fixed, quantized, random_inputs, traced  # noqa: E402

from chop.export import IntegerProgram, export_integer  # noqa: E402
from chop.hardware import HardwareOptions, emit_design  # noqa: E402
from chop.hardware.files import read_manifest, write_design  # noqa: E402
from chop.hardware.simulate import compare, run_design  # noqa: E402
from chop.hardware.vectors import directed_vectors  # noqa: E402

INFOS.setdefault("mlp-s", INFOS["mlp"])  # traced() reads this table: mlp-s on digits-like 8x8
BITS = {
    8: fixed(8, 4, 8, 4, 8, 4),
    # 4 bits: weights with 4 fractional bits, so that freshly initialised weights are not all 0.
    4: fixed(4, 2, 4, 4, 4, 3),
}


def needs(tool: str):
    return pytest.mark.skipif(shutil.which(tool) is None,
                              reason=f"{tool} is not installed (apt-get install {tool})")


def require_tool(tool: str) -> None:
    """Skip the running test (or fixture) when `tool` is missing."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (apt-get install {tool})")


def program_of(name: str, bits: int, seed: int = 0) -> IntegerProgram:
    return export_integer(quantized(traced(name, seed), BITS[bits]))


def input_shape(name: str) -> tuple[int, ...]:
    return tuple(INFOS[name].input_shape)


def emitted(program: IntegerProgram, shape, folder: Path, **options) -> tuple[Path, dict]:
    rtl = folder / "rtl"
    write_design(emit_design(program, HardwareOptions(**options), shape), rtl)
    return rtl, read_manifest(rtl)


def vectors(program: IntegerProgram, name: str, manifest: dict, count: int = 64):
    """`count` random samples at several scales plus every directed vector, with labels."""
    x = program.quantize_input(random_inputs(name, count)).reshape(count, -1)
    directed, labels = directed_vectors(program, manifest["input"]["elements"])
    return torch.cat([x, directed]), [f"random {i}" for i in range(count)] + labels


def simulate_and_compare(program, name, rtl, manifest, simulator, work, count=64):
    inputs, labels = vectors(program, name, manifest, count)
    run = run_design(rtl, manifest, inputs, work, simulator)
    expected = program.run_integers(inputs.reshape(len(inputs), *input_shape(name)))
    compare(run.outputs, expected, labels, program.output_frac)
    assert (expected != 0).sum() >= 20  # a real comparison, not of zeros
    return run
