"""docs/extending.md: its example pass, exactly as printed, runs from its TOML and replays on load."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from chop import MaseGraph
from chop.config import load_toml
from chop.dataset.info import DatasetInfo
from chop.errors import ConfigError
from chop.models import get_model
from chop.passes import PASSES, run_passes

DOC = Path(__file__).resolve().parents[1] / "docs" / "extending.md"
JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)


def block(language: str) -> str:
    found = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), re.S)
    assert len(found) == 1, f"docs/extending.md should have one {language} block"
    return found[0]


@pytest.fixture
def example_pass(tmp_path):
    source = block("python")
    assert len(source.strip().splitlines()) <= 30  # a short example, as the page promises
    path = tmp_path / "swap_activation_pass.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("swap_activation_pass", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    PASSES.unregister("swap_activation")
    sys.modules.pop(spec.name, None)


def test_the_example_pass_runs_from_its_toml_and_replays_from_the_saved_graph(tmp_path, example_pass):
    (tmp_path / "swap.toml").write_text(block("toml"))
    passes = load_toml(tmp_path / "swap.toml")["passes"]
    mg = MaseGraph(get_model("jsc-tiny", JSC), model_name="jsc-tiny", dataset_info=JSC)
    new, results = run_passes(mg, passes)
    assert results["swap_activation"]["swapped"] == ["seq_blocks_1", "seq_blocks_3"]
    assert isinstance(mg.modules["seq_blocks"][1], nn.ReLU)  # the input graph is untouched
    swapped = new.modules["seq_blocks"][1]
    assert isinstance(swapped, nn.LeakyReLU) and swapped.negative_slope == 0.1
    assert new.recipe()["passes"] == [["swap_activation", {"to": "leaky_relu", "slope": 0.1}]]

    new.save(tmp_path / "g")
    loaded = MaseGraph.load(tmp_path / "g")
    assert isinstance(loaded.modules["seq_blocks"][3], nn.LeakyReLU)
    x = torch.randn(8, 16) * 4
    new.model.eval(), loaded.model.eval()
    assert torch.equal(loaded.model(x), new.model(x))


@pytest.mark.parametrize("args, words", [
    ({"slop": 0.1}, "Pass 'swap_activation' has no argument 'slop'. Did you mean 'slope'"),
    ({"to": "tanh"}, "[passes.swap_activation] to='tanh' must be one of"),
    ({"slope": 1.5}, "slope=1.5 must be a number in [0, 1)"),
])
def test_the_example_pass_is_checked_before_it_runs(example_pass, args, words):
    mg = MaseGraph(get_model("jsc-tiny", JSC))
    with pytest.raises(ConfigError) as exc:
        run_passes(mg, {"init_metadata": {}, "swap_activation": args})
    assert words in str(exc.value)
    assert all("mase" not in n.meta for n in mg.nodes)  # nothing ran
