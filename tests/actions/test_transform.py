"""`ch transform` end to end: example configs, outputs, errors, and training a transformed graph."""

import json
import shutil
from pathlib import Path

import pytest
import torch

from chop.cli import main
from conftest import small_text_slice

ROOT = Path(__file__).resolve().parents[2]
# Every example with passes (the *search* examples are run by tests/actions/test_search.py).
# learned_freeze_export freezes a trained graph: tests/actions/test_learned_quantization.py runs it.
EXAMPLES = sorted(p for p in (ROOT / "configs" / "examples").glob("*.toml")
                  if "search" not in p.stem and p.stem != "learned_freeze_export")


def transform(tmp_path, config, *extra):
    return main(["transform", "--config", str(config), "--project-dir", str(tmp_path), *extra])


@pytest.mark.parametrize("config", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_config_runs(tmp_path, jsc_data_dir, config):
    assert transform(tmp_path, small_text_slice(config, tmp_path), "--project", "ex") == 0
    out = tmp_path / "ex" / "software" / "transform"
    summary = json.loads((out / "transform_summary.json").read_text())
    assert (out / "transformed_ckpt" / "recipe.json").exists()
    assert all(Path(r).read_text().strip() for r in summary["reports"])


def test_transform_from_trained_checkpoint_and_train_the_graph(tmp_path, jsc_data_dir, capsys):
    assert main(["train", "jsc-tiny", "jsc", "--max-epochs", "2", "--project-dir", str(tmp_path),
                 "--project", "p", "--report-to", "none"]) == 0
    best = tmp_path / "p" / "software" / "training_ckpts" / "best.ckpt"
    config = ROOT / "configs" / "examples" / "jsc_tiny_analysis.toml"
    assert main(["transform", "--config", str(config), "--load", str(best), "--load-type", "pl",
                 "--project-dir", str(tmp_path), "--project", "p"]) == 0
    out = tmp_path / "p" / "software" / "transform"
    assert "placeholder" in (out / "report_graph.txt").read_text()
    assert "variance_precise" in (out / "report_node_meta_param.txt").read_text()
    if shutil.which("dot"):
        assert (out / "graph.svg").read_text().lstrip().startswith(("<?xml", "<svg"))

    # The saved graph holds the trained weights.
    from chop.ir import MaseGraph

    mg = MaseGraph.load(out / "transformed_ckpt")
    trained = torch.load(best, weights_only=True)["state_dict"]
    assert torch.equal(mg.model.state_dict()["seq_blocks.2.weight"], trained["model.seq_blocks.2.weight"])

    # Train the transformed graph, then test its checkpoint.
    assert main(["train", "jsc-tiny", "jsc", "--load", str(out / "transformed_ckpt"), "--load-type", "mg",
                 "--max-epochs", "1", "--project-dir", str(tmp_path), "--project", "q",
                 "--report-to", "none"]) == 0
    capsys.readouterr()
    assert main(["test", "--load", str(tmp_path / "q" / "software" / "training_ckpts" / "best.ckpt")]) == 0
    assert "test_acc" in capsys.readouterr().out


def test_transform_of_a_transformed_graph_keeps_its_transforms(tmp_path, jsc_data_dir):
    """A second `ch transform` on a saved graph extends its recipe: the result rebuilds with both."""
    from chop.ir import MaseGraph

    first = ROOT / "configs" / "examples" / "jsc_toy_by_type.toml"
    assert transform(tmp_path, first, "--project", "a") == 0
    saved = tmp_path / "a" / "software" / "transform" / "transformed_ckpt"
    second = tmp_path / "second.toml"
    second.write_text('model = "jsc-toy"\ndataset = "jsc"\n[passes.freeze_learned]\n')
    assert transform(tmp_path, second, "--project", "b", "--load", str(saved), "--load-type", "mg") == 0
    out = tmp_path / "b" / "software" / "transform" / "transformed_ckpt"
    recipe = json.loads((out / "recipe.json").read_text())
    assert [name for name, _ in recipe["passes"]] == ["quantize", "freeze_learned"]
    rebuilt, original = MaseGraph.load(out), MaseGraph.load(saved)
    x = torch.randn(16, 16)
    assert torch.equal(rebuilt.model(x), original.model(x))


def test_second_transform_keeps_the_first(tmp_path, jsc_data_dir):
    config = ROOT / "configs" / "examples" / "jsc_tiny_analysis.toml"
    assert transform(tmp_path, config, "--project", "t") == 0
    assert transform(tmp_path, config, "--project", "t") == 0
    kept = list((tmp_path / "t" / "software" / "transform" / "previous").glob("*/transformed_ckpt/recipe.json"))
    assert len(kept) == 1


@pytest.mark.parametrize(
    "toml,message",
    [
        ('[passes.report_grph]\n', "[passes.report_grph]"),
        ('[passes.report_graph]\nfile_nam = "x"\n', "file_nam"),
        ('', "ch transform needs passes"),
    ],
)
def test_bad_pass_config_is_one_line(tmp_path, capsys, toml, message):
    config = tmp_path / "c.toml"
    config.write_text('model = "jsc-tiny"\ndataset = "toy"\n' + toml)
    code = transform(tmp_path, config)
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1


def test_quantize_then_qat_then_test(tmp_path, jsc_data_dir, capsys):
    """Seed lab 2 from the command line: quantize by type, train with it in the loop, test."""
    config = ROOT / "configs" / "examples" / "jsc_toy_by_type.toml"
    assert transform(tmp_path, config, "--project", "q") == 0
    out = capsys.readouterr().out
    assert "Quantized graph histogram" in out and "| Linear" in out
    sw = tmp_path / "q" / "software"
    hist = (sw / "transform" / "quantize.txt").read_text()
    assert "linear" in hist
    assert main(["train", "jsc-toy", "jsc", "--load", str(sw / "transform" / "transformed_ckpt"),
                 "--load-type", "mg", "--max-epochs", "2", "--project-dir", str(tmp_path),
                 "--project", "q", "--report-to", "none"]) == 0
    best = sw / "training_ckpts" / "best.ckpt"
    ckpt = torch.load(best, weights_only=True)
    assert ckpt["recipe"]["passes"][0][0] == "quantize"
    capsys.readouterr()
    assert main(["test", "--load", str(best)]) == 0
    metrics = json.loads((sw / "test_metrics.json").read_text())
    # The tested model is the quantized one: rebuilt from the recipe, LinearInteger inside.
    from chop.actions.common import prepare
    from chop.config import merge

    prepared = prepare(merge({"model": "jsc-toy", "dataset": "jsc", "load_name": str(best)}))
    assert "LinearInteger" in {type(m).__name__ for m in prepared.model.modules()}
    assert 0.0 <= metrics["test_acc"] <= 1.0
