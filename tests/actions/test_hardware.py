"""`ch emit` -> `ch simulate` -> `ch synth` end to end on jsc-tiny, as a user runs them, with
the transform output loaded by `--load DIR --load-type mg`."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
import tomli_w
from conftest import JSC_H5_FILE, write_jsc_h5

from chop.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "configs" / "examples" / "jsc_tiny_fixed_point.toml"


def _config(folder: Path, **hardware) -> Path:
    """The example config with test-sized [hardware] settings."""
    config = tomllib.loads(EXAMPLE.read_text())
    config["hardware"] |= {"simulator": "iverilog", "vectors": 48, **hardware}
    path = folder / f"hw_{len(list(folder.glob('hw_*.toml')))}.toml"
    path.write_text(tomli_w.dumps(config))
    return path


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    """transform, emit and simulate once for the module (data in a module-scoped folder)."""
    if shutil.which("iverilog") is None:
        pytest.skip("iverilog is not installed (apt-get install iverilog)")
    root = tmp_path_factory.mktemp("hw")
    write_jsc_h5(root / "data" / "jsc" / JSC_H5_FILE)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MACHOP_DATA_DIR", str(root / "data"))
        config = _config(root)
        assert main(["transform", "--config", str(config), "--project-dir", str(root)]) == 0
        graph = root / "jsc-tiny-hw" / "software" / "transform" / "transformed_ckpt"
        args = ["--config", str(config), "--load", str(graph), "--load-type", "mg",
                "--project-dir", str(root)]
        assert main(["emit", *args]) == 0
        assert main(["simulate", *args]) == 0
    return {"root": root, "args": args, "config": config, "graph": graph,
            "hardware": root / "jsc-tiny-hw" / "hardware"}


@pytest.fixture
def data(flow, monkeypatch):
    """The module's JSC fixture file, for tests that run `ch` again."""
    monkeypatch.setenv("MACHOP_DATA_DIR", str(flow["root"] / "data"))
    return flow


def test_emit_writes_rtl_manifest_and_program(flow):
    rtl = flow["hardware"] / "rtl"
    manifest = json.loads((rtl / "manifest.json").read_text())
    assert manifest["top"] == "machop_top"
    assert all((rtl / name).is_file() for name in manifest["files"])
    assert manifest["input"]["width"] == 8 and manifest["input"]["frac_width"] == 4
    assert manifest["latency"] == 2 and manifest["options"]["multiplier"] == "csd"
    assert (flow["hardware"] / "program.int.safetensors").is_file()


def test_simulate_checks_test_split_and_directed_vectors(flow):
    report = json.loads((flow["hardware"] / "simulation.json").read_text())
    assert report["bit_exact"] is True and report["simulator"] == "iverilog"
    assert report["test_vectors"] == 48 and report["directed_vectors"] > 36
    assert report["vectors"] == report["test_vectors"] + report["directed_vectors"]
    assert report["build_cpu_seconds"] > 0 and report["run_cpu_seconds"] > 0


def test_a_corrupted_design_fails_simulate_naming_the_sample(data, tmp_path, capsys):
    """Exit code 1 and one line naming the first mismatching sample and output."""
    copy = tmp_path / "jsc-tiny-hw" / "hardware"
    shutil.copytree(data["hardware"] / "rtl", copy / "rtl")
    top = copy / "rtl" / "machop_top.v"
    top.write_text(top.read_text().replace("assign out_data = {", "assign out_data = 35'h1 ^ {"))
    args = [a if a != str(data["root"]) else str(tmp_path) for a in data["args"]]
    capsys.readouterr()
    assert main(["simulate", *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ch simulate: RTL output differs from the integer program at "
                          "sample 0 (test sample 0), output 0") and "\n" not in err


def test_simulate_refuses_rtl_of_another_model(data, tmp_path, capsys):
    other = _config(tmp_path)
    config = tomllib.loads(other.read_text())
    config["passes"]["quantize"]["default"]["config"]["weight_width"] = 6
    other.write_text(tomli_w.dumps(config))
    assert main(["transform", "--config", str(other), "--project-dir", str(tmp_path)]) == 0
    graph = tmp_path / "jsc-tiny-hw" / "software" / "transform" / "transformed_ckpt"
    capsys.readouterr()
    code = main(["simulate", "--config", str(other), "--load", str(graph), "--load-type", "mg",
                 "--project-dir", str(data["root"])])
    assert code == 2
    assert "was emitted from another model or quantization" in capsys.readouterr().err


def test_emit_needs_a_loaded_model(data, capsys):
    capsys.readouterr()
    assert main(["emit", "--config", str(data["config"]), "--project-dir", str(data["root"])]) == 2
    err = capsys.readouterr().err
    assert "needs a quantized model: --load DIR --load-type mg" in err


def test_emitting_again_keeps_the_earlier_design(data):
    assert main(["emit", *data["args"]]) == 0
    previous = list((data["hardware"] / "previous").glob("*/manifest.json"))
    assert previous and json.loads(previous[0].read_text())["top"] == "machop_top"


@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys is not installed")
def test_synth_reports_luts_and_depth_per_layer(data, capsys):
    capsys.readouterr()
    assert main(["synth", *data["args"]]) == 0
    report = json.loads((data["hardware"] / "synthesis.json").read_text())
    assert report["yosys"].startswith("Yosys") and report["target"] == "lut6"
    assert report["yosys_kind"] in ("pinned", "system")  # which yosys ran: [hardware] yosys
    layers = report["layers"]
    assert [layer["module"] for layer in layers] == ["machop_top_layer0", "machop_top_layer1"]
    # Freshly initialised, the input BatchNorm is the identity: registers only, no LUTs.
    assert layers[1]["luts"] > 0 and layers[1]["logic_depth"] > 0
    assert report["total"]["luts"] == sum(layer["luts"] for layer in layers)
    # A register stage per layer: output registers of every layer plus the valid bits.
    assert report["total"]["ffs"] >= 2
    assert report["latency_ns_estimate"] == pytest.approx(
        2 * max(layer["logic_depth"] for layer in layers) * 0.9)
    assert "ns per logic level" in report["assumption"]
    assert report["cpu_seconds"] > 0
    # The fast estimate beside it (the same design, no tools), within its calibrated error.
    estimate = report["estimate"]
    assert abs(estimate["total"]["luts"] - report["total"]["luts"]) <= 0.25 * report["total"]["luts"]
    assert estimate["latency_cycles"] == 2 and "calibrated against yosys" in estimate["assumption"]


@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys is not installed")
def test_synth_time_limit_is_one_line(data, capsys):
    config = _config(data["root"], synth_timeout=0.05)
    args = list(data["args"])
    args[1] = str(config)
    capsys.readouterr()
    assert main(["synth", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "yosys did not finish within 0.05 s ([hardware] synth_timeout)" in err
    assert "\n" not in err
