"""Learned quantization from the command line: `ch transform` (learned widths) -> `ch train`
(the widths train) -> `ch test` -> `ch transform` with freeze_learned + export_integer, bit-exact."""

import json
from pathlib import Path

import torch

from chop.cli import main
from chop.ir import MaseGraph
from chop.nn.learned import LearnedFixedPoint
from chop.nn.quantizers import IntegerFormat

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "configs" / "examples"


def test_learn_train_freeze_export(tmp_path, jsc_data_dir, capsys, caplog, monkeypatch):
    monkeypatch.chdir(tmp_path)  # export_integer's relative save_path
    common = ["--project-dir", str(tmp_path), "--project", "lq"]
    assert main(["transform", "--config", str(EXAMPLES / "jsc_s_learned.toml"), *common]) == 0
    sw = tmp_path / "lq" / "software"
    start = MaseGraph.load(sw / "transform" / "transformed_ckpt").model
    learners = {n: m for n, m in start.named_modules() if isinstance(m, LearnedFixedPoint)}
    assert len(learners) == 8  # data_in and weight of three Linear layers and the input BatchNorm
    start_widths = {n: (float(m.frac.detach()), float(m.int_bits.detach())) for n, m in learners.items()}

    assert main(["train", "jsc-s", "jsc", "--load", str(sw / "transform" / "transformed_ckpt"),
                 "--load-type", "mg", "--max-epochs", "2", "--report-to", "none", *common]) == 0
    assert "learned widths: seq_blocks.0 data_in_0 integer(" in caplog.text
    best = sw / "training_ckpts" / "best.ckpt"
    state = torch.load(best, weights_only=True)["state_dict"]
    trained = {n: (float(state[f"model.{n}.frac"]), float(state[f"model.{n}.int_bits"])) for n in learners}
    assert all(trained[n] != start_widths[n] for n in learners)  # every width trained

    capsys.readouterr()
    assert main(["test", "--load", str(best)]) == 0
    tested = json.loads((sw / "test_metrics.json").read_text())["test_acc"]

    assert main(["transform", "--config", str(EXAMPLES / "learned_freeze_export.toml"),
                 "--load", str(best), *common]) == 0
    frozen_dir = sw / "transform" / "transformed_ckpt"
    frozen = MaseGraph.load(frozen_dir).model.eval()
    assert not any(isinstance(m, LearnedFixedPoint) for m in frozen.modules())
    specs = [s for m in frozen.modules() for s in getattr(m, "specs", {}).values()]
    assert specs and all(isinstance(s, IntegerFormat) for s in specs)

    # The frozen graph computes what the trained one did, and the integer file is bit-exact.
    from chop.actions.common import prepare
    from chop.config import merge
    from chop.export import IntegerProgram

    prepared = prepare(merge({"model": "jsc-s", "dataset": "jsc", "load_name": str(best)}))
    x = prepared.dataset.test.x[:512]
    learned_out = prepared.model.eval()(x)
    assert torch.equal(frozen(x), learned_out)
    program = IntegerProgram.load(tmp_path / "jsc-s-learned.int.safetensors")
    assert torch.equal(program(x).to(learned_out.dtype), learned_out)
    report = (sw / "transform" / "freeze_learned.txt").read_text()
    assert "integer(" in report
    assert 0.0 <= tested <= 1.0
